// Env: the one seam through which the engine touches the disk.
//
// Production uses Env::Posix(). Tests use FaultInjectionEnv (tests/util/fault_injection_env.h,
// test code outside walkv_engine), an in-memory file system that remembers what was made durable
// and can simulate power loss, failing writes/syncs and torn writes. No engine code calls
// open/write/fsync/rename directly.
//
// Durability model (the same for both implementations, and the one POSIX gives on ext4/xfs):
//  - WritableFile::Append puts bytes in the file; they are durable only after WritableFile::Sync.
//  - A newly created, renamed or removed directory entry is durable only after SyncDir on its
//    directory.
//  - Env::RenameFile is atomic: after a crash the destination name holds either the old or the new
//    file, never a mix.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace walkv {

// An open file that is written front to back. Not thread-safe: one owner at a time.
// A file whose Append or Sync failed stays failed: every later Append and Sync returns the first
// error (after a failed fdatasync the kernel may have dropped the dirty pages, so a retry that
// "succeeds" would lie).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data` (retrying short writes). On error some prefix of `data` may have been
  // written; the caller must treat the file's tail as unknown.
  virtual Status Append(std::string_view data) = 0;
  // fdatasync: when it returns OK, every byte appended so far (and the file size) is durable.
  virtual Status Sync() = 0;
  // Closes the file. Does not sync.
  virtual Status Close() = 0;
  // Bytes in the file: the size at open plus every byte appended since.
  virtual uint64_t Size() const = 0;
};

// A file read front to back. Not thread-safe.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `*out` (replacing its contents). A short read (including 0 bytes)
  // means end of file.
  virtual Status Read(size_t n, std::string* out) = 0;
};

// Held while a data directory is locked; releasing it (destruction) unlocks.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX implementation. Never null, never destroyed.
  static Env* Posix();

  // Creates `path` (or truncates it to 0 bytes) and opens it for writing.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens an existing file for appending at its end.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  // Opens an existing file for writing from byte `offset` on, over whatever bytes are there (no
  // truncation, no O_APPEND): for a pre-written log segment whose zero-filled space is reused, so
  // that a later Sync flushes data only, no file size or block allocation. Size() of the returned
  // file is `offset` plus the bytes written through it, not the file's size. The default says
  // kNotSupported (an Env that cannot overwrite; the writer then does not pre-write).
  virtual StatusOr<std::unique_ptr<WritableFile>> NewOverwritingFile(const std::string& path,
                                                                     uint64_t offset) {
    (void)offset;
    return Status::NotSupported("overwriting " + path + ": not supported by this Env");
  }
  virtual StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;

  // Names (not paths) of the entries in `dir`, without "." and "..", in no particular order.
  virtual StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // Atomically replaces `to` with `from`. Durable after SyncDir of the directory.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Durable after SyncDir of the directory.
  virtual Status RemoveFile(const std::string& path) = 0;
  // Shrinks `path` to `size` bytes and makes the new size durable (fsync) before returning.
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Creates `dir` with mode 0700 if it does not exist (parent must exist). Syncs the parent when
  // it created the directory.
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  // fsync of a directory: makes creations, renames and removals of its entries durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive advisory lock on `path` (created if missing). Fails with kBusy if another
  // process (or another lock in this process) holds it.
  virtual StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
  // True if a LockFile lock on `path` is held right now, by any process. Never creates, writes or
  // keeps a lock on the file (a missing file is not locked); read access is enough. For checks
  // that must not touch a directory (`walkv verify`). For an instant it holds a shared lock
  // itself, so a LockFile at that exact moment fails with kBusy as if the directory were in use.
  virtual StatusOr<bool> IsLocked(const std::string& path) = 0;

  // Lowers the calling thread's CPU priority for background work that must not compete with
  // request handling (the snapshot thread). Best effort and irreversible for the thread; the
  // default does nothing. Env::Posix(): nice +10 (at most 19) for this thread only (setpriority on
  // its tid).
  virtual Status LowerCurrentThreadPriority() { return Status::Ok(); }

  // Microseconds since the Unix epoch (wall clock) and on a monotonic clock.
  virtual uint64_t NowMicros() = 0;
  virtual uint64_t MonotonicMicros() = 0;
};

// Reads the whole file into `*out`.
Status ReadFileToString(Env* env, const std::string& path, std::string* out);

// Writes `data` to `path` crash-safely: writes `path`.tmp, syncs it, renames it over `path` and
// syncs the directory. When it returns OK the new content is durable under `path`.
Status WriteFileAtomically(Env* env, const std::string& dir, const std::string& name,
                           std::string_view data);

}  // namespace walkv
