// FakeEngine: an in-memory walkv::Engine for RPC tests — a map, no files.
//
// Submit() applies and completes at once on the calling thread, unless HoldWrites(true): then
// mutations queue up (unapplied, invisible to reads, like a pending group commit) until
// ReleaseWrites() applies them in order and runs their callbacks on the releasing thread.
// FailWrites() makes every later mutation fail with the given Status (a poisoned engine).
// Snapshot() blocks while HoldSnapshot(true). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/counter.h"
#include "engine/engine.h"

namespace walkv::testing {

// Redis-style glob: * ? [abc] [^a] [a-z] \x.
inline bool GlobMatch(std::string_view p, std::string_view s) {
  while (!p.empty()) {
    const char c = p.front();
    if (c == '*') {
      p.remove_prefix(1);
      for (size_t i = 0; i <= s.size(); ++i) {
        if (GlobMatch(p, s.substr(i))) return true;
      }
      return false;
    }
    if (s.empty()) return false;
    if (c == '?') {
      // any one byte
    } else if (c == '[') {
      size_t i = 1;
      const bool negate = i < p.size() && p[i] == '^';
      if (negate) ++i;
      bool match = false;
      for (; i < p.size() && p[i] != ']'; ++i) {
        if (p[i] == '\\' && i + 1 < p.size()) {
          match |= p[++i] == s.front();
        } else if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
          match |= p[i] <= s.front() && s.front() <= p[i + 2];
          i += 2;
        } else {
          match |= p[i] == s.front();
        }
      }
      if (match == negate) return false;
      p.remove_prefix(i < p.size() ? i : p.size() - 1);
    } else if (c == '\\' && p.size() > 1) {
      p.remove_prefix(1);
      if (p.front() != s.front()) return false;
    } else if (c != s.front()) {
      return false;
    }
    p.remove_prefix(1);
    s.remove_prefix(1);
  }
  return s.empty();
}

class FakeEngine : public Engine {
 public:
  std::optional<std::string> Get(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(std::string(key));
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }

  std::optional<uint64_t> ValueLength(std::string_view key) override {
    std::optional<std::string> value = Get(key);
    if (!value) return std::nullopt;
    return value->size();
  }

  uint64_t Size() override {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.size();
  }

  std::vector<std::string> Keys(std::string_view pattern) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [k, v] : map_) {
      if (GlobMatch(pattern, k)) out.push_back(k);
    }
    return out;
  }

  // The cursor is the number of keys (in key order) already passed.
  uint64_t Scan(uint64_t cursor, size_t count, std::string_view pattern,
                std::vector<std::string>* keys) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.begin();
    for (uint64_t i = 0; i < cursor && it != map_.end(); ++i) ++it;
    for (size_t n = 0; n < count && it != map_.end(); ++n, ++it, ++cursor) {
      if (GlobMatch(pattern, it->first)) keys->push_back(it->first);
    }
    return it == map_.end() ? 0 : cursor;
  }

  const EngineOptions& options() const override { return options_; }

  void Submit(Mutation m, Callback done) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++submitted_;
    if (!fail_.ok()) {
      Status s = fail_;
      lock.unlock();
      done(s);
      return;
    }
    if (hold_) {
      held_.emplace_back(std::move(m), std::move(done));
      cv_.notify_all();
      return;
    }
    StatusOr<MutationResult> r = Apply(m);
    lock.unlock();
    done(std::move(r));
  }

  StatusOr<SnapshotInfo> Snapshot() override {
    std::unique_lock<std::mutex> lock(mu_);
    ++snapshots_started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_snapshot_; });
    SnapshotInfo info;
    info.seq = seq_;
    info.keys = map_.size();
    info.bytes = 100 + map_.size();
    info.file = "snap-" + std::to_string(seq_) + ".snap";
    info.unix_micros = 1;
    last_snapshot_ = info;
    return info;
  }

  // No files, so nothing is ever obsolete.
  StatusOr<SnapshotInfo> SnapshotKeeping(size_t /*keep_snapshots*/) override { return Snapshot(); }

  EngineStats Stats() override {
    std::lock_guard<std::mutex> lock(mu_);
    EngineStats s;
    s.keys = map_.size();
    s.last_seq = seq_;
    s.mutations_committed = seq_;
    s.last_snapshot = last_snapshot_;
    return s;
  }

  const RecoverySummary& recovery_summary() const override { return recovery_; }

  Status Close() override { return Status::Ok(); }

  // --- test controls ---
  void HoldWrites(bool hold) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = hold;
  }
  // Applies every held mutation in order and runs its callback; returns how many.
  size_t ReleaseWrites() {
    std::deque<std::pair<StatusOr<MutationResult>, Callback>> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!held_.empty()) {
        auto [m, cb] = std::move(held_.front());
        held_.pop_front();
        done.emplace_back(Apply(m), std::move(cb));
      }
    }
    for (auto& [r, cb] : done) cb(r);
    return done.size();
  }
  // Waits (bounded) until at least n mutations are held.
  bool WaitHeld(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return held_.size() >= n; });
  }
  void FailWrites(Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = std::move(s);
  }
  void HoldSnapshot(bool hold) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hold_snapshot_ = hold;
    }
    cv_.notify_all();
  }
  bool WaitSnapshotStarted(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return snapshots_started_ > 0; });
  }
  uint64_t submitted() {
    std::lock_guard<std::mutex> lock(mu_);
    return submitted_;
  }

 private:
  StatusOr<MutationResult> Apply(const Mutation& m) {
    MutationResult r;
    if (m.request == MutationRequest::kInvalid) return Status::InvalidArgument(m.value);
    if (m.request == MutationRequest::kSetWithOptions) {  // no expiry here: a plain set
      r.seq = ++seq_;
      map_[m.key] = m.value;
      return r;
    }
    if (m.request != MutationRequest::kIncrBy && m.request != MutationRequest::kDecrBy &&
        m.request != MutationRequest::kAsIs) {
      return Status::InvalidArgument("the fake engine has no expiry");
    }
    if (m.request != MutationRequest::kAsIs) {  // counters: the engine's own rules
      auto it = map_.find(m.key);
      std::optional<std::string_view> current;
      if (it != map_.end()) current = it->second;
      StatusOr<int64_t> value = ApplyCounter(current, m.request, m.value);
      if (!value.ok()) return value.status();
      r.counter = *value;
      map_[m.key] = std::to_string(*value);
      r.seq = ++seq_;
      return r;
    }
    r.seq = ++seq_;
    switch (m.type) {
      case MutationType::kSet:
        map_[m.key] = m.value;
        break;
      case MutationType::kDelete:
        r.existed = map_.erase(m.key) > 0;
        break;
      case MutationType::kAppend: {
        std::string& v = map_[m.key];
        v += m.value;
        r.new_length = v.size();
        break;
      }
      case MutationType::kFlushAll:
        map_.clear();
        break;
      default:  // expiry record types: never submitted as is to the fake
        break;
    }
    return r;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> map_;
  EngineOptions options_;
  uint64_t seq_ = 0;
  uint64_t submitted_ = 0;
  bool hold_ = false;
  bool hold_snapshot_ = false;
  uint64_t snapshots_started_ = 0;
  std::deque<std::pair<Mutation, Callback>> held_;
  Status fail_;
  std::optional<SnapshotInfo> last_snapshot_;
  RecoverySummary recovery_;
};

}  // namespace walkv::testing
