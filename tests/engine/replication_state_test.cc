// The REPLICATION file (docs/format.md §11) and the engine's replica -> primary switch
// (Engine::Promote, docs/replication.md §7): the exact bytes, every kind of damage reported
// (never read as another epoch), a power cut at every file operation of a write or a promote
// leaving the old or the new epoch, and the engine's contract: no write before the new epoch is
// durable, promote twice answers already_primary with the same epoch, epochs survive a restart.
#include "engine/replication_state.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/engine.h"
#include "engine/file_names.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";

std::string Encoded(const ReplicationState& state) {
  std::string bytes;
  EncodeReplicationState(state, &bytes);
  return bytes;
}

TEST(ReplicationStateTest, EncodesTheDocumentedBytes) {
  const ReplicationState state{0x0102030405060708ull, ReplicationRole::kReplica, "h:7"};
  const std::string bytes = Encoded(state);
  ASSERT_EQ(bytes.size(), kReplicationStateFixedBytes + 3);
  EXPECT_EQ(bytes.substr(0, 8), "WALKVREP");
  EXPECT_EQ(bytes.substr(8, 4), std::string("\x01\x00\x00\x00", 4));
  EXPECT_EQ(bytes.substr(12, 8), "\x08\x07\x06\x05\x04\x03\x02\x01");
  EXPECT_EQ(bytes[20], 1);                              // role replica
  EXPECT_EQ(bytes.substr(21, 2), std::string("\x03\x00", 2));  // primary_len
  EXPECT_EQ(bytes.substr(23, 3), "h:7");
  const ReplicationStateCheck check = ParseReplicationState(bytes);
  EXPECT_TRUE(check.present);
  ASSERT_TRUE(check.state.has_value()) << check.problem;
  EXPECT_EQ(*check.state, state);
  const ReplicationStateCheck primary = ParseReplicationState(Encoded({9, {}, ""}));
  ASSERT_TRUE(primary.state.has_value()) << primary.problem;
  EXPECT_EQ(primary.state->epoch, 9u);
  EXPECT_EQ(primary.state->role, ReplicationRole::kPrimary);
}

TEST(ReplicationStateTest, EveryFlippedBitIsDamageNeverAnotherEpoch) {
  const std::string good = Encoded({12345, ReplicationRole::kReplica, "10.0.0.1:7379"});
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    const ReplicationStateCheck check = ParseReplicationState(bad);
    EXPECT_TRUE(check.present);
    EXPECT_FALSE(check.state.has_value()) << "bit " << bit;
    EXPECT_FALSE(check.problem.empty()) << "bit " << bit;
  }
}

TEST(ReplicationStateTest, TruncationVersionAndTrailingBytesAreNamed) {
  const std::string good = Encoded({7, ReplicationRole::kReplica, "a:1"});
  for (size_t size = 0; size < good.size(); ++size) {
    const ReplicationStateCheck check = ParseReplicationState(good.substr(0, size));
    EXPECT_FALSE(check.state.has_value()) << size;
    EXPECT_NE(check.problem.find("truncated"), std::string::npos) << check.problem;
  }
  const ReplicationStateCheck longer = ParseReplicationState(good + "x");
  EXPECT_FALSE(longer.state.has_value());
  EXPECT_EQ(longer.damage_offset, good.size());
  std::string v2 = good;
  v2[8] = 2;
  const ReplicationStateCheck version = ParseReplicationState(v2);
  EXPECT_EQ(version.damage_offset, 8u);
  EXPECT_NE(version.problem.find("version 2"), std::string::npos) << version.problem;
}

TEST(ReplicationStateTest, AbsentIsEpochZeroAndDamagedIsACorruptionNamingTheFile) {
  FaultInjectionEnv env(1);
  ASSERT_TRUE(env.CreateDirIfMissing(kDir).ok());
  auto absent = LoadReplicationState(&env, kDir);
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_EQ(*absent, ReplicationState{});

  ASSERT_TRUE(WriteReplicationState(&env, kDir, {4, ReplicationRole::kPrimary, ""}).ok());
  EXPECT_FALSE(env.FileExists(JoinPath(kDir, TempFileName(ReplicationStateFileName()))));
  auto loaded = LoadReplicationState(&env, kDir);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->epoch, 4u);

  ASSERT_TRUE(env.CorruptByte(JoinPath(kDir, ReplicationStateFileName()), 13, 0x40).ok());
  auto damaged = LoadReplicationState(&env, kDir);
  ASSERT_FALSE(damaged.ok());
  EXPECT_TRUE(damaged.status().IsCorruption());
  EXPECT_NE(damaged.status().message().find("/db/REPLICATION is damaged at byte 0: checksum "
                                            "mismatch"),
            std::string::npos)
      << damaged.status().message();
}

// A power cut at every mutating operation of a write, under both loss models: the file then
// holds the old state or the new one, never garbage and never nothing.
TEST(ReplicationStateTest, PowerLossAtEveryOperationOfAWriteLeavesTheOldOrTheNewState) {
  const ReplicationState old_state{3, ReplicationRole::kReplica, "old:1"};
  const ReplicationState new_state{4, ReplicationRole::kPrimary, ""};
  for (LossModel model : {LossModel::kDropUnsynced, LossModel::kKeepRandomUnsynced}) {
    int saw_old = 0, saw_new = 0;
    for (uint64_t n = 1;; ++n) {
      FaultInjectionEnv env(n);
      ASSERT_TRUE(env.CreateDirIfMissing(kDir).ok());
      ASSERT_TRUE(WriteReplicationState(&env, kDir, old_state).ok());
      env.PowerOffAfterMutatingOps(n);
      const bool written = WriteReplicationState(&env, kDir, new_state).ok();
      const bool cut = env.powered_off();
      env.RestartAfterPowerLoss(model, n);
      auto loaded = LoadReplicationState(&env, kDir);
      ASSERT_TRUE(loaded.ok()) << "op " << n << ": " << loaded.status().ToString();
      if (written) {
        EXPECT_EQ(*loaded, new_state) << "op " << n << ": a write that returned OK is durable";
      } else {
        EXPECT_TRUE(*loaded == old_state || *loaded == new_state) << "op " << n;
      }
      (*loaded == old_state ? saw_old : saw_new)++;
      if (!cut) break;  // the write finished before the planned cut: every op was covered
    }
    EXPECT_GT(saw_old, 0);
    EXPECT_GT(saw_new, 0);
  }
}

class PromoteTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> OpenEngine(bool replica) {
    EngineOptions options = testing::QuietEngineOptions(&env_, kDir);
    options.replica = replica;
    auto engine = Engine::Open(options);
    EXPECT_TRUE(engine.ok()) << engine.status().ToString();
    return engine.ok() ? std::move(engine).value() : nullptr;
  }
  FaultInjectionEnv env_{7};
};

TEST_F(PromoteTest, AReplicaTurnsWritableAtTheNextEpochOnceAndKeepsItAcrossARestart) {
  auto engine = OpenEngine(/*replica=*/true);
  ASSERT_NE(engine, nullptr);
  EXPECT_TRUE(engine->IsReplica());
  EXPECT_EQ(engine->replication_state().epoch, 0u);
  EXPECT_FALSE(engine->Set("k", "v").ok()) << "a replica takes no write";
  ASSERT_TRUE(engine->ObservePrimary("p:1", 4).ok());
  ASSERT_TRUE(engine->ObservePrimary("p:1", 2).ok());  // never lowers the epoch
  EXPECT_EQ(engine->replication_state(), (ReplicationState{4, ReplicationRole::kReplica, "p:1"}));

  auto promoted = engine->Promote();
  ASSERT_TRUE(promoted.ok()) << promoted.status().ToString();
  EXPECT_FALSE(promoted->already_primary);
  EXPECT_EQ(promoted->epoch, 5u);
  EXPECT_EQ(promoted->last_seq, 0u);
  EXPECT_FALSE(engine->IsReplica());
  ASSERT_TRUE(engine->Set("k", "v").ok());
  EXPECT_EQ(engine->Get("k"), "v");

  auto again = engine->Promote();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_primary);
  EXPECT_EQ(again->epoch, 5u);
  EXPECT_EQ(again->last_seq, 1u);
  ASSERT_TRUE(engine->ObservePrimary("p:1", 9).ok());  // a primary ignores it
  EXPECT_EQ(engine->replication_state().epoch, 5u);
  ASSERT_TRUE(engine->Close().ok());

  engine = OpenEngine(/*replica=*/false);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->replication_state(), (ReplicationState{5, ReplicationRole::kPrimary, ""}));
  EXPECT_EQ(engine->Get("k"), "v");
  ASSERT_TRUE(engine->Close().ok());

  // Restarted as a replica it keeps its epoch until a primary tells it a higher one.
  engine = OpenEngine(/*replica=*/true);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->replication_state().epoch, 5u);
  EXPECT_TRUE(engine->IsReplica());
  ASSERT_TRUE(engine->Close().ok());
}

TEST_F(PromoteTest, APrimaryAnswersAlreadyPrimaryAndAFormerReplicaOpenedAsPrimaryKeepsItsEpoch) {
  ASSERT_TRUE(env_.CreateDirIfMissing(kDir).ok());
  ASSERT_TRUE(WriteReplicationState(&env_, kDir, {3, ReplicationRole::kReplica, "p:1"}).ok());
  auto engine = OpenEngine(/*replica=*/false);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->replication_state(), (ReplicationState{3, ReplicationRole::kPrimary, ""}));
  auto promoted = engine->Promote();
  ASSERT_TRUE(promoted.ok());
  EXPECT_TRUE(promoted->already_primary);
  EXPECT_EQ(promoted->epoch, 3u);
  ASSERT_TRUE(engine->Close().ok());
  auto after = engine->Promote();
  EXPECT_EQ(after.status().code(), StatusCode::kShuttingDown);
}

TEST_F(PromoteTest, ADamagedReplicationFileKeepsTheEngineFromOpening) {
  ASSERT_TRUE(env_.CreateDirIfMissing(kDir).ok());
  ASSERT_TRUE(env_.WriteWholeFile(JoinPath(kDir, ReplicationStateFileName()), "WALKVREP?").ok());
  EngineOptions options = testing::QuietEngineOptions(&env_, kDir);
  auto engine = Engine::Open(options);
  ASSERT_FALSE(engine.ok());
  EXPECT_TRUE(engine.status().IsCorruption()) << engine.status().ToString();
  EXPECT_NE(engine.status().message().find("REPLICATION is damaged"), std::string::npos);
}

// A power cut at every file operation of Promote: after the restart the directory is at the old
// epoch (and the promote did not answer OK) or at the new one; a promote that answered OK is
// always at the new one.
TEST(PromotePowerLossTest, EveryOperationLeavesTheOldOrTheNewEpochAndAnOkIsDurable) {
  int saw_old = 0, saw_new = 0;
  for (uint64_t n = 1;; ++n) {
    FaultInjectionEnv env(n);
    EngineOptions options = testing::QuietEngineOptions(&env, kDir);
    options.replica = true;
    {
      auto engine = Engine::Open(options);
      ASSERT_TRUE(engine.ok()) << engine.status().ToString();
      ASSERT_TRUE((*engine)->ObservePrimary("p:1", 2).ok());
      env.PowerOffAfterMutatingOps(n);
      auto promoted = (*engine)->Promote();
      const bool cut = env.powered_off();
      if (promoted.ok()) {
        EXPECT_EQ(promoted->epoch, 3u);
      } else {
        EXPECT_TRUE((*engine)->IsReplica()) << "a failed promote leaves a replica";
        EXPECT_FALSE((*engine)->Set("k", "v").ok());
      }
      (*engine)->Close().IgnoreError();
      env.RestartAfterPowerLoss(LossModel::kKeepRandomUnsynced, n);
      auto state = LoadReplicationState(&env, kDir);
      ASSERT_TRUE(state.ok()) << "op " << n << ": " << state.status().ToString();
      if (promoted.ok()) {
        EXPECT_EQ(state->epoch, 3u) << "op " << n;
      } else {
        EXPECT_TRUE(state->epoch == 2u || state->epoch == 3u) << "op " << n;
      }
      (state->epoch == 2u ? saw_old : saw_new)++;
      if (!cut) break;
    }
  }
  EXPECT_GT(saw_old, 0);
  EXPECT_GT(saw_new, 0);
}

}  // namespace
}  // namespace walkv
