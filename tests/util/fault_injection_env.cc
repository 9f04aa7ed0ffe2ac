#include "tests/util/fault_injection_env.h"

#include <algorithm>
#include <cerrno>
#include <functional>

namespace walkv {

struct FaultInjectionEnv::Inode {
  std::string data;     // current content: what reads see
  std::string durable;  // what a power cut leaves (before kKeepRandomUnsynced adds to it)
  // True when `durable` is a prefix of `data` (always, except after NewWritableFile truncated a
  // file with durable content, or a NewOverwritingFile handle wrote over durable bytes), so Sync
  // only copies the new tail.
  bool durable_is_prefix = true;
  // NewWritableFile truncated this file and it has not been synced since. Tells a pending
  // truncation (the file may come back as any prefix of `data`) from overwrites of durable bytes
  // (the file keeps every durable byte that was not overwritten; see MixUnsyncedOverwrites).
  bool truncated_unsynced = false;

  void Sync() {
    if (durable_is_prefix) {
      durable.append(data, durable.size());
    } else {
      durable = data;
      durable_is_prefix = true;
    }
    truncated_unsynced = false;
  }
};

// One directory operation: entries of `dir` set to an inode, or erased (nullptr), in order.
struct FaultInjectionEnv::DirOp {
  std::string dir;
  std::vector<std::pair<std::string, std::shared_ptr<Inode>>> changes;
};

struct FaultInjectionEnv::Fault {
  enum class Kind { kFailWrite, kFailSync, kTearWrite };
  Kind kind;
  uint64_t remaining;  // matching operations until it fires, this one included
  int err;
  std::string path_substring;
  size_t bytes;  // written before failing (kFailWrite) or kept (kTearWrite)
};

namespace {

Status PoweredOff(std::string_view op, const std::string& path) {
  return Status::IOError(std::string(op) + " " + path + ": powered off");
}

Status Errno(std::string_view op, const std::string& path, int err) {
  return Status::FromErrno(std::string(op) + " " + path, err);
}

// What the disk holds of a file whose durable bytes were overwritten without a sync since: the
// page cache writes dirty pages back in no particular order and a power cut can tear a sector, so
// each kSectorBytes-aligned sector whose bytes differ independently keeps its old (durable) bytes,
// gets its new bytes, or is torn (a prefix of new bytes, then the old ones). Bytes written past
// the durable end (the file grew) follow as a random prefix, like unsynced appends.
std::string MixUnsyncedOverwrites(const std::string& durable, const std::string& current,
                                  const std::function<size_t(size_t)>& random_up_to) {
  constexpr size_t kSectorBytes = 512;
  std::string disk = durable;
  const size_t common = std::min(durable.size(), current.size());
  for (size_t at = 0; at < common; at += kSectorBytes) {
    const size_t len = std::min(kSectorBytes, common - at);
    if (durable.compare(at, len, current, at, len) == 0) continue;
    switch (random_up_to(2)) {
      case 0: break;                                             // old bytes
      case 1: disk.replace(at, len, current, at, len); break;    // new bytes
      default: {                                                 // torn
        const size_t keep = random_up_to(len);
        disk.replace(at, keep, current, at, keep);
      }
    }
  }
  if (current.size() > durable.size()) {
    disk.append(current, durable.size(), random_up_to(current.size() - durable.size()));
  }
  return disk;
}

}  // namespace

class FaultInjectionEnv::MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(FaultInjectionEnv* env, std::string path, std::shared_ptr<Inode> inode)
      : env_(env),
        path_(std::move(path)),
        inode_(std::move(inode)),
        epoch_(env->epoch_),
        size_(inode_->data.size()) {}
  // Writes from `offset` on, over the bytes there (NewOverwritingFile).
  MemWritableFile(FaultInjectionEnv* env, std::string path, std::shared_ptr<Inode> inode,
                  uint64_t offset)
      : MemWritableFile(env, std::move(path), std::move(inode)) {
    size_ = offset;
  }

  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> l(env_->mu_);
    if (Status s = Usable("append"); !s.ok()) return s;
    if (env_->CountMutatingOp()) {
      std::uniform_int_distribution<size_t> dist(0, data.size());
      Write(data.substr(0, dist(env_->rng_)));
      return PoweredOff("append", path_);
    }
    if (std::optional<Fault> fault = env_->TakeFault(/*append=*/true, path_)) {
      Write(data.substr(0, std::min(fault->bytes, data.size())));
      if (fault->kind == Fault::Kind::kTearWrite) {
        env_->powered_off_ = true;
        return PoweredOff("append", path_);
      }
      broken_ = Errno("write", path_, fault->err);
      return broken_;
    }
    if (env_->capacity_) {
      uint64_t used = env_->UsedBytes();
      uint64_t room = *env_->capacity_ > used ? *env_->capacity_ - used : 0;
      if (data.size() > room) {
        Write(data.substr(0, room));
        broken_ = Errno("write", path_, ENOSPC);
        return broken_;
      }
    }
    Write(data);
    return Status::Ok();
  }

  Status Sync() override {
    std::lock_guard<std::mutex> l(env_->mu_);
    if (Status s = Usable("fdatasync"); !s.ok()) return s;
    if (env_->CountMutatingOp()) return PoweredOff("fdatasync", path_);
    if (std::optional<Fault> fault = env_->TakeFault(/*append=*/false, path_)) {
      broken_ = Errno("fdatasync", path_, fault->err);
      return broken_;
    }
    inode_->Sync();
    ++env_->file_syncs_;
    return Status::Ok();
  }

  Status Close() override {
    std::lock_guard<std::mutex> l(env_->mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
    if (env_->powered_off_ || epoch_ != env_->epoch_) return PoweredOff("close", path_);
    return Status::Ok();
  }

  uint64_t Size() const override { return size_; }

 private:
  // Requires env_->mu_.
  Status Usable(std::string_view op) const {
    if (env_->powered_off_ || epoch_ != env_->epoch_) return PoweredOff(op, path_);
    if (closed_) return Status::IOError(std::string(op) + " " + path_ + ": file is closed");
    return broken_;
  }
  // Requires env_->mu_.
  void Write(std::string_view data) {
    std::string& bytes = inode_->data;
    if (size_ == bytes.size()) {
      bytes.append(data);
    } else {
      // Overwriting (NewOverwritingFile): what was durable there stays durable until Sync, so
      // `durable` is no longer a prefix of `data`.
      if (bytes.size() < size_) bytes.resize(size_, '\0');
      const size_t over = std::min(data.size(), bytes.size() - size_);
      bytes.replace(size_, over, data.substr(0, over));
      bytes.append(data.substr(over));
      if (size_ < inode_->durable.size()) inode_->durable_is_prefix = false;
    }
    size_ += data.size();
  }

  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::shared_ptr<Inode> inode_;
  const uint64_t epoch_;
  uint64_t size_;  // only touched by the owner
  bool closed_ = false;
  Status broken_;  // the first failure of Append or Sync; sticky
};

class FaultInjectionEnv::MemSequentialFile final : public SequentialFile {
 public:
  MemSequentialFile(FaultInjectionEnv* env, std::string path, std::shared_ptr<Inode> inode)
      : env_(env), path_(std::move(path)), inode_(std::move(inode)), epoch_(env->epoch_) {}

  Status Read(size_t n, std::string* out) override {
    std::lock_guard<std::mutex> l(env_->mu_);
    out->clear();
    if (env_->powered_off_ || epoch_ != env_->epoch_) return PoweredOff("read", path_);
    if (pos_ < inode_->data.size()) {
      out->assign(inode_->data, pos_, n);
      pos_ += out->size();
    }
    return Status::Ok();
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::shared_ptr<Inode> inode_;
  const uint64_t epoch_;
  size_t pos_ = 0;
};

class FaultInjectionEnv::MemFileLock final : public FileLock {
 public:
  MemFileLock(FaultInjectionEnv* env, std::string path, uint64_t id)
      : env_(env), path_(std::move(path)), id_(id) {}
  ~MemFileLock() override {
    std::lock_guard<std::mutex> l(env_->mu_);
    env_->Unlock(path_, id_);
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const uint64_t id_;
};

FaultInjectionEnv::FaultInjectionEnv(uint64_t seed) : rng_(seed) {}
FaultInjectionEnv::~FaultInjectionEnv() = default;

// --- Path helpers ---

std::string FaultInjectionEnv::NormalizeDir(const std::string& dir) {
  std::string d = dir.empty() ? "." : dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d;
}

FaultInjectionEnv::Location FaultInjectionEnv::Split(const std::string& path) {
  std::string p = NormalizeDir(path);
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return {".", p};
  if (slash == 0) return {"/", p.substr(1)};
  return {p.substr(0, slash), p.substr(slash + 1)};
}

bool FaultInjectionEnv::DirExists(const std::string& dir) const {
  return dir == "/" || dir == "." || dirs_.count(dir) > 0;
}

std::shared_ptr<FaultInjectionEnv::Inode> FaultInjectionEnv::FindFile(const Location& loc) const {
  auto dir = files_.find(loc.dir);
  if (dir == files_.end()) return nullptr;
  auto entry = dir->second.find(loc.name);
  return entry == dir->second.end() ? nullptr : entry->second;
}

bool FaultInjectionEnv::CountMutatingOp() {
  ++mutating_ops_;
  if (power_off_countdown_ && --*power_off_countdown_ == 0) {
    power_off_countdown_.reset();
    powered_off_ = true;
    return true;
  }
  return false;
}

std::optional<FaultInjectionEnv::Fault> FaultInjectionEnv::TakeFault(bool append,
                                                                     const std::string& path) {
  std::optional<Fault> fired;
  for (auto it = faults_.begin(); it != faults_.end();) {
    bool is_append_fault = it->kind != Fault::Kind::kFailSync;
    if (is_append_fault == append && path.find(it->path_substring) != std::string::npos &&
        --it->remaining == 0) {
      if (!fired) fired = *it;
      it = faults_.erase(it);
    } else {
      ++it;
    }
  }
  return fired;
}

uint64_t FaultInjectionEnv::UsedBytes() const {
  uint64_t used = 0;
  for (const auto& [dir, entries] : files_) {
    for (const auto& [name, inode] : entries) used += inode->data.size();
  }
  return used;
}

void FaultInjectionEnv::Unlock(const std::string& path, uint64_t id) {
  auto it = locks_.find(path);
  if (it != locks_.end() && it->second == id) locks_.erase(it);
}

void FaultInjectionEnv::MakeDurableNow(const Location& loc, const std::shared_ptr<Inode>& inode) {
  inode->durable = inode->data;
  inode->durable_is_prefix = true;
  inode->truncated_unsynced = false;
  durable_files_[loc.dir][loc.name] = inode;
}

// --- Env ---

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_ || CountMutatingOp()) return PoweredOff("open for writing", path);
  Location loc = Split(path);
  if (!DirExists(loc.dir)) return Errno("open for writing", path, ENOENT);
  if (dirs_.count(NormalizeDir(path)) > 0) return Errno("open for writing", path, EISDIR);
  std::shared_ptr<Inode> inode = FindFile(loc);
  if (inode != nullptr) {
    inode->data.clear();
    inode->durable_is_prefix = inode->durable.empty();
    inode->truncated_unsynced = !inode->durable.empty();
  } else {
    inode = std::make_shared<Inode>();
    files_[loc.dir][loc.name] = inode;
    pending_.push_back({loc.dir, {{loc.name, inode}}});
  }
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, path, inode));
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_) return PoweredOff("open for appending", path);
  std::shared_ptr<Inode> inode = FindFile(Split(path));
  if (inode == nullptr) return Errno("open for appending", path, ENOENT);
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, path, inode));
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewOverwritingFile(
    const std::string& path, uint64_t offset) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_) return PoweredOff("open for overwriting", path);
  std::shared_ptr<Inode> inode = FindFile(Split(path));
  if (inode == nullptr) return Errno("open for overwriting", path, ENOENT);
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, path, inode, offset));
}

StatusOr<std::unique_ptr<SequentialFile>> FaultInjectionEnv::NewSequentialFile(
    const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_) return PoweredOff("open for reading", path);
  std::shared_ptr<Inode> inode = FindFile(Split(path));
  if (inode == nullptr) return Errno("open for reading", path, ENOENT);
  return std::unique_ptr<SequentialFile>(new MemSequentialFile(this, path, inode));
}

StatusOr<std::vector<std::string>> FaultInjectionEnv::GetChildren(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_) return PoweredOff("opendir", dir);
  std::string d = NormalizeDir(dir);
  if (!DirExists(d)) return Errno("opendir", dir, ENOENT);
  std::vector<std::string> names;
  if (auto it = files_.find(d); it != files_.end()) {
    for (const auto& [name, inode] : it->second) names.push_back(name);
  }
  for (const std::string& sub : dirs_) {
    Location loc = Split(sub);
    if (loc.dir == d) names.push_back(loc.name);
  }
  return names;
}

bool FaultInjectionEnv::FileExists(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_) return false;
  return FindFile(Split(path)) != nullptr || DirExists(NormalizeDir(path));
}

StatusOr<uint64_t> FaultInjectionEnv::GetFileSize(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_) return PoweredOff("stat", path);
  std::shared_ptr<Inode> inode = FindFile(Split(path));
  if (inode != nullptr) return static_cast<uint64_t>(inode->data.size());
  if (DirExists(NormalizeDir(path))) return uint64_t{0};
  return Errno("stat", path, ENOENT);
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string what = from + " to " + to;
  if (powered_off_ || CountMutatingOp()) return PoweredOff("rename", what);
  Location src = Split(from);
  Location dst = Split(to);
  std::shared_ptr<Inode> inode = FindFile(src);
  if (inode == nullptr) return Errno("rename", what, ENOENT);
  if (src.dir != dst.dir) return Errno("rename", what, EXDEV);
  if (dirs_.count(NormalizeDir(to)) > 0) return Errno("rename", what, EISDIR);
  if (src.name == dst.name) return Status::Ok();
  Entries& entries = files_[src.dir];
  entries[dst.name] = inode;
  entries.erase(src.name);
  pending_.push_back({src.dir, {{dst.name, inode}, {src.name, nullptr}}});
  return Status::Ok();
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_ || CountMutatingOp()) return PoweredOff("unlink", path);
  Location loc = Split(path);
  if (FindFile(loc) == nullptr) {
    return Errno("unlink", path, DirExists(NormalizeDir(path)) ? EISDIR : ENOENT);
  }
  files_[loc.dir].erase(loc.name);
  pending_.push_back({loc.dir, {{loc.name, nullptr}}});
  return Status::Ok();
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_ || CountMutatingOp()) return PoweredOff("ftruncate", path);
  std::shared_ptr<Inode> inode = FindFile(Split(path));
  if (inode == nullptr) return Errno("open for truncating", path, ENOENT);
  inode->data.resize(size, '\0');
  inode->durable = inode->data;
  inode->durable_is_prefix = true;
  inode->truncated_unsynced = false;
  return Status::Ok();
}

Status FaultInjectionEnv::CreateDirIfMissing(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_) return PoweredOff("mkdir", dir);
  std::string d = NormalizeDir(dir);
  if (DirExists(d)) return Status::Ok();
  Location loc = Split(d);
  if (FindFile(loc) != nullptr) return Errno("mkdir", dir, ENOTDIR);
  if (!DirExists(loc.dir)) return Errno("mkdir", dir, ENOENT);
  dirs_.insert(d);
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_ || CountMutatingOp()) return PoweredOff("fsync directory", dir);
  std::string d = NormalizeDir(dir);
  if (!DirExists(d)) return Errno("open directory", dir, ENOENT);
  durable_files_[d] = files_[d];
  std::erase_if(pending_, [&d](const DirOp& op) { return op.dir == d; });
  ++dir_syncs_;
  return Status::Ok();
}

StatusOr<bool> FaultInjectionEnv::IsLocked(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_) return PoweredOff("open lock file", path);
  return locks_.count(path) > 0;
}

StatusOr<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (powered_off_) return PoweredOff("open lock file", path);
  Location loc = Split(path);
  if (!DirExists(loc.dir)) return Errno("open lock file", path, ENOENT);
  if (locks_.count(path) > 0) {
    return Status::Busy("data directory " + loc.dir +
                        " is locked by another process (in-memory lock file " + path + ")");
  }
  if (FindFile(loc) == nullptr) {
    auto inode = std::make_shared<Inode>();
    files_[loc.dir][loc.name] = inode;
    pending_.push_back({loc.dir, {{loc.name, inode}}});
  }
  uint64_t id = next_lock_id_++;
  locks_[path] = id;
  return std::unique_ptr<FileLock>(new MemFileLock(this, path, id));
}

uint64_t FaultInjectionEnv::NowMicros() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (manual_clock_) return *manual_clock_;
  }
  return Env::Posix()->NowMicros();
}

uint64_t FaultInjectionEnv::MonotonicMicros() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (manual_clock_) return *manual_clock_;
  }
  return Env::Posix()->MonotonicMicros();
}

// --- Power loss ---

void FaultInjectionEnv::PowerOff() {
  std::lock_guard<std::mutex> l(mu_);
  powered_off_ = true;
}

void FaultInjectionEnv::PowerOffAfterMutatingOps(uint64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  if (n == 0) {
    powered_off_ = true;
  } else {
    power_off_countdown_ = n;
  }
}

uint64_t FaultInjectionEnv::mutating_ops() const {
  std::lock_guard<std::mutex> l(mu_);
  return mutating_ops_;
}

bool FaultInjectionEnv::powered_off() const {
  std::lock_guard<std::mutex> l(mu_);
  return powered_off_;
}

void FaultInjectionEnv::RestartAfterPowerLoss(LossModel model, uint64_t seed) {
  std::lock_guard<std::mutex> l(mu_);
  std::mt19937_64 rng(seed);
  auto random_up_to = [&rng](size_t max) {
    return std::uniform_int_distribution<size_t>(0, max)(rng);
  };
  const bool keep_some = model == LossModel::kKeepRandomUnsynced;

  // The directory entries on disk: the durable ones, plus (journaled in order) a prefix of the
  // pending operations.
  Namespace disk = durable_files_;
  if (keep_some) {
    size_t kept = random_up_to(pending_.size());
    for (size_t i = 0; i < kept; ++i) {
      for (const auto& [name, inode] : pending_[i].changes) {
        if (inode != nullptr) {
          disk[pending_[i].dir][name] = inode;
        } else {
          disk[pending_[i].dir].erase(name);
        }
      }
    }
  }

  // The content of each surviving inode, in fresh inodes so that old handles touch nothing.
  std::map<const Inode*, std::shared_ptr<Inode>> fresh;
  for (auto& [dir, entries] : disk) {
    for (auto& [name, inode] : entries) {
      std::shared_ptr<Inode>& copy = fresh[inode.get()];
      if (copy == nullptr) {
        copy = std::make_shared<Inode>();
        copy->data = inode->durable;
        if (keep_some && inode->durable_is_prefix) {
          size_t unsynced = inode->data.size() - inode->durable.size();
          copy->data.append(inode->data, inode->durable.size(), random_up_to(unsynced));
        } else if (keep_some && inode->truncated_unsynced) {
          // Truncated by NewWritableFile and not synced since: the truncation and a prefix of
          // what followed may have reached the disk.
          if (random_up_to(1) == 1) {
            copy->data = inode->data.substr(0, random_up_to(inode->data.size()));
          }
        } else if (keep_some) {
          // Durable bytes overwritten and not synced since (NewOverwritingFile). Overwriting never
          // shortens a file, so every durable byte that was not overwritten stays.
          copy->data = MixUnsyncedOverwrites(inode->durable, inode->data, random_up_to);
        }
        copy->durable = copy->data;
      }
      inode = copy;
    }
  }

  files_ = disk;
  durable_files_ = std::move(disk);
  pending_.clear();
  faults_.clear();
  locks_.clear();
  capacity_.reset();
  power_off_countdown_.reset();
  powered_off_ = false;
  ++epoch_;
}

// --- Faults ---

void FaultInjectionEnv::FailNthWrite(uint64_t n, int err, std::string path_substring,
                                     size_t bytes_written_before_failure) {
  std::lock_guard<std::mutex> l(mu_);
  faults_.push_back({Fault::Kind::kFailWrite, std::max<uint64_t>(n, 1), err,
                     std::move(path_substring), bytes_written_before_failure});
}

void FaultInjectionEnv::FailNthSync(uint64_t n, int err, std::string path_substring) {
  std::lock_guard<std::mutex> l(mu_);
  faults_.push_back(
      {Fault::Kind::kFailSync, std::max<uint64_t>(n, 1), err, std::move(path_substring), 0});
}

void FaultInjectionEnv::TearNthWrite(uint64_t n, size_t keep_bytes, std::string path_substring) {
  std::lock_guard<std::mutex> l(mu_);
  faults_.push_back({Fault::Kind::kTearWrite, std::max<uint64_t>(n, 1), EIO,
                     std::move(path_substring), keep_bytes});
}

void FaultInjectionEnv::SetDiskCapacity(std::optional<uint64_t> bytes) {
  std::lock_guard<std::mutex> l(mu_);
  capacity_ = bytes;
}

uint64_t FaultInjectionEnv::file_syncs() const {
  std::lock_guard<std::mutex> l(mu_);
  return file_syncs_;
}

uint64_t FaultInjectionEnv::dir_syncs() const {
  std::lock_guard<std::mutex> l(mu_);
  return dir_syncs_;
}

void FaultInjectionEnv::SetManualClock(uint64_t now_micros) {
  std::lock_guard<std::mutex> l(mu_);
  manual_clock_ = now_micros;
}

void FaultInjectionEnv::AdvanceClock(uint64_t micros) {
  std::lock_guard<std::mutex> l(mu_);
  if (manual_clock_) *manual_clock_ += micros;
}

// --- Test helpers ---

StatusOr<std::string> FaultInjectionEnv::ReadWholeFile(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  std::shared_ptr<Inode> inode = FindFile(Split(path));
  if (inode == nullptr) return Errno("read", path, ENOENT);
  return inode->data;
}

Status FaultInjectionEnv::WriteWholeFile(const std::string& path, std::string_view data) {
  std::lock_guard<std::mutex> l(mu_);
  Location loc = Split(path);
  if (!DirExists(loc.dir)) return Errno("write", path, ENOENT);
  std::shared_ptr<Inode> inode = FindFile(loc);
  if (inode == nullptr) {
    inode = std::make_shared<Inode>();
    files_[loc.dir][loc.name] = inode;
  }
  inode->data.assign(data);
  MakeDurableNow(loc, inode);
  return Status::Ok();
}

Status FaultInjectionEnv::CorruptByte(const std::string& path, uint64_t offset, uint8_t xor_mask) {
  std::lock_guard<std::mutex> l(mu_);
  Location loc = Split(path);
  std::shared_ptr<Inode> inode = FindFile(loc);
  if (inode == nullptr) return Errno("corrupt", path, ENOENT);
  if (offset >= inode->data.size()) {
    return Status::InvalidArgument("corrupt " + path + ": offset " + std::to_string(offset) +
                                   " is past the end (" + std::to_string(inode->data.size()) +
                                   " bytes)");
  }
  inode->data[offset] = static_cast<char>(static_cast<uint8_t>(inode->data[offset]) ^ xor_mask);
  MakeDurableNow(loc, inode);
  return Status::Ok();
}

Status FaultInjectionEnv::TruncateForTest(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  Location loc = Split(path);
  std::shared_ptr<Inode> inode = FindFile(loc);
  if (inode == nullptr) return Errno("truncate", path, ENOENT);
  if (size > inode->data.size()) {
    return Status::InvalidArgument("truncate " + path + ": " + std::to_string(size) +
                                   " bytes is larger than the file (" +
                                   std::to_string(inode->data.size()) + " bytes)");
  }
  inode->data.resize(size);
  MakeDurableNow(loc, inode);
  return Status::Ok();
}

}  // namespace walkv
