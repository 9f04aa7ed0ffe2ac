// ObsoleteFiles (engine/retention.h): the one rule for what a durable snapshot makes obsolete,
// case by case. Names are built with file_names.h, as the engine's files are.
#include "engine/retention.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/file_names.h"

namespace walkv {
namespace {

using Names = std::vector<std::string>;

SnapshotOnDisk Intact(uint64_t seq) { return {SnapshotFileName(seq), seq, true}; }
SnapshotOnDisk Damaged(uint64_t seq) { return {SnapshotFileName(seq), seq, false}; }
SegmentOnDisk Segment(uint64_t first_seq, uint64_t bytes = 100) {
  return {LogFileName(first_seq), first_seq, bytes};
}

// Snapshots at 100, 200 and 300; segments starting at 1, 101, 201, 301 (each snapshot's cut
// started a new segment).
std::vector<SnapshotOnDisk> ThreeSnapshots() { return {Intact(100), Intact(200), Intact(300)}; }
std::vector<SegmentOnDisk> FourSegments() {
  return {Segment(1), Segment(101), Segment(201), Segment(301)};
}

TEST(RetentionTest, KeepsTheTwoNewestSnapshotsAndTheLogAfterTheOlderOne) {
  EXPECT_EQ(ObsoleteFiles(ThreeSnapshots(), FourSegments(), 2),
            (Names{LogFileName(1), SnapshotFileName(100), LogFileName(101)}));
}

TEST(RetentionTest, KeepingOneRemovesTheFallbackToo) {
  EXPECT_EQ(ObsoleteFiles(ThreeSnapshots(), FourSegments(), 1),
            (Names{LogFileName(1), SnapshotFileName(100), LogFileName(101), SnapshotFileName(200),
                   LogFileName(201)}));
}

TEST(RetentionTest, KeepingZeroMeansKeepingOne) {
  EXPECT_EQ(ObsoleteFiles(ThreeSnapshots(), FourSegments(), 0),
            ObsoleteFiles(ThreeSnapshots(), FourSegments(), 1));
}

TEST(RetentionTest, KeepsNNewestSnapshots) {
  std::vector<SnapshotOnDisk> snapshots;
  std::vector<SegmentOnDisk> segments = {Segment(1)};
  for (uint64_t seq = 10; seq <= 60; seq += 10) {
    snapshots.push_back(Intact(seq));
    segments.push_back(Segment(seq + 1));
  }
  EXPECT_EQ(ObsoleteFiles(snapshots, segments, 4),
            (Names{LogFileName(1), SnapshotFileName(10), LogFileName(11), SnapshotFileName(20),
                   LogFileName(21)}));
  EXPECT_TRUE(ObsoleteFiles(snapshots, segments, 7).empty());
}

TEST(RetentionTest, InputOrderDoesNotMatter) {
  std::vector<SnapshotOnDisk> snapshots = {Intact(300), Intact(100), Intact(200)};
  std::vector<SegmentOnDisk> segments = {Segment(201), Segment(301), Segment(1), Segment(101)};
  EXPECT_EQ(ObsoleteFiles(snapshots, segments, 2),
            ObsoleteFiles(ThreeSnapshots(), FourSegments(), 2));
}

TEST(RetentionTest, RemovesDamagedOrUnknownSnapshotsOlderThanTheNewest) {
  // 250 is between the two kept snapshots and 50 older than both: neither is intact, so neither
  // is a fallback anyone can use.
  std::vector<SnapshotOnDisk> snapshots = ThreeSnapshots();
  snapshots.push_back(Damaged(250));
  snapshots.push_back(Damaged(50));
  EXPECT_EQ(ObsoleteFiles(snapshots, FourSegments(), 2),
            (Names{LogFileName(1), SnapshotFileName(50), SnapshotFileName(100), LogFileName(101),
                   SnapshotFileName(250)}));
}

TEST(RetentionTest, ADamagedSnapshotIsNeverCountedAsAKeptOne) {
  // The newest file is damaged: the two newest intact ones (100, 200) are kept, the log after 100
  // with them, and the damaged newer file is not this rule's to remove.
  std::vector<SnapshotOnDisk> snapshots = {Intact(100), Intact(200), Damaged(300)};
  EXPECT_EQ(ObsoleteFiles(snapshots, FourSegments(), 2), (Names{LogFileName(1)}));
  EXPECT_EQ(ObsoleteFiles(snapshots, FourSegments(), 1),
            (Names{LogFileName(1), SnapshotFileName(100), LogFileName(101)}));
}

TEST(RetentionTest, NoIntactSnapshotMeansNothingIsObsolete) {
  EXPECT_TRUE(ObsoleteFiles({Damaged(100), Damaged(200)}, FourSegments(), 1).empty());
  EXPECT_TRUE(ObsoleteFiles({}, FourSegments(), 2).empty());
}

TEST(RetentionTest, FewerIntactSnapshotsThanKeptKeepsTheWholeLog) {
  // The first snapshot ever: the log from sequence 1 is its fallback. Older damaged snapshot
  // files still go.
  EXPECT_TRUE(ObsoleteFiles({Intact(100)}, {Segment(1), Segment(101)}, 2).empty());
  EXPECT_EQ(ObsoleteFiles({Damaged(40), Intact(100)}, {Segment(1), Segment(101)}, 2),
            (Names{SnapshotFileName(40)}));
}

TEST(RetentionTest, RemovesOnlySegmentsWhollyCoveredByTheOldestKeptSnapshot) {
  // Segment 51 holds records 51..120; the snapshot at 100 covers only part of it.
  std::vector<SegmentOnDisk> segments = {Segment(1), Segment(51), Segment(121)};
  EXPECT_EQ(ObsoleteFiles({Intact(100)}, segments, 1), (Names{LogFileName(1)}));
  // A segment that ends exactly at the snapshot (the next starts at seq + 1) is covered.
  EXPECT_EQ(ObsoleteFiles({Intact(120)}, segments, 1), (Names{LogFileName(1), LogFileName(51)}));
}

TEST(RetentionTest, NeverRemovesTheNewestSegment) {
  // A snapshot cut just after a roll on an idle engine: the newest segment holds no record yet,
  // and the snapshot covers everything before it; even "covering" it does not make it obsolete.
  EXPECT_EQ(ObsoleteFiles({Intact(300)}, FourSegments(), 1),
            (Names{LogFileName(1), LogFileName(101), LogFileName(201)}));
  EXPECT_EQ(ObsoleteFiles({Intact(500)}, FourSegments(), 1),
            (Names{LogFileName(1), LogFileName(101), LogFileName(201)}));
  EXPECT_TRUE(ObsoleteFiles({Intact(500)}, {Segment(1)}, 1).empty());
}

TEST(RetentionTest, RemovesOldestFirstSoThatEveryPrefixLeavesAContiguousLog) {
  std::vector<SnapshotOnDisk> snapshots = ThreeSnapshots();
  snapshots.push_back(Damaged(150));
  const Names obsolete = ObsoleteFiles(snapshots, FourSegments(), 1);
  ASSERT_FALSE(obsolete.empty());
  uint64_t previous = 0;
  for (const std::string& name : obsolete) {
    const uint64_t seq = ParseFileName(name).seq;
    EXPECT_LE(previous, seq) << name;
    previous = seq;
  }
  // After removing any prefix, the remaining segments still start where the removed ones ended.
  const Names all = {LogFileName(1), LogFileName(101), LogFileName(201), LogFileName(301)};
  for (size_t removed = 0; removed <= obsolete.size(); ++removed) {
    Names left;
    for (const std::string& segment : all) {
      bool gone = false;
      for (size_t i = 0; i < removed; ++i) gone = gone || obsolete[i] == segment;
      if (!gone) left.push_back(segment);
    }
    ASSERT_FALSE(left.empty());
    EXPECT_EQ(Names(all.end() - left.size(), all.end()), left) << "after " << removed;
  }
}

TEST(RetentionTest, ASnapshotGoesBeforeTheSegmentWithTheSameNumber) {
  EXPECT_EQ(ObsoleteFiles({Intact(100), Intact(200)}, {Segment(100), Segment(150), Segment(201)},
                          1),
            (Names{SnapshotFileName(100), LogFileName(100), LogFileName(150)}));
}

// --- the replication backlog (docs/replication.md §5) ---

TEST(RetentionTest, ZeroBacklogIsTheRecoveryRuleAlone) {
  EXPECT_EQ(ObsoleteFiles(ThreeSnapshots(), FourSegments(), 1, 0),
            ObsoleteFiles(ThreeSnapshots(), FourSegments(), 1));
}

TEST(RetentionTest, BacklogKeepsTheNewestSegmentsUpToItsSize) {
  // 100 bytes each: a 250-byte backlog holds the newest two (301, 201); 201 is otherwise
  // obsolete when one snapshot is kept. Snapshots go by the snapshot rule alone.
  EXPECT_EQ(ObsoleteFiles(ThreeSnapshots(), FourSegments(), 1, 250),
            (Names{LogFileName(1), SnapshotFileName(100), LogFileName(101),
                   SnapshotFileName(200)}));
  // 300 bytes hold three: only wal-1 goes.
  EXPECT_EQ(ObsoleteFiles(ThreeSnapshots(), FourSegments(), 1, 300),
            (Names{LogFileName(1), SnapshotFileName(100), SnapshotFileName(200)}));
  // Enough for all: no segment goes.
  EXPECT_EQ(ObsoleteFiles(ThreeSnapshots(), FourSegments(), 1, 1'000'000),
            (Names{SnapshotFileName(100), SnapshotFileName(200)}));
}

TEST(RetentionTest, BacklogIsAPrefixCutCountedFromTheNewestSegment) {
  // Sizes 10, 500, 10, 10 (oldest first): the backlog of 100 bytes stops at the 500-byte
  // segment, so it and everything older go even though the 10-byte wal-1 would still fit.
  std::vector<SegmentOnDisk> segments = {Segment(1, 10), Segment(101, 500), Segment(201, 10),
                                         Segment(301, 10)};
  EXPECT_EQ(ObsoleteFiles(ThreeSnapshots(), segments, 1, 100),
            (Names{LogFileName(1), SnapshotFileName(100), LogFileName(101),
                   SnapshotFileName(200)}));
}

TEST(RetentionTest, BacklogNeverRemovesWhatRecoveryNeeds) {
  // A backlog smaller than the newest segment keeps what the snapshot rule keeps.
  EXPECT_EQ(ObsoleteFiles(ThreeSnapshots(), FourSegments(), 2, 1),
            ObsoleteFiles(ThreeSnapshots(), FourSegments(), 2, 0));
}

}  // namespace
}  // namespace walkv
