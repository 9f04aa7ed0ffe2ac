// Recovery policy, as the contract states it (§3 "Damage policy"), on real files written by the
// engine and then damaged byte by byte in the in-memory FaultInjectionEnv.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/engine_options.h"
#include "engine/file_names.h"
#include "engine/log_format.h"
#include "engine/log_head.h"
#include "engine/log_reader.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";

std::string Path(const std::string& name) { return JoinPath(kDir, name); }

class RecoveryTest : public ::testing::Test {
 protected:
  EngineOptions Options(RecoveryMode mode = RecoveryMode::kTolerateTail) {
    return testing::QuietEngineOptions(&env_, kDir, mode);
  }
  std::unique_ptr<Engine> MustOpen(EngineOptions o) {
    auto e = Engine::Open(o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  // Writes k0..k{n-1} = v0..v{n-1} and closes: all in the first segment, wal-1.
  void WriteRecords(int n, EngineOptions o) {
    auto db = MustOpen(o);
    ASSERT_TRUE(db);
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(db->Set(StrCat("k", i), StrCat("v", i)).ok());
    }
    ASSERT_TRUE(db->Close().ok());
  }
  std::vector<log::RecordView> Records(const std::string& bytes) {
    std::vector<log::RecordView> out;
    log::ParseSegment(bytes, std::nullopt, [&](const log::RecordView& r) { out.push_back(r); });
    return out;
  }
  std::map<std::string, std::string> State(Engine& db) {
    std::map<std::string, std::string> out;
    for (const auto& k : db.Keys("*")) out[k] = db.Get(k).value_or("<missing>");
    return out;
  }
  static std::map<std::string, std::string> Expected(int n) {
    std::map<std::string, std::string> out;
    for (int i = 0; i < n; ++i) out[StrCat("k", i)] = StrCat("v", i);
    return out;
  }

  FaultInjectionEnv env_{7};
};

TEST_F(RecoveryTest, TornTailCutAtEveryByteOfLastRecordIsTruncatedAndPrefixKept) {
  WriteRecords(5, Options());
  const std::string wal = Path(LogFileName(1));
  auto original = env_.ReadWholeFile(wal);
  ASSERT_TRUE(original.ok());
  auto records = Records(*original);
  ASSERT_EQ(records.size(), 5u);
  const uint64_t last_start = records.back().offset;
  auto log_head = env_.ReadWholeFile(Path(LogHeadFileName()));  // names wal-1
  ASSERT_TRUE(log_head.ok());
  for (uint64_t cut = last_start + 1; cut < original->size(); ++cut) {
    SCOPED_TRACE(StrCat("cut at byte ", cut));
    ASSERT_TRUE(env_.WriteWholeFile(wal, original->substr(0, cut)).ok());
    // Put the directory back as WriteRecords left it: the segment an earlier iteration's open
    // started must not mask the tail, and LOGHEAD named wal-1 then.
    env_.RemoveFile(Path(LogFileName(5))).IgnoreError();
    ASSERT_TRUE(env_.WriteWholeFile(Path(LogHeadFileName()), *log_head).ok());

    auto refused = Engine::Open(Options(RecoveryMode::kAbsolute));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
    EXPECT_NE(refused.status().message().find(LogFileName(1)), std::string::npos);

    auto db = MustOpen(Options());
    ASSERT_TRUE(db);
    EXPECT_EQ(State(*db), Expected(4));
    EXPECT_EQ(db->recovery_summary().bytes_truncated, cut - last_start);
    ASSERT_FALSE(db->recovery_summary().notes.empty());
    EXPECT_NE(db->recovery_summary().notes[0].find(StrCat("at byte ", last_start)),
              std::string::npos)
        << db->recovery_summary().notes[0];
    ASSERT_TRUE(db->Close().ok());
    auto size = env_.GetFileSize(wal);
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(*size, last_start);
  }
}

TEST_F(RecoveryTest, FlippedBitInMiddleRecordRefusesInTolerateTailAndAbsolute) {
  WriteRecords(5, Options());
  const std::string wal = Path(LogFileName(1));
  auto original = env_.ReadWholeFile(wal);
  ASSERT_TRUE(original.ok());
  auto records = Records(*original);
  const log::RecordView& middle = records[2];
  for (uint64_t off = middle.offset; off < middle.offset + middle.size; ++off) {
    SCOPED_TRACE(StrCat("flipped byte ", off));
    ASSERT_TRUE(env_.WriteWholeFile(wal, *original).ok());
    ASSERT_TRUE(env_.CorruptByte(wal, off, 0x10).ok());
    for (RecoveryMode mode : {RecoveryMode::kTolerateTail, RecoveryMode::kAbsolute}) {
      auto refused = Engine::Open(Options(mode));
      ASSERT_FALSE(refused.ok());
      EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
      const std::string msg = refused.status().message();
      EXPECT_NE(msg.find(LogFileName(1)), std::string::npos) << msg;
      EXPECT_NE(msg.find(StrCat("at byte ", middle.offset)), std::string::npos) << msg;
      EXPECT_NE(msg.find("walkv verify"), std::string::npos) << msg;
    }
  }
}

TEST_F(RecoveryTest, FlippedBitInMiddleRecordServesPrefixInPointInTime) {
  WriteRecords(5, Options());
  const std::string wal = Path(LogFileName(1));
  auto original = env_.ReadWholeFile(wal);
  ASSERT_TRUE(original.ok());
  auto records = Records(*original);
  ASSERT_TRUE(env_.CorruptByte(wal, records[2].offset + records[2].size - 1, 0x01).ok());
  auto db = MustOpen(Options(RecoveryMode::kPointInTime));
  ASSERT_TRUE(db);
  EXPECT_EQ(State(*db), Expected(2));
  EXPECT_EQ(db->recovery_summary().bytes_truncated, original->size() - records[2].offset);
  EXPECT_FALSE(db->recovery_summary().notes.empty());
  // New writes continue the log after the kept prefix and survive another restart.
  ASSERT_TRUE(db->Set("after", "damage").ok());
  ASSERT_TRUE(db->Close().ok());
  auto again = MustOpen(Options(RecoveryMode::kTolerateTail));
  ASSERT_TRUE(again);
  auto expected = Expected(2);
  expected["after"] = "damage";
  EXPECT_EQ(State(*again), expected);
}

TEST_F(RecoveryTest, DamageInOlderSegmentRefusesEvenAtItsTail) {
  WriteRecords(3, Options());
  {  // a second session writes into wal-4
    auto db = MustOpen(Options());
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->Set("later", "x").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string wal1 = Path(LogFileName(1));
  auto size = env_.GetFileSize(wal1);
  ASSERT_TRUE(size.ok());
  ASSERT_TRUE(env_.TruncateForTest(wal1, *size - 3).ok());
  auto refused = Engine::Open(Options());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(LogFileName(1)), std::string::npos);
  auto db = MustOpen(Options(RecoveryMode::kPointInTime));
  ASSERT_TRUE(db);
  EXPECT_EQ(State(*db), Expected(2));
  EXPECT_TRUE(env_.FileExists(Path(LogFileName(4) + ".dropped")));
}

TEST_F(RecoveryTest, MissingSegmentRefusesToStart) {
  EngineOptions o = Options();
  o.segment_bytes = 64;  // every record or two rolls a segment
  WriteRecords(10, o);
  auto children = env_.GetChildren(kDir);
  ASSERT_TRUE(children.ok());
  std::vector<std::string> segments;
  for (const auto& n : *children) {
    if (ParseFileName(n).kind == FileKind::kLogSegment) segments.push_back(n);
  }
  std::sort(segments.begin(), segments.end());
  ASSERT_GE(segments.size(), 4u);
  ASSERT_TRUE(env_.RemoveFile(Path(segments[2])).ok());
  auto refused = Engine::Open(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_NE(refused.status().message().find("missing"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find(segments[3]), std::string::npos)
      << refused.status().message();
}

// The newest segment's loss is seen through LOGHEAD (engine/log_head.h): nothing in the older
// segments could show that it existed.
TEST_F(RecoveryTest, DeletedNewestSegmentRefusesAndPointInTimeServesTheLogThatIsThere) {
  WriteRecords(3, Options());
  WriteRecords(0, Options());  // a restart: records 4.. go into wal-4, which LOGHEAD names
  {
    auto db = MustOpen(Options());
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->Set("k3", "v3").ok());
    ASSERT_TRUE(db->Set("k4", "v4").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  ASSERT_TRUE(env_.FileExists(Path(LogFileName(4))));
  ASSERT_TRUE(env_.RemoveFile(Path(LogFileName(4))).ok());
  for (RecoveryMode mode : {RecoveryMode::kTolerateTail, RecoveryMode::kAbsolute}) {
    auto refused = Engine::Open(Options(mode));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
    const std::string msg = refused.status().message();
    EXPECT_NE(msg.find(LogFileName(4) + " is missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find("walkv verify"), std::string::npos) << msg;
  }
  {
    auto db = MustOpen(Options(RecoveryMode::kPointInTime));
    ASSERT_TRUE(db);
    EXPECT_EQ(State(*db), Expected(3));
    ASSERT_FALSE(db->recovery_summary().notes.empty());
    EXPECT_NE(db->recovery_summary().notes[0].find(LogFileName(4)), std::string::npos);
    ASSERT_TRUE(db->Set("k3", "again").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  // Point-in-time started a new wal-4 and pointed LOGHEAD at it: the directory is whole again.
  auto db = MustOpen(Options(RecoveryMode::kAbsolute));
  ASSERT_TRUE(db);
  EXPECT_EQ(db->Get("k3"), "again");
}

TEST_F(RecoveryTest, EverySegmentDeletedAfterASnapshotRefusesAndPointInTimeServesTheSnapshot) {
  {
    auto db = MustOpen(Options());
    ASSERT_TRUE(db);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(db->Set(StrCat("k", i), "v").ok());
    ASSERT_TRUE(db->Snapshot().ok());
    ASSERT_TRUE(db->Set("k5", "v").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto children = env_.GetChildren(kDir);
  ASSERT_TRUE(children.ok());
  for (const std::string& name : *children) {
    if (ParseFileName(name).kind == FileKind::kLogSegment) {
      ASSERT_TRUE(env_.RemoveFile(Path(name)).ok());
    }
  }
  auto refused = Engine::Open(Options());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(LogFileName(6) + " is missing"), std::string::npos)
      << refused.status().message();
  {
    auto db = MustOpen(Options(RecoveryMode::kPointInTime));
    ASSERT_TRUE(db);
    EXPECT_EQ(db->Keys("*").size(), 5u);
    EXPECT_EQ(db->recovery_summary().snapshot_seq, 5u);
    ASSERT_TRUE(db->Close().ok());
  }
  // With the snapshot damaged as well and no log at all, nothing can rebuild any state: even
  // point-in-time refuses rather than start empty.
  ASSERT_TRUE(env_.RemoveFile(Path(LogFileName(6))).ok());
  auto size = env_.GetFileSize(Path(SnapshotFileName(5)));
  ASSERT_TRUE(size.ok());
  ASSERT_TRUE(env_.CorruptByte(Path(SnapshotFileName(5)), *size / 2, 0x08).ok());
  auto empty = Engine::Open(Options(RecoveryMode::kPointInTime));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no usable snapshot and no log segment"),
            std::string::npos)
      << empty.status().message();
}

TEST_F(RecoveryTest, MissingOrDamagedLogHeadRefusesOnceTheDirectoryHasMoreThanWal1) {
  const std::string head = Path(LogHeadFileName());
  WriteRecords(2, Options());
  // Only wal-1 so far: a server may stop between creating it and writing LOGHEAD.
  ASSERT_TRUE(env_.RemoveFile(head).ok());
  {
    auto db = MustOpen(Options(RecoveryMode::kAbsolute));
    ASSERT_TRUE(db);
    EXPECT_EQ(State(*db), Expected(2));
    ASSERT_TRUE(db->Close().ok());
  }
  ASSERT_TRUE(env_.FileExists(head)) << "startup writes LOGHEAD";
  ASSERT_TRUE(env_.FileExists(Path(LogFileName(3))));  // the restart's segment

  for (bool damaged : {false, true}) {
    SCOPED_TRACE(damaged ? "damaged" : "missing");
    if (damaged) {
      ASSERT_TRUE(env_.CorruptByte(head, 13, 0x01).ok());
    } else {
      ASSERT_TRUE(env_.RemoveFile(head).ok());
    }
    for (RecoveryMode mode : {RecoveryMode::kTolerateTail, RecoveryMode::kAbsolute}) {
      auto refused = Engine::Open(Options(mode));
      ASSERT_FALSE(refused.ok());
      const std::string msg = refused.status().message();
      EXPECT_NE(msg.find(damaged ? "LOGHEAD is damaged at byte 0: checksum mismatch"
                                 : "LOGHEAD is missing"),
                std::string::npos)
          << msg;
    }
    auto db = MustOpen(Options(RecoveryMode::kPointInTime));
    ASSERT_TRUE(db);
    EXPECT_EQ(State(*db), Expected(2));
    ASSERT_TRUE(db->Close().ok());
    // Point-in-time wrote a fresh LOGHEAD: the strict modes start again.
    auto again = MustOpen(Options(RecoveryMode::kAbsolute));
    ASSERT_TRUE(again);
    ASSERT_TRUE(again->Close().ok());
  }
}

TEST_F(RecoveryTest, SegmentLogHeadNamesCutInsideItsHeaderIsNotATornTail) {
  WriteRecords(2, Options());
  WriteRecords(0, Options());  // wal-3, named by LOGHEAD, holds no record yet
  {
    auto db = MustOpen(Options());  // continues wal-3 rather than recreating it
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->Set("k2", "v2").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string wal3 = Path(LogFileName(3));
  auto bytes = env_.ReadWholeFile(wal3);
  ASSERT_TRUE(bytes.ok());
  ASSERT_GT(bytes->size(), log::kSegmentHeaderSize) << "the record went into wal-3";
  // Its header was durable before LOGHEAD named it, so a short header is lost data, not a crash.
  ASSERT_TRUE(env_.WriteWholeFile(wal3, bytes->substr(0, 10)).ok());
  auto refused = Engine::Open(Options());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(LogFileName(3)), std::string::npos);
  auto db = MustOpen(Options(RecoveryMode::kPointInTime));
  ASSERT_TRUE(db);
  EXPECT_EQ(State(*db), Expected(2));
}

TEST_F(RecoveryTest, RestartsWithoutWritesKeepOneEmptySegmentAndLogHeadUnchanged) {
  WriteRecords(2, Options());
  for (int i = 0; i < 3; ++i) WriteRecords(0, Options());
  std::vector<std::string> segments;
  auto children = env_.GetChildren(kDir);
  ASSERT_TRUE(children.ok());
  for (const std::string& name : *children) {
    if (ParseFileName(name).kind == FileKind::kLogSegment) segments.push_back(name);
  }
  std::sort(segments.begin(), segments.end());
  EXPECT_EQ(segments, (std::vector<std::string>{LogFileName(1), LogFileName(3)}));
  auto size = env_.GetFileSize(Path(LogFileName(3)));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, log::kSegmentHeaderSize);
  auto head = log::ReadLogHead(&env_, kDir);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->newest, 3u);
}

// Replay sizes the store from the first segment's rate of new keys (engine/recovery.cc): a log
// whose later segments delete, flush and overwrite (so the store shrinks or stops growing) must
// still come back exactly, whatever that estimate was.
TEST_F(RecoveryTest, ReplayOfManySegmentsThatGrowShrinkAndFlushRecoversExactly) {
  EngineOptions o = Options();
  o.segment_bytes = 4096;  // dozens of segments
  std::map<std::string, std::string> model;
  {
    auto db = MustOpen(o);
    ASSERT_TRUE(db);
    for (int i = 0; i < 600; ++i) {  // the first segments only create keys
      const std::string k = StrCat("k", i), v = std::string(40, 'a' + i % 26);
      ASSERT_TRUE(db->Set(k, v).ok());
      model[k] = v;
    }
    for (int i = 0; i < 600; i += 2) {
      ASSERT_TRUE(db->Delete(StrCat("k", i)).ok());
      model.erase(StrCat("k", i));
    }
    ASSERT_TRUE(db->FlushAll().ok());
    model.clear();
    for (int i = 0; i < 900; ++i) {  // overwrites of a few keys
      const std::string k = StrCat("k", i % 7), v = StrCat("v", i);
      ASSERT_TRUE(db->Set(k, v).ok());
      model[k] = v;
    }
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = MustOpen(o);
  ASSERT_TRUE(db);
  EXPECT_EQ(State(*db), model);
  EXPECT_GT(db->recovery_summary().segments_replayed, 10u);
}

TEST_F(RecoveryTest, TornHeaderOfNewestSegmentIsDropped) {
  WriteRecords(3, Options());
  // A crash while creating the next segment left a few header bytes.
  ASSERT_TRUE(env_.WriteWholeFile(Path(LogFileName(4)), "WALKV").ok());
  auto db = MustOpen(Options());
  ASSERT_TRUE(db);
  EXPECT_EQ(State(*db), Expected(3));
  ASSERT_TRUE(db->Set("k3", "v3").ok());
  ASSERT_TRUE(db->Close().ok());
  auto again = MustOpen(Options(RecoveryMode::kAbsolute));
  ASSERT_TRUE(again);
  EXPECT_EQ(State(*again), Expected(4));
}

TEST_F(RecoveryTest, LeftoverTempFilesAreIgnoredAndRemoved) {
  WriteRecords(3, Options());
  const std::string tmp = Path(TempFileName(SnapshotFileName(3)));
  ASSERT_TRUE(env_.WriteWholeFile(tmp, "half a snapshot").ok());
  auto db = MustOpen(Options(RecoveryMode::kAbsolute));
  ASSERT_TRUE(db);
  EXPECT_EQ(State(*db), Expected(3));
  EXPECT_FALSE(env_.FileExists(tmp));
}

class SnapshotRecoveryTest : public RecoveryTest {
 protected:
  // Two snapshots (at seq 10 and 20) and log records after each.
  void WriteWithTwoSnapshots(EngineOptions o) {
    auto db = MustOpen(o);
    ASSERT_TRUE(db);
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(db->Set(StrCat("k", i), StrCat("v", i)).ok());
      if (i == 9 || i == 19) {
        ASSERT_TRUE(db->Snapshot().ok());
      }
    }
    ASSERT_TRUE(db->Close().ok());
  }
};

TEST_F(SnapshotRecoveryTest, DamagedNewestSnapshotFallsBackToOlderOne) {
  WriteWithTwoSnapshots(Options());
  const std::string newest = Path(SnapshotFileName(20));
  ASSERT_TRUE(env_.FileExists(newest));
  ASSERT_TRUE(env_.FileExists(Path(SnapshotFileName(10))));
  auto size = env_.GetFileSize(newest);
  ASSERT_TRUE(size.ok());
  ASSERT_TRUE(env_.CorruptByte(newest, *size / 2, 0x40).ok());

  auto refused = Engine::Open(Options(RecoveryMode::kAbsolute));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(SnapshotFileName(20)), std::string::npos);

  auto db = MustOpen(Options());
  ASSERT_TRUE(db);
  EXPECT_EQ(db->recovery_summary().snapshot_seq, 10u);
  EXPECT_EQ(db->recovery_summary().records_replayed, 20u);
  EXPECT_EQ(State(*db), Expected(30));
}

// Contract §3: absolute refuses on any damage, so it reads the fallback files the other modes
// never need (the older snapshot, the segments before the newest snapshot) and checks them too.
TEST_F(SnapshotRecoveryTest, AbsoluteRefusesDamageEvenInFilesRecoveryDoesNotNeed) {
  EngineOptions o = Options();
  o.segment_bytes = 64;
  WriteWithTwoSnapshots(o);
  auto children = env_.GetChildren(kDir);
  ASSERT_TRUE(children.ok());
  std::string old_segment;  // a segment holding only records <= 20, kept for the fallback
  for (const std::string& name : *children) {
    ParsedFileName parsed = ParseFileName(name);
    if (parsed.kind == FileKind::kLogSegment && parsed.seq > 10 && parsed.seq < 20 &&
        (old_segment.empty() || name < old_segment)) {
      old_segment = name;
    }
  }
  ASSERT_FALSE(old_segment.empty());
  for (const std::string& file : {SnapshotFileName(10), old_segment}) {
    SCOPED_TRACE(file);
    auto size = env_.GetFileSize(Path(file));
    ASSERT_TRUE(size.ok());
    ASSERT_TRUE(env_.CorruptByte(Path(file), *size - 3, 0x20).ok());
    auto refused = Engine::Open(Options(RecoveryMode::kAbsolute));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
    EXPECT_NE(refused.status().message().find(file + " is damaged"), std::string::npos)
        << refused.status().message();
    // The other modes do not need the file and start with everything.
    auto db = MustOpen(Options());
    ASSERT_TRUE(db);
    EXPECT_EQ(State(*db), Expected(30));
    ASSERT_TRUE(db->Close().ok());
    ASSERT_TRUE(env_.CorruptByte(Path(file), *size - 3, 0x20).ok());  // undo
  }
}

TEST_F(SnapshotRecoveryTest, AllSnapshotsDamagedAndLogTrimmedRefusesToStart) {
  EngineOptions o = Options();
  o.segment_bytes = 64;
  o.replication_backlog_bytes = 0;
  WriteWithTwoSnapshots(o);
  ASSERT_FALSE(env_.FileExists(Path(LogFileName(1))));  // trimmed by the second snapshot
  for (uint64_t seq : {10, 20}) {
    auto size = env_.GetFileSize(Path(SnapshotFileName(seq)));
    ASSERT_TRUE(size.ok());
    ASSERT_TRUE(env_.CorruptByte(Path(SnapshotFileName(seq)), *size / 2, 0x04).ok());
  }
  auto refused = Engine::Open(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_NE(refused.status().message().find("missing"), std::string::npos)
      << refused.status().message();
}

}  // namespace
}  // namespace walkv
