// Recovery from a snapshot whose later block fails to inflate on a helper thread (the parallel
// load pass, engine/snapshot_block_pipeline.h): the blocks already applied are discarded, never
// served. Tolerating modes fall back to the older snapshot and the log and serve exactly the
// state written; absolute refuses, naming the damaged file — as for any damaged snapshot.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>

#include "engine/engine.h"
#include "engine/file_names.h"
#include "engine/snapshot_format.h"
#include "engine/str_cat.h"
#include "tests/engine/snapshot_edit.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";

std::string Path(const std::string& name) { return JoinPath(kDir, name); }

std::map<std::string, std::string> State(Engine& db) {
  std::map<std::string, std::string> out;
  for (const auto& k : db.Keys("*")) out[k] = db.Get(k).value_or("<missing>");
  return out;
}

TEST(SnapshotLoadRecoveryTest, InflateFailureInALaterBlockFallsBackWithNothingHalfApplied) {
  FaultInjectionEnv env(11);
  const EngineOptions options = testing::QuietEngineOptions(&env, kDir);
  std::mt19937_64 rng(7);
  auto random_value = [&] {
    std::string v(1000, '\0');
    for (char& c : v) c = static_cast<char>(rng());  // incompressible: ~4 entries per KiB of file
    return v;
  };
  std::map<std::string, std::string> expected;
  uint64_t older_seq = 0;
  std::string newest;
  {
    StatusOr<std::unique_ptr<Engine>> db = Engine::Open(options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE((*db)->Set(StrCat("k", i), random_value()).ok());
    StatusOr<SnapshotInfo> older = (*db)->Snapshot();
    ASSERT_TRUE(older.ok());
    older_seq = older->seq;
    // Overwrite half, delete some, add more: the newest snapshot differs from the older one.
    for (int i = 0; i < 3000; i += 2) ASSERT_TRUE((*db)->Set(StrCat("k", i), random_value()).ok());
    for (int i = 1; i < 2000; i += 7) ASSERT_TRUE((*db)->Delete(StrCat("k", i)).ok());
    StatusOr<SnapshotInfo> snap = (*db)->Snapshot();
    ASSERT_TRUE(snap.ok());
    newest = snap->file;
    ASSERT_TRUE((*db)->Set("after", "the newest snapshot").ok());
    expected = State(**db);
    ASSERT_TRUE((*db)->Close().ok());
  }

  StatusOr<std::string> bytes = env.ReadWholeFile(Path(newest));
  ASSERT_TRUE(bytes.ok());
  const std::vector<uint64_t> offsets = snapshot::BlockOffsets(*bytes);
  ASSERT_GE(offsets.size(), 6u);
  // A late block's zlib header says compression method 0; every hash is fixed up, so only
  // inflating (on a helper, while the blocks before it are applied) finds it.
  (*bytes)[offsets[offsets.size() - 2] + snapshot::kBlockHeaderSize] = 0;
  snapshot::RehashEverything(&*bytes);
  ASSERT_TRUE(env.WriteWholeFile(Path(newest), *bytes).ok());

  {
    StatusOr<std::unique_ptr<Engine>> refused =
        Engine::Open(testing::QuietEngineOptions(&env, kDir, RecoveryMode::kAbsolute));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
    EXPECT_NE(refused.status().message().find(newest), std::string::npos)
        << refused.status().message();
  }
  StatusOr<std::unique_ptr<Engine>> db = Engine::Open(options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->recovery_summary().snapshot_seq, older_seq);
  EXPECT_EQ(State(**db), expected);
}

}  // namespace
}  // namespace walkv
