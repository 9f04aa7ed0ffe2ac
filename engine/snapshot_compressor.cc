#include "engine/snapshot_compressor.h"

#include <utility>

namespace walkv {

SnapshotCompressor::SnapshotCompressor(Env* env, snapshot::SnapshotWriter* writer)
    : env_(env), writer_(writer) {
  free_.push_back(&chunks_[0]);
  free_.push_back(&chunks_[1]);
  thread_ = std::thread([this] { Run(); });
}

SnapshotCompressor::~SnapshotCompressor() { Finish().IgnoreError(); }

SnapshotChunk* SnapshotCompressor::Empty() {
  MutexLock lock(&mu_);
  while (free_.empty() && status_.ok()) cv_.Wait();
  if (!status_.ok()) return nullptr;
  SnapshotChunk* chunk = free_.front();
  free_.pop_front();
  chunk->Clear();
  return chunk;
}

void SnapshotCompressor::Submit(SnapshotChunk* chunk) {
  MutexLock lock(&mu_);
  filled_.push_back(chunk);
  cv_.SignalAll();
}

Status SnapshotCompressor::Finish() {
  {
    MutexLock lock(&mu_);
    while ((!filled_.empty() || busy_) && status_.ok()) cv_.Wait();
    stop_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  MutexLock lock(&mu_);
  return status_;
}

void SnapshotCompressor::Run() {
  // Best effort: without it the snapshot only competes harder with requests for the CPU.
  env_->LowerCurrentThreadPriority().IgnoreError();
  MutexLock lock(&mu_);
  while (true) {
    while (filled_.empty() && !stop_) cv_.Wait();
    if (filled_.empty()) return;  // stop_
    SnapshotChunk* chunk = filled_.front();
    filled_.pop_front();
    busy_ = true;
    mu_.Unlock();
    Status s;
    for (size_t i = 0; i < chunk->size() && s.ok(); ++i) {
      s = writer_->Add(chunk->key(i), chunk->value(i), chunk->deadline_ms(i));
    }
    mu_.Lock();
    busy_ = false;
    if (!s.ok() && status_.ok()) status_ = std::move(s);
    free_.push_back(chunk);
    cv_.SignalAll();
    if (!status_.ok()) return;
  }
}

}  // namespace walkv
