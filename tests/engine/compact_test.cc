// Offline compaction: shrinks the directory, keeps the state, refuses while a server runs, and is
// crash-safe at every step.
#include "engine/compact.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/engine.h"
#include "engine/file_names.h"
#include "engine/str_cat.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";
using State = std::map<std::string, std::string>;

class CompactTest : public ::testing::Test {
 protected:
  EngineOptions Options() {
    EngineOptions o = testing::QuietEngineOptions(&env_, kDir);
    o.segment_bytes = 512;
    return o;
  }
  // Overwrites a few keys many times, with a snapshot in the middle: lots of obsolete log.
  State Populate() {
    auto db = Engine::Open(Options());
    EXPECT_TRUE(db.ok());
    for (int i = 0; i < 300; ++i) {
      EXPECT_TRUE((*db)->Set(StrCat("k", i % 7), StrCat("value-", i)).ok());
      if (i % 50 == 0) {
        EXPECT_TRUE((*db)->Append("log", std::to_string(i)).ok());
      }
      if (i == 150) {
        EXPECT_TRUE((*db)->Snapshot().ok());
      }
    }
    State state = Read(**db);
    EXPECT_TRUE((*db)->Close().ok());
    return state;
  }
  static State Read(Engine& db) {
    State s;
    for (const auto& k : db.Keys("*")) s[k] = db.Get(k).value();
    return s;
  }
  State Reopen() {
    auto db = Engine::Open(Options());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? Read(**db) : State{};
  }
  size_t CountFiles(FileKind kind) {
    size_t n = 0;
    for (const auto& name : env_.GetChildren(kDir).value()) n += ParseFileName(name).kind == kind;
    return n;
  }

  FaultInjectionEnv env_{9};
};

TEST_F(CompactTest, ShrinksTheDirectoryAndKeepsTheState) {
  State before = Populate();
  auto result = CompactDataDir(Options());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_LT(result->bytes_after, result->bytes_before);
  EXPECT_EQ(result->snapshot.keys, before.size());
  EXPECT_EQ(CountFiles(FileKind::kSnapshot), 1u);
  EXPECT_EQ(CountFiles(FileKind::kLogSegment), 1u);
  EXPECT_EQ(Reopen(), before);
}

TEST_F(CompactTest, RefusesWhileAServerHoldsTheDirectory) {
  Populate();
  auto db = Engine::Open(Options());
  ASSERT_TRUE(db.ok());
  auto result = CompactDataDir(Options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kBusy);
}

TEST_F(CompactTest, MissingDirectoryIsAnError) {
  EngineOptions o = Options();
  o.data_dir = "/missing";
  auto result = CompactDataDir(o);
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(env_.FileExists("/missing"));
}

// A mistyped --data-dir must not become a data directory: compact creates nothing in it.
TEST_F(CompactTest, RefusesADirectoryThatIsNotADataDirectory) {
  ASSERT_TRUE(env_.CreateDirIfMissing("/other").ok());
  ASSERT_TRUE(WriteFileAtomically(&env_, "/other", "notes.txt", "not walkv").ok());
  EngineOptions o = Options();
  o.data_dir = "/other";
  auto result = CompactDataDir(o);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(env_.GetChildren("/other").value(), std::vector<std::string>{"notes.txt"});
}

TEST_F(CompactTest, KilledAtEveryStepRecoversTheSameState) {
  State before = Populate();
  // Count the mutating operations of a full compaction on a copy of the same history.
  uint64_t ops;
  {
    FaultInjectionEnv probe(1);
    EngineOptions o = Options();
    o.env = &probe;
    env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);  // everything here is durable anyway
    for (const auto& name : env_.GetChildren(kDir).value()) {
      ASSERT_TRUE(probe.CreateDirIfMissing(kDir).ok());
      ASSERT_TRUE(probe.WriteWholeFile(JoinPath(kDir, name),
                                       env_.ReadWholeFile(JoinPath(kDir, name)).value()).ok());
    }
    uint64_t start = probe.mutating_ops();
    ASSERT_TRUE(CompactDataDir(o).ok());
    ops = probe.mutating_ops() - start;
  }
  ASSERT_GT(ops, 5u);
  std::map<std::string, std::string> files;
  for (const auto& name : env_.GetChildren(kDir).value()) {
    files[name] = env_.ReadWholeFile(JoinPath(kDir, name)).value();
  }
  for (LossModel model : {LossModel::kDropUnsynced, LossModel::kKeepRandomUnsynced}) {
    for (uint64_t c = 1; c <= ops + 1; ++c) {
      SCOPED_TRACE(StrCat("power cut at compaction op ", c));
      FaultInjectionEnv env(c);
      ASSERT_TRUE(env.CreateDirIfMissing(kDir).ok());
      for (const auto& [name, bytes] : files) {
        ASSERT_TRUE(env.WriteWholeFile(JoinPath(kDir, name), bytes).ok());
      }
      EngineOptions o = Options();
      o.env = &env;
      env.PowerOffAfterMutatingOps(c);
      CompactDataDir(o).status().IgnoreError();
      env.RestartAfterPowerLoss(model, c);
      auto db = Engine::Open(o);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      EXPECT_EQ(Read(**db), before);
    }
  }
}

}  // namespace
}  // namespace walkv
