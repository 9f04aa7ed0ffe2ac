// LOGHEAD's format (docs/format.md §6): the exact bytes, and every kind of damage reported with
// its offset rather than mistaken for a name.
#include "engine/log_head.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/file_names.h"
#include "tests/util/fault_injection_env.h"

namespace walkv::log {
namespace {

std::string Encoded(uint64_t seq) {
  std::string bytes;
  EncodeLogHead(seq, &bytes);
  return bytes;
}

TEST(LogHeadTest, EncodesTheDocumentedBytes) {
  // docs/format.md §5.1: magic, version 1, first_seq 0x0102030405060708, crc32 of bytes 0..19.
  const std::string bytes = Encoded(0x0102030405060708ull);
  ASSERT_EQ(bytes.size(), kLogHeadSize);
  EXPECT_EQ(bytes.substr(0, 8), "WALKVHED");
  EXPECT_EQ(bytes.substr(8, 4), std::string("\x01\x00\x00\x00", 4));
  EXPECT_EQ(bytes.substr(12, 8), "\x08\x07\x06\x05\x04\x03\x02\x01");
  EXPECT_EQ(bytes.substr(20, 4), "\x21\x28\x22\x92") << "docs/format.md §6.1 shows these bytes";
  LogHeadCheck check = ParseLogHead(bytes);
  EXPECT_TRUE(check.present);
  EXPECT_EQ(check.newest, 0x0102030405060708ull);
  EXPECT_EQ(check.problem, "");
}

TEST(LogHeadTest, EveryFlippedBitIsDamageNeverAnotherName) {
  const std::string good = Encoded(12345);
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    LogHeadCheck check = ParseLogHead(bad);
    EXPECT_TRUE(check.present);
    EXPECT_FALSE(check.newest.has_value()) << "bit " << bit;
    EXPECT_FALSE(check.problem.empty()) << "bit " << bit;
    EXPECT_LT(check.damage_offset, kLogHeadSize);
  }
}

TEST(LogHeadTest, TruncationVersionAndTrailingBytesAreNamed) {
  const std::string good = Encoded(7);
  for (size_t size = 0; size < good.size(); ++size) {
    LogHeadCheck check = ParseLogHead(good.substr(0, size));
    EXPECT_FALSE(check.newest.has_value()) << size;
    EXPECT_EQ(check.damage_offset, size);
    EXPECT_NE(check.problem.find("truncated"), std::string::npos) << check.problem;
  }
  LogHeadCheck longer = ParseLogHead(good + "x");
  EXPECT_FALSE(longer.newest.has_value());
  EXPECT_EQ(longer.damage_offset, kLogHeadSize);

  std::string v2 = good;
  v2[8] = 2;
  LogHeadCheck version = ParseLogHead(v2);
  EXPECT_FALSE(version.newest.has_value());
  EXPECT_EQ(version.damage_offset, 8u);
  EXPECT_NE(version.problem.find("version 2"), std::string::npos) << version.problem;
}

TEST(LogHeadTest, WriteThenReadRoundTripsAndAbsenceIsNotAnError) {
  FaultInjectionEnv env(3);
  ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
  auto absent = ReadLogHead(&env, "/db");
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_FALSE(absent->present);
  EXPECT_FALSE(absent->newest.has_value());

  ASSERT_TRUE(WriteLogHead(&env, "/db", 42).ok());
  ASSERT_TRUE(WriteLogHead(&env, "/db", 43).ok());
  auto read = ReadLogHead(&env, "/db");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->newest, 43u);
  // Written through a temp file and a rename: no leftover, and it survives a power cut.
  EXPECT_FALSE(env.FileExists(JoinPath("/db", TempFileName(LogHeadFileName()))));
  env.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  read = ReadLogHead(&env, "/db");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->newest, 43u);
}

TEST(LogHeadTest, RequiredByEveryDirectoryThatGotPastItsFirstSegment) {
  EXPECT_FALSE(LogHeadRequired(0, 0, 0));  // nothing yet
  EXPECT_FALSE(LogHeadRequired(0, 1, 1));  // only wal-1
  EXPECT_TRUE(LogHeadRequired(0, 1, 5));   // a first segment that is not wal-1
  EXPECT_TRUE(LogHeadRequired(0, 2, 1));   // a second segment
  EXPECT_TRUE(LogHeadRequired(1, 0, 0));   // a snapshot
  EXPECT_TRUE(LogHeadRequired(1, 1, 1));
}

TEST(LogHeadTest, FindLogHeadProblemIsTheRuleRecoveryAndVerifyShare) {
  using Kind = LogHeadProblem::Kind;
  LogHeadCheck absent;
  EXPECT_FALSE(FindLogHeadProblem(absent, 0, {1}).has_value());  // only wal-1: not needed yet
  auto missing = FindLogHeadProblem(absent, 1, {6});
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->kind, Kind::kMissing);

  LogHeadCheck damaged = ParseLogHead(Encoded(6).substr(0, 10));
  auto bad = FindLogHeadProblem(damaged, 0, {1});  // damage counts even where none is needed
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->kind, Kind::kDamaged);
  EXPECT_EQ(bad->offset, 10u);
  EXPECT_NE(bad->detail.find("truncated"), std::string::npos);

  LogHeadCheck names6 = ParseLogHead(Encoded(6));
  EXPECT_FALSE(FindLogHeadProblem(names6, 1, {1, 6}).has_value());
  EXPECT_FALSE(FindLogHeadProblem(names6, 1, {1, 6, 9}).has_value());  // a newer, unnamed one
  auto lost = FindLogHeadProblem(names6, 1, {1});
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->kind, Kind::kSegmentMissing);
  EXPECT_EQ(lost->newest, 6u);
  EXPECT_NE(lost->detail.find("from sequence 6 on"), std::string::npos) << lost->detail;
}

}  // namespace
}  // namespace walkv::log
