// PosixEnv: Env::Posix(), the production Env on Linux.
//
// Every failing system call is reported through Status::FromErrno with a context naming the
// operation and the path ("fdatasync /d/wal-…log"), so ENOSPC/EDQUOT become kNoSpace and ENOENT
// becomes kNotFound. Every descriptor is opened O_CLOEXEC. Writes retry short writes and EINTR.
//
// A PosixWritableFile whose Append or Sync failed is broken for good: every later Append and
// Sync returns the first error. After a failed fdatasync Linux may have dropped the dirty pages
// and a second fdatasync would "succeed" without writing them, so a retry must never look like
// success.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "engine/env.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

Status ErrnoStatus(std::string_view op, const std::string& path, int err) {
  std::string context(op);
  context += ' ';
  context += path;
  return Status::FromErrno(context, err);
}

// Writes all of `data` to `fd`, retrying short writes and EINTR. `*written` counts the bytes that
// reached the file, also on failure.
Status WriteAll(int fd, const std::string& path, std::string_view data, uint64_t* written) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    if (n == 0) return Status::IOError("write " + path + ": wrote 0 bytes");
    *written += static_cast<uint64_t>(n);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// The directory part of `path` ("." when there is none, "/" for a top-level entry).
std::string DirName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    if (!broken_.ok()) return broken_;
    if (fd_ < 0) return Status::IOError("append " + path_ + ": file is closed");
    Status s = WriteAll(fd_, path_, data, &size_);
    if (!s.ok()) broken_ = s;
    return s;
  }

  Status Sync() override {
    if (!broken_.ok()) return broken_;
    if (fd_ < 0) return Status::IOError("fdatasync " + path_ + ": file is closed");
    if (::fdatasync(fd_) != 0) {
      broken_ = ErrnoStatus("fdatasync", path_, errno);
      return broken_;
    }
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    int rc = ::close(fd_);
    fd_ = -1;
    // close() may report a delayed write error; the descriptor is gone either way.
    if (rc != 0 && errno != EINTR) return ErrnoStatus("close", path_, errno);
    return Status::Ok();
  }

  uint64_t Size() const override { return size_; }

 private:
  int fd_;
  const std::string path_;
  uint64_t size_;
  Status broken_;  // the first failure of Append or Sync; sticky
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Status Read(size_t n, std::string* out) override {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::read(fd_, out->data() + got, n - got);
      if (r < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        out->clear();
        return ErrnoStatus("read", path_, err);
      }
      if (r == 0) break;  // end of file
      got += static_cast<size_t>(r);
    }
    out->resize(got);
    return Status::Ok();
  }

 private:
  const int fd_;
  const std::string path_;
};

// Paths locked by this process. flock() locks belong to an open file description, so a second
// open+flock in the same process would succeed; this table makes it fail like LevelDB's
// PosixLockTable does.
class LockTable {
 public:
  bool Insert(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    return paths_.insert(path).second;
  }
  void Remove(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    paths_.erase(path);
  }
  bool Contains(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    return paths_.count(path) > 0;
  }

 private:
  std::mutex mu_;
  std::set<std::string> paths_;  // guarded by mu_
};

LockTable& Locks() {
  static LockTable* table = new LockTable();
  return *table;
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFileLock() override {
    ::close(fd_);  // releases the flock
    Locks().Remove(path_);
  }

 private:
  const int fd_;
  const std::string path_;
};

// The pid recorded in a lock file by its holder, or "unknown".
std::string ReadLockHolderPid(int fd) {
  char buf[32];
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "unknown";
  long pid = 0;
  auto [ptr, ec] = std::from_chars(buf, buf + n, pid);
  if (ec != std::errc() || ptr == buf || pid <= 0) return "unknown";
  return std::to_string(pid);
}

class PosixEnv final : public Env {
 public:
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("open for writing", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path, 0));
  }

  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open for appending", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Status s = ErrnoStatus("fstat", path, errno);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(fd, path, static_cast<uint64_t>(st.st_size)));
  }

  StatusOr<std::unique_ptr<WritableFile>> NewOverwritingFile(const std::string& path,
                                                             uint64_t offset) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open for overwriting", path, errno);
    if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
      Status s = ErrnoStatus("lseek", path, errno);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path, offset));
  }

  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open for reading", path, errno);
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(fd, path));
  }

  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("opendir", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* entry = ::readdir(d)) {
      std::string_view name(entry->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return ErrnoStatus("readdir", dir, err);
    return names;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus("rename", from + " to " + to, errno);
    }
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
    return Status::Ok();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open for truncating", path, errno);
    Status s;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      s = ErrnoStatus("ftruncate", path, errno);
    } else if (::fsync(fd) != 0) {
      s = ErrnoStatus("fsync", path, errno);
    }
    ::close(fd);
    return s;
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0700) == 0) return SyncDir(DirName(dir));
    int err = errno;
    if (err == ENOENT) {
      // Deliberately not mkdir -p: a missing parent is often a volume that is not mounted, and
      // creating it would silently put the data on the wrong disk.
      return Status::NotFound(StrCat("mkdir ", dir, ": its parent directory ", DirName(dir),
                                     " does not exist (walkv creates only the data directory "
                                     "itself; create the parent first)"));
    }
    if (err != EEXIST) return ErrnoStatus("mkdir", dir, err);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus("stat", dir, errno);
    if (!S_ISDIR(st.st_mode)) return ErrnoStatus("mkdir", dir, ENOTDIR);
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open directory", dir, errno);
    Status s;
    if (::fsync(fd) != 0) s = ErrnoStatus("fsync directory", dir, errno);
    ::close(fd);
    return s;
  }

  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    const std::string dir = DirName(path);
    if (!Locks().Insert(path)) {
      return Status::Busy("data directory " + dir + " is locked by this process already (pid " +
                          std::to_string(::getpid()) + ", lock file " + path + ")");
    }
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      Status s = ErrnoStatus("open lock file", path, errno);
      Locks().Remove(path);
      return s;
    }
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      int err = errno;
      Status s =
          err == EWOULDBLOCK
              ? Status::Busy("data directory " + dir + " is locked by another process (pid " +
                             ReadLockHolderPid(fd) + ", lock file " + path + ")")
              : ErrnoStatus("flock", path, err);
      ::close(fd);
      Locks().Remove(path);
      return s;
    }
    // Record our pid for the message another process prints. Best effort: the lock is what
    // matters, so a failure here is ignored.
    std::string pid = std::to_string(::getpid()) + "\n";
    uint64_t written = 0;
    if (::ftruncate(fd, 0) == 0) WriteAll(fd, path, pid, &written).IgnoreError();
    return std::unique_ptr<FileLock>(new PosixFileLock(fd, path));
  }

  StatusOr<bool> IsLocked(const std::string& path) override {
    if (Locks().Contains(path)) return true;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return false;
      return ErrnoStatus("open lock file", path, errno);
    }
    int rc;
    do {
      rc = ::flock(fd, LOCK_SH | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    int err = rc == 0 ? 0 : errno;
    ::close(fd);  // also releases the shared lock, if it was taken
    if (rc == 0) return false;
    if (err == EWOULDBLOCK) return true;
    return ErrnoStatus("flock", path, err);
  }

  Status LowerCurrentThreadPriority() override {
    // On Linux the nice value is per thread: PRIO_PROCESS with a thread id changes that thread
    // only. nice +10 (CFS weight 110 against 1024 at nice 0) rather than SCHED_IDLE: the thread
    // (the snapshot compressor, the spare-segment writer) still progresses on a saturated
    // machine, so a snapshot finishes and the log it covers can go. Callers hold no lock that
    // request threads wait for while running at this priority (engine/snapshot_compressor.h).
    const id_t tid = static_cast<id_t>(::gettid());
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, tid);  // -1 is a valid nice value
    if (nice == -1 && errno != 0) return Status::FromErrno("getpriority (background thread)", errno);
    if (::setpriority(PRIO_PROCESS, tid, std::min(nice + kBackgroundNice, kLowestNice)) != 0) {
      return Status::FromErrno("setpriority (background thread)", errno);
    }
    return Status::Ok();
  }

  uint64_t NowMicros() override { return ClockMicros(CLOCK_REALTIME); }
  uint64_t MonotonicMicros() override { return ClockMicros(CLOCK_MONOTONIC); }

 private:
  static constexpr int kBackgroundNice = 10;  // added to the thread's nice value
  static constexpr int kLowestNice = 19;

  static uint64_t ClockMicros(clockid_t clock) {
    struct timespec ts;
    ::clock_gettime(clock, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  }
};

}  // namespace

Env* Env::Posix() {
  static Env* env = new PosixEnv();
  return env;
}

}  // namespace walkv
