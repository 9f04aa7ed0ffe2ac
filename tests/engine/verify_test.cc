// `walkv verify`'s engine side: every problem is found with file and offset, the per-mode verdicts
// match what recovery really does, and the directory is never changed.
#include "engine/verify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "engine/engine.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/engine_options.h"
#include "engine/file_names.h"
#include "engine/log_reader.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";
std::string Path(const std::string& name) { return JoinPath(kDir, name); }

class VerifyTest : public ::testing::Test {
 protected:
  EngineOptions Options(RecoveryMode mode = RecoveryMode::kTolerateTail) {
    return testing::QuietEngineOptions(&env_, kDir, mode);
  }
  // 10 records, a snapshot at 10, 10 more records in wal-11.
  void Populate() {
    auto db = Engine::Open(Options());
    ASSERT_TRUE(db.ok());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE((*db)->Set(StrCat("k", i), StrCat("v", i)).ok());
      if (i == 9) {
        ASSERT_TRUE((*db)->Snapshot().ok());
      }
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
  std::map<std::string, std::string> DirContents() {
    std::map<std::string, std::string> out;
    auto children = env_.GetChildren(kDir);
    EXPECT_TRUE(children.ok());
    for (const auto& name : *children) out[name] = env_.ReadWholeFile(Path(name)).value();
    return out;
  }
  VerifyReport MustVerify() {
    auto report = VerifyDataDir(&env_, kDir);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : VerifyReport{};
  }
  uint64_t LastRecordOffset(const std::string& wal) {
    uint64_t last = 0;
    log::ParseSegment(env_.ReadWholeFile(Path(wal)).value(), std::nullopt,
                      [&](const log::RecordView& r) { last = r.offset; });
    return last;
  }

  FaultInjectionEnv env_{5};
};

TEST_F(VerifyTest, CleanDirectoryIsClean) {
  Populate();
  VerifyReport r = MustVerify();
  EXPECT_TRUE(r.clean());
  EXPECT_EQ(r.snapshots, 1u);
  EXPECT_EQ(r.records, 20u);  // the first segment is still kept as the fallback's log
  EXPECT_EQ(r.keys, 20u);
  EXPECT_EQ(r.last_seq, 20u);
  EXPECT_TRUE(r.tolerate_tail.would_start);
  EXPECT_TRUE(r.absolute.would_start);
  EXPECT_FALSE(r.server_running);
}

TEST_F(VerifyTest, TornTailIsReportedWithWhatEachModeWouldDo) {
  Populate();
  const std::string wal = LogFileName(11);
  uint64_t last = LastRecordOffset(wal);
  auto size = env_.GetFileSize(Path(wal));
  ASSERT_TRUE(env_.TruncateForTest(Path(wal), *size - 2).ok());
  auto before = DirContents();
  VerifyReport r = MustVerify();
  EXPECT_EQ(DirContents(), before) << "verify must not change the directory";
  ASSERT_EQ(r.problems.size(), 1u);
  const VerifyProblem& p = r.problems[0];
  EXPECT_EQ(p.file, wal);
  EXPECT_EQ(p.offset, last);
  EXPECT_NE(p.what.find("torn tail"), std::string::npos) << p.what;
  EXPECT_EQ(p.kind, DamageKind::kTornTail);
  EXPECT_TRUE(r.only_crash_tail()) << "a crash tail is its own class";
  EXPECT_NE(p.tolerate_tail.find("truncated"), std::string::npos) << p.tolerate_tail;
  EXPECT_NE(p.absolute.find("refuse"), std::string::npos) << p.absolute;
  EXPECT_NE(p.point_in_time.find("truncated"), std::string::npos) << p.point_in_time;
  EXPECT_EQ(r.keys, 19u);
}

TEST_F(VerifyTest, MidLogDamageSaysTolerateTailRefusesAndPointInTimeServesPrefix) {
  Populate();
  const std::string wal = LogFileName(11);
  std::vector<uint64_t> offsets;
  log::ParseSegment(env_.ReadWholeFile(Path(wal)).value(), std::nullopt,
                    [&](const log::RecordView& rec) { offsets.push_back(rec.offset); });
  ASSERT_EQ(offsets.size(), 10u);
  ASSERT_TRUE(env_.CorruptByte(Path(wal), offsets[4] + 20, 0x80).ok());
  VerifyReport r = MustVerify();
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].file, wal);
  EXPECT_EQ(r.problems[0].offset, offsets[4]);
  EXPECT_NE(r.problems[0].what.find("intact records follow"), std::string::npos);
  EXPECT_EQ(r.problems[0].kind, DamageKind::kMidLogDamage);
  EXPECT_FALSE(r.only_crash_tail()) << "real damage is not a crash tail";
  EXPECT_FALSE(r.tolerate_tail.would_start);
  EXPECT_FALSE(r.absolute.would_start);
  EXPECT_TRUE(r.point_in_time.would_start);
  EXPECT_NE(r.problems[0].tolerate_tail.find("refuse"), std::string::npos);
  // And serve really behaves as verify said.
  EXPECT_FALSE(Engine::Open(Options()).ok());
  auto db = Engine::Open(Options(RecoveryMode::kPointInTime));
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->Keys("*").size(), 14u);
}

TEST_F(VerifyTest, DamagedSnapshotIsReportedAndFallbackNamed) {
  Populate();
  const std::string snap = SnapshotFileName(10);
  auto size = env_.GetFileSize(Path(snap));
  ASSERT_TRUE(env_.CorruptByte(Path(snap), *size - 40, 0x01).ok());
  VerifyReport r = MustVerify();
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].file, snap);
  EXPECT_NE(r.problems[0].tolerate_tail.find("falling back"), std::string::npos)
      << r.problems[0].tolerate_tail;
  EXPECT_NE(r.problems[0].absolute.find("refuse"), std::string::npos);
  EXPECT_EQ(r.keys, 20u);  // the log from sequence 1 is still there
}

TEST_F(VerifyTest, MissingSegmentIsASequenceGap) {
  EngineOptions o = Options();
  o.segment_bytes = 60;
  {
    auto db = Engine::Open(o);
    ASSERT_TRUE(db.ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*db)->Set(StrCat("k", i), "v").ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  std::vector<std::string> segments;
  for (const auto& [name, bytes] : DirContents()) {
    if (ParseFileName(name).kind == FileKind::kLogSegment) segments.push_back(name);
  }
  ASSERT_GE(segments.size(), 4u);
  ASSERT_TRUE(env_.RemoveFile(Path(segments[1])).ok());
  VerifyReport r = MustVerify();
  ASSERT_FALSE(r.clean());
  EXPECT_EQ(r.problems[0].file, segments[2]);
  EXPECT_NE(r.problems[0].what.find("gap"), std::string::npos) << r.problems[0].what;
  EXPECT_FALSE(r.tolerate_tail.would_start);
}

TEST_F(VerifyTest, CleanDirectoryListsLogHeadNamingTheNewestSegment) {
  Populate();
  VerifyReport r = MustVerify();
  ASSERT_TRUE(r.clean());
  auto head = std::find_if(r.files.begin(), r.files.end(),
                           [](const VerifiedFile& f) { return f.kind == "head"; });
  ASSERT_NE(head, r.files.end());
  EXPECT_EQ(head->name, LogHeadFileName());
  EXPECT_EQ(head->seq, 11u);  // wal-11, started by the snapshot
  EXPECT_TRUE(head->ok);
}

TEST_F(VerifyTest, DeletedNewestSegmentIsReportedByNameWithWhatEachModeWouldDo) {
  Populate();
  const std::string wal = LogFileName(11);
  ASSERT_TRUE(env_.RemoveFile(Path(wal)).ok());
  auto before = DirContents();
  VerifyReport r = MustVerify();
  EXPECT_EQ(DirContents(), before) << "verify must not change the directory";
  ASSERT_EQ(r.problems.size(), 1u);
  const VerifyProblem& p = r.problems[0];
  EXPECT_EQ(p.file, wal);
  EXPECT_EQ(p.offset, 0u);
  EXPECT_NE(p.what.find("missing"), std::string::npos) << p.what;
  EXPECT_NE(p.what.find("sequence 11"), std::string::npos) << p.what;
  EXPECT_NE(p.tolerate_tail.find("refuse"), std::string::npos) << p.tolerate_tail;
  EXPECT_NE(p.absolute.find("refuse"), std::string::npos) << p.absolute;
  EXPECT_NE(p.point_in_time.find("serving the log that is there"), std::string::npos)
      << p.point_in_time;
  EXPECT_FALSE(r.tolerate_tail.would_start);
  ASSERT_TRUE(r.point_in_time.would_start);
  EXPECT_NE(r.point_in_time.summary.find("at sequence 10 "), std::string::npos)
      << r.point_in_time.summary;
}

TEST_F(VerifyTest, MissingAndDamagedLogHeadAreReported) {
  Populate();
  const std::string head = Path(LogHeadFileName());
  auto original = env_.ReadWholeFile(head);
  ASSERT_TRUE(original.ok());
  ASSERT_TRUE(env_.RemoveFile(head).ok());
  VerifyReport missing = MustVerify();
  ASSERT_EQ(missing.problems.size(), 1u);
  EXPECT_EQ(missing.problems[0].file, LogHeadFileName());
  EXPECT_NE(missing.problems[0].what.find("missing"), std::string::npos);
  EXPECT_FALSE(missing.tolerate_tail.would_start);
  EXPECT_TRUE(missing.point_in_time.would_start);

  ASSERT_TRUE(env_.WriteWholeFile(head, original->substr(0, 20)).ok());
  VerifyReport torn = MustVerify();
  ASSERT_EQ(torn.problems.size(), 1u);
  EXPECT_EQ(torn.problems[0].file, LogHeadFileName());
  EXPECT_EQ(torn.problems[0].offset, 20u);
  EXPECT_NE(torn.problems[0].what.find("truncated"), std::string::npos);
  EXPECT_NE(torn.problems[0].absolute.find("refuse"), std::string::npos);
}

TEST_F(VerifyTest, WorksWhileAServerHoldsTheDirectory) {
  Populate();
  auto db = Engine::Open(Options());
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Set("live", "1").ok());
  VerifyReport r = MustVerify();
  EXPECT_TRUE(r.server_running);
  EXPECT_TRUE(r.clean());
  EXPECT_EQ(r.keys, 21u);
  // The server is undisturbed.
  EXPECT_TRUE((*db)->Set("live", "2").ok());
}

TEST_F(VerifyTest, MissingDirectoryCannotRun) {
  auto r = VerifyDataDir(&env_, "/nope");
  EXPECT_FALSE(r.ok());
}

// A directory without a LOCK, snapshot or log file (a mistyped path) is not reported as a clean,
// empty data directory: verify cannot run there. One with only a LOCK is a data directory whose
// first server stopped before it wrote anything.
TEST_F(VerifyTest, DirectoryWithoutWalkvFilesIsNotADataDirectory) {
  ASSERT_TRUE(env_.CreateDirIfMissing("/other").ok());
  auto empty = VerifyDataDir(&env_, "/other");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(WriteFileAtomically(&env_, "/other", "notes.txt", "not walkv").ok());
  auto unrelated = VerifyDataDir(&env_, "/other");
  ASSERT_FALSE(unrelated.ok());
  EXPECT_NE(unrelated.status().message().find("not a walkv data directory"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomically(&env_, "/other", "LOCK", "").ok());
  auto lock_only = VerifyDataDir(&env_, "/other");
  ASSERT_TRUE(lock_only.ok()) << lock_only.status().ToString();
  EXPECT_TRUE(lock_only->clean());
}

}  // namespace
}  // namespace walkv
