#include "rpc/sync_replica_waiter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

namespace walkv::rpc {

namespace {

// The longest the timer thread sleeps with nothing parked (Park and Shutdown wake it earlier).
constexpr uint64_t kIdleWaitMicros = 1000 * 1000;
constexpr auto kWarningInterval = std::chrono::seconds(1);

void RunAll(std::deque<SyncReplicaWaiter::Release>& releases, SyncOutcome outcome) {
  for (SyncReplicaWaiter::Release& release : releases) release(outcome);
  releases.clear();
}

}  // namespace

SyncReplicaWaiter::SyncReplicaWaiter(SyncReplicaOptions options)
    : options_(options), timer_([this] { TimerLoop(); }) {}

SyncReplicaWaiter::~SyncReplicaWaiter() {
  Shutdown();
  timer_.join();
}

void SyncReplicaWaiter::Park(uint64_t seq, Release release) {
  SyncOutcome outcome;
  {
    MutexLock lock(&mu_);
    if (shut_down_) {
      outcome = SyncOutcome::kShutDown;
    } else if (seq <= confirmed_seq_) {
      outcome = SyncOutcome::kConfirmed;
      ++confirmed_total_;
    } else {
      const Key key{seq, next_park_id_++};
      parked_.emplace(key, std::move(release));
      const bool was_empty = deadlines_.empty();
      deadlines_.push_back({Clock::now() + options_.timeout, key});
      if (was_empty) timer_cv_.Signal();
      return;
    }
  }
  release(outcome);
}

uint64_t SyncReplicaWaiter::AddReplica() {
  MutexLock lock(&mu_);
  const uint64_t id = next_replica_id_++;
  acked_[id] = 0;
  return id;
}

void SyncReplicaWaiter::ReplicaAcked(uint64_t id, uint64_t acked_seq) {
  std::deque<Release> released;
  {
    MutexLock lock(&mu_);
    auto it = acked_.find(id);
    if (it == acked_.end() || acked_seq <= it->second) return;
    it->second = acked_seq;
    Recompute();
    TakeConfirmed(&released);
  }
  RunAll(released, SyncOutcome::kConfirmed);
}

void SyncReplicaWaiter::RemoveReplica(uint64_t id) {
  MutexLock lock(&mu_);
  acked_.erase(id);
}

void SyncReplicaWaiter::Shutdown() {
  std::deque<Release> released;
  {
    MutexLock lock(&mu_);
    shut_down_ = true;
    for (auto& [key, release] : parked_) released.push_back(std::move(release));
    parked_.clear();
    deadlines_.clear();
    timer_cv_.SignalAll();
  }
  RunAll(released, SyncOutcome::kShutDown);
}

SyncReplicaWaiter::Stats SyncReplicaWaiter::stats() const {
  MutexLock lock(&mu_);
  return {options_.replicas, confirmed_seq_,  acked_.size(), parked_.size(),
          confirmed_total_,  timeouts_,       downgraded_};
}

void SyncReplicaWaiter::Recompute() {
  if (options_.replicas == 0 || acked_.size() < options_.replicas) return;
  std::vector<uint64_t> seqs;
  seqs.reserve(acked_.size());
  for (const auto& [id, seq] : acked_) seqs.push_back(seq);
  // The N-th largest ACKed seq: N replicas hold at least it.
  std::nth_element(seqs.begin(), seqs.begin() + static_cast<ptrdiff_t>(options_.replicas - 1),
                   seqs.end(), std::greater<>());
  confirmed_seq_ = std::max(confirmed_seq_, seqs[options_.replicas - 1]);
}

void SyncReplicaWaiter::TakeConfirmed(std::deque<Release>* out) {
  auto it = parked_.begin();
  for (; it != parked_.end() && it->first.seq <= confirmed_seq_; ++it) {
    out->push_back(std::move(it->second));
  }
  confirmed_total_ += out->size();
  parked_.erase(parked_.begin(), it);
}

void SyncReplicaWaiter::LogDowngrades(uint64_t count) {
  unlogged_downgrades_ += count;
  const Clock::time_point now = Clock::now();
  if (unlogged_downgrades_ == 0 || now - last_warning_ < kWarningInterval) return;
  spdlog::warn(
      "semi-sync: {} write(s) not confirmed by {} replica(s) within {} ms answered OK "
      "(--sync-timeout-action downgrade); they are durable on this primary only",
      unlogged_downgrades_, options_.replicas, options_.timeout.count());
  unlogged_downgrades_ = 0;
  last_warning_ = now;
}

void SyncReplicaWaiter::TimerLoop() {
  std::deque<Release> expired;
  MutexLock lock(&mu_);
  while (!shut_down_) {
    const Clock::time_point now = Clock::now();
    while (!deadlines_.empty() && deadlines_.front().at <= now) {
      auto it = parked_.find(deadlines_.front().key);
      if (it != parked_.end()) {
        expired.push_back(std::move(it->second));
        parked_.erase(it);
      }
      deadlines_.pop_front();
    }
    if (!expired.empty()) {
      const bool downgrade = options_.on_timeout == SyncTimeoutAction::kDowngrade;
      timeouts_ += expired.size();
      if (downgrade) {
        downgraded_ += expired.size();
        LogDowngrades(expired.size());
      }
      mu_.Unlock();
      RunAll(expired, downgrade ? SyncOutcome::kDowngraded : SyncOutcome::kTimedOut);
      mu_.Lock();
      continue;
    }
    if (unlogged_downgrades_ > 0) LogDowngrades(0);
    uint64_t wait_micros = kIdleWaitMicros;
    if (!deadlines_.empty()) {
      const auto until = std::chrono::duration_cast<std::chrono::microseconds>(
          deadlines_.front().at - now);
      wait_micros = std::min<uint64_t>(wait_micros, static_cast<uint64_t>(until.count()) + 1);
    }
    timer_cv_.WaitFor(wait_micros);
  }
}

}  // namespace walkv::rpc
