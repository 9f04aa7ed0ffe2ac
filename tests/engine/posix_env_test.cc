// Specifies Env::Posix() against the real file system, each test in its own temporary directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "engine/env.h"
#include "tests/util/temp_dir.h"

namespace walkv {
namespace {

#define ASSERT_OK(expr)                                                  \
  do {                                                                   \
    ::walkv::Status assert_ok_status_ = (expr);                          \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_.ToString(); \
  } while (0)

class PosixEnvTest : public ::testing::Test {
 protected:
  // Writes `data` to `path` through the env, synced.
  void Write(const std::string& path, std::string_view data) {
    StatusOr<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(path);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_OK((*file)->Append(data));
    ASSERT_OK((*file)->Sync());
    ASSERT_OK((*file)->Close());
  }

  std::string Read(const std::string& path) {
    std::string out;
    Status s = ReadFileToString(env_, path, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // True if this process has a descriptor open on `path` without FD_CLOEXEC.
  static bool HasInheritableDescriptorFor(const std::string& path) {
    std::string target = std::filesystem::canonical(path).string();
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      std::filesystem::path link = std::filesystem::read_symlink(entry.path(), ec);
      if (ec || link.string() != target) continue;
      int fd = std::stoi(entry.path().filename().string());
      int flags = ::fcntl(fd, F_GETFD);
      if (flags >= 0 && (flags & FD_CLOEXEC) == 0) return true;
    }
    return false;
  }

  testing::TempDir dir_;
  Env* env_ = Env::Posix();
};

TEST_F(PosixEnvTest, AppendSyncAndReadBack) {
  StatusOr<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(dir_.Sub("a"));
  ASSERT_TRUE(file.ok());
  ASSERT_OK((*file)->Append("hello "));
  ASSERT_OK((*file)->Append(std::string("wor\0ld", 6)));
  EXPECT_EQ((*file)->Size(), 12u);
  ASSERT_OK((*file)->Sync());
  ASSERT_OK((*file)->Close());
  EXPECT_EQ(Read(dir_.Sub("a")), std::string("hello wor\0ld", 12));
  StatusOr<uint64_t> size = env_->GetFileSize(dir_.Sub("a"));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 12u);
}

TEST_F(PosixEnvTest, NewWritableFileTruncatesAnExistingFile) {
  Write(dir_.Sub("a"), "long old content");
  Write(dir_.Sub("a"), "new");
  EXPECT_EQ(Read(dir_.Sub("a")), "new");
}

TEST_F(PosixEnvTest, NewAppendableFileAppendsAtTheEnd) {
  Write(dir_.Sub("a"), "abc");
  StatusOr<std::unique_ptr<WritableFile>> file = env_->NewAppendableFile(dir_.Sub("a"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->Size(), 3u);
  ASSERT_OK((*file)->Append("def"));
  EXPECT_EQ((*file)->Size(), 6u);
  ASSERT_OK((*file)->Close());
  EXPECT_EQ(Read(dir_.Sub("a")), "abcdef");
}

TEST_F(PosixEnvTest, MissingFilesAreNotFoundAndNamed) {
  const std::string missing = dir_.Sub("missing");
  Status appendable = env_->NewAppendableFile(missing).status();
  EXPECT_TRUE(appendable.IsNotFound());
  EXPECT_NE(appendable.message().find(missing), std::string::npos) << appendable.ToString();
  EXPECT_TRUE(env_->NewSequentialFile(missing).status().IsNotFound());
  EXPECT_TRUE(env_->GetFileSize(missing).status().IsNotFound());
  Status unlink = env_->RemoveFile(missing);
  EXPECT_TRUE(unlink.IsNotFound());
  EXPECT_NE(unlink.message().find("unlink " + missing), std::string::npos) << unlink.ToString();
  Status rename = env_->RenameFile(missing, dir_.Sub("b"));
  EXPECT_TRUE(rename.IsNotFound());
  EXPECT_NE(rename.message().find("rename " + missing), std::string::npos) << rename.ToString();
  EXPECT_TRUE(env_->TruncateFile(missing, 0).IsNotFound());
  EXPECT_TRUE(env_->SyncDir(dir_.Sub("nodir")).IsNotFound());
  EXPECT_TRUE(env_->GetChildren(dir_.Sub("nodir")).status().IsNotFound());
  EXPECT_FALSE(env_->FileExists(missing));
}

TEST_F(PosixEnvTest, SequentialReadsInChunksAndShortReadMeansEnd) {
  Write(dir_.Sub("a"), "0123456789");
  StatusOr<std::unique_ptr<SequentialFile>> file = env_->NewSequentialFile(dir_.Sub("a"));
  ASSERT_TRUE(file.ok());
  std::string chunk;
  ASSERT_OK((*file)->Read(4, &chunk));
  EXPECT_EQ(chunk, "0123");
  ASSERT_OK((*file)->Read(4, &chunk));
  EXPECT_EQ(chunk, "4567");
  ASSERT_OK((*file)->Read(4, &chunk));
  EXPECT_EQ(chunk, "89");
  ASSERT_OK((*file)->Read(4, &chunk));
  EXPECT_EQ(chunk, "");
}

TEST_F(PosixEnvTest, ReadFileToStringReadsLargeFiles) {
  std::string big;
  for (int i = 0; i < 300000; ++i) big.push_back(static_cast<char>(i * 13));
  Write(dir_.Sub("big"), big);
  EXPECT_EQ(Read(dir_.Sub("big")), big);
}

TEST_F(PosixEnvTest, GetChildrenListsEntriesWithoutDots) {
  Write(dir_.Sub("a"), "");
  Write(dir_.Sub("b"), "");
  ASSERT_OK(env_->CreateDirIfMissing(dir_.Sub("sub")));
  StatusOr<std::vector<std::string>> children = env_->GetChildren(dir_.path());
  ASSERT_TRUE(children.ok());
  std::sort(children->begin(), children->end());
  EXPECT_EQ(*children, (std::vector<std::string>{"a", "b", "sub"}));
}

TEST_F(PosixEnvTest, RenameReplacesTheDestination) {
  Write(dir_.Sub("a"), "new");
  Write(dir_.Sub("b"), "old");
  ASSERT_OK(env_->RenameFile(dir_.Sub("a"), dir_.Sub("b")));
  ASSERT_OK(env_->SyncDir(dir_.path()));
  EXPECT_FALSE(env_->FileExists(dir_.Sub("a")));
  EXPECT_EQ(Read(dir_.Sub("b")), "new");
}

TEST_F(PosixEnvTest, RemoveFileDeletes) {
  Write(dir_.Sub("a"), "x");
  EXPECT_TRUE(env_->FileExists(dir_.Sub("a")));
  ASSERT_OK(env_->RemoveFile(dir_.Sub("a")));
  EXPECT_FALSE(env_->FileExists(dir_.Sub("a")));
}

TEST_F(PosixEnvTest, TruncateFileShrinks) {
  Write(dir_.Sub("a"), "0123456789");
  ASSERT_OK(env_->TruncateFile(dir_.Sub("a"), 4));
  EXPECT_EQ(Read(dir_.Sub("a")), "0123");
}

TEST_F(PosixEnvTest, CreateDirIfMissingCreatesAPrivateDirectoryOnce) {
  const std::string sub = dir_.Sub("data");
  ASSERT_OK(env_->CreateDirIfMissing(sub));
  struct stat st;
  ASSERT_EQ(::stat(sub.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  Write(sub + "/keep", "x");
  ASSERT_OK(env_->CreateDirIfMissing(sub));  // exists: fine, content untouched
  EXPECT_EQ(Read(sub + "/keep"), "x");
  Status missing_parent = env_->CreateDirIfMissing(dir_.Sub("no/such/parent"));
  EXPECT_TRUE(missing_parent.IsNotFound()) << missing_parent.ToString();
  EXPECT_NE(missing_parent.message().find("parent directory " + dir_.Sub("no/such")),
            std::string::npos)
      << missing_parent.ToString();
}

TEST_F(PosixEnvTest, CreateDirIfMissingOverAFileFails) {
  Write(dir_.Sub("file"), "x");
  Status s = env_->CreateDirIfMissing(dir_.Sub("file"));
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find(dir_.Sub("file")), std::string::npos) << s.ToString();
}

TEST_F(PosixEnvTest, EnospcMapsToNoSpace) {
  // /dev/full fails every write with ENOSPC.
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "/dev/full is not available";
  StatusOr<std::unique_ptr<WritableFile>> file = env_->NewAppendableFile("/dev/full");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Status s = (*file)->Append("data");
  EXPECT_EQ(s.code(), StatusCode::kNoSpace) << s.ToString();
  EXPECT_NE(s.message().find("write /dev/full"), std::string::npos) << s.ToString();
  // The file stays failed.
  EXPECT_EQ((*file)->Append("more").code(), StatusCode::kNoSpace);
  EXPECT_EQ((*file)->Sync().code(), StatusCode::kNoSpace);
}

TEST_F(PosixEnvTest, SecondLockOnSameDirIsBusy) {
  const std::string lock_path = dir_.Sub("LOCK");
  StatusOr<std::unique_ptr<FileLock>> first = env_->LockFile(lock_path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  StatusOr<std::unique_ptr<FileLock>> second = env_->LockFile(lock_path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  EXPECT_NE(second.status().message().find("data directory " + dir_.path() + " is locked"),
            std::string::npos)
      << second.status().ToString();
  first->reset();
  StatusOr<std::unique_ptr<FileLock>> third = env_->LockFile(lock_path);
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(PosixEnvTest, LockIsARealFlockThatOtherProcessesSee) {
  const std::string lock_path = dir_.Sub("LOCK");
  StatusOr<std::unique_ptr<FileLock>> lock = env_->LockFile(lock_path);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  // A separate open file description conflicts like another process would.
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_EQ(errno, EWOULDBLOCK);
  lock->reset();
  EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  ::close(fd);
}

// IsLocked is what `walkv verify` uses: it must see a lock held here or elsewhere, and leave the
// file exactly as it was (no pid written, no lock kept, nothing created).
TEST_F(PosixEnvTest, IsLockedSeesHeldLocksAndNeverWritesOrKeepsTheFile) {
  const std::string lock_path = dir_.Sub("LOCK");
  StatusOr<bool> missing = env_->IsLocked(lock_path);
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(*missing);
  EXPECT_FALSE(std::filesystem::exists(lock_path)) << "IsLocked created the file";

  {
    std::ofstream(lock_path) << "4242\n";
  }
  StatusOr<bool> free_lock = env_->IsLocked(lock_path);
  ASSERT_TRUE(free_lock.ok());
  EXPECT_FALSE(*free_lock);
  std::ifstream in(lock_path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "4242\n") << "IsLocked wrote to the lock file";
  // It kept no lock: a real lock can be taken right after.
  StatusOr<std::unique_ptr<FileLock>> lock = env_->LockFile(lock_path);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  StatusOr<bool> held_here = env_->IsLocked(lock_path);
  ASSERT_TRUE(held_here.ok());
  EXPECT_TRUE(*held_here);
  lock->reset();

  // Held through another open file description, as another process would.
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  StatusOr<bool> held_elsewhere = env_->IsLocked(lock_path);
  ASSERT_TRUE(held_elsewhere.ok());
  EXPECT_TRUE(*held_elsewhere);
  ::close(fd);
  StatusOr<bool> released = env_->IsLocked(lock_path);
  ASSERT_TRUE(released.ok());
  EXPECT_FALSE(*released);
}

TEST_F(PosixEnvTest, LockHeldByAnotherProcessIsBusyAndNamesItsPid) {
  const std::string lock_path = dir_.Sub("LOCK");
  // Play the other process: flock through a separate description and record a pid.
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  ASSERT_EQ(::write(fd, "4242\n", 5), 5);
  StatusOr<std::unique_ptr<FileLock>> lock = env_->LockFile(lock_path);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), StatusCode::kBusy);
  const std::string message = lock.status().message();
  EXPECT_NE(message.find("data directory " + dir_.path() + " is locked by another process"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("pid 4242"), std::string::npos) << message;
  ::close(fd);
  // Once the holder is gone the lock can be taken, and it records our pid.
  lock = env_->LockFile(lock_path);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  std::ifstream in(lock_path);
  std::string pid;
  in >> pid;
  EXPECT_EQ(pid, std::to_string(::getpid()));
}

TEST_F(PosixEnvTest, OpenFilesAreCloseOnExec) {
  const std::string path = dir_.Sub("a");
  StatusOr<std::unique_ptr<WritableFile>> writer = env_->NewWritableFile(path);
  ASSERT_TRUE(writer.ok());
  StatusOr<std::unique_ptr<SequentialFile>> reader = env_->NewSequentialFile(path);
  ASSERT_TRUE(reader.ok());
  StatusOr<std::unique_ptr<FileLock>> lock = env_->LockFile(dir_.Sub("LOCK"));
  ASSERT_TRUE(lock.ok());
  EXPECT_FALSE(HasInheritableDescriptorFor(path));
  EXPECT_FALSE(HasInheritableDescriptorFor(dir_.Sub("LOCK")));
  // The check itself can fail: an inheritable descriptor is seen.
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(HasInheritableDescriptorFor(path));
  ::close(fd);
}

TEST_F(PosixEnvTest, ClosedFileRefusesAppend) {
  StatusOr<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(dir_.Sub("a"));
  ASSERT_TRUE(file.ok());
  ASSERT_OK((*file)->Close());
  ASSERT_OK((*file)->Close());  // idempotent
  EXPECT_EQ((*file)->Append("x").code(), StatusCode::kIOError);
}

TEST_F(PosixEnvTest, WriteFileAtomicallyReplacesContentAndLeavesNoTemp) {
  ASSERT_OK(WriteFileAtomically(env_, dir_.path(), "CURRENT", "one"));
  ASSERT_OK(WriteFileAtomically(env_, dir_.path(), "CURRENT", "two"));
  EXPECT_EQ(Read(dir_.Sub("CURRENT")), "two");
  StatusOr<std::vector<std::string>> children = env_->GetChildren(dir_.path());
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(*children, std::vector<std::string>{"CURRENT"});
}

TEST_F(PosixEnvTest, WriteFileAtomicallyIntoMissingDirFails) {
  Status s = WriteFileAtomically(env_, dir_.Sub("nodir"), "CURRENT", "x");
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
}

TEST_F(PosixEnvTest, ClocksAreMicrosecondsAndMonotonicNeverGoesBack) {
  uint64_t wall = env_->NowMicros();
  uint64_t expected = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_LT(expected > wall ? expected - wall : wall - expected, 60u * 1000 * 1000);
  uint64_t previous = env_->MonotonicMicros();
  for (int i = 0; i < 1000; ++i) {
    uint64_t now = env_->MonotonicMicros();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

}  // namespace
}  // namespace walkv
