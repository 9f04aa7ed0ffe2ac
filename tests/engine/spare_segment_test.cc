// The spare segment (engine/segment_preparer.h): with pre-written segments, a background thread
// keeps one zero-filled, synced spare ready, and a roll turns it into the next segment
// (LogWriter::CreateFromSpare) instead of writing a whole segment of zeros on the commit thread.
// The promises tested here:
//  - rolls take the spare (info: log_spares_used), every segment they make is pre-written and
//    readable, and nothing acknowledged is lost across a reopen; verify stays clean;
//  - a spare a crash left behind — even one that already got its header and a record before the
//    rename — is never read as log, startup removes it, and a clean close leaves no spare;
//  - a spare that cannot be prepared (full disk) is not an engine error: rolls write their own
//    segment and the engine keeps committing;
//  - restarting into an empty pre-written segment goes on overwriting its zeros (the file keeps
//    its size, so commits still flush no metadata).
// Power loss at every operation, the background thread's included: power_loss_test.cc
// (PrewrittenSegmentsSurvivePowerLossAtEveryOp).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "engine/engine.h"
#include "engine/file_names.h"
#include "engine/log_format.h"
#include "engine/log_writer.h"
#include "engine/segment_preparer.h"
#include "engine/str_cat.h"
#include "engine/verify.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";
constexpr uint64_t kSegmentBytes = 4096;

EngineOptions SpareOptions(Env* env) {
  EngineOptions o = testing::QuietEngineOptions(env, kDir);
  o.prewrite_segments = true;
  o.segment_bytes = kSegmentBytes;
  return o;
}

std::string SparePath() { return JoinPath(kDir, SegmentPreparer::SpareFileName()); }

// Writes small SETs until `spares` rolls have taken a spare, with bounds on count and time (the
// spare is prepared concurrently, so how many writes that takes varies). Returns the writes made.
int WriteUntilSparesUsed(Engine& db, uint64_t spares) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int i = 0;
  while (db.Stats().log_spares_used < spares && i < 20000 &&
         std::chrono::steady_clock::now() < deadline) {
    EXPECT_TRUE(db.Set(StrCat("k", i), std::string(40, 'v')).ok());
    ++i;
  }
  return i;
}

TEST(SpareSegmentTest, RollsTakeTheSpareAndNothingAcknowledgedIsLost) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDirIfMissing(kDir).ok());
  int written = 0;
  {
    auto db = Engine::Open(SpareOptions(&env));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    written = WriteUntilSparesUsed(**db, 3);
    EngineStats stats = (*db)->Stats();
    ASSERT_GE(stats.log_spares_used, 3u) << "after " << written << " writes";
    EXPECT_EQ(stats.log_spare_failures, 0u);
    EXPECT_GE(stats.log_segments, 4u);
    ASSERT_TRUE((*db)->Close().ok());
  }
  // Every segment is pre-written to the roll size (records past it would only extend it).
  auto children = env.GetChildren(kDir);
  ASSERT_TRUE(children.ok());
  int segments = 0;
  for (const std::string& name : *children) {
    if (ParseFileName(name).kind != FileKind::kLogSegment) continue;
    ++segments;
    auto bytes = env.GetFileSize(JoinPath(kDir, name));
    ASSERT_TRUE(bytes.ok());
    EXPECT_GE(*bytes, kSegmentBytes) << name;
  }
  EXPECT_GE(segments, 4);

  auto report = VerifyDataDir(&env, kDir);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->clean());

  auto db = Engine::Open(SpareOptions(&env));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int i = 0; i < written; ++i) {
    ASSERT_EQ((*db)->Get(StrCat("k", i)), std::string(40, 'v')) << "k" << i;
  }
  EXPECT_EQ((*db)->Stats().keys, static_cast<uint64_t>(written));
}

TEST(SpareSegmentTest, ASpareLeftByACrashIsNeverReadAndIsRemovedAtStartup) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDirIfMissing(kDir).ok());
  uint64_t last_seq = 0;
  {
    auto db = Engine::Open(SpareOptions(&env));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Set("kept", "1").ok());
    last_seq = (*db)->Stats().last_seq;
    ASSERT_TRUE((*db)->Close().ok());
  }
  // The worst spare a crash can leave: it got the next segment's header and even a record (a roll
  // writes records only after the rename, so this never happens, but it must not matter), and it
  // is synced.
  std::string bytes;
  log::EncodeSegmentHeader(last_seq + 1, &bytes, log::kPrewrittenLogFormatVersion);
  std::string record;
  log::EncodeRecord(last_seq + 1, Mutation{MutationType::kSet, "ghost", "never acknowledged"},
                    &record);
  log::EncodeWriteFrame(record, &bytes);
  bytes.resize(kSegmentBytes, '\0');
  ASSERT_TRUE(env.WriteWholeFile(SparePath(), bytes).ok());

  auto db = Engine::Open(SpareOptions(&env));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->Get("kept"), "1");
  EXPECT_EQ((*db)->Get("ghost"), std::nullopt);
  EXPECT_EQ((*db)->Stats().last_seq, last_seq);
  ASSERT_TRUE((*db)->Close().ok());
  // Startup removed it (the engine may have prepared a fresh one since), and a clean close
  // removes the spare it kept.
  EXPECT_FALSE(env.FileExists(SparePath()));
}

TEST(SpareSegmentTest, AFullDiskFailsTheSpareButNotTheEngine) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDirIfMissing(kDir).ok());
  // Every spare fails to be written; the log's own writes are untouched.
  for (uint64_t n = 1; n <= 1000; ++n) env.FailNthWrite(n, 28 /* ENOSPC */, "wal-spare");
  auto db = Engine::Open(SpareOptions(&env));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int i = 0;
  // Rolls keep happening (each writes its own segment) while preparations keep failing.
  while (((*db)->Stats().log_spare_failures < 2 || (*db)->Stats().log_segments < 4) && i < 20000 &&
         std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE((*db)->Set(StrCat("k", i), std::string(40, 'v')).ok()) << "write " << i;
    ++i;
  }
  EngineStats stats = (*db)->Stats();
  EXPECT_GE(stats.log_spare_failures, 2u);
  EXPECT_EQ(stats.log_spares_used, 0u);
  EXPECT_GE(stats.log_segments, 4u);
  EXPECT_EQ(stats.poisoned_reason, "");
  ASSERT_TRUE((*db)->Close().ok());
  auto reopened = Engine::Open(SpareOptions(&env));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Stats().keys, static_cast<uint64_t>(i));
}

TEST(SpareSegmentTest, ARestartIntoAnEmptyPrewrittenSegmentKeepsItsZeros) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDirIfMissing(kDir).ok());
  {
    auto db = Engine::Open(SpareOptions(&env));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Close().ok());  // segment 1 holds no record
  }
  auto db = Engine::Open(SpareOptions(&env));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Set("a", "1").ok());
  auto bytes = env.GetFileSize(JoinPath(kDir, LogFileName(1)));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, kSegmentBytes);  // overwritten in place, not appended after the zeros
  ASSERT_TRUE((*db)->Close().ok());
  auto reopened = Engine::Open(SpareOptions(&env));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Get("a"), "1");
}

}  // namespace
}  // namespace walkv
