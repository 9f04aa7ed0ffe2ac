// Snapshot install (engine/snapshot_install.h; docs/replication.md §4): a replica's directory with
// its own (diverged) history gets a primary's snapshot installed. The power is cut at every
// mutating file operation of the install in turn, under both loss models; the directory must then
// open as exactly the old state (before INSTALL was durable) or exactly the new one (the primary's
// snapshot, its digest, records continuing at S+1), the replica's own files are kept as *.dropped,
// and a second install after the crash works. Also: the INSTALL file's format, the empty-state
// install (S = 0), a damaged INSTALL refusing to start, and what `verify` says while an install
// is pending.
#include "engine/snapshot_install.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <string>

#include "engine/engine.h"
#include "engine/file_names.h"
#include "engine/verify.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kPrimaryDir[] = "/primary";
constexpr char kReplicaDir[] = "/replica";
constexpr uint64_t kSnapshotSeq = 20;

using State = std::map<std::string, std::string>;

State StateOf(Engine& db) {
  State out;
  for (const auto& k : db.Keys("*")) out[k] = db.Get(k).value_or("<missing>");
  return out;
}

struct Opened {
  State state;
  HistoryDigest digest;
};

EngineOptions Options(FaultInjectionEnv* env, const std::string& dir) {
  EngineOptions o = testing::QuietEngineOptions(env, dir);
  o.segment_bytes = 300;  // several segments, so there is something to move aside
  return o;
}

StatusOr<Opened> OpenAndRead(FaultInjectionEnv* env) {
  auto db = Engine::Open(Options(env, kReplicaDir));
  if (!db.ok()) return db.status();
  Opened out{StateOf(**db), (*db)->Stats().digest};
  WALKV_RETURN_IF_ERROR((*db)->Close());
  return out;
}

// Writes `count` sets of "<prefix>i" into an engine on `dir`, snapshotting after `snapshot_at`.
void WriteHistory(FaultInjectionEnv* env, const std::string& dir, const std::string& prefix,
                  int count, int snapshot_at) {
  auto db = Engine::Open(Options(env, dir));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int i = 1; i <= count; ++i) {
    ASSERT_TRUE((*db)->Set(prefix + std::to_string(i % 7), prefix + "v" + std::to_string(i)).ok());
    if (i == snapshot_at) {
      ASSERT_TRUE((*db)->Snapshot().ok());
    }
  }
  ASSERT_TRUE((*db)->Close().ok());
}

// A primary with a snapshot at kSnapshotSeq (its state and digest there are the "new" state), a
// replica with another history (a snapshot at the same seq, so the names collide, and records
// past it: the "old" state), and the primary's snapshot received into the replica's directory.
struct Scenario {
  FaultInjectionEnv env;
  Opened old_state;
  Opened new_state;
};

void BuildScenario(Scenario* s) {
  WriteHistory(&s->env, kPrimaryDir, "p", static_cast<int>(kSnapshotSeq),
               static_cast<int>(kSnapshotSeq));
  {
    auto primary = Engine::Open(Options(&s->env, kPrimaryDir));
    ASSERT_TRUE(primary.ok());
    s->new_state = {StateOf(**primary), (*primary)->Stats().digest};
    ASSERT_TRUE((*primary)->Close().ok());
  }
  WriteHistory(&s->env, kReplicaDir, "r", 35, static_cast<int>(kSnapshotSeq));
  auto old_state = OpenAndRead(&s->env);
  ASSERT_TRUE(old_state.ok());
  s->old_state = *old_state;
  auto bytes = s->env.ReadWholeFile(JoinPath(kPrimaryDir, SnapshotFileName(kSnapshotSeq)));
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(s->env
                  .WriteWholeFile(JoinPath(kReplicaDir,
                                           install::ReceivedSnapshotFileName(kSnapshotSeq)),
                                  *bytes)
                  .ok());
}

// What the follower does once the snapshot is received: commit, then finish.
Status Install(Env* env, uint64_t seq, std::optional<HistoryDigest> digest) {
  WALKV_RETURN_IF_ERROR(install::CommitInstall(env, kReplicaDir, seq, digest));
  return install::FinishPendingInstall(env, kReplicaDir).status();
}

int CountDropped(FaultInjectionEnv* env, std::string_view prefix) {
  auto children = env->GetChildren(kReplicaDir);
  int n = 0;
  for (const std::string& name : *children) {
    if (name.starts_with(prefix) && name.find(".dropped") != std::string::npos) ++n;
  }
  return n;
}

TEST(InstallFileTest, RoundTripsAndRefusesDamage) {
  std::string bytes;
  install::EncodeInstall(1234, &bytes);
  ASSERT_EQ(bytes.size(), install::kInstallFileSize);
  EXPECT_EQ(bytes.substr(0, 8), "WALKVINS");
  EXPECT_EQ(install::ParseInstall(bytes).snapshot_seq, 1234u);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    EXPECT_FALSE(install::ParseInstall(flipped).snapshot_seq.has_value()) << "byte " << i;
  }
  EXPECT_FALSE(install::ParseInstall(bytes.substr(0, 23)).snapshot_seq.has_value());
  EXPECT_FALSE(install::ParseInstall(bytes + "x").snapshot_seq.has_value());
}

TEST(SnapshotInstallTest, InstallsThePrimarysSnapshotAndKeepsTheOldFilesAside) {
  Scenario s;
  ASSERT_NO_FATAL_FAILURE(BuildScenario(&s));
  ASSERT_NE(s.old_state.state, s.new_state.state);
  ASSERT_TRUE(Install(&s.env, kSnapshotSeq, s.new_state.digest).ok());
  auto opened = OpenAndRead(&s.env);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->state, s.new_state.state);
  EXPECT_EQ(opened->digest.seq, kSnapshotSeq);
  EXPECT_EQ(opened->digest.value, s.new_state.digest.value);
  EXPECT_GE(CountDropped(&s.env, "wal-"), 2);
  EXPECT_EQ(CountDropped(&s.env, "snap-"), 1);  // the replica's own snap-20
  EXPECT_FALSE(s.env.FileExists(JoinPath(kReplicaDir, install::InstallFileName())));

  // The installed directory is an ordinary one: it takes records from S+1 and reopens.
  {
    auto db = Engine::Open(Options(&s.env, kReplicaDir));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Set("after", "install").ok());
    EXPECT_EQ((*db)->Stats().last_seq, kSnapshotSeq + 1);
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto report = VerifyDataDir(&s.env, kReplicaDir);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->clean());
  EXPECT_EQ(report->last_seq, kSnapshotSeq + 1);
}

TEST(SnapshotInstallTest, RefusesAReceivedSnapshotWithAnotherDigest) {
  Scenario s;
  ASSERT_NO_FATAL_FAILURE(BuildScenario(&s));
  HistoryDigest wrong = s.new_state.digest;
  wrong.value ^= 1;
  Status committed = install::CommitInstall(&s.env, kReplicaDir, kSnapshotSeq, wrong);
  EXPECT_TRUE(committed.IsCorruption()) << committed.ToString();
  EXPECT_FALSE(s.env.FileExists(JoinPath(kReplicaDir, install::InstallFileName())));
  auto opened = OpenAndRead(&s.env);  // nothing was committed: the old state
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->state, s.old_state.state);
}

TEST(SnapshotInstallTest, VerifyReportsAPendingInstallAndServeFinishesIt) {
  Scenario s;
  ASSERT_NO_FATAL_FAILURE(BuildScenario(&s));
  ASSERT_TRUE(install::CommitInstall(&s.env, kReplicaDir, kSnapshotSeq, s.new_state.digest).ok());
  auto report = VerifyDataDir(&s.env, kReplicaDir);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->clean());
  EXPECT_EQ(report->last_seq, kSnapshotSeq);
  ASSERT_TRUE(report->digest.has_value());
  EXPECT_EQ(report->digest->value, s.new_state.digest.value);
  EXPECT_EQ(report->keys, s.new_state.state.size());
  bool noted = false;
  for (const std::string& note : report->notes) noted |= note.starts_with("INSTALL: ");
  EXPECT_TRUE(noted);
  // verify changed nothing; serve (Engine::Open) finishes the install.
  EXPECT_TRUE(s.env.FileExists(JoinPath(kReplicaDir, install::InstallFileName())));
  auto opened = OpenAndRead(&s.env);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->state, s.new_state.state);
  EXPECT_FALSE(s.env.FileExists(JoinPath(kReplicaDir, install::InstallFileName())));
}

TEST(SnapshotInstallTest, ADamagedInstallFileRefusesToStart) {
  Scenario s;
  ASSERT_NO_FATAL_FAILURE(BuildScenario(&s));
  ASSERT_TRUE(install::CommitInstall(&s.env, kReplicaDir, kSnapshotSeq, s.new_state.digest).ok());
  ASSERT_TRUE(s.env.CorruptByte(JoinPath(kReplicaDir, install::InstallFileName()), 13, 0x40).ok());
  auto db = Engine::Open(Options(&s.env, kReplicaDir));
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsCorruption()) << db.status().ToString();
  auto report = VerifyDataDir(&s.env, kReplicaDir);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->clean());
}

TEST(SnapshotInstallTest, TheEmptyStateInstallDropsTheWholeHistory) {
  Scenario s;
  ASSERT_NO_FATAL_FAILURE(BuildScenario(&s));
  ASSERT_TRUE(Install(&s.env, 0, std::nullopt).ok());
  auto opened = OpenAndRead(&s.env);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->state.empty());
  EXPECT_EQ(opened->digest.seq, 0u);
  EXPECT_EQ(opened->digest.value, 0u);
  EXPECT_EQ(CountDropped(&s.env, "snap-"), 1);
  EXPECT_GE(CountDropped(&s.env, "wal-"), 2);
}

// The crash matrix: every mutating operation of CommitInstall + FinishPendingInstall in turn.
// Returns how many cuts came back as the old state and as the new one.
std::pair<int, int> CrashAtEveryOp(LossModel model, uint64_t install_seq) {
  int olds = 0;
  int news = 0;
  for (uint64_t n = 1;; ++n) {
    SCOPED_TRACE("power cut at mutating op " + std::to_string(n));
    Scenario s;
    BuildScenario(&s);
    if (::testing::Test::HasFatalFailure()) return {olds, news};
    const Opened expected_new =
        install_seq == 0 ? Opened{State{}, HistoryDigest{}} : s.new_state;
    const std::optional<HistoryDigest> digest =
        install_seq == 0 ? std::nullopt : std::optional<HistoryDigest>(s.new_state.digest);
    s.env.PowerOffAfterMutatingOps(n);
    Status installed = Install(&s.env, install_seq, digest);
    const bool cut = s.env.powered_off();
    s.env.RestartAfterPowerLoss(model, n);
    auto opened = OpenAndRead(&s.env);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return {olds, news};
    const bool is_old = opened->state == s.old_state.state &&
                        opened->digest.value == s.old_state.digest.value &&
                        opened->digest.seq == s.old_state.digest.seq;
    const bool is_new = opened->state == expected_new.state &&
                        opened->digest.value == expected_new.digest.value &&
                        opened->digest.seq == install_seq;
    EXPECT_TRUE(is_old || is_new) << "a state that is neither the old nor the installed one";
    if (!is_old && !is_new) return {olds, news};
    if (!cut) {
      EXPECT_TRUE(installed.ok()) << installed.ToString();
      EXPECT_TRUE(is_new);
      return {olds, news};  // the install ran to its end without reaching op n: all were cut
    }
    ++(is_new ? news : olds);
    if (is_new) {
      // Nothing of the replica's own history was lost: its segments and snapshot are aside.
      EXPECT_GE(CountDropped(&s.env, "wal-"), 2);
      EXPECT_EQ(CountDropped(&s.env, "snap-"), 1);
      continue;
    }
    // The old state: the received file is gone with the restart's recovery; receive it again
    // and install again, without a crash.
    auto bytes = s.env.ReadWholeFile(JoinPath(kPrimaryDir, SnapshotFileName(kSnapshotSeq)));
    EXPECT_TRUE(bytes.ok());
    EXPECT_TRUE(s.env
                    .WriteWholeFile(JoinPath(kReplicaDir,
                                             install::ReceivedSnapshotFileName(kSnapshotSeq)),
                                    *bytes)
                    .ok());
    EXPECT_TRUE(Install(&s.env, install_seq, digest).ok());
    auto again = OpenAndRead(&s.env);
    EXPECT_TRUE(again.ok());
    if (!again.ok()) return {olds, news};
    EXPECT_EQ(again->state, expected_new.state);
    EXPECT_EQ(again->digest.value, expected_new.digest.value);
  }
}

// Both outcomes occur: cuts before the commit point come back old, cuts after it new.
TEST(SnapshotInstallPowerLossTest, EveryOpDropUnsynced) {
  auto [olds, news] = CrashAtEveryOp(LossModel::kDropUnsynced, kSnapshotSeq);
  EXPECT_GT(olds, 0);
  EXPECT_GT(news, 5);
}

TEST(SnapshotInstallPowerLossTest, EveryOpKeepRandomUnsynced) {
  auto [olds, news] = CrashAtEveryOp(LossModel::kKeepRandomUnsynced, kSnapshotSeq);
  EXPECT_GT(olds, 0);
  EXPECT_GT(news, 5);
}

TEST(SnapshotInstallPowerLossTest, EmptyStateInstallEveryOp) {
  auto [olds, news] = CrashAtEveryOp(LossModel::kKeepRandomUnsynced, 0);
  EXPECT_GT(olds, 0);
  EXPECT_GT(news, 5);
}

}  // namespace
}  // namespace walkv
