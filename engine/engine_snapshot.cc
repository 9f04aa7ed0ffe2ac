// EngineImpl's snapshot side: scheduling (timer, log size, on demand), writing a snapshot while
// writers keep running, publishing it and removing the files it makes obsolete.
#include <algorithm>
#include <utility>

#include "engine/engine_impl.h"
#include "engine/file_names.h"
#include "engine/retention.h"
#include "engine/snapshot_compressor.h"
#include "engine/snapshot_writer.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

// WriteSnapshot hands shard copies to the compressor in chunks of at least this many key and
// value bytes (two chunks circulate: SnapshotCompressor).
constexpr size_t kSnapshotChunkBytes = 1u << 20;

}  // namespace

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
  // This thread keeps normal CPU priority: it holds store shard locks while it copies them
  // (WriteSnapshot). The deflating, which requests should win against, runs at lowered priority
  // on the SnapshotCompressor's thread.
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
  (*writer)->SetHistoryDigest(cut.digest);
  // This thread copies shard after shard (each shard's writers wait only for its copy); the
  // compressor's thread, at lowered priority, deflates and writes them meanwhile. A chunk takes
  // shards until it holds kSnapshotChunkBytes, so that a small store is one hand-over, not one
  // per shard (each a wake-up of a low-priority thread).
  SnapshotCompressor compressor(env_, writer->get());
  SnapshotChunk* chunk = nullptr;
  for (size_t shard = 0; shard < Store::kShardCount; ++shard) {
    if (chunk == nullptr && (chunk = compressor.Empty()) == nullptr) break;  // Finish says why
    store_.CollectShardForSnapshot(shard, chunk);
    if (chunk->bytes() >= kSnapshotChunkBytes) {
      compressor.Submit(chunk);
      chunk = nullptr;
    }
  }
  if (chunk != nullptr) compressor.Submit(chunk);
  if (Status s = compressor.Finish(); !s.ok()) {
    store_.EndSnapshot();
    return s;
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
  {
    MutexLock lock(&files_mu_);
    snapshots_.push_back(info);
  }
  // The snapshot is durable; failing to remove what it made obsolete only leaves files behind.
  Status removed = RemoveObsoleteFiles(kSnapshotsKept, options_.replication_backlog_bytes);
  if (!removed.ok()) Log(LogLevel::kWarn, removed.ToString());
  return info;
}

Status EngineImpl::RemoveObsoleteFiles(size_t keep_snapshots, uint64_t backlog_bytes) {
  MutexLock cleanup(&cleanup_mu_);
  auto children = env_->GetChildren(options_.data_dir);
  if (!children.ok()) return children.status();
  std::vector<SnapshotOnDisk> snapshots;
  std::vector<SegmentOnDisk> segments;
  {
    MutexLock lock(&files_mu_);
    for (const std::string& name : *children) {
      const ParsedFileName parsed = ParseFileName(name);
      if (parsed.kind == FileKind::kSnapshot) {
        // Snapshots found damaged at startup are not in snapshots_.
        const bool intact = std::any_of(snapshots_.begin(), snapshots_.end(),
                                        [&](const SnapshotInfo& s) { return s.file == name; });
        snapshots.push_back({name, parsed.seq, intact});
      } else if (parsed.kind == FileKind::kLogSegment) {
        uint64_t bytes = 0;
        auto live = std::find_if(segments_.begin(), segments_.end(),
                                 [&](const SegmentFile& s) { return s.name == name; });
        if (live != segments_.end()) {
          bytes = live->bytes;
        } else if (auto size = env_->GetFileSize(JoinPath(options_.data_dir, name)); size.ok()) {
          bytes = *size;
        }
        segments.push_back({name, parsed.seq, bytes});
      }
    }
  }
  const std::vector<std::string> obsolete =
      ObsoleteFiles(std::move(snapshots), std::move(segments), keep_snapshots, backlog_bytes);
  // Oldest first, stopping at the first failure: what is left stays a contiguous log.
  Status status;
  size_t removed = 0;
  for (; removed < obsolete.size(); ++removed) {
    status = env_->RemoveFile(JoinPath(options_.data_dir, obsolete[removed]));
    if (!status.ok()) {
      status = Status(status.code(), StrCat("could not remove obsolete ", obsolete[removed], ": ",
                                            status.message()));
      break;
    }
  }
  if (removed == 0) return status;
  {
    MutexLock lock(&files_mu_);
    auto gone = [&](const std::string& name) {
      return std::find(obsolete.begin(), obsolete.begin() + removed, name) !=
             obsolete.begin() + removed;
    };
    std::erase_if(snapshots_, [&](const SnapshotInfo& s) { return gone(s.file); });
    std::erase_if(segments_, [&](const SegmentFile& s) { return gone(s.name); });
  }
  Status synced = env_->SyncDir(options_.data_dir);
  if (!synced.ok() && status.ok()) {
    status = Status(synced.code(), StrCat("could not sync the directory after removing obsolete "
                                          "files: ", synced.message()));
  }
  return status;
}

StatusOr<SnapshotInfo> EngineImpl::SnapshotKeeping(size_t keep_snapshots) {
  StatusOr<SnapshotInfo> snapshot = Snapshot();
  if (!snapshot.ok()) return snapshot;
  // Explicit compaction keeps no replication backlog: it is for shrinking a directory.
  WALKV_RETURN_IF_ERROR(RemoveObsoleteFiles(keep_snapshots, 0));
  return snapshot;
}

}  // namespace walkv
