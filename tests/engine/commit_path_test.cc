// The two commit paths of FsyncMode::kAlways (engine/engine_impl.h, "the commit token"): a lone
// writer commits its own mutation on its own thread, and writers that arrive while a commit is
// in progress are committed together by the commit thread. Both keep the durability promise of
// engine/engine.h: an acknowledgement (callback with OK) only after the record's fdatasync
// returned OK, and a failed sync poisons the engine instead of acknowledging.
//
// SyncGateEnv wraps the in-memory FaultInjectionEnv and, once armed, holds every log segment's
// Sync() at a gate the test opens, recording the order of sync entry, sync return and
// acknowledgements; no timing is assumed anywhere. Its monotonic clock advances by
// `sync_micros` per log sync, so the engine sees the fdatasync latency of a real disk (a lone
// writer commits alone only when syncs are not free) without anything waiting for real time.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/str_cat.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";

// Events in the order they happened, across threads.
class EventLog {
 public:
  void Add(std::string event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }
  // Blocks until `event` has been added `count` times.
  void WaitFor(const std::string& event, size_t count = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return CountLocked(event) >= count; });
  }
  size_t Count(const std::string& event) {
    std::lock_guard<std::mutex> lock(mu_);
    return CountLocked(event);
  }
  std::vector<std::string> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  size_t CountLocked(const std::string& event) const {
    size_t n = 0;
    for (const std::string& e : events_) n += e == event;
    return n;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

// An Env that delegates to `base`; while armed, a log segment's Sync() records "sync" and the
// syncing thread, waits until the gate is opened, delegates, and records "synced".
class SyncGateEnv final : public Env {
 public:
  SyncGateEnv(Env* base, EventLog* events) : base_(base), events_(events) {}

  // How long a log sync appears to take on MonotonicMicros().
  void set_sync_micros(uint64_t micros) { sync_micros_ = micros; }

  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
    open_ = false;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  std::vector<std::thread::id> sync_threads() {
    std::lock_guard<std::mutex> lock(mu_);
    return sync_threads_;
  }

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return Wrap(path, base_->NewWritableFile(path));
  }
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return Wrap(path, base_->NewAppendableFile(path));
  }
  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    return base_->NewSequentialFile(path);
  }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  Status CreateDirIfMissing(const std::string& dir) override {
    return base_->CreateDirIfMissing(dir);
  }
  Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }
  StatusOr<bool> IsLocked(const std::string& path) override { return base_->IsLocked(path); }
  uint64_t NowMicros() override { return base_->NowMicros(); }
  uint64_t MonotonicMicros() override { return base_->MonotonicMicros() + clock_offset_.load(); }

 private:
  class GatedFile final : public WritableFile {
   public:
    GatedFile(SyncGateEnv* env, std::unique_ptr<WritableFile> base)
        : env_(env), base_(std::move(base)) {}
    Status Append(std::string_view data) override { return base_->Append(data); }
    Status Sync() override {
      const bool gated = env_->Enter();
      Status s = base_->Sync();
      env_->clock_offset_.fetch_add(env_->sync_micros_.load());
      if (gated) env_->events_->Add(s.ok() ? "synced" : "sync failed");
      return s;
    }
    Status Close() override { return base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }

   private:
    SyncGateEnv* const env_;
    std::unique_ptr<WritableFile> base_;
  };

  StatusOr<std::unique_ptr<WritableFile>> Wrap(const std::string& path,
                                               StatusOr<std::unique_ptr<WritableFile>> file) {
    if (!file.ok() || path.find("wal-") == std::string::npos) return file;
    return std::unique_ptr<WritableFile>(new GatedFile(this, std::move(*file)));
  }
  // True if the sync was gated (armed): then it has waited for Open().
  bool Enter() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!armed_) return false;
    sync_threads_.push_back(std::this_thread::get_id());
    events_->Add("sync");
    cv_.wait(lock, [&] { return open_; });
    return true;
  }

  Env* const base_;
  EventLog* const events_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool open_ = false;
  std::vector<std::thread::id> sync_threads_;
  std::atomic<uint64_t> sync_micros_{1000};
  std::atomic<uint64_t> clock_offset_{0};
};

class CommitPathTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> OpenEngine() {
    auto db = Engine::Open(testing::QuietEngineOptions(&gate_, kDir));
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  // Submits SET key=value; the callback records "ack <key>" or "error <key>" and keeps the result.
  void SubmitSet(Engine& db, const std::string& key, const std::string& value) {
    db.Submit({MutationType::kSet, key, value}, [this, key](StatusOr<MutationResult> r) {
      {
        std::lock_guard<std::mutex> lock(results_mu_);
        results_.emplace_back(key, r.status());
      }
      events_.Add((r.ok() ? "ack " : "error ") + key);
    });
  }
  std::optional<Status> ResultOf(const std::string& key) {
    std::lock_guard<std::mutex> lock(results_mu_);
    for (const auto& [k, s] : results_) {
      if (k == key) return s;
    }
    return std::nullopt;
  }

  FaultInjectionEnv env_{7};
  EventLog events_;
  SyncGateEnv gate_{&env_, &events_};
  std::mutex results_mu_;
  std::vector<std::pair<std::string, Status>> results_;
};

size_t IndexOf(const std::vector<std::string>& events, const std::string& event, size_t nth = 1) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i] == event && --nth == 0) return i;
  }
  return events.size();
}

TEST_F(CommitPathTest, LoneWriterSyncsOnItsOwnThreadAndIsAckedOnlyAfterTheSync) {
  auto db = OpenEngine();
  ASSERT_TRUE(db);
  gate_.Arm();
  std::thread::id writer_id;
  std::thread writer([&] {
    writer_id = std::this_thread::get_id();
    SubmitSet(*db, "k", "v1");
  });
  events_.WaitFor("sync");
  // The record's sync has started and not returned: no acknowledgement yet, nothing visible.
  EXPECT_EQ(events_.Count("ack k"), 0u);
  EXPECT_FALSE(db->Get("k").has_value());
  gate_.Open();
  writer.join();  // the lone writer's Submit returns once it has committed
  events_.WaitFor("ack k");
  const std::vector<std::string> events = events_.Events();
  EXPECT_LT(IndexOf(events, "synced"), IndexOf(events, "ack k"));
  // No hand-off: the writer's own thread ran the fdatasync.
  ASSERT_EQ(gate_.sync_threads().size(), 1u);
  EXPECT_EQ(gate_.sync_threads()[0], writer_id);
  EXPECT_EQ(db->Get("k"), "v1");

  // What was acknowledged survives a power cut that keeps only synced bytes.
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  db.reset();
  auto reopened = Engine::Open(testing::QuietEngineOptions(&env_, kDir));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Get("k"), "v1");
}

TEST_F(CommitPathTest, LoneWriterWhoseSyncFailsIsNotAckedAndPoisonsTheEngine) {
  auto db = OpenEngine();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Set("before", "1").ok());
  env_.FailNthSync(1, EIO, "wal-");
  Status failed = db->Set("k", "v");
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(failed.IsStorageFailure()) << failed.ToString();
  EXPECT_FALSE(db->Get("k").has_value());  // never applied
  EXPECT_FALSE(db->Stats().poisoned_reason.empty());
  // Poisoned: later writes fail too (lone or not), reads keep working.
  Status later = db->Set("k2", "v");
  EXPECT_TRUE(later.IsStorageFailure()) << later.ToString();
  EXPECT_EQ(db->Get("before"), "1");
  EXPECT_TRUE(db->Close().ok());

  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  auto reopened = Engine::Open(testing::QuietEngineOptions(&env_, kDir));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Get("before"), "1");
  EXPECT_FALSE((*reopened)->Get("k").has_value());
}

TEST_F(CommitPathTest, WritersArrivingDuringALoneCommitShareTheNextSync) {
  auto db = OpenEngine();
  ASSERT_TRUE(db);
  const EngineStats before = db->Stats();
  gate_.Arm();
  std::thread writer([&] { SubmitSet(*db, "lone", "v"); });
  events_.WaitFor("sync");
  // The token is taken: these queue for the commit thread and return at once, unacknowledged.
  constexpr int kQueued = 31;
  for (int i = 0; i < kQueued; ++i) SubmitSet(*db, StrCat("q", i), "v");
  EXPECT_EQ(events_.Count("ack q0"), 0u);
  gate_.Open();
  writer.join();
  for (int i = 0; i < kQueued; ++i) events_.WaitFor(StrCat("ack q", i));

  const EngineStats after = db->Stats();
  EXPECT_EQ(after.mutations_committed - before.mutations_committed, uint64_t{kQueued + 1});
  // One sync for the lone writer, one for the 31 queued behind it (group commit).
  EXPECT_EQ(after.commit_batches - before.commit_batches, 2u);
  EXPECT_EQ(after.fsync_count - before.fsync_count, 2u);
  const std::vector<std::string> events = events_.Events();
  const size_t second_sync_done = IndexOf(events, "synced", 2);
  ASSERT_LT(second_sync_done, events.size());
  for (int i = 0; i < kQueued; ++i) {
    EXPECT_LT(second_sync_done, IndexOf(events, StrCat("ack q", i))) << i;
  }
  // The group went through the commit thread, not the lone writer's thread.
  ASSERT_EQ(gate_.sync_threads().size(), 2u);
  EXPECT_NE(gate_.sync_threads()[0], gate_.sync_threads()[1]);
}

TEST_F(CommitPathTest, CloseDuringALoneCommitWaitsForItAndKeepsIt) {
  auto db = OpenEngine();
  ASSERT_TRUE(db);
  gate_.Arm();
  std::thread writer([&] { SubmitSet(*db, "k", "v"); });
  events_.WaitFor("sync");
  Status closed;
  std::thread closer([&] { closed = db->Close(); });
  gate_.Open();
  writer.join();
  closer.join();
  EXPECT_TRUE(closed.ok()) << closed.ToString();
  ASSERT_TRUE(ResultOf("k").has_value());
  EXPECT_TRUE(ResultOf("k")->ok());
  db.reset();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  auto reopened = Engine::Open(testing::QuietEngineOptions(&env_, kDir));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Get("k"), "v");
}

TEST_F(CommitPathTest, WithInstantSyncsEveryWriteGoesThroughTheCommitThread) {
  gate_.set_sync_micros(0);  // a RAM-backed device: the hand-off costs more than the sync
  auto db = OpenEngine();
  ASSERT_TRUE(db);
  // Until the engine has measured syncs it assumes a fast SSD's; these teach it otherwise.
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(db->Set("warm-up", std::to_string(i)).ok());
  gate_.Arm();
  gate_.Open();
  for (int i = 0; i < 3; ++i) {
    std::thread writer([&] { EXPECT_TRUE(db->Set("k", std::to_string(i)).ok()); });
    const std::thread::id writer_id = writer.get_id();
    writer.join();
    ASSERT_EQ(gate_.sync_threads().size(), size_t(i) + 1);
    EXPECT_NE(gate_.sync_threads()[i], writer_id);
  }
}

TEST_F(CommitPathTest, CountersStayInLogOrderAcrossBothPaths) {
  auto db = OpenEngine();
  ASSERT_TRUE(db);
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) ASSERT_TRUE(db->IncrBy("n", 1).ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(db->Get("n"), std::to_string(kThreads * kPerThread));
  const EngineStats stats = db->Stats();
  EXPECT_EQ(stats.mutations_committed, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(stats.fsync_count, stats.commit_batches);
  ASSERT_TRUE(db->Close().ok());
  auto reopened = Engine::Open(testing::QuietEngineOptions(&env_, kDir));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Get("n"), std::to_string(kThreads * kPerThread));
}

}  // namespace
}  // namespace walkv
