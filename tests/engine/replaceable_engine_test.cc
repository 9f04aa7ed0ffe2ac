// ReplaceableEngine (engine/replaceable_engine.h): Reopen() replaces the engine under callers
// that keep using the wrapper: state survives a plain reopen, a committed snapshot install is
// what the reopened engine holds, a commit listener moves to the new engine (and is gone once
// removed), and a failed open leaves the closed engine answering reads.
#include "engine/replaceable_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "engine/file_names.h"
#include "engine/snapshot_install.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";

std::unique_ptr<ReplaceableEngine> OpenReplaceable(FaultInjectionEnv* env) {
  auto db = Engine::Open(testing::QuietEngineOptions(env, kDir));
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return nullptr;
  return std::make_unique<ReplaceableEngine>(std::move(*db));
}

TEST(ReplaceableEngineTest, ReopenKeepsTheStateAndMovesCommitListeners) {
  FaultInjectionEnv env;
  auto db = OpenReplaceable(&env);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Set("a", "1").ok());
  std::atomic<uint64_t> seen_last{0};
  const uint64_t id = db->AddCommitListener(
      [&](uint64_t, uint64_t last, std::string_view) { seen_last.store(last); });
  ASSERT_TRUE(db->Reopen().ok());
  EXPECT_EQ(db->reopens(), 1u);
  EXPECT_EQ(db->Get("a"), "1");
  ASSERT_TRUE(db->Set("b", "2").ok());  // committed by the new engine
  EXPECT_EQ(seen_last.load(), 2u);
  db->RemoveCommitListener(id);
  ASSERT_TRUE(db->Set("c", "3").ok());
  EXPECT_EQ(seen_last.load(), 2u);
  EXPECT_EQ(db->Stats().last_seq, 3u);
  ASSERT_TRUE(db->Close().ok());
}

TEST(ReplaceableEngineTest, AReopenAfterACommittedInstallHoldsTheInstalledState) {
  FaultInjectionEnv env;
  auto db = OpenReplaceable(&env);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Set("mine", "x").ok());
  ASSERT_TRUE(install::CommitInstall(&env, kDir, 0, std::nullopt).ok());  // the empty state
  EXPECT_EQ(db->Get("mine"), "x");  // still the old engine until the reopen
  ASSERT_TRUE(db->Reopen().ok());
  EXPECT_FALSE(db->Get("mine").has_value());
  EXPECT_EQ(db->Stats().last_seq, 0u);
  EXPECT_TRUE(env.FileExists(JoinPath(kDir, DroppedFileName(LogFileName(1)))));
  ASSERT_TRUE(db->Close().ok());
}

TEST(ReplaceableEngineTest, AFailedOpenLeavesTheClosedEngineServingReads) {
  FaultInjectionEnv env;
  auto db = OpenReplaceable(&env);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Set("a", "1").ok());
  ASSERT_TRUE(env.WriteWholeFile(JoinPath(kDir, install::InstallFileName()), "damaged").ok());
  Status reopened = db->Reopen();
  EXPECT_TRUE(reopened.IsCorruption()) << reopened.ToString();
  EXPECT_EQ(db->Get("a"), "1");
  EXPECT_FALSE(db->Set("b", "2").ok());  // closed
  ASSERT_TRUE(env.RemoveFile(JoinPath(kDir, install::InstallFileName())).ok());
  ASSERT_TRUE(db->Reopen().ok());  // a retry opens it
  ASSERT_TRUE(db->Set("b", "2").ok());
  ASSERT_TRUE(db->Close().ok());
}

}  // namespace
}  // namespace walkv
