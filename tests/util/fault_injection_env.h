// FaultInjectionEnv: an in-memory Env for tests that knows what a power cut would leave behind.
//
// No real files are touched. The model (LevelDB's MemEnv + FaultInjectionTestEnv):
//  - Directories map names to inodes. Directories themselves are durable as soon as
//    CreateDirIfMissing returns (a simplification: the engine never creates directories on the
//    hot path, and POSIX's "sync the parent" is done by Env::Posix()). There is always a root
//    "/" and a current directory "."; "/db/x" is entry "x" of directory "/db", "x" is entry "x"
//    of ".". Directories are never removed.
//  - An inode has its current content (what reads see) and its durable content: the content as
//    of its last WritableFile::Sync (or TruncateFile, or a test helper below).
//  - Creating (NewWritableFile of a new name, LockFile of a missing file), renaming and removing
//    an entry is recorded as a pending directory operation; SyncDir(dir) makes every pending
//    operation of `dir` durable. Renames across directories are refused with EXDEV.
//  - NewWritableFile of an existing name truncates that inode (like O_TRUNC); the truncation is
//    durable with the file's next Sync.
//  - A WritableFile whose Append or Sync failed is broken for good: later Appends and Syncs return
//    the first error (as Env::Posix() does: a retried fdatasync must never look like success).
//  - Open files keep their inode: a removed or renamed file can still be written and synced.
//
// Power loss: PowerOff() (or a planned fault) makes every later operation fail with kIOError
// "...: powered off". RestartAfterPowerLoss() then rebuilds the file system the way a disk would
// look after the cut and powers on again; handles opened before it keep failing.
//
// Mutating operations (counted by mutating_ops(), the unit of PowerOffAfterMutatingOps):
// WritableFile::Append, WritableFile::Sync, NewWritableFile, RenameFile, RemoveFile, TruncateFile
// and SyncDir. Not counted: opens for reading/appending, Close, CreateDirIfMissing, LockFile.
//
// Thread-safe: one mutex (mu_) guards all state, including that of the files handed out. Files,
// locks and handles must not outlive the env.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/env.h"

namespace walkv {

// What RestartAfterPowerLoss keeps of the state that was not made durable.
enum class LossModel {
  // Exactly the synced bytes of every file and the directory entries made durable by SyncDir.
  kDropUnsynced,
  // Additionally, per file, a random prefix of its unsynced bytes (for unsynced overwrites of
  // durable bytes: a random mix per sector, see NewOverwritingFile), and a random prefix (in
  // operation order) of the pending directory operations — metadata journaling (ext4) persists
  // them in order.
  kKeepRandomUnsynced,
};

class FaultInjectionEnv final : public Env {
 public:
  using LossModel = walkv::LossModel;
  using enum walkv::LossModel;  // FaultInjectionEnv::kDropUnsynced works too

  // `seed` drives the random choices not given their own seed (the torn prefix of
  // PowerOffAfterMutatingOps).
  explicit FaultInjectionEnv(uint64_t seed = 0);
  ~FaultInjectionEnv() override;
  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  // --- Env ---
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  // Writes over the file's bytes from `offset` on. A power cut before the next Sync keeps every
  // durable byte that was not overwritten; of the overwritten ones, kDropUnsynced keeps the old
  // (durable) bytes, kKeepRandomUnsynced decides per 512-byte sector: old bytes, new bytes, or
  // torn (a prefix of the new, then the old), in no order — the page cache writes dirty pages of
  // an allocated file back in any order, and a sector can tear. Bytes past the durable end follow
  // as a random prefix, as unsynced appends do. Not counted as a mutating operation (like opens
  // for appending).
  StatusOr<std::unique_ptr<WritableFile>> NewOverwritingFile(const std::string& path,
                                                             uint64_t offset) override;
  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override;
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  // False while powered off.
  bool FileExists(const std::string& path) override;
  StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status CreateDirIfMissing(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  // In memory: kBusy while another FileLock on the same path is alive. Creates the file if
  // missing (a pending directory operation). RestartAfterPowerLoss releases every lock (the
  // crashed process's locks die with it).
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  StatusOr<bool> IsLocked(const std::string& path) override;
  // The real clocks, unless SetManualClock was called.
  uint64_t NowMicros() override;
  uint64_t MonotonicMicros() override;

  // --- Power loss ---
  // From now on every operation fails with kIOError "...: powered off", on open files too.
  void PowerOff();
  // The n-th mutating operation from now (n >= 1; 0 powers off at once) is the point of power
  // loss: an Append first writes a random prefix (possibly empty, possibly all) of its data;
  // then the env powers off, and that operation and every later one fail. Replaces an earlier
  // plan that has not fired yet.
  void PowerOffAfterMutatingOps(uint64_t n);
  // Mutating operations attempted since construction (never reset, not even by a restart).
  uint64_t mutating_ops() const;
  bool powered_off() const;
  // Replaces the file system with what the disk holds after the power cut (see LossModel; the
  // random choices come from `seed`), then powers on: clears the powered-off state, every pending
  // fault, the disk capacity and every lock. Afterwards all that exists is durable. Handles opened
  // before keep failing. May be called without a prior power-off (an instantaneous cut).
  void RestartAfterPowerLoss(LossModel model, uint64_t seed = 0);

  // --- Failing and tearing I/O (n >= 1, counted from the call among the operations whose path
  // contains `path_substring`; several faults may be pending at once) ---
  // The n-th WritableFile::Append fails with Status::FromErrno(err) (EIO -> kIOError,
  // ENOSPC -> kNoSpace) after writing min(bytes_written_before_failure, size) bytes of its data.
  void FailNthWrite(uint64_t n, int err, std::string path_substring = "",
                    size_t bytes_written_before_failure = 0);
  // The n-th WritableFile::Sync fails with Status::FromErrno(err); nothing new becomes durable.
  void FailNthSync(uint64_t n, int err, std::string path_substring = "");
  // The n-th WritableFile::Append writes only min(keep_bytes, size) bytes of its data, then the
  // env powers off (that Append fails).
  void TearNthWrite(uint64_t n, size_t keep_bytes, std::string path_substring = "");
  // Total bytes of all files (by their current size) may not exceed `bytes`: an Append that would
  // exceed it writes what fits and fails with ENOSPC (kNoSpace). nullopt: unlimited. Removed
  // files that are still open do not count.
  void SetDiskCapacity(std::optional<uint64_t> bytes);

  // --- Counters ---
  // Successful WritableFile::Sync and SyncDir calls since construction.
  uint64_t file_syncs() const;
  uint64_t dir_syncs() const;

  // --- Clock ---
  // From now on NowMicros() and MonotonicMicros() both return a manual clock that starts at
  // `now_micros` and moves only by AdvanceClock.
  void SetManualClock(uint64_t now_micros);
  void AdvanceClock(uint64_t micros);

  // --- Test helpers: work even while powered off and count as no mutating operation ---
  // The current content of `path` (what a read would see, synced or not).
  StatusOr<std::string> ReadWholeFile(const std::string& path);
  // Creates or replaces `path` with `data`; the content and the directory entry are durable at
  // once. The directory must exist.
  Status WriteWholeFile(const std::string& path, std::string_view data);
  // XORs the byte at `offset` with `xor_mask`, as an outside tool editing the disk would: the
  // whole file as it is now, and its directory entry, become durable.
  Status CorruptByte(const std::string& path, uint64_t offset, uint8_t xor_mask);
  // Shrinks `path` to `size` bytes; durable like CorruptByte. kInvalidArgument if `size` is
  // larger than the file.
  Status TruncateForTest(const std::string& path, uint64_t size);

 private:
  struct Inode;
  struct DirOp;
  struct Fault;
  class MemWritableFile;
  class MemSequentialFile;
  class MemFileLock;
  // name -> inode for the files of one directory.
  using Entries = std::map<std::string, std::shared_ptr<Inode>>;
  // directory path -> its file entries.
  using Namespace = std::map<std::string, Entries>;

  struct Location {
    std::string dir;
    std::string name;
  };

  static Location Split(const std::string& path);
  static std::string NormalizeDir(const std::string& dir);
  // The helpers below require mu_ held. (Not GUARDED_BY/REQUIRES: libstdc++'s std::mutex is no
  // clang "capability", so the annotations would only produce warnings.)
  bool DirExists(const std::string& dir) const;
  std::shared_ptr<Inode> FindFile(const Location& loc) const;
  // Counts a mutating operation; true if it is the planned point of power loss (the env is then
  // powered off).
  bool CountMutatingOp();
  // Counts an Append (`append`) or a Sync of `path` against the pending faults of that kind;
  // returns the fault that fires, if any, and forgets it.
  std::optional<Fault> TakeFault(bool append, const std::string& path);
  uint64_t UsedBytes() const;
  void Unlock(const std::string& path, uint64_t id);
  // Makes the inode's current content and its entry at `loc` durable.
  void MakeDurableNow(const Location& loc, const std::shared_ptr<Inode>& inode);

  mutable std::mutex mu_;
  // Every member below is guarded by mu_.

  // Every directory but "/" and "."; all durable.
  std::set<std::string> dirs_;
  // The current entries, and the entries made durable by SyncDir.
  Namespace files_;
  Namespace durable_files_;
  // Directory operations not yet durable, oldest first.
  std::vector<DirOp> pending_;
  // Pending FailNth*/TearNth* faults.
  std::vector<Fault> faults_;
  // Locked path -> id of the MemFileLock holding it.
  std::map<std::string, uint64_t> locks_;
  uint64_t next_lock_id_ = 1;
  bool powered_off_ = false;
  // Mutating operations left until the planned power cut.
  std::optional<uint64_t> power_off_countdown_;
  uint64_t mutating_ops_ = 0;
  // Bumped by every restart; handles from an older epoch fail.
  uint64_t epoch_ = 0;
  std::optional<uint64_t> capacity_;
  uint64_t file_syncs_ = 0;
  uint64_t dir_syncs_ = 0;
  std::optional<uint64_t> manual_clock_;
  std::mt19937_64 rng_;
};

}  // namespace walkv
