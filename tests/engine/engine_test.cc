// Engine behaviour through its public API, on the in-memory FaultInjectionEnv.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/file_names.h"
#include "engine/log_head.h"
#include "engine/str_cat.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";

// Polls `condition` until it holds or `seconds` pass: for effects of background threads (timers),
// never as a substitute for a synchronisation the API offers.
template <typename Condition>
bool EventuallyTrue(Condition condition, int seconds = 20) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a poll interval, not a wait
  }
  return condition();
}

class EngineTest : public ::testing::Test {
 protected:
  EngineOptions Options() { return testing::QuietEngineOptions(&env_, kDir); }
  std::unique_ptr<Engine> Open(EngineOptions o) {
    auto e = Engine::Open(o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  std::unique_ptr<Engine> Open() { return Open(Options()); }

  FaultInjectionEnv env_{42};
};

TEST_F(EngineTest, SetGetDeleteAppendFlushAll) {
  auto db = Open();
  ASSERT_TRUE(db);
  EXPECT_FALSE(db->Get("a").has_value());
  ASSERT_TRUE(db->Set("a", "1").ok());
  EXPECT_EQ(db->Get("a"), "1");
  auto len = db->Append("a", "23");
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(*len, 3u);
  EXPECT_EQ(db->Get("a"), "123");
  auto existed = db->Delete("a");
  ASSERT_TRUE(existed.ok());
  EXPECT_TRUE(*existed);
  existed = db->Delete("a");
  ASSERT_TRUE(existed.ok());
  EXPECT_FALSE(*existed);
  ASSERT_TRUE(db->Set("x", "y").ok());
  ASSERT_TRUE(db->FlushAll().ok());
  EXPECT_TRUE(db->Keys("*").empty());
}

TEST_F(EngineTest, StateSurvivesReopen) {
  {
    auto db = Open();
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->Set("k1", std::string("v\0x", 3)).ok());
    ASSERT_TRUE(db->Set("k2", "v2").ok());
    ASSERT_TRUE(db->Append("k2", "!").ok());
    ASSERT_TRUE(db->Delete("k1").ok());
    ASSERT_TRUE(db->Set("k3", "v3").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = Open();
  ASSERT_TRUE(db);
  EXPECT_FALSE(db->Get("k1").has_value());
  EXPECT_EQ(db->Get("k2"), "v2!");
  EXPECT_EQ(db->Get("k3"), "v3");
  EXPECT_EQ(db->recovery_summary().records_replayed, 5u);
  EXPECT_EQ(db->recovery_summary().keys, 2u);
}

TEST_F(EngineTest, SecondOpenOfSameDirIsBusy) {
  auto db = Open();
  ASSERT_TRUE(db);
  auto second = Engine::Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  ASSERT_TRUE(db->Close().ok());
  auto third = Engine::Open(Options());
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(EngineTest, KeysMatchesGlob) {
  auto db = Open();
  ASSERT_TRUE(db);
  for (const char* k : {"user:1", "user:2", "user:10", "order:1", "u"}) {
    ASSERT_TRUE(db->Set(k, "v").ok());
  }
  auto keys = db->Keys("user:?");
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"user:1", "user:2"}));
  keys = db->Keys("*:1*");
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"order:1", "user:1", "user:10"}));
  EXPECT_EQ(db->Keys("u").size(), 1u);
  EXPECT_EQ(db->Keys("*").size(), 5u);
}

TEST_F(EngineTest, ConcurrentAppendsFollowLogOrder) {
  auto db = Open();
  ASSERT_TRUE(db);
  constexpr int kThreads = 8, kPerThread = 50;
  struct Done {
    uint64_t seq, new_length;
    std::string piece;
  };
  std::mutex mu;
  std::vector<Done> done;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string piece = StrCat("<", t) + StrCat(":", i) + ">";
        auto r = db->Write({MutationType::kAppend, "log", piece});
        ASSERT_TRUE(r.ok());
        std::lock_guard lock(mu);
        done.push_back({r->seq, r->new_length, piece});
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(done.begin(), done.end(), [](auto& a, auto& b) { return a.seq < b.seq; });
  std::string expected;
  for (size_t i = 0; i < done.size(); ++i) {
    if (i > 0) {
      EXPECT_EQ(done[i].seq, done[i - 1].seq + 1);
    }
    expected += done[i].piece;
    EXPECT_EQ(done[i].new_length, expected.size()) << "at seq " << done[i].seq;
  }
  EXPECT_EQ(db->Get("log"), expected);
  ASSERT_TRUE(db->Close().ok());
  auto reopened = Open();
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->Get("log"), expected);
}

TEST_F(EngineTest, ConcurrentWritersShareFsyncs) {
  auto db = Open();
  ASSERT_TRUE(db);
  constexpr int kThreads = 32, kPerThread = 40;
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(db->Set(StrCat("k", t), std::to_string(i)).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EngineStats stats = db->Stats();
  EXPECT_EQ(stats.mutations_committed, uint64_t{kThreads * kPerThread});
  // One fdatasync per batch. Whether batches hold more than one mutation here depends on timing
  // (the in-memory syncs are instant, so a lone writer often commits alone); that writers
  // arriving during a commit share the next sync is tested deterministically in
  // commit_path_test.cc (WritersArrivingDuringALoneCommitShareTheNextSync).
  EXPECT_EQ(stats.fsync_count, stats.commit_batches);
  EXPECT_LE(stats.commit_batches, stats.mutations_committed);
}

TEST_F(EngineTest, SnapshotThenReplayGivesSameState) {
  EngineOptions o = Options();
  o.segment_bytes = 256;  // roll often
  {
    auto db = Open(o);
    ASSERT_TRUE(db);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(db->Set(StrCat("k", i % 17), std::to_string(i)).ok());
    }
    ASSERT_TRUE(db->Append("k1", "+").ok());
    auto snap = db->Snapshot();
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_EQ(snap->seq, 101u);
    EXPECT_EQ(snap->keys, 17u);
    ASSERT_TRUE(db->Append("k1", "after").ok());
    ASSERT_TRUE(db->Delete("k2").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = Open(o);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->recovery_summary().snapshot_seq, 101u);
  EXPECT_EQ(db->recovery_summary().records_replayed, 2u);
  EXPECT_EQ(db->Get("k1"), "86+after");
  EXPECT_FALSE(db->Get("k2").has_value());
  EXPECT_EQ(db->Get("k16"), "84");
}

TEST_F(EngineTest, SnapshotRemovesObsoleteSegmentsButKeepsPreviousSnapshotCoverage) {
  EngineOptions o = Options();
  o.segment_bytes = 128;
  o.replication_backlog_bytes = 0;
  auto db = Open(o);
  ASSERT_TRUE(db);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(db->Set(StrCat("a", i), "v").ok());
  auto first = db->Snapshot();
  ASSERT_TRUE(first.ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(db->Set(StrCat("b", i), "v").ok());
  auto second = db->Snapshot();
  ASSERT_TRUE(second.ok());
  EngineStats stats = db->Stats();
  auto children = env_.GetChildren(kDir);
  ASSERT_TRUE(children.ok());
  int snaps = 0;
  for (const auto& name : *children) snaps += name.starts_with("snap-");
  EXPECT_EQ(snaps, 2);
  // Segments from the first snapshot on remain, older ones are gone.
  EXPECT_LT(stats.log_segments, 20u);
  ASSERT_TRUE(db->Close().ok());
  auto reopened = Open(o);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->Keys("*").size(), 100u);
}

// What `walkv compact` relies on, on a running engine: keeping one snapshot removes the fallback
// snapshot and every segment the new snapshot covers, and loses nothing.
TEST_F(EngineTest, SnapshotKeepingOneLeavesOneSnapshotAndOnlyTheLogAfterIt) {
  EngineOptions o = Options();
  o.segment_bytes = 128;
  auto db = Open(o);
  ASSERT_TRUE(db);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(db->Set(StrCat("a", i), "v").ok());
  ASSERT_TRUE(db->Snapshot().ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(db->Set(StrCat("b", i), "v").ok());
  auto kept = db->SnapshotKeeping(1);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->seq, 100u);
  std::vector<std::string> snapshots, segments;
  for (const auto& name : env_.GetChildren(kDir).value()) {
    FileKind kind = ParseFileName(name).kind;
    if (kind == FileKind::kSnapshot) snapshots.push_back(name);
    if (kind == FileKind::kLogSegment) segments.push_back(name);
  }
  EXPECT_EQ(snapshots, std::vector<std::string>{kept->file});
  EXPECT_EQ(segments, std::vector<std::string>{LogFileName(101)});
  EXPECT_EQ(db->Stats().log_segments, 1u);
  ASSERT_TRUE(db->Set("c", "after").ok());
  ASSERT_TRUE(db->Close().ok());
  auto reopened = Open(o);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->recovery_summary().snapshot_seq, 100u);
  EXPECT_EQ(reopened->Keys("*").size(), 101u);
}

TEST_F(EngineTest, SnapshotCapturesExactlyTheCutWhileWritersRun) {
  auto db = Open();
  ASSERT_TRUE(db);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(db->Set(StrCat("k", i), "old").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 5000; ++i, ++rounds) {
      ASSERT_TRUE(db->Set(StrCat("k", i % 200), StrCat("new", i)).ok());
      ASSERT_TRUE(db->Delete(StrCat("k", (i + 7) % 200)).ok());
      ASSERT_TRUE(db->Append(StrCat("n", i % 50), "x").ok());
    }
  });
  while (rounds.load() < 100) std::this_thread::yield();  // writers are mid-flight
  auto snap = db->Snapshot();
  stop = true;
  writer.join();
  EXPECT_GT(rounds.load(), 100);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  // Replaying the rest of the log over the snapshot must give exactly the live state.
  std::map<std::string, std::string> live;
  for (const auto& k : db->Keys("*")) live[k] = *db->Get(k);
  ASSERT_TRUE(db->Close().ok());
  auto reopened = Open();
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->recovery_summary().snapshot_seq, snap->seq);
  std::map<std::string, std::string> recovered;
  for (const auto& k : reopened->Keys("*")) recovered[k] = *reopened->Get(k);
  EXPECT_EQ(recovered, live);
}

TEST_F(EngineTest, FailedSyncPoisonsWritesButReadsKeepWorking) {
  auto db = Open();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Set("k", "durable").ok());
  env_.FailNthSync(1, EIO, "wal-");
  Status s = db->Set("k", "never-acknowledged");
  EXPECT_TRUE(s.IsStorageFailure()) << s.ToString();
  // The failed write was not applied: no reader ever sees it.
  EXPECT_EQ(db->Get("k"), "durable");
  // Every later mutation fails too, even though the disk would now accept it.
  for (int i = 0; i < 3; ++i) {
    Status later = db->Set("other", "x");
    EXPECT_TRUE(later.IsStorageFailure()) << later.ToString();
  }
  EXPECT_FALSE(db->Append("k", "x").ok());
  EXPECT_EQ(db->Get("k"), "durable");
  EXPECT_FALSE(db->Stats().poisoned_reason.empty());
  // With fsync always nothing acknowledged depends on the close, so it succeeds (serve exits 0).
  EXPECT_TRUE(db->Close().ok());
  db.reset();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  auto reopened = Open();
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->Get("k"), "durable");
  EXPECT_FALSE(reopened->Get("other").has_value());
}

TEST_F(EngineTest, CloseAfterAFailureReportsItWhenAcknowledgedWritesWereNotSynced) {
  EngineOptions o = Options();
  o.fsync_mode = FsyncMode::kNever;
  auto db = Open(o);
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Set("k", "written").ok());
  env_.FailNthWrite(1, EIO, "wal-");
  EXPECT_TRUE(db->Set("k", "failed").IsStorageFailure());
  // "written" was acknowledged but never synced: the close must not claim it is durable.
  Status closed = db->Close();
  EXPECT_FALSE(closed.ok());
  EXPECT_TRUE(closed.IsStorageFailure()) << closed.ToString();
}

TEST_F(EngineTest, FullDiskGivesNoSpaceAndLosesNothingAcknowledged) {
  auto db = Open();
  ASSERT_TRUE(db);
  std::map<std::string, std::string> acked;
  env_.SetDiskCapacity(8192);
  Status last;
  for (int i = 0; i < 1000; ++i) {
    std::string k = StrCat("key", i), v(100, 'a' + i % 26);
    last = db->Set(k, v);
    if (!last.ok()) break;
    acked[k] = v;
  }
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.code(), StatusCode::kNoSpace) << last.ToString();
  EXPECT_NE(last.message().find("No space"), std::string::npos) << last.ToString();
  EXPECT_GT(acked.size(), 10u);
  for (const auto& [k, v] : acked) EXPECT_EQ(db->Get(k), v);
  db.reset();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);  // frees the space, like an operator would
  auto reopened = Open();
  ASSERT_TRUE(reopened);
  for (const auto& [k, v] : acked) EXPECT_EQ(reopened->Get(k), v);
  EXPECT_TRUE(reopened->Set("after", "restart").ok());
}

// Every new segment is named by LOGHEAD before a record goes into it (engine/log_head.h), so a
// power cut at any moment leaves LOGHEAD naming a segment that exists.
TEST_F(EngineTest, EverySegmentRollPointsLogHeadAtTheNewSegmentBeforeWritingIntoIt) {
  EngineOptions o = Options();
  o.segment_bytes = 100;  // a roll every couple of records
  auto db = Open(o);
  ASSERT_TRUE(db);
  uint64_t rolls = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(db->Set(StrCat("k", i), std::string(40, 'v')).ok());
    std::string newest;
    auto children = env_.GetChildren(kDir);
    ASSERT_TRUE(children.ok());
    for (const std::string& name : *children) {
      if (ParseFileName(name).kind == FileKind::kLogSegment) newest = std::max(newest, name);
    }
    auto head = log::ReadLogHead(&env_, kDir);
    ASSERT_TRUE(head.ok());
    ASSERT_TRUE(head->newest.has_value());
    EXPECT_EQ(LogFileName(*head->newest), newest) << "after record " << i + 1;
    rolls = std::max<uint64_t>(rolls, *head->newest);
  }
  EXPECT_GT(rolls, 5u);
  // And LOGHEAD is durable: a power cut right now keeps it and everything acknowledged.
  db.reset();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  auto reopened = Open(EngineOptions(o));
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->Keys("*").size(), 20u);
}

// Pointing LOGHEAD at a new segment can fail like any write (here: its sync). The engine then
// refuses writes rather than put records into a segment LOGHEAD does not name, and a restart
// serves every acknowledged write.
TEST_F(EngineTest, FailedLogHeadUpdateOnRollPoisonsWritesAndLosesNothingAcknowledged) {
  EngineOptions o = Options();
  o.segment_bytes = 100;
  auto db = Open(o);
  ASSERT_TRUE(db);
  std::map<std::string, std::string> acked;
  env_.FailNthSync(1, EIO, "LOGHEAD");
  Status last;
  for (int i = 0; i < 20 && last.ok(); ++i) {
    std::string k = StrCat("k", i), v(40, 'a' + i);
    last = db->Set(k, v);
    if (last.ok()) acked[k] = v;
  }
  ASSERT_FALSE(last.ok()) << "no roll happened";
  EXPECT_TRUE(last.IsStorageFailure()) << last.ToString();
  EXPECT_NE(last.message().find("LOGHEAD"), std::string::npos) << last.ToString();
  EXPECT_GE(acked.size(), 1u);
  EXPECT_TRUE(db->Close().ok());
  db.reset();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  auto reopened = Open(EngineOptions(o));
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->Keys("*").size(), acked.size());
  for (const auto& [k, v] : acked) EXPECT_EQ(reopened->Get(k), v);
}

TEST_F(EngineTest, IntervalModeAcknowledgesBeforeSyncAndSyncsInTheBackground) {
  EngineOptions o = Options();
  o.fsync_mode = FsyncMode::kInterval;
  o.fsync_interval_ms = 20;
  auto db = Open(o);
  ASSERT_TRUE(db);
  uint64_t syncs_before = env_.file_syncs();
  ASSERT_TRUE(db->Set("k", "v").ok());
  EXPECT_EQ(db->Get("k"), "v");
  EXPECT_EQ(db->Stats().fsync_count, 0u);  // acknowledged without a sync
  EXPECT_TRUE(EventuallyTrue([&] { return db->Stats().fsync_count >= 1; }));
  EXPECT_GT(env_.file_syncs(), syncs_before);
  // Once synced, the write survives a power cut.
  env_.PowerOff();
  db.reset();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  auto reopened = Open(o);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->Get("k"), "v");
}

TEST_F(EngineTest, NeverModeLosesOnlyATailOnPowerLoss) {
  EngineOptions o = Options();
  o.fsync_mode = FsyncMode::kNever;
  o.segment_bytes = 200;
  auto db = Open(o);
  ASSERT_TRUE(db);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db->Set(StrCat("k", i), "v").ok());
  env_.PowerOff();
  db.reset();
  env_.RestartAfterPowerLoss(LossModel::kKeepRandomUnsynced, 3);
  auto reopened = Open(o);
  ASSERT_TRUE(reopened) << "a crash in never mode must leave a tail, not a hole";
  // Whatever survived is a prefix k0..k(n-1).
  size_t n = reopened->Keys("*").size();
  for (size_t i = 0; i < n; ++i) EXPECT_TRUE(reopened->Get(StrCat("k", i)).has_value());
}

TEST_F(EngineTest, SnapshotIsTakenWhenLogGrowsPastLimit) {
  EngineOptions o = Options();
  o.snapshot_wal_bytes = 4096;
  auto db = Open(o);
  ASSERT_TRUE(db);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(db->Set(StrCat("k", i), std::string(64, 'v')).ok());
  }
  EXPECT_TRUE(EventuallyTrue([&] { return db->Stats().last_snapshot.has_value(); }));
}

TEST_F(EngineTest, SnapshotIsTakenByTimer) {
  EngineOptions o = Options();
  o.snapshot_interval_seconds = 1;
  auto db = Open(o);
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Set("k", "v").ok());
  EXPECT_TRUE(EventuallyTrue([&] { return db->Stats().last_snapshot.has_value(); }));
  EXPECT_EQ(db->Stats().last_snapshot->seq, 1u);
}

TEST_F(EngineTest, FailedSnapshotDoesNotPoisonWrites) {
  auto db = Open();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Set("k", "v").ok());
  env_.FailNthWrite(1, ENOSPC, ".snap");
  auto snap = db->Snapshot();
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.status().code(), StatusCode::kNoSpace) << snap.status().ToString();
  EXPECT_TRUE(db->Set("k2", "v2").ok());
  auto children = env_.GetChildren(kDir);
  ASSERT_TRUE(children.ok());
  for (const auto& name : *children) EXPECT_FALSE(name.ends_with(".tmp")) << name;
  auto retry = db->Snapshot();
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(retry->keys, 2u);
}

}  // namespace
}  // namespace walkv
