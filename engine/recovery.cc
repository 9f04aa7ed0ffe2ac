#include "engine/recovery.h"

#include <algorithm>
#include <optional>

#include "engine/file_names.h"
#include "engine/log_format.h"
#include "engine/log_head.h"
#include "engine/log_reader.h"
#include "engine/snapshot_reader.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

constexpr std::string_view kVerifyHint = " Run `walkv verify --data-dir DIR` for a full report.";

// Carries the state of one recovery run so each step stays a small function.
class Recovery {
 public:
  Recovery(Env* env, std::string dir, RecoveryMode mode, Store* store, const LogSink& log,
           bool dry_run)
      : env_(env), dir_(std::move(dir)), mode_(mode), store_(store), log_(log), dry_run_(dry_run) {}

  StatusOr<RecoveredState> Run();

 private:
  Status ListFiles();
  // Checks LOGHEAD against the listing: it must be intact (when the directory needs one) and the
  // segment it names must exist. Point-in-time notes the damage and goes on.
  Status CheckLogHead();
  Status LogHeadDamage(const std::string& what);
  Status LoadBaseSnapshot();
  Status ReplayLog();
  // Absolute mode only: reads the snapshots and segments recovery did not need and refuses if
  // any is damaged.
  Status CheckUnneededFiles();
  // Handles damage at `file`/`offset`; `tail_only` means nothing intact follows it in the log.
  // Returns OK if recovery may continue with the state so far (and has repaired the directory),
  // or the refusal.
  Status HandleLogDamage(size_t segment_index, const log::SegmentScan& scan, bool header_torn);
  Status DropSegmentsFrom(size_t first_dropped);
  // The directory changes recovery makes; no-ops in a dry run.
  Status Remove(const std::string& name);
  Status MoveAside(const std::string& name);
  Status Truncate(const std::string& name, uint64_t size);

  void Note(LogLevel level, std::string message) {
    if (log_) log_(level, message);
    state_.summary.notes.push_back(std::move(message));
  }
  std::string Path(const std::string& name) const { return JoinPath(dir_, name); }

  Env* env_;
  std::string dir_;
  RecoveryMode mode_;
  Store* store_;
  const LogSink& log_;
  const bool dry_run_;
  RecoveredState state_;
  log::LogHeadCheck head_;                    // LOGHEAD as read before the listing
  std::vector<SnapshotInfo> snapshot_files_;  // every snap-*.snap, ascending
  uint64_t base_seq_ = 0;
  size_t replay_start_ = 0;  // index in state_.segments of the first segment replay read
  bool dir_changed_ = false;
};

StatusOr<RecoveredState> Recovery::Run() {
  uint64_t start = env_->MonotonicMicros();
  // LOGHEAD before the listing: a live server (verify's dry run) creates a segment before it
  // names it, so the segment LOGHEAD names is already in the listing that follows.
  auto head = log::ReadLogHead(env_, dir_);
  if (!head.ok()) return head.status();
  head_ = *head;
  state_.log_head = head_.newest;
  WALKV_RETURN_IF_ERROR(ListFiles());
  WALKV_RETURN_IF_ERROR(CheckLogHead());
  WALKV_RETURN_IF_ERROR(LoadBaseSnapshot());
  WALKV_RETURN_IF_ERROR(ReplayLog());
  if (mode_ == RecoveryMode::kAbsolute) WALKV_RETURN_IF_ERROR(CheckUnneededFiles());
  if (dir_changed_ && !dry_run_) WALKV_RETURN_IF_ERROR(env_->SyncDir(dir_));
  state_.summary.keys = store_->Size();
  state_.summary.duration_micros = env_->MonotonicMicros() - start;
  return std::move(state_);
}

Status Recovery::ListFiles() {
  auto children = env_->GetChildren(dir_);
  if (!children.ok()) return children.status();
  for (const std::string& name : *children) {
    ParsedFileName parsed = ParseFileName(name);
    switch (parsed.kind) {
      case FileKind::kTemp:
        // A snapshot or atomic write that never reached its rename: never part of the state.
        WALKV_RETURN_IF_ERROR(Remove(name));
        if (log_) log_(LogLevel::kInfo, StrCat("removed unfinished temporary file ", name));
        break;
      case FileKind::kLogSegment: {
        auto size = env_->GetFileSize(Path(name));
        if (!size.ok()) return size.status();
        state_.segments.push_back({parsed.seq, name, *size});
        break;
      }
      case FileKind::kSnapshot: {
        auto size = env_->GetFileSize(Path(name));
        if (!size.ok()) return size.status();
        SnapshotInfo info;
        info.file = name;
        info.seq = parsed.seq;
        info.bytes = *size;
        snapshot_files_.push_back(info);
        break;
      }
      case FileKind::kLock:
      case FileKind::kLogHead:
      case FileKind::kUnknown:
        break;
    }
  }
  std::sort(state_.segments.begin(), state_.segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_seq < b.first_seq; });
  std::sort(snapshot_files_.begin(), snapshot_files_.end(),
            [](const SnapshotInfo& a, const SnapshotInfo& b) { return a.seq < b.seq; });
  return Status::Ok();
}

Status Recovery::CheckLogHead() {
  std::vector<uint64_t> segment_seqs;
  for (const SegmentFile& s : state_.segments) segment_seqs.push_back(s.first_seq);
  std::optional<log::LogHeadProblem> problem =
      log::FindLogHeadProblem(head_, snapshot_files_.size(), segment_seqs);
  if (!problem) return Status::Ok();
  const std::string_view unsure = ", so walkv cannot tell whether the newest log segment is there";
  switch (problem->kind) {
    case log::LogHeadProblem::Kind::kDamaged:
      return LogHeadDamage(StrCat(LogHeadFileName(), " is damaged at byte ", problem->offset, ": ",
                                  problem->detail, unsure));
    case log::LogHeadProblem::Kind::kMissing:
      return LogHeadDamage(StrCat(LogHeadFileName(), " is missing", unsure));
    case log::LogHeadProblem::Kind::kSegmentMissing:
      break;
  }
  if (dry_run_) {
    // A live server may have rolled to a new segment and removed this one after a snapshot
    // between our reads: if LOGHEAD moved on, ask the caller to look again.
    auto again = log::ReadLogHead(env_, dir_);
    if (again.ok() && again->newest != head_.newest) {
      return Status::NotFound("LOGHEAD changed while the directory was read");
    }
  }
  return LogHeadDamage(StrCat(LogFileName(problem->newest), " is missing: ", problem->detail));
}

Status Recovery::LogHeadDamage(const std::string& what) {
  if (mode_ != RecoveryMode::kPointInTime) {
    return Status::Corruption(StrCat("log damage: ", what, "; refusing to start (--recovery-mode ",
                                     RecoveryModeName(mode_),
                                     "). --recovery-mode point-in-time would serve the log that "
                                     "is there.",
                                     kVerifyHint));
  }
  Note(LogLevel::kWarn, StrCat("log damage: ", what,
                               "; serving the log that is there (--recovery-mode point-in-time)"));
  return Status::Ok();
}

Status Recovery::LoadBaseSnapshot() {
  const auto& segments = state_.segments;
  // The log covers what follows snapshot S if some segment starts at or before S+1 (or there is
  // no log at all yet after it).
  auto covered = [&](uint64_t seq) {
    return segments.empty() || segments.front().first_seq <= seq + 1;
  };
  for (auto it = snapshot_files_.rbegin(); it != snapshot_files_.rend(); ++it) {
    std::string bytes;
    WALKV_RETURN_IF_ERROR(ReadFileToString(env_, Path(it->file), &bytes));
    snapshot::SnapshotCheck check = snapshot::ParseSnapshot(
        bytes, it->seq, [&](std::string_view k, std::string_view v) { store_->Load(k, v); },
        [&](uint64_t entries) { store_->Reserve(entries); });
    if (check.problem) {
      store_->Clear();
      std::string what = StrCat("snapshot ", it->file, " is damaged at byte ",
                                check.problem->offset, ": ", check.problem->reason);
      if (mode_ == RecoveryMode::kAbsolute) {
        return Status::Corruption(
            StrCat(what, "; refusing to start (--recovery-mode absolute).", kVerifyHint));
      }
      Note(LogLevel::kWarn, StrCat(what, "; falling back to an older snapshot"));
      continue;
    }
    if (!covered(it->seq)) {
      store_->Clear();
      Note(LogLevel::kWarn, StrCat("snapshot ", it->file, " is intact but the log no longer holds ",
                                   "the records after it (oldest segment ", segments.front().name,
                                   "); trying an older snapshot"));
      continue;
    }
    it->keys = check.entries;
    base_seq_ = it->seq;
    state_.base_snapshot = *it;
    state_.summary.snapshot_file = it->file;
    state_.summary.snapshot_seq = it->seq;
    state_.summary.snapshot_keys = check.entries;
    break;
  }
  // Keep the list of intact-looking snapshots no newer than the base for later cleanup decisions.
  for (const SnapshotInfo& info : snapshot_files_) {
    if (info.seq <= base_seq_) state_.snapshots.push_back(info);
  }
  if (!state_.base_snapshot && segments.empty() && !snapshot_files_.empty()) {
    return Status::Corruption(StrCat("no usable snapshot and no log segment: the state of ",
                                     snapshot_files_.back().file, " cannot be rebuilt; refusing ",
                                     "to start.", kVerifyHint));
  }
  if (!state_.base_snapshot && !segments.empty() && segments.front().first_seq != 1) {
    return Status::Corruption(StrCat(
        "no usable snapshot, and the oldest log segment ", segments.front().name,
        " starts at sequence ", segments.front().first_seq,
        ", so records before it are missing; refusing to start.", kVerifyHint));
  }
  return Status::Ok();
}

Status Recovery::ReplayLog() {
  auto& segments = state_.segments;
  uint64_t expected = base_seq_ + 1;
  // Start at the last segment that begins at or before the first record the snapshot lacks.
  size_t start = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].first_seq <= expected) start = i;
  }
  replay_start_ = start;
  for (size_t i = start; i < segments.size(); ++i) {
    const SegmentFile& seg = segments[i];
    if (i > start && seg.first_seq != expected) {
      state_.last_seq = expected - 1;
      std::string where = StrCat(seg.name, " starts at sequence ", seg.first_seq, " but ",
                                 expected, " was expected: a segment is missing or the log has "
                                 "a gap");
      if (mode_ != RecoveryMode::kPointInTime) {
        return Status::Corruption(StrCat("log damage: ", where, "; refusing to start (--recovery-mode ",
                                         RecoveryModeName(mode_), ").", kVerifyHint));
      }
      Note(LogLevel::kWarn, StrCat("log damage: ", where, "; serving the state up to sequence ",
                                   expected - 1, " (--recovery-mode point-in-time)"));
      return DropSegmentsFrom(i);
    }
    std::string bytes;
    WALKV_RETURN_IF_ERROR(ReadFileToString(env_, Path(seg.name), &bytes));
    log::SegmentScan scan =
        log::ParseSegment(bytes, seg.first_seq, [&](const log::RecordView& rec) {
          if (rec.seq < expected) return;  // already in the snapshot
          MutationResult ignored;
          store_->Apply(rec.type, rec.key, rec.value, &ignored);
          ++expected;
          ++state_.summary.records_replayed;
          state_.summary.bytes_replayed += rec.size;
        });
    ++state_.summary.segments_replayed;
    if (scan.damage) {
      // A header shorter than its fixed size with nothing after it is a segment whose creation
      // was cut short: it never held a record. Unless LOGHEAD names it: LOGHEAD is written only
      // after the segment's header is durable, so that segment lost bytes it once had.
      bool header_torn = !scan.header_ok && bytes.size() <= log::kSegmentHeaderSize &&
                         head_.newest != seg.first_seq;
      Status s = HandleLogDamage(i, scan, header_torn);
      state_.last_seq = expected - 1;
      return s;
    }
  }
  state_.last_seq = expected - 1;
  return Status::Ok();
}

Status Recovery::CheckUnneededFiles() {
  auto refuse = [](const std::string& file, uint64_t offset, const std::string& reason) {
    return Status::Corruption(StrCat(file, " is damaged at byte ", offset, ": ", reason,
                                     "; it is not needed to start, but refusing to start "
                                     "(--recovery-mode absolute refuses on any damage).",
                                     kVerifyHint));
  };
  for (const SnapshotInfo& info : snapshot_files_) {
    if (state_.base_snapshot && info.seq == state_.base_snapshot->seq) continue;
    std::string bytes;
    WALKV_RETURN_IF_ERROR(ReadFileToString(env_, Path(info.file), &bytes));
    snapshot::SnapshotCheck check = snapshot::ParseSnapshot(bytes, info.seq, nullptr);
    if (check.problem) return refuse(info.file, check.problem->offset, check.problem->reason);
  }
  const auto& segments = state_.segments;
  for (size_t i = 0; i < replay_start_ && i < segments.size(); ++i) {
    std::string bytes;
    WALKV_RETURN_IF_ERROR(ReadFileToString(env_, Path(segments[i].name), &bytes));
    log::SegmentScan scan = log::ParseSegment(bytes, segments[i].first_seq, nullptr);
    if (scan.damage) return refuse(segments[i].name, scan.damage->offset, scan.damage->reason);
  }
  return Status::Ok();
}

Status Recovery::HandleLogDamage(size_t index, const log::SegmentScan& scan, bool header_torn) {
  auto& segments = state_.segments;
  const SegmentFile& seg = segments[index];
  const log::SegmentDamage& damage = *scan.damage;
  bool is_newest = index + 1 == segments.size();
  bool tail_only = is_newest && !damage.valid_records_follow &&
                   (scan.header_ok || header_torn);
  uint64_t dropped = seg.bytes - scan.valid_end;
  std::string where = StrCat(seg.name, " at byte ", damage.offset, ": ", damage.reason);

  bool repair = mode_ == RecoveryMode::kPointInTime ||
                (mode_ == RecoveryMode::kTolerateTail && tail_only);
  if (!repair) {
    std::string why = mode_ == RecoveryMode::kAbsolute
                          ? "refusing to start (--recovery-mode absolute)"
                          : (damage.valid_records_follow || !is_newest)
                                ? "intact records follow the damage, so this is not a torn tail; "
                                  "refusing to start (--recovery-mode tolerate-tail)"
                                : "the segment header is damaged; refusing to start "
                                  "(--recovery-mode tolerate-tail)";
    return Status::Corruption(StrCat("log damage in ", where, "; ", why,
                                     ". --recovery-mode point-in-time would serve the state "
                                     "before the damage.",
                                     kVerifyHint));
  }

  if (header_torn || (!scan.header_ok && mode_ == RecoveryMode::kPointInTime)) {
    WALKV_RETURN_IF_ERROR(MoveAside(seg.name));
    Note(LogLevel::kWarn, StrCat("log damage in ", where, "; segment held no intact record, ",
                                 "moved it aside to ", seg.name, ".dropped (", seg.bytes,
                                 " bytes)"));
    state_.summary.bytes_truncated += seg.bytes;
    segments.erase(segments.begin() + static_cast<std::ptrdiff_t>(index));
    return DropSegmentsFrom(index);
  }
  WALKV_RETURN_IF_ERROR(Truncate(seg.name, scan.valid_end));
  segments[index].bytes = scan.valid_end;
  state_.summary.bytes_truncated += dropped;
  Note(LogLevel::kWarn,
       StrCat("log damage in ", where, "; truncated ", seg.name, " to ", scan.valid_end,
              " bytes, dropping ", dropped, " bytes",
              mode_ == RecoveryMode::kPointInTime ? " (--recovery-mode point-in-time)" : ""));
  return DropSegmentsFrom(index + 1);
}

Status Recovery::DropSegmentsFrom(size_t first_dropped) {
  auto& segments = state_.segments;
  for (size_t i = first_dropped; i < segments.size(); ++i) {
    const std::string& name = segments[i].name;
    WALKV_RETURN_IF_ERROR(MoveAside(name));
    state_.summary.bytes_truncated += segments[i].bytes;
    Note(LogLevel::kWarn, StrCat("dropped ", name, " (", segments[i].bytes,
                                 " bytes after the damage; --recovery-mode point-in-time), ",
                                 "moved aside to ", name, ".dropped"));
  }
  segments.resize(std::min(segments.size(), first_dropped));
  return Status::Ok();
}

Status Recovery::Remove(const std::string& name) {
  dir_changed_ = true;
  return dry_run_ ? Status::Ok() : env_->RemoveFile(Path(name));
}

Status Recovery::MoveAside(const std::string& name) {
  dir_changed_ = true;
  return dry_run_ ? Status::Ok() : env_->RenameFile(Path(name), Path(name + ".dropped"));
}

Status Recovery::Truncate(const std::string& name, uint64_t size) {
  return dry_run_ ? Status::Ok() : env_->TruncateFile(Path(name), size);
}

}  // namespace

StatusOr<RecoveredState> Recover(Env* env, const std::string& dir, RecoveryMode mode,
                                 Store* store, const LogSink& log, bool dry_run) {
  Recovery recovery(env, dir, mode, store, log, dry_run);
  return recovery.Run();
}

}  // namespace walkv
