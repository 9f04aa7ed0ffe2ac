#include "engine/segment_preparer.h"

#include <algorithm>
#include <utility>

#include "engine/file_names.h"

namespace walkv {

namespace {
constexpr uint64_t kChunkBytes = 1u << 20;
}  // namespace

std::string SegmentPreparer::SpareFileName() { return TempFileName("wal-spare.log"); }

SegmentPreparer::SegmentPreparer(Env* env, std::string dir, uint64_t bytes)
    : env_(env), dir_(std::move(dir)), path_(JoinPath(dir_, SpareFileName())), bytes_(bytes) {}

SegmentPreparer::~SegmentPreparer() { Stop(); }

void SegmentPreparer::Start() { thread_ = std::thread([this] { Loop(); }); }

std::optional<std::string> SegmentPreparer::Take() {
  MutexLock lock(&mu_);
  if (state_ == State::kReady) {
    state_ = State::kTaken;
    ++spares_taken_;
    return path_;
  }
  if (state_ == State::kFailed) {
    state_ = State::kWanted;
    cv_.Signal();
  }
  return std::nullopt;
}

void SegmentPreparer::Replenish() {
  MutexLock lock(&mu_);
  if (state_ != State::kTaken) return;
  state_ = State::kWanted;
  cv_.Signal();
}

void SegmentPreparer::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (!thread_.joinable()) return;
  thread_.join();
  // Best effort: a spare left behind is a .tmp that the next start removes anyway.
  if (env_->FileExists(path_)) env_->RemoveFile(path_).IgnoreError();
}

uint64_t SegmentPreparer::spares_taken() const {
  MutexLock lock(&mu_);
  return spares_taken_;
}

uint64_t SegmentPreparer::preparations_failed() const {
  MutexLock lock(&mu_);
  return preparations_failed_;
}

void SegmentPreparer::Loop() {
  // Zero-filling competes with request handling for the CPU; requests win. A failure to lower the
  // priority only costs some CPU, so it is not reported.
  env_->LowerCurrentThreadPriority().IgnoreError();
  mu_.Lock();
  while (true) {
    while (!stop_ && state_ != State::kWanted) cv_.Wait();
    if (stop_) break;
    state_ = State::kPreparing;
    mu_.Unlock();
    bool stopped = false;
    Status s = Prepare(&stopped);
    mu_.Lock();
    if (stopped) break;
    if (s.ok()) {
      state_ = State::kReady;
    } else {
      state_ = State::kFailed;
      ++preparations_failed_;
    }
  }
  mu_.Unlock();
}

Status SegmentPreparer::Prepare(bool* stopped) {
  StatusOr<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(path_);
  if (!file.ok()) return file.status();
  const std::string zeros(static_cast<size_t>(std::min(kChunkBytes, bytes_)), '\0');
  Status s;
  for (uint64_t at = 0; s.ok() && at < bytes_; at += zeros.size()) {
    {
      MutexLock lock(&mu_);
      if (stop_) {
        *stopped = true;
        break;
      }
    }
    const uint64_t chunk = std::min<uint64_t>(zeros.size(), bytes_ - at);
    s = (*file)->Append(std::string_view(zeros).substr(0, static_cast<size_t>(chunk)));
    // One chunk's flush at a time: a commit's fdatasync then waits behind at most 1 MiB of
    // zeros, not behind a whole segment's worth written back at once.
    if (s.ok()) s = (*file)->Sync();
  }
  Status closed = (*file)->Close();
  if (s.ok()) s = closed;
  return s;
}

}  // namespace walkv
