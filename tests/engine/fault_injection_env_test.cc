// Specifies FaultInjectionEnv: the in-memory disk that the engine's crash tests rely on. If it
// kept bytes a real disk could lose, those tests would prove nothing.
#include "tests/util/fault_injection_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/env.h"

namespace walkv {
namespace {

#define ASSERT_OK(expr)                                                  \
  do {                                                                   \
    ::walkv::Status assert_ok_status_ = (expr);                          \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_.ToString(); \
  } while (0)

constexpr char kDir[] = "/db";

// Both spellings of a loss model compile.
static_assert(FaultInjectionEnv::kDropUnsynced == LossModel::kDropUnsynced);
static_assert(FaultInjectionEnv::LossModel::kKeepRandomUnsynced == LossModel::kKeepRandomUnsynced);

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(env_.CreateDirIfMissing(kDir)); }

  std::unique_ptr<WritableFile> Create(const std::string& path) {
    StatusOr<std::unique_ptr<WritableFile>> file = env_.NewWritableFile(path);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? std::move(file).value() : nullptr;
  }

  // Creates `path` with `data`, syncs it and its directory: durable.
  void CreateDurable(const std::string& path, std::string_view data) {
    std::unique_ptr<WritableFile> file = Create(path);
    ASSERT_NE(file, nullptr);
    ASSERT_OK(file->Append(data));
    ASSERT_OK(file->Sync());
    ASSERT_OK(file->Close());
    ASSERT_OK(env_.SyncDir(kDir));
  }

  // The file's content, or "<missing>".
  std::string Contents(const std::string& path) {
    StatusOr<std::string> data = env_.ReadWholeFile(path);
    if (!data.ok()) {
      EXPECT_TRUE(data.status().IsNotFound()) << data.status().ToString();
      return "<missing>";
    }
    return *data;
  }

  FaultInjectionEnv env_;
};

TEST_F(FaultInjectionEnvTest, AppendedBytesAreReadableBeforeSync) {
  std::unique_ptr<WritableFile> file = Create("/db/a");
  ASSERT_OK(file->Append("hello "));
  ASSERT_OK(file->Append("world"));
  EXPECT_EQ(file->Size(), 11u);
  std::string read;
  ASSERT_OK(ReadFileToString(&env_, "/db/a", &read));
  EXPECT_EQ(read, "hello world");
  StatusOr<uint64_t> size = env_.GetFileSize("/db/a");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 11u);
}

TEST_F(FaultInjectionEnvTest, UnsyncedAppendIsLostOnPowerOff) {
  CreateDurable("/db/a", "");
  StatusOr<std::unique_ptr<WritableFile>> file = env_.NewAppendableFile("/db/a");
  ASSERT_TRUE(file.ok());
  ASSERT_OK((*file)->Append("not synced"));
  env_.PowerOff();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "");
}

TEST_F(FaultInjectionEnvTest, SyncedAppendSurvivesPowerOff) {
  std::unique_ptr<WritableFile> file = Create("/db/a");
  ASSERT_OK(env_.SyncDir(kDir));
  ASSERT_OK(file->Append("synced"));
  ASSERT_OK(file->Sync());
  ASSERT_OK(file->Append(" lost"));
  env_.PowerOff();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "synced");
}

TEST_F(FaultInjectionEnvTest, CreatedFileWithoutDirSyncDisappears) {
  std::unique_ptr<WritableFile> file = Create("/db/a");
  ASSERT_OK(file->Append("data"));
  ASSERT_OK(file->Sync());  // the bytes are durable, the name is not
  env_.PowerOff();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_FALSE(env_.FileExists("/db/a"));
  StatusOr<std::vector<std::string>> children = env_.GetChildren(kDir);
  ASSERT_TRUE(children.ok());
  EXPECT_TRUE(children->empty());
}

TEST_F(FaultInjectionEnvTest, CreatedFileWithDirSyncSurvives) {
  CreateDurable("/db/a", "data");
  env_.PowerOff();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "data");
}

TEST_F(FaultInjectionEnvTest, RenameWithoutDirSyncIsRevertedOnPowerOff) {
  CreateDurable("/db/a", "old a");
  CreateDurable("/db/b", "old b");
  ASSERT_OK(env_.RenameFile("/db/a", "/db/b"));
  EXPECT_EQ(Contents("/db/b"), "old a");
  EXPECT_FALSE(env_.FileExists("/db/a"));
  env_.PowerOff();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "old a");
  EXPECT_EQ(Contents("/db/b"), "old b");
}

TEST_F(FaultInjectionEnvTest, RenameAfterDirSyncSurvives) {
  CreateDurable("/db/a", "new");
  CreateDurable("/db/b", "old");
  ASSERT_OK(env_.RenameFile("/db/a", "/db/b"));
  ASSERT_OK(env_.SyncDir(kDir));
  env_.PowerOff();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "<missing>");
  EXPECT_EQ(Contents("/db/b"), "new");
}

TEST_F(FaultInjectionEnvTest, RemoveWithoutDirSyncIsRevertedOnPowerOff) {
  CreateDurable("/db/a", "data");
  ASSERT_OK(env_.RemoveFile("/db/a"));
  EXPECT_FALSE(env_.FileExists("/db/a"));
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "data");

  ASSERT_OK(env_.RemoveFile("/db/a"));
  ASSERT_OK(env_.SyncDir(kDir));
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "<missing>");
}

TEST_F(FaultInjectionEnvTest, NewWritableFileTruncationIsRevertedUntilSynced) {
  CreateDurable("/db/a", "durable");
  std::unique_ptr<WritableFile> file = Create("/db/a");
  EXPECT_EQ(Contents("/db/a"), "");
  ASSERT_OK(file->Append("new"));
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "durable");

  file = Create("/db/a");
  ASSERT_OK(file->Append("new"));
  ASSERT_OK(file->Sync());
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "new");
}

TEST_F(FaultInjectionEnvTest, TruncateFileIsDurableAtOnce) {
  CreateDurable("/db/a", "0123456789");
  ASSERT_OK(env_.TruncateFile("/db/a", 4));
  EXPECT_EQ(Contents("/db/a"), "0123");
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "0123");
}

TEST_F(FaultInjectionEnvTest, EveryOperationFailsAfterPowerOff) {
  CreateDurable("/db/a", "data");
  std::unique_ptr<WritableFile> writer = Create("/db/b");
  StatusOr<std::unique_ptr<SequentialFile>> reader = env_.NewSequentialFile("/db/a");
  ASSERT_TRUE(reader.ok());
  env_.PowerOff();
  EXPECT_TRUE(env_.powered_off());

  Status append = writer->Append("x");
  EXPECT_EQ(append.code(), StatusCode::kIOError);
  EXPECT_NE(append.message().find("powered off"), std::string::npos) << append.ToString();
  EXPECT_EQ(writer->Sync().code(), StatusCode::kIOError);
  std::string out;
  EXPECT_EQ((*reader)->Read(10, &out).code(), StatusCode::kIOError);
  EXPECT_EQ(env_.NewWritableFile("/db/c").status().code(), StatusCode::kIOError);
  EXPECT_EQ(env_.NewSequentialFile("/db/a").status().code(), StatusCode::kIOError);
  EXPECT_EQ(env_.NewAppendableFile("/db/a").status().code(), StatusCode::kIOError);
  EXPECT_EQ(env_.GetChildren(kDir).status().code(), StatusCode::kIOError);
  EXPECT_EQ(env_.GetFileSize("/db/a").status().code(), StatusCode::kIOError);
  EXPECT_EQ(env_.RenameFile("/db/a", "/db/c").code(), StatusCode::kIOError);
  EXPECT_EQ(env_.RemoveFile("/db/a").code(), StatusCode::kIOError);
  EXPECT_EQ(env_.TruncateFile("/db/a", 0).code(), StatusCode::kIOError);
  EXPECT_EQ(env_.SyncDir(kDir).code(), StatusCode::kIOError);
  EXPECT_EQ(env_.CreateDirIfMissing("/other").code(), StatusCode::kIOError);
  EXPECT_EQ(env_.LockFile("/db/LOCK").status().code(), StatusCode::kIOError);
  EXPECT_FALSE(env_.FileExists("/db/a"));

  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_FALSE(env_.powered_off());
  EXPECT_EQ(Contents("/db/a"), "data");
}

TEST_F(FaultInjectionEnvTest, HandlesFromBeforeRestartKeepFailing) {
  CreateDurable("/db/a", "data");
  StatusOr<std::unique_ptr<WritableFile>> old_writer = env_.NewAppendableFile("/db/a");
  ASSERT_TRUE(old_writer.ok());
  StatusOr<std::unique_ptr<SequentialFile>> old_reader = env_.NewSequentialFile("/db/a");
  ASSERT_TRUE(old_reader.ok());
  env_.PowerOff();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);

  EXPECT_EQ((*old_writer)->Append("garbage").code(), StatusCode::kIOError);
  EXPECT_EQ((*old_writer)->Sync().code(), StatusCode::kIOError);
  std::string out;
  EXPECT_EQ((*old_reader)->Read(10, &out).code(), StatusCode::kIOError);
  EXPECT_EQ(Contents("/db/a"), "data");
  // New handles work.
  StatusOr<std::unique_ptr<WritableFile>> writer = env_.NewAppendableFile("/db/a");
  ASSERT_TRUE(writer.ok());
  ASSERT_OK((*writer)->Append("+more"));
  EXPECT_EQ(Contents("/db/a"), "data+more");
}

TEST_F(FaultInjectionEnvTest, RestartWithoutPowerOffIsAnInstantCut) {
  CreateDurable("/db/a", "synced");
  StatusOr<std::unique_ptr<WritableFile>> file = env_.NewAppendableFile("/db/a");
  ASSERT_TRUE(file.ok());
  ASSERT_OK((*file)->Append(" unsynced"));
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "synced");
}

TEST_F(FaultInjectionEnvTest, PowerOffAfterMutatingOpsCutsAtTheNthOp) {
  std::unique_ptr<WritableFile> file = Create("/db/a");
  const uint64_t before = env_.mutating_ops();
  env_.PowerOffAfterMutatingOps(3);
  ASSERT_OK(file->Append("one"));                              // 1
  ASSERT_OK(file->Sync());                                     // 2
  EXPECT_EQ(env_.SyncDir(kDir).code(), StatusCode::kIOError);  // 3: the cut
  EXPECT_TRUE(env_.powered_off());
  EXPECT_EQ(env_.mutating_ops() - before, 3u);
  EXPECT_EQ(file->Append("two").code(), StatusCode::kIOError);
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  // The SyncDir did not happen, so the new file's name was never durable.
  EXPECT_FALSE(env_.FileExists("/db/a"));
}

TEST_F(FaultInjectionEnvTest, MutatingOpsCountsEveryKindOfMutation) {
  const uint64_t before = env_.mutating_ops();
  std::unique_ptr<WritableFile> file = Create("/db/a");  // 1
  ASSERT_OK(file->Append("x"));                          // 2
  ASSERT_OK(file->Sync());                               // 3
  ASSERT_OK(file->Close());
  ASSERT_OK(env_.SyncDir(kDir));                 // 4
  ASSERT_OK(env_.RenameFile("/db/a", "/db/b"));  // 5
  ASSERT_OK(env_.TruncateFile("/db/b", 0));      // 6
  ASSERT_OK(env_.RemoveFile("/db/b"));           // 7
  std::string ignored;
  EXPECT_FALSE(ReadFileToString(&env_, "/db/b", &ignored).ok());
  EXPECT_EQ(env_.mutating_ops() - before, 7u);
}

TEST_F(FaultInjectionEnvTest, PowerCutDuringAppendWritesARandomPrefix) {
  const std::string data = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::set<size_t> lengths;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    FaultInjectionEnv env(seed);
    ASSERT_OK(env.CreateDirIfMissing(kDir));
    StatusOr<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/db/a");
    ASSERT_TRUE(file.ok());
    env.PowerOffAfterMutatingOps(1);
    EXPECT_EQ((*file)->Append(data).code(), StatusCode::kIOError);
    StatusOr<std::string> written = env.ReadWholeFile("/db/a");
    ASSERT_TRUE(written.ok());
    ASSERT_TRUE(data.starts_with(*written)) << *written;
    lengths.insert(written->size());
  }
  EXPECT_GT(lengths.size(), 5u) << "the torn length should vary with the seed";
}

TEST_F(FaultInjectionEnvTest, TornWriteKeepsOnlyPrefix) {
  std::unique_ptr<WritableFile> file = Create("/db/wal-1.log");
  ASSERT_OK(env_.SyncDir(kDir));
  ASSERT_OK(file->Append("first"));
  env_.TearNthWrite(1, 3, "wal-");
  Status s = file->Append("second");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_TRUE(env_.powered_off());
  EXPECT_EQ(Contents("/db/wal-1.log"), "firstsec");
  for (uint64_t seed = 0; seed < 20; ++seed) {
    FaultInjectionEnv env;
    ASSERT_OK(env.CreateDirIfMissing(kDir));
    ASSERT_OK(env.WriteWholeFile("/db/wal-1.log", "first"));
    StatusOr<std::unique_ptr<WritableFile>> f = env.NewAppendableFile("/db/wal-1.log");
    ASSERT_TRUE(f.ok());
    env.TearNthWrite(1, 3);
    EXPECT_FALSE((*f)->Append("second").ok());
    env.RestartAfterPowerLoss(LossModel::kKeepRandomUnsynced, seed);
    StatusOr<std::string> after = env.ReadWholeFile("/db/wal-1.log");
    ASSERT_TRUE(after.ok());
    EXPECT_TRUE(after->starts_with("first")) << *after;
    EXPECT_TRUE(std::string("firstsec").starts_with(*after)) << *after;
  }
}

TEST_F(FaultInjectionEnvTest, FailNthWriteReturnsIOErrorAfterWritingAPrefix) {
  std::unique_ptr<WritableFile> file = Create("/db/a");
  env_.FailNthWrite(2, EIO, "", 2);
  ASSERT_OK(file->Append("ok"));
  Status s = file->Append("fails");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("/db/a"), std::string::npos) << s.ToString();
  EXPECT_EQ(Contents("/db/a"), "okfa");
  EXPECT_EQ(file->Size(), 4u);
  EXPECT_FALSE(env_.powered_off());
  // The file stays failed; other files keep working.
  EXPECT_EQ(file->Append("again").code(), StatusCode::kIOError);
  EXPECT_EQ(file->Sync().code(), StatusCode::kIOError);
  std::unique_ptr<WritableFile> other = Create("/db/b");
  ASSERT_OK(other->Append("fine"));
  ASSERT_OK(other->Sync());
}

TEST_F(FaultInjectionEnvTest, FailNthWriteOnlyCountsMatchingPaths) {
  std::unique_ptr<WritableFile> log = Create("/db/wal-1.log");
  std::unique_ptr<WritableFile> snap = Create("/db/snap-1.snap");
  env_.FailNthWrite(2, EIO, "wal-");
  ASSERT_OK(log->Append("1"));
  ASSERT_OK(snap->Append("a"));
  ASSERT_OK(snap->Append("b"));
  EXPECT_EQ(log->Append("2").code(), StatusCode::kIOError);
  ASSERT_OK(snap->Append("c"));
}

TEST_F(FaultInjectionEnvTest, FailNthSyncReturnsIOError) {
  std::unique_ptr<WritableFile> file = Create("/db/a");
  ASSERT_OK(env_.SyncDir(kDir));
  ASSERT_OK(file->Append("durable"));
  ASSERT_OK(file->Sync());
  env_.FailNthSync(1, EIO);
  ASSERT_OK(file->Append(" lost"));
  Status s = file->Sync();
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("fdatasync /db/a"), std::string::npos) << s.ToString();
  // A retry must not pretend the bytes became durable.
  EXPECT_EQ(file->Sync().code(), StatusCode::kIOError);
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "durable");
}

TEST_F(FaultInjectionEnvTest, EnospcMapsToNoSpace) {
  std::unique_ptr<WritableFile> a = Create("/db/a");
  std::unique_ptr<WritableFile> b = Create("/db/b");
  env_.FailNthWrite(1, ENOSPC, "/db/a");
  env_.FailNthSync(1, ENOSPC, "/db/b");
  EXPECT_EQ(a->Append("x").code(), StatusCode::kNoSpace);
  ASSERT_OK(b->Append("x"));
  EXPECT_EQ(b->Sync().code(), StatusCode::kNoSpace);
}

TEST_F(FaultInjectionEnvTest, DiskCapacityGivesNoSpace) {
  CreateDurable("/db/a", "1234");
  env_.SetDiskCapacity(10);
  std::unique_ptr<WritableFile> file = Create("/db/b");
  ASSERT_OK(file->Append("abc"));
  Status s = file->Append("defgh");
  EXPECT_EQ(s.code(), StatusCode::kNoSpace) << s.ToString();
  EXPECT_TRUE(s.IsStorageFailure());
  EXPECT_EQ(Contents("/db/b"), "abcdef");  // 4 + 6 == capacity
  // Freeing space lets a new file grow again.
  ASSERT_OK(env_.RemoveFile("/db/a"));
  std::unique_ptr<WritableFile> c = Create("/db/c");
  ASSERT_OK(c->Append("1234"));
  EXPECT_EQ(c->Append("5").code(), StatusCode::kNoSpace);
  env_.SetDiskCapacity(std::nullopt);
  std::unique_ptr<WritableFile> d = Create("/db/d");
  ASSERT_OK(d->Append(std::string(1000, 'x')));
}

TEST_F(FaultInjectionEnvTest, KeepRandomUnsyncedKeepsPrefixOnly) {
  const std::string synced = "synced|";
  const std::string unsynced = "0123456789abcdefghij";
  std::set<size_t> kept_lengths;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    FaultInjectionEnv env;
    ASSERT_OK(env.CreateDirIfMissing(kDir));
    ASSERT_OK(env.WriteWholeFile("/db/a", ""));
    StatusOr<std::unique_ptr<WritableFile>> file = env.NewAppendableFile("/db/a");
    ASSERT_TRUE(file.ok());
    ASSERT_OK((*file)->Append(synced));
    ASSERT_OK((*file)->Sync());
    ASSERT_OK((*file)->Append(unsynced));
    env.PowerOff();
    env.RestartAfterPowerLoss(LossModel::kKeepRandomUnsynced, seed);
    StatusOr<std::string> after = env.ReadWholeFile("/db/a");
    ASSERT_TRUE(after.ok());
    ASSERT_TRUE(after->starts_with(synced)) << *after;
    ASSERT_TRUE((synced + unsynced).starts_with(*after)) << *after;
    kept_lengths.insert(after->size() - synced.size());
  }
  EXPECT_GT(kept_lengths.size(), 5u);
}

TEST_F(FaultInjectionEnvTest, KeepRandomUnsyncedKeepsDirectoryOpsInOrder) {
  std::set<int> counts;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    FaultInjectionEnv env;
    ASSERT_OK(env.CreateDirIfMissing(kDir));
    for (int i = 0; i < 5; ++i) {
      StatusOr<std::unique_ptr<WritableFile>> file =
          env.NewWritableFile("/db/f" + std::to_string(i));
      ASSERT_TRUE(file.ok());
    }
    env.RestartAfterPowerLoss(LossModel::kKeepRandomUnsynced, seed);
    int present = 0;
    while (present < 5 && env.FileExists("/db/f" + std::to_string(present))) ++present;
    for (int i = present; i < 5; ++i) {
      EXPECT_FALSE(env.FileExists("/db/f" + std::to_string(i))) << "hole before f" << i;
    }
    counts.insert(present);
  }
  EXPECT_GT(counts.size(), 3u);
}

TEST_F(FaultInjectionEnvTest, RestartIsDeterministicForASeed) {
  auto run = [](uint64_t seed) {
    FaultInjectionEnv env;
    EXPECT_TRUE(env.CreateDirIfMissing(kDir).ok());
    StatusOr<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/db/a");
    EXPECT_TRUE(file.ok());
    EXPECT_TRUE(env.SyncDir(kDir).ok());
    EXPECT_TRUE((*file)->Append(std::string(1000, 'x')).ok());
    env.RestartAfterPowerLoss(LossModel::kKeepRandomUnsynced, seed);
    return env.ReadWholeFile("/db/a").value();
  };
  EXPECT_EQ(run(7), run(7));
  std::set<size_t> sizes;
  for (uint64_t seed = 0; seed < 10; ++seed) sizes.insert(run(seed).size());
  EXPECT_GT(sizes.size(), 1u);
}

TEST_F(FaultInjectionEnvTest, SecondLockOnSameDirIsBusy) {
  StatusOr<std::unique_ptr<FileLock>> first = env_.LockFile("/db/LOCK");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  StatusOr<std::unique_ptr<FileLock>> second = env_.LockFile("/db/LOCK");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  EXPECT_NE(second.status().message().find("/db"), std::string::npos);
  EXPECT_TRUE(env_.FileExists("/db/LOCK"));
  first->reset();
  StatusOr<std::unique_ptr<FileLock>> third = env_.LockFile("/db/LOCK");
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(FaultInjectionEnvTest, RestartReleasesLocksOfTheCrashedProcess) {
  StatusOr<std::unique_ptr<FileLock>> crashed = env_.LockFile("/db/LOCK");
  ASSERT_TRUE(crashed.ok());
  env_.PowerOff();
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  StatusOr<std::unique_ptr<FileLock>> restarted = env_.LockFile("/db/LOCK");
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  crashed->reset();  // the stale lock going away must not release the new one
  EXPECT_EQ(env_.LockFile("/db/LOCK").status().code(), StatusCode::kBusy);
}

TEST_F(FaultInjectionEnvTest, WriteFileAtomicallyIsAllOrNothingUnderPowerLoss) {
  const std::string old_content = "old content";
  const std::string new_content(3000, 'n');
  auto prepare = [&](FaultInjectionEnv& env) {
    ASSERT_OK(env.CreateDirIfMissing(kDir));
    ASSERT_OK(WriteFileAtomically(&env, kDir, "CURRENT", old_content));
  };

  // Count the mutating operations of one WriteFileAtomically.
  uint64_t ops = 0;
  {
    FaultInjectionEnv env;
    prepare(env);
    uint64_t before = env.mutating_ops();
    ASSERT_OK(WriteFileAtomically(&env, kDir, "CURRENT", new_content));
    ops = env.mutating_ops() - before;
    ASSERT_GE(ops, 5u);  // create, append, sync, rename, sync dir
  }

  int saw_old = 0;
  int saw_new = 0;
  for (uint64_t cut = 1; cut <= ops + 1; ++cut) {
    for (LossModel model : {LossModel::kDropUnsynced, LossModel::kKeepRandomUnsynced}) {
      for (uint64_t seed = 0; seed < 8; ++seed) {
        SCOPED_TRACE("cut at op " + std::to_string(cut) + ", seed " + std::to_string(seed));
        FaultInjectionEnv env(seed);
        prepare(env);
        env.PowerOffAfterMutatingOps(cut);
        Status s = WriteFileAtomically(&env, kDir, "CURRENT", new_content);
        EXPECT_EQ(s.ok(), cut > ops);
        env.RestartAfterPowerLoss(model, seed);
        std::string after;
        ASSERT_OK(ReadFileToString(&env, "/db/CURRENT", &after));
        if (s.ok()) {
          EXPECT_EQ(after, new_content);
        }
        if (after == old_content) {
          ++saw_old;
        } else if (after == new_content) {
          ++saw_new;
        } else {
          ADD_FAILURE() << "torn content of " << after.size() << " bytes";
        }
      }
    }
  }
  EXPECT_GT(saw_old, 0);
  EXPECT_GT(saw_new, 0);
}

TEST_F(FaultInjectionEnvTest, WriteFileAtomicallyReportsFailureAndLeavesOldContent) {
  ASSERT_OK(WriteFileAtomically(&env_, kDir, "CURRENT", "old"));
  env_.FailNthSync(1, EIO);
  Status s = WriteFileAtomically(&env_, kDir, "CURRENT", "new");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(Contents("/db/CURRENT"), "old");
  EXPECT_FALSE(env_.FileExists("/db/CURRENT.tmp"));
}

TEST_F(FaultInjectionEnvTest, ReadFileToStringReadsLargeFiles) {
  std::string big;
  for (int i = 0; i < 200000; ++i) big.push_back(static_cast<char>(i * 7));
  ASSERT_OK(env_.WriteWholeFile("/db/big", big));
  std::string read;
  ASSERT_OK(ReadFileToString(&env_, "/db/big", &read));
  EXPECT_EQ(read, big);
  EXPECT_TRUE(ReadFileToString(&env_, "/db/missing", &read).IsNotFound());
}

TEST_F(FaultInjectionEnvTest, GetChildrenListsFilesAndSubdirectories) {
  CreateDurable("/db/a", "");
  CreateDurable("/db/b", "");
  ASSERT_OK(env_.CreateDirIfMissing("/db/sub"));
  ASSERT_OK(env_.CreateDirIfMissing("/db/sub/"));  // idempotent
  StatusOr<std::vector<std::string>> children = env_.GetChildren("/db");
  ASSERT_TRUE(children.ok());
  std::sort(children->begin(), children->end());
  EXPECT_EQ(*children, (std::vector<std::string>{"a", "b", "sub"}));
  EXPECT_TRUE(env_.GetChildren("/nope").status().IsNotFound());
}

TEST_F(FaultInjectionEnvTest, FilesNeedAnExistingDirectory) {
  EXPECT_TRUE(env_.NewWritableFile("/nope/a").status().IsNotFound());
  EXPECT_TRUE(env_.CreateDirIfMissing("/nope/deeper").IsNotFound());
  EXPECT_TRUE(env_.NewSequentialFile("/db/missing").status().IsNotFound());
  EXPECT_TRUE(env_.NewAppendableFile("/db/missing").status().IsNotFound());
  EXPECT_TRUE(env_.RemoveFile("/db/missing").IsNotFound());
  EXPECT_TRUE(env_.RenameFile("/db/missing", "/db/x").IsNotFound());
  EXPECT_TRUE(env_.GetFileSize("/db/missing").status().IsNotFound());
  EXPECT_TRUE(env_.LockFile("/nope/LOCK").status().IsNotFound());
}

TEST_F(FaultInjectionEnvTest, RenameAcrossDirectoriesIsRefused) {
  ASSERT_OK(env_.CreateDirIfMissing("/other"));
  CreateDurable("/db/a", "x");
  Status s = env_.RenameFile("/db/a", "/other/a");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_TRUE(env_.FileExists("/db/a"));
}

TEST_F(FaultInjectionEnvTest, RemovedFileStaysWritableThroughOpenHandle) {
  std::unique_ptr<WritableFile> file = Create("/db/a");
  ASSERT_OK(env_.RemoveFile("/db/a"));
  ASSERT_OK(file->Append("orphan"));
  ASSERT_OK(file->Sync());
  EXPECT_FALSE(env_.FileExists("/db/a"));
}

TEST_F(FaultInjectionEnvTest, TestHelpersAreDurable) {
  ASSERT_OK(env_.WriteWholeFile("/db/a", "abcdef"));
  ASSERT_OK(env_.CorruptByte("/db/a", 1, 0x01));
  ASSERT_OK(env_.WriteWholeFile("/db/b", "0123456789"));
  ASSERT_OK(env_.TruncateForTest("/db/b", 3));
  env_.RestartAfterPowerLoss(LossModel::kDropUnsynced);
  EXPECT_EQ(Contents("/db/a"), "accdef");
  EXPECT_EQ(Contents("/db/b"), "012");
  EXPECT_EQ(env_.CorruptByte("/db/a", 6, 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(env_.TruncateForTest("/db/b", 4).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(env_.CorruptByte("/db/missing", 0, 1).IsNotFound());
}

TEST_F(FaultInjectionEnvTest, SyncCountersCountSuccessfulSyncsOnly) {
  std::unique_ptr<WritableFile> file = Create("/db/a");
  ASSERT_OK(file->Sync());
  ASSERT_OK(env_.SyncDir(kDir));
  env_.FailNthSync(1, EIO);
  EXPECT_FALSE(file->Sync().ok());
  EXPECT_EQ(env_.file_syncs(), 1u);
  EXPECT_EQ(env_.dir_syncs(), 1u);
}

TEST_F(FaultInjectionEnvTest, ManualClockMovesOnlyWhenAdvanced) {
  env_.SetManualClock(1000);
  EXPECT_EQ(env_.NowMicros(), 1000u);
  EXPECT_EQ(env_.MonotonicMicros(), 1000u);
  env_.AdvanceClock(500);
  EXPECT_EQ(env_.NowMicros(), 1500u);
  EXPECT_EQ(env_.MonotonicMicros(), 1500u);
}

TEST_F(FaultInjectionEnvTest, ConcurrentWritersDoNotLoseBytes) {
  constexpr int kThreads = 4;
  constexpr int kAppends = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      StatusOr<std::unique_ptr<WritableFile>> file =
          env_.NewWritableFile("/db/f" + std::to_string(t));
      ASSERT_TRUE(file.ok());
      for (int i = 0; i < kAppends; ++i) {
        ASSERT_TRUE((*file)->Append("ab").ok());
        if (i % 10 == 0) {
          ASSERT_TRUE((*file)->Sync().ok());
        }
        ASSERT_TRUE(env_.SyncDir(kDir).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(Contents("/db/f" + std::to_string(t)).size(), 2u * kAppends);
  }
}

}  // namespace
}  // namespace walkv
