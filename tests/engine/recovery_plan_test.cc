// Recovery's two steps (engine/recovery.h): planning reads and decides without touching the
// directory; executing does exactly what the plan lists. And the one decision table
// (engine/recovery_plan.h), row by row, as contract §3 and docs/durability.md state it.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/file_names.h"
#include "engine/log_format.h"
#include "engine/log_reader.h"
#include "engine/recovery.h"
#include "engine/recovery_plan.h"
#include "engine/recovery_words.h"
#include "engine/str_cat.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";
constexpr RecoveryMode kTail = RecoveryMode::kTolerateTail;
constexpr RecoveryMode kAbsolute = RecoveryMode::kAbsolute;
constexpr RecoveryMode kPit = RecoveryMode::kPointInTime;

std::string Path(const std::string& name) { return JoinPath(kDir, name); }

TEST(DecisionTableTest, TornTailIsRepairedExceptInAbsolute) {
  EXPECT_EQ(Decide(kTail, DamageKind::kTornTail), Decision::kRepair);
  EXPECT_EQ(Decide(kPit, DamageKind::kTornTail), Decision::kRepair);
  EXPECT_EQ(Decide(kAbsolute, DamageKind::kTornTail), Decision::kRefuse);
}

TEST(DecisionTableTest, LogDamageThatIsNotATornTailRefusesUnlessPointInTime) {
  for (DamageKind kind :
       {DamageKind::kMidLogDamage, DamageKind::kSegmentHeaderDamaged, DamageKind::kSequenceGap,
        DamageKind::kLogHeadDamaged, DamageKind::kLogHeadMissing,
        DamageKind::kNamedSegmentMissing}) {
    SCOPED_TRACE(std::string(DamageKindName(kind)));
    EXPECT_EQ(Decide(kTail, kind), Decision::kRefuse);
    EXPECT_EQ(Decide(kAbsolute, kind), Decision::kRefuse);
    EXPECT_EQ(Decide(kPit, kind), Decision::kRepair);
  }
}

TEST(DecisionTableTest, DamagedOrUncoveredSnapshotFallsBackExceptInAbsolute) {
  for (DamageKind kind : {DamageKind::kSnapshotDamaged, DamageKind::kSnapshotUncovered}) {
    SCOPED_TRACE(std::string(DamageKindName(kind)));
    EXPECT_EQ(Decide(kTail, kind), Decision::kFallBack);
    EXPECT_EQ(Decide(kPit, kind), Decision::kFallBack);
    EXPECT_EQ(Decide(kAbsolute, kind), Decision::kRefuse);
  }
}

TEST(DecisionTableTest, NothingToStartFromRefusesInEveryMode) {
  for (RecoveryMode mode : {kTail, kAbsolute, kPit}) {
    EXPECT_EQ(Decide(mode, DamageKind::kNoBase), Decision::kRefuse);
  }
}

TEST(DecisionTableTest, DamageInAFileNotNeededIsIgnoredExceptInAbsolute) {
  EXPECT_EQ(Decide(kTail, DamageKind::kSnapshotDamaged, /*needed=*/false), Decision::kIgnore);
  EXPECT_EQ(Decide(kPit, DamageKind::kMidLogDamage, /*needed=*/false), Decision::kIgnore);
  EXPECT_EQ(Decide(kAbsolute, DamageKind::kSnapshotDamaged, /*needed=*/false),
            Decision::kRefuse);
}

TEST(DecisionTableTest, OnlyTheTornTailIsACrashTail) {
  for (int k = 0; k <= static_cast<int>(DamageKind::kNoBase); ++k) {
    auto kind = static_cast<DamageKind>(k);
    EXPECT_EQ(IsCrashTail(kind), kind == DamageKind::kTornTail) << DamageKindName(kind);
  }
}

TEST(ClassifySegmentDamageTest, TheNewestSegmentsTornEndIsATornTailAndNothingElseIs) {
  log::SegmentScan scan;
  scan.header_ok = true;
  scan.damage = log::SegmentDamage{.offset = 100, .reason = "truncated record"};
  EXPECT_EQ(ClassifySegmentDamage(scan, 120, /*newest=*/true, false), DamageKind::kTornTail);
  EXPECT_EQ(ClassifySegmentDamage(scan, 120, /*newest=*/false, false), DamageKind::kMidLogDamage);
  scan.damage->valid_records_follow = true;
  EXPECT_EQ(ClassifySegmentDamage(scan, 120, /*newest=*/true, false), DamageKind::kMidLogDamage);
}

TEST(ClassifySegmentDamageTest, AHeaderCutShortIsATornTailUnlessLogHeadNamesTheSegment) {
  log::SegmentScan scan;
  scan.damage = log::SegmentDamage{.offset = 0, .reason = "truncated segment header"};
  const uint64_t cut = log::kSegmentHeaderSize - 1;
  EXPECT_EQ(ClassifySegmentDamage(scan, cut, /*newest=*/true, /*named_by_loghead=*/false),
            DamageKind::kTornTail);
  EXPECT_EQ(ClassifySegmentDamage(scan, cut, /*newest=*/true, /*named_by_loghead=*/true),
            DamageKind::kSegmentHeaderDamaged);
  EXPECT_EQ(ClassifySegmentDamage(scan, cut, /*newest=*/false, /*named_by_loghead=*/false),
            DamageKind::kSegmentHeaderDamaged);
  // A whole header that does not parse (bad magic) was damaged after it was written.
  EXPECT_EQ(ClassifySegmentDamage(scan, log::kSegmentHeaderSize + 40, true, false),
            DamageKind::kSegmentHeaderDamaged);
}

class RecoveryPlanTest : public ::testing::Test {
 protected:
  // Writes n records into wal-1 (and closes; a second open would start wal-(n+1)).
  void WriteRecords(int n) {
    auto db = Engine::Open(testing::QuietEngineOptions(&env_, kDir, kTail));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE((*db)->Set(StrCat("k", i), StrCat("v", i)).ok());
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
  std::vector<uint64_t> RecordOffsets(const std::string& name) {
    std::vector<uint64_t> out;
    log::ParseSegment(env_.ReadWholeFile(Path(name)).value(), std::nullopt,
                      [&](const log::RecordView& r) { out.push_back(r.offset); });
    return out;
  }
  std::map<std::string, std::string> DirContents() {
    std::map<std::string, std::string> out;
    for (const std::string& name : env_.GetChildren(kDir).value()) {
      out[name] = env_.ReadWholeFile(Path(name)).value();
    }
    return out;
  }
  StatusOr<RecoveryPlan> Plan(RecoveryMode mode) {
    Store store;
    return PlanRecovery(&env_, kDir, mode, &store);
  }

  FaultInjectionEnv env_{11};
};

TEST_F(RecoveryPlanTest, PlanningChangesNothingOnDiskInAnyMode) {
  WriteRecords(10);
  const std::string wal = LogFileName(1);
  auto offsets = RecordOffsets(wal);
  ASSERT_TRUE(env_.CorruptByte(Path(wal), offsets[4] + 20, 0x80).ok());  // mid-log damage
  ASSERT_TRUE(env_.WriteWholeFile(Path("snap-x.tmp"), "unfinished").ok());
  const auto before = DirContents();
  for (RecoveryMode mode : {kTail, kAbsolute, kPit}) {
    SCOPED_TRACE(std::string(RecoveryModeName(mode)));
    auto plan = Plan(mode);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    EXPECT_EQ(DirContents(), before);
    ASSERT_FALSE(plan->findings.empty());
    EXPECT_EQ(plan->findings[0].kind, DamageKind::kMidLogDamage);
    EXPECT_EQ(plan->findings[0].file, wal);
    EXPECT_EQ(plan->findings[0].offset, offsets[4]);
    EXPECT_EQ(plan->starts(), mode == kPit);
  }
}

TEST_F(RecoveryPlanTest, ARefusingPlanListsNoChangeToTheLogAndCannotBeExecuted) {
  WriteRecords(10);
  auto offsets = RecordOffsets(LogFileName(1));
  ASSERT_TRUE(env_.CorruptByte(Path(LogFileName(1)), offsets[4] + 20, 0x80).ok());
  auto plan = Plan(kTail);
  ASSERT_TRUE(plan.ok());
  ASSERT_FALSE(plan->starts());
  EXPECT_EQ(plan->refusing_finding().decision, Decision::kRefuse);
  for (const Action& a : plan->actions) EXPECT_EQ(a.kind, ActionKind::kRemoveTemp);
  const auto before = DirContents();
  EXPECT_FALSE(ExecuteRecoveryPlan(&env_, kDir, *plan).ok());
  EXPECT_EQ(DirContents(), before);
  const std::string refusal = DescribeRefusal(*plan);
  EXPECT_NE(refusal.find(LogFileName(1) + StrCat(" at byte ", offsets[4])),
            std::string::npos)
      << refusal;
  EXPECT_NE(refusal.find("Copy the data directory first"), std::string::npos) << refusal;
}

TEST_F(RecoveryPlanTest, TornTailPlanTruncatesAndExecutingItDoesExactlyThat) {
  WriteRecords(5);
  const std::string wal = LogFileName(1);
  auto offsets = RecordOffsets(wal);
  const uint64_t size = env_.GetFileSize(Path(wal)).value();
  ASSERT_TRUE(env_.TruncateForTest(Path(wal), size - 3).ok());
  auto plan = Plan(kTail);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->starts());
  ASSERT_EQ(plan->findings.size(), 1u);
  EXPECT_EQ(plan->findings[0].kind, DamageKind::kTornTail);
  EXPECT_EQ(plan->findings[0].decision, Decision::kRepair);
  ASSERT_EQ(plan->actions.size(), 1u) << "tolerate-tail keeps no copy of a torn record";
  EXPECT_EQ(plan->actions[0].kind, ActionKind::kTruncate);
  EXPECT_EQ(plan->actions[0].size, offsets.back());
  EXPECT_EQ(plan->actions[0].bytes, size - 3 - offsets.back());
  EXPECT_EQ(plan->state.last_seq, 4u);
  ASSERT_TRUE(ExecuteRecoveryPlan(&env_, kDir, *plan).ok());
  EXPECT_EQ(env_.GetFileSize(Path(wal)).value(), offsets.back());
}

TEST_F(RecoveryPlanTest, PointInTimeKeepsWhatItCutsFromInsideASegment) {
  WriteRecords(10);
  const std::string wal = LogFileName(1);
  auto offsets = RecordOffsets(wal);
  ASSERT_TRUE(env_.CorruptByte(Path(wal), offsets[6] + 20, 0x80).ok());
  const std::string damaged = env_.ReadWholeFile(Path(wal)).value();
  auto plan = Plan(kPit);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->starts());
  ASSERT_EQ(plan->actions.size(), 2u);
  EXPECT_EQ(plan->actions[0].kind, ActionKind::kKeepTail);
  EXPECT_EQ(plan->actions[0].target, DroppedTailFileName(wal, offsets[6]));
  EXPECT_EQ(plan->actions[1].kind, ActionKind::kTruncate);
  ASSERT_TRUE(ExecuteRecoveryPlan(&env_, kDir, *plan).ok());
  const std::string kept = env_.ReadWholeFile(Path(wal)).value();
  const std::string tail = env_.ReadWholeFile(Path(DroppedTailFileName(wal, offsets[6]))).value();
  EXPECT_EQ(kept.size(), offsets[6]);
  EXPECT_EQ(kept + tail, damaged) << "nothing point-in-time dropped is lost";
}

TEST_F(RecoveryPlanTest, KeptTailAndTruncationSurviveAPowerCut) {
  WriteRecords(10);
  const std::string wal = LogFileName(1);
  auto offsets = RecordOffsets(wal);
  ASSERT_TRUE(env_.CorruptByte(Path(wal), offsets[6] + 20, 0x80).ok());
  auto plan = Plan(kPit);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(ExecuteRecoveryPlan(&env_, kDir, *plan).ok());
  env_.RestartAfterPowerLoss(FaultInjectionEnv::kDropUnsynced);
  EXPECT_EQ(env_.GetFileSize(Path(wal)).value(), offsets[6]);
  EXPECT_TRUE(env_.FileExists(Path(DroppedTailFileName(wal, offsets[6]))));
}

}  // namespace
}  // namespace walkv
