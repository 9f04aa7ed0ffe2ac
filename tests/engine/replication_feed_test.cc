// The primary's side of a replication stream inside the engine (engine/replication_feed.h):
// records come out byte for byte as in the log, from disk and then live, with no gap and no
// duplicate; a consumer that falls too far behind is cut off; records gone from disk are "too far
// behind".
#include "engine/replication_feed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "engine/coding.h"
#include "engine/engine.h"
#include "engine/file_names.h"
#include "engine/history_digest.h"
#include "engine/log_reader.h"
#include "engine/str_cat.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv::replication {
namespace {

constexpr char kDir[] = "/db";

class ReplicationFeedTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(Options()); }

  EngineOptions Options() {
    EngineOptions o = testing::QuietEngineOptions(&env_, kDir);
    o.segment_bytes = 512;  // many segments: reads cross segment boundaries
    return o;
  }

  void Reopen(const EngineOptions& o) {
    db_.reset();
    auto db = Engine::Open(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }

  void Write(int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_TRUE(db_->Set(StrCat("key", i % 17), StrCat("value", i)).ok());
    }
  }

  // Every record in the data directory's segments, concatenated as framed there.
  std::string AllRecordsOnDisk() {
    std::string all;
    auto children = env_.GetChildren(kDir);
    std::vector<std::string> names = *children;
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      if (name.rfind("wal-", 0) != 0 || name.size() != LogFileName(1).size()) continue;
      std::string bytes = env_.ReadWholeFile(JoinPath(kDir, name)).value();
      log::ParseSegment(bytes, std::nullopt,
                        [&](const log::RecordView& r) { all.append(bytes, r.offset, r.size); });
    }
    return all;
  }

  // Drains the feed until it has handed out every record up to `last_seq`.
  std::string DrainUntil(ReplicationFeed* feed, uint64_t last_seq, size_t max_bytes = 300) {
    std::string got;
    while (feed->next_seq() <= last_seq) {
      Status s = feed->Next(max_bytes, 1'000'000, &got);
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok()) break;
    }
    return got;
  }

  FaultInjectionEnv env_{7};
  std::unique_ptr<Engine> db_;
};

TEST_F(ReplicationFeedTest, HandsOutTheLogByteForByteFromDiskThenLive) {
  Write(0, 100);
  ReplicationFeed feed(db_.get(), 1);
  std::string got = DrainUntil(&feed, 100);
  EXPECT_GT(db_->Stats().log_segments, 3u);
  // Live: commits after the feed caught up.
  Write(100, 150);
  got += DrainUntil(&feed, 150);
  EXPECT_EQ(feed.next_seq(), 151u);
  EXPECT_EQ(got, AllRecordsOnDisk());
  HistoryDigest d;
  d.AdvanceRecords(got);
  EXPECT_EQ(d, db_->Stats().digest);
}

TEST_F(ReplicationFeedTest, StartsAtAnySeqAndNothingIsPendingAfterTheLast) {
  Write(0, 40);
  ReplicationFeed feed(db_.get(), 25);
  std::string got = DrainUntil(&feed, 40);
  std::string expected;
  const std::string all = AllRecordsOnDisk();
  for (size_t at = 0; at < all.size();) {
    const size_t size = 17 + DecodeFixed32(all.data() + at + 4);
    if (DecodeFixed64(all.data() + at + 8) >= 25) expected.append(all, at, size);
    at += size;
  }
  EXPECT_EQ(got, expected);
  std::string more;
  ASSERT_TRUE(feed.Next(1000, 1000, &more).ok());  // times out: nothing committed
  EXPECT_TRUE(more.empty());
}

TEST_F(ReplicationFeedTest, ConcurrentWritersWhileTheFeedCatchesUp) {
  Write(0, 60);
  ReplicationFeed feed(db_.get(), 1);
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 80; ++i) {
        ASSERT_TRUE(db_->Set(StrCat("w", t), std::to_string(i)).ok());
      }
    });
  }
  std::string got;
  // Small reads so the disk catch-up and the live buffer overlap.
  while (feed.next_seq() <= 60 + 240) {
    ASSERT_TRUE(feed.Next(100, 1'000'000, &got).ok());
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(got, AllRecordsOnDisk());
}

TEST_F(ReplicationFeedTest, SlowConsumerIsCutOffWithoutBlockingWriters) {
  ReplicationFeed feed(db_.get(), 1, /*max_buffered_bytes=*/2000);
  std::string got;
  Write(0, 5);
  ASSERT_TRUE(feed.Next(1 << 20, 1'000'000, &got).ok());  // caught up, now live
  Write(5, 200);  // ~30 bytes per record: overflows the 2000-byte buffer; writers never wait
  Status s = feed.Next(1 << 20, 1'000'000, &got);
  // Either it still had a complete live prefix to hand out, or it was cut off; it is cut off
  // once that prefix is gone, and never hands out a gap.
  while (s.ok() && feed.next_seq() <= 200) s = feed.Next(1 << 20, 1'000'000, &got);
  EXPECT_EQ(s.code(), StatusCode::kBusy) << s.ToString();
  EXPECT_EQ(db_->Stats().last_seq, 200u);
  EXPECT_EQ(got, AllRecordsOnDisk().substr(0, got.size()));
}

TEST_F(ReplicationFeedTest, RecordsNoLongerOnDiskAreTooFarBehind) {
  Write(0, 50);
  ASSERT_TRUE(db_->SnapshotKeeping(1).ok());  // removes every segment the snapshot covers
  Write(50, 60);
  ReplicationFeed old(db_.get(), 10);
  std::string got;
  Status s = old.Next(1000, 1000, &got);
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("too far behind"), std::string::npos) << s.message();
  ReplicationFeed recent(db_.get(), 51);
  got = DrainUntil(&recent, 60);
  EXPECT_EQ(recent.next_seq(), 61u);
}

TEST_F(ReplicationFeedTest, OneRecordPerCallFromDiskThenLiveWithoutGapOrDuplicate) {
  Write(0, 120);
  ReplicationFeed feed(db_.get(), 1);
  std::atomic<bool> stop{false};
  std::thread writer([&] { Write(120, 300); });
  std::string got;
  // max_bytes 1: every call hands out exactly one record, from disk (the cursor keeps its
  // place across segment rolls) and then live while the writer commits.
  while (feed.next_seq() <= 300) {
    const size_t before = got.size();
    ASSERT_TRUE(feed.Next(1, 1'000'000, &got).ok());
    if (got.size() > before) {
      EXPECT_EQ(got.size() - before, 17 + DecodeFixed32(got.data() + before + 4));
    }
  }
  writer.join();
  EXPECT_GT(db_->Stats().log_segments, 10u);
  EXPECT_EQ(got, AllRecordsOnDisk());
}

TEST_F(ReplicationFeedTest, PrewrittenSegmentsAreReadFrameByFrame) {
  EngineOptions o = Options();
  o.prewrite_segments = true;  // version-3 segments: write frames over zeros
  Reopen(o);
  Write(0, 80);
  ReplicationFeed feed(db_.get(), 1);
  std::string got = DrainUntil(&feed, 40, 50);
  Write(80, 160);
  got += DrainUntil(&feed, 160, 50);
  EXPECT_EQ(got, AllRecordsOnDisk());
}

TEST_F(ReplicationFeedTest, ACursorInsideARemovedSegmentFinishesItOrIsTooFarBehind) {
  Write(0, 100);
  ReplicationFeed feed(db_.get(), 1);
  std::string got;
  ASSERT_TRUE(feed.Next(1, 1'000'000, &got).ok());  // the cursor holds the first segment open
  const std::string before_removal = AllRecordsOnDisk();
  ASSERT_TRUE(db_->SnapshotKeeping(1).ok());  // removes every segment up to seq 100
  Status s;
  while (s.ok() && feed.next_seq() <= 100) s = feed.Next(1, 1'000'000, &got);
  // What was handed out is a gapless prefix; the feed stops at the end of the segment it had
  // open, where the next one is gone.
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("too far behind"), std::string::npos) << s.message();
  EXPECT_GT(feed.next_seq(), 2u);
  EXPECT_EQ(got, before_removal.substr(0, got.size()));
}

TEST_F(ReplicationFeedTest, TheBacklogKeepsOldRecordsAcrossSnapshots) {
  EngineOptions o = Options();
  o.replication_backlog_bytes = 4096;  // about 8 of the 512-byte segments
  Reopen(o);
  Write(0, 400);
  ASSERT_TRUE(db_->Snapshot().ok());
  Write(400, 420);
  ASSERT_TRUE(db_->Snapshot().ok());  // both snapshots cover most of the log
  Write(420, 430);
  // The oldest segment left, and the total size of those left.
  uint64_t oldest = UINT64_MAX;
  uint64_t total = 0;
  const std::vector<std::string> children = env_.GetChildren(kDir).value();
  for (const std::string& name : children) {
    const ParsedFileName parsed = ParseFileName(name);
    if (parsed.kind != FileKind::kLogSegment) continue;
    oldest = std::min(oldest, parsed.seq);
    total += env_.ReadWholeFile(JoinPath(kDir, name)).value().size();
  }
  ASSERT_NE(oldest, UINT64_MAX);
  EXPECT_GT(oldest, 1u);    // outside the backlog: removed
  EXPECT_LT(oldest, 400u);  // inside it: kept although both snapshots cover them
  EXPECT_LE(total, 4096u + 512u);
  std::string none;
  {
    // A feed from the oldest kept record gets every record after it, with CONTINUE-able bytes.
    ReplicationFeed inside(db_.get(), oldest);
    const std::string got = DrainUntil(&inside, 430);
    EXPECT_EQ(got, AllRecordsOnDisk());
    ReplicationFeed outside(db_.get(), oldest - 1);
    EXPECT_EQ(outside.Next(1000, 1000, &none).code(), StatusCode::kNotFound);
  }

  // Without a backlog the same snapshots keep only what recovery needs.
  EngineOptions no_backlog = Options();
  no_backlog.replication_backlog_bytes = 0;
  Reopen(no_backlog);
  ASSERT_TRUE(db_->Snapshot().ok());
  ReplicationFeed gone(db_.get(), oldest);
  EXPECT_EQ(gone.Next(1000, 1000, &none).code(), StatusCode::kNotFound);
}

// --fsync interval / never: a record written but not yet synced never reaches a consumer; a
// power cut then loses it on the primary, and no replica holds it.
class ReplicationFeedSyncTest : public ReplicationFeedTest,
                                public ::testing::WithParamInterface<FsyncMode> {
 protected:
  void SetUp() override {
    EngineOptions o = Options();
    o.segment_bytes = 1 << 20;       // no roll (a roll syncs)
    o.fsync_mode = GetParam();
    o.fsync_interval_ms = 3'600'000;  // no interval sync during the test
    Reopen(o);
  }
};

TEST_P(ReplicationFeedSyncTest, OnlySyncedRecordsAreHandedOut) {
  Write(0, 10);
  ReplicationFeed feed(db_.get(), 1);
  std::string got;
  ASSERT_TRUE(feed.Next(1 << 20, 50'000, &got).ok());
  EXPECT_TRUE(got.empty()) << "unsynced records reached the consumer";
  EXPECT_EQ(db_->LastShippableSeq(), 0u);
  // A snapshot cut rolls the segment, which syncs: records 1..10 may go now, live ones after
  // them wait for the next sync.
  ASSERT_TRUE(db_->Snapshot().ok());
  EXPECT_EQ(db_->LastShippableSeq(), 10u);
  Write(10, 15);
  got = DrainUntil(&feed, 10);
  EXPECT_EQ(feed.next_seq(), 11u);
  std::string more;
  ASSERT_TRUE(feed.Next(1 << 20, 50'000, &more).ok());
  EXPECT_TRUE(more.empty()) << "unsynced live records reached the consumer";

  // Power cut: the primary comes back at seq 10, exactly what the consumer holds.
  env_.PowerOff();
  db_.reset();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  Reopen(Options());
  EXPECT_EQ(db_->Stats().last_seq, 10u);
  EXPECT_EQ(got, AllRecordsOnDisk());
}

TEST_P(ReplicationFeedSyncTest, ASyncReleasesBufferedLiveRecords) {
  ReplicationFeed feed(db_.get(), 1);
  Write(0, 20);
  std::string got;
  ASSERT_TRUE(feed.Next(1 << 20, 50'000, &got).ok());
  EXPECT_TRUE(got.empty());
  std::thread snapshot([&] { ASSERT_TRUE(db_->Snapshot().ok()); });
  got = DrainUntil(&feed, 20);  // waits (polling) for the sync the snapshot cut makes
  snapshot.join();
  EXPECT_EQ(got, AllRecordsOnDisk());
}

INSTANTIATE_TEST_SUITE_P(IntervalAndNever, ReplicationFeedSyncTest,
                         ::testing::Values(FsyncMode::kInterval, FsyncMode::kNever),
                         [](const ::testing::TestParamInfo<FsyncMode>& p) { return std::string(FsyncModeName(p.param)); });

}  // namespace
}  // namespace walkv::replication
