// The snapshot a primary sends with a SNAPSHOT answer (engine/replication_snapshot_source.h): the
// newest intact one, verified, its footer digest the engine's at its seq, and still readable byte
// for byte after snapshot cleanup removed the file; the digest lookup for the handshake.
#include "engine/replication_snapshot_source.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/engine.h"
#include "engine/file_names.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv::replication {
namespace {

constexpr char kDir[] = "/db";

TEST(ReplicationSnapshotSourceTest, TheNewestSnapshotSurvivesItsRemovalWhileOpen) {
  FaultInjectionEnv env(3);
  EngineOptions o = testing::QuietEngineOptions(&env, kDir);
  o.replication_backlog_bytes = 0;
  auto db = Engine::Open(o);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(OpenNewestSnapshot(&env, kDir).status().code(), StatusCode::kNotFound);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE((*db)->Set("k" + std::to_string(i), "v").ok());
  ASSERT_TRUE((*db)->Snapshot().ok());
  const HistoryDigest at_50 = (*db)->Stats().digest;
  ASSERT_TRUE((*db)->Set("later", "x").ok());
  auto snapshot = OpenNewestSnapshot(&env, kDir);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ((*snapshot)->seq(), 50u);
  EXPECT_EQ((*snapshot)->digest(), at_50);
  const std::string original = env.ReadWholeFile(JoinPath(kDir, SnapshotFileName(50))).value();
  EXPECT_EQ((*snapshot)->bytes(), original.size());

  // A newer snapshot and compaction remove snap-50 while it is open.
  ASSERT_TRUE((*db)->SnapshotKeeping(1).ok());
  ASSERT_FALSE(env.FileExists(JoinPath(kDir, SnapshotFileName(50))));
  std::string sent;
  std::string chunk;
  do {
    ASSERT_TRUE((*snapshot)->Read(64, &chunk).ok());
    sent += chunk;
  } while (!chunk.empty());
  EXPECT_EQ(sent, original);

  // The handshake's anchor: the newest snapshot at or below a seq.
  auto at = NewestSnapshotDigestAtOrBelow(&env, kDir, 51);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, (*db)->Stats().digest);
  EXPECT_EQ(NewestSnapshotDigestAtOrBelow(&env, kDir, 50).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace walkv::replication
