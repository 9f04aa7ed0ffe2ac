// EngineImpl's snapshot side: scheduling (timer, log size, on demand), writing a snapshot while
// writers keep running, publishing it and removing the files it makes obsolete.
#include <algorithm>
#include <utility>

#include "engine/engine_impl.h"
#include "engine/file_names.h"
#include "engine/snapshot_writer.h"
#include "engine/str_cat.h"

namespace walkv {

StatusOr<SnapshotInfo> EngineImpl::Snapshot() {
  MutexLock lock(&snap_mu_);
  if (snapshot_stop_) return Status::ShuttingDown("the engine is shutting down");
  const uint64_t my_gen = ++snap_requested_gen_;
  snap_cv_.SignalAll();
  while (snap_completed_gen_ < my_gen && !snapshot_stop_) snap_cv_.Wait();
  if (snap_completed_gen_ < my_gen) return Status::ShuttingDown("the engine is shutting down");
  return *snap_last_result_;
}

uint64_t EngineImpl::LastSnapshotSeq() {
  MutexLock lock(&files_mu_);
  return snapshots_.empty() ? 0 : snapshots_.back().seq;
}

void EngineImpl::SnapshotLoop() {
  const uint64_t interval = options_.snapshot_interval_seconds * 1'000'000;
  snap_mu_.Lock();
  while (!snapshot_stop_) {
    const bool requested = snap_requested_gen_ > snap_completed_gen_;
    const bool timer_due =
        interval > 0 && env_->MonotonicMicros() >= last_snapshot_attempt_micros_ + interval;
    if (!requested && !wal_trigger_ && !timer_due) {
      if (interval > 0) {
        uint64_t due = last_snapshot_attempt_micros_ + interval;
        snap_cv_.WaitFor(due - std::min(due, env_->MonotonicMicros()));
      } else {
        snap_cv_.Wait();
      }
      continue;
    }
    if (!requested && !wal_trigger_ && last_seq_.load() == LastSnapshotSeq()) {
      last_snapshot_attempt_micros_ = env_->MonotonicMicros();  // timer, but nothing changed
      continue;
    }
    const uint64_t gen = snap_requested_gen_;
    const char* reason = requested ? "requested" : wal_trigger_ ? "log size" : "timer";
    wal_trigger_ = false;
    snap_mu_.Unlock();

    StatusOr<SnapshotInfo> result = WriteSnapshot();
    if (result.ok()) {
      Log(LogLevel::kInfo, StrCat("snapshot ", result->file, " (", reason, "): ", result->keys,
                                  " keys, ", result->bytes, " bytes, seq ", result->seq));
    } else {
      Log(LogLevel::kError, StrCat("snapshot failed (", reason, "): ", result.status().ToString()));
    }

    snap_mu_.Lock();
    last_snapshot_attempt_micros_ = env_->MonotonicMicros();
    snap_completed_gen_ = gen;
    snap_last_result_ = std::move(result);
    snap_cv_.SignalAll();
  }
  snap_cv_.SignalAll();  // wake Snapshot() callers: they see snapshot_stop_
  snap_mu_.Unlock();
}

EngineImpl::CutResult EngineImpl::RequestCut() {
  MutexLock lock(&queue_mu_);
  if (commit_exited_) return CutResult{Status::ShuttingDown("the engine is shutting down")};
  cut_result_.reset();
  cut_requested_ = true;
  queue_cv_.SignalAll();
  while (!cut_result_.has_value()) cut_cv_.Wait();
  CutResult cut = std::move(*cut_result_);
  cut_result_.reset();
  return cut;
}

StatusOr<SnapshotInfo> EngineImpl::WriteSnapshot() {
  CutResult cut = RequestCut();
  if (!cut.status.ok()) return cut.status;
  // From here the store tracks pre-images: every exit path must end that (EndSnapshot).
  {
    MutexLock lock(&files_mu_);
    if (!snapshots_.empty() && snapshots_.back().seq == cut.seq) {
      store_.EndSnapshot();  // nothing changed since the last snapshot: it is still current
      return snapshots_.back();
    }
  }
  auto writer = snapshot::SnapshotWriter::Create(env_, options_.data_dir, cut.seq);
  if (!writer.ok()) {
    store_.EndSnapshot();
    return writer.status();
  }
  std::vector<std::pair<std::string, std::string>> entries;
  for (size_t shard = 0; shard < Store::kShardCount; ++shard) {
    entries.clear();
    store_.CollectShardForSnapshot(shard, &entries);
    for (const auto& [key, value] : entries) {
      Status s = (*writer)->Add(key, value);
      if (!s.ok()) {
        store_.EndSnapshot();
        return s;
      }
    }
  }
  auto written = (*writer)->Finish();
  if (!written.ok()) return written.status();

  SnapshotInfo info;
  info.file = written->file_name;
  info.seq = written->seq;
  info.bytes = written->bytes;
  info.keys = written->entries;
  info.unix_micros = env_->NowMicros();
  snapshot_wal_base_.store(cut.wal_bytes_total);
  RemoveObsoleteFiles(info);
  return info;
}

void EngineImpl::RemoveObsoleteFiles(const SnapshotInfo& newest) {
  // Keep the new snapshot and the one before it (the fallback if the new one is ever found
  // damaged), and every log segment holding records after the older of the two.
  std::vector<std::string> doomed;
  {
    MutexLock lock(&files_mu_);
    snapshots_.push_back(newest);
    while (snapshots_.size() > 2) {
      doomed.push_back(snapshots_.front().file);
      snapshots_.erase(snapshots_.begin());
    }
    if (snapshots_.size() == 2) {
      uint64_t keep_from = snapshots_.front().seq + 1;
      // Segment i holds only records <= keep_from - 1 when segment i+1 starts at or before
      // keep_from.
      while (segments_.size() >= 2 && segments_[1].first_seq <= keep_from) {
        doomed.push_back(segments_.front().name);
        segments_.erase(segments_.begin());
      }
    }
  }
  // Snapshots found damaged at startup are not in snapshots_; remove those older than the new one.
  auto children = env_->GetChildren(options_.data_dir);
  if (children.ok()) {
    MutexLock lock(&files_mu_);
    for (const std::string& name : *children) {
      ParsedFileName parsed = ParseFileName(name);
      if (parsed.kind != FileKind::kSnapshot || parsed.seq >= newest.seq) continue;
      bool kept = false;
      for (const SnapshotInfo& s : snapshots_) kept = kept || s.file == name;
      if (!kept && std::find(doomed.begin(), doomed.end(), name) == doomed.end()) {
        doomed.push_back(name);
      }
    }
  }
  if (doomed.empty()) return;
  for (const std::string& name : doomed) {
    Status s = env_->RemoveFile(JoinPath(options_.data_dir, name));
    if (!s.ok()) Log(LogLevel::kWarn, StrCat("could not remove obsolete ", name, ": ", s.ToString()));
  }
  Status s = env_->SyncDir(options_.data_dir);
  if (!s.ok()) Log(LogLevel::kWarn, StrCat("could not sync directory after cleanup: ", s.ToString()));
}

Status EngineImpl::RemoveFilesCoveredBy(const SnapshotInfo& newest) {
  std::vector<std::string> doomed;
  {
    MutexLock lock(&files_mu_);
    while (segments_.size() >= 2 && segments_[1].first_seq <= newest.seq + 1) {
      doomed.push_back(segments_.front().name);
      segments_.erase(segments_.begin());
    }
    std::erase_if(snapshots_, [&](const SnapshotInfo& s) { return s.seq < newest.seq; });
  }
  auto children = env_->GetChildren(options_.data_dir);
  if (!children.ok()) return children.status();
  for (const std::string& name : *children) {
    ParsedFileName parsed = ParseFileName(name);
    if (parsed.kind == FileKind::kSnapshot && parsed.seq < newest.seq) doomed.push_back(name);
  }
  // Oldest first, so a crash part way leaves a contiguous log.
  for (const std::string& name : doomed) {
    WALKV_RETURN_IF_ERROR(env_->RemoveFile(JoinPath(options_.data_dir, name)));
  }
  return env_->SyncDir(options_.data_dir);
}

}  // namespace walkv
