#include "engine/compact.h"

#include "engine/file_names.h"
#include "engine/verify.h"

namespace walkv {
namespace {

// Bytes and count of the snapshots and log segments in `dir`.
Status MeasureDataFiles(Env* env, const std::string& dir, uint64_t* bytes, uint64_t* files) {
  auto children = env->GetChildren(dir);
  if (!children.ok()) return children.status();
  *bytes = 0;
  *files = 0;
  for (const std::string& name : *children) {
    FileKind kind = ParseFileName(name).kind;
    if (kind != FileKind::kSnapshot && kind != FileKind::kLogSegment) continue;
    auto size = env->GetFileSize(JoinPath(dir, name));
    if (!size.ok()) return size.status();
    *bytes += *size;
    ++*files;
  }
  return Status::Ok();
}

}  // namespace

StatusOr<CompactResult> CompactDataDir(const EngineOptions& options) {
  EngineOptions o = options;
  o.snapshot_interval_seconds = 0;  // only the snapshot we ask for
  o.snapshot_wal_bytes = 0;
  if (o.env == nullptr) o.env = Env::Posix();
  if (!o.env->FileExists(o.data_dir)) {
    return Status::NotFound("data directory " + o.data_dir + " does not exist");
  }
  // Never turn an unrelated directory (a mistyped path) into a data directory.
  if (!LooksLikeDataDir(o.env, o.data_dir)) {
    return Status::InvalidArgument(o.data_dir +
                                   " is not a walkv data directory: it holds no LOCK, LOGHEAD, "
                                   "snap-*.snap or wal-*.log file; nothing was changed");
  }

  CompactResult result;
  // Measured before the lock is taken; a server starting in between makes Open fail with kBusy.
  WALKV_RETURN_IF_ERROR(
      MeasureDataFiles(o.env, o.data_dir, &result.bytes_before, &result.files_before));
  auto engine = Engine::Open(o);
  if (!engine.ok()) return engine.status();
  result.recovery = (*engine)->recovery_summary();
  // Keeps only the new snapshot: every older one and every segment it covers go, the fallback
  // included.
  auto snapshot = (*engine)->SnapshotKeeping(1);
  if (!snapshot.ok()) return snapshot.status();
  result.snapshot = *snapshot;
  WALKV_RETURN_IF_ERROR((*engine)->Close());
  WALKV_RETURN_IF_ERROR(
      MeasureDataFiles(o.env, o.data_dir, &result.bytes_after, &result.files_after));
  return result;
}

}  // namespace walkv
