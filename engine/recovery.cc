#include "engine/recovery.h"

#include <algorithm>
#include <optional>

#include "engine/file_names.h"
#include "engine/log_format.h"
#include "engine/log_head.h"
#include "engine/log_reader.h"
#include "engine/recovery_words.h"
#include "engine/snapshot_install.h"
#include "engine/snapshot_reader.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

// Carries the state of one planning run so each step stays a small function. Every step returns
// an I/O failure as its Status; damage goes into plan_ (and a refusal stops the next steps).
class Planner {
 public:
  Planner(Env* env, std::string dir, RecoveryMode mode, Store* store)
      : env_(env), dir_(std::move(dir)), store_(store) {
    plan_.mode = mode;
  }

  StatusOr<RecoveryPlan> Run();

 private:
  // A pending snapshot install (engine/snapshot_install.h): plan the directory as it will be
  // once it is finished. kCorruption if INSTALL is damaged.
  Status ReadPendingInstall();
  Status ListFiles();
  // ListFiles with an install pending: only the snapshot it installs counts.
  Status ListFilesForPendingInstall(const std::vector<std::string>& children);
  // LOGHEAD must be intact (when the directory needs one) and name a segment that exists.
  void CheckLogHead();
  Status LoadBaseSnapshot();
  Status ReplayLog();
  // Sizes the store for the segments from `next` on, at the rate of new keys per log byte that
  // the segment before it showed (`keys_added` keys): replaying a large log then does not rehash
  // the table at every doubling (each rehash re-reads every entry; ~10% of replay, perf).
  void ReserveForRestOfLog(size_t next, uint64_t keys_added);
  // Absolute mode only: the snapshots and segments the state does not need are checked too.
  Status CheckUnneededFiles();
  // Plans what to do about damage found by `scan` in segment `index` (`file_bytes` long).
  void PlanSegmentDamage(size_t index, const log::SegmentScan& scan, uint64_t file_bytes);
  // Moves segments [first, end) aside, because of finding `cause`.
  void DropSegmentsFrom(size_t first, size_t cause);

  // Records `f` with its decision; false if it refuses (planning stops).
  bool Found(Finding f);
  void Act(Action a);
  RecoveredState& state() { return plan_.state; }
  std::string Path(const std::string& name) const { return JoinPath(dir_, name); }
  RecoveryMode mode() const { return plan_.mode; }

  Env* env_;
  std::string dir_;
  Store* store_;
  RecoveryPlan plan_;
  log::LogHeadCheck head_;                    // LOGHEAD as read before the listing
  std::vector<SnapshotInfo> snapshot_files_;  // every snap-*.snap, ascending
  uint64_t base_seq_ = 0;
  size_t replay_start_ = 0;  // index in state().segments of the first segment replay read
};

StatusOr<RecoveryPlan> Planner::Run() {
  uint64_t start = env_->MonotonicMicros();
  // LOGHEAD before the listing: a live server (verify) creates a segment before it names it, so
  // the segment LOGHEAD names is already in the listing that follows.
  auto head = log::ReadLogHead(env_, dir_);
  if (!head.ok()) return head.status();
  head_ = *head;
  state().log_head = head_.newest;
  WALKV_RETURN_IF_ERROR(ReadPendingInstall());
  WALKV_RETURN_IF_ERROR(ListFiles());
  if (!plan_.pending_install) CheckLogHead();  // finishing the install rewrites LOGHEAD
  if (plan_.starts()) WALKV_RETURN_IF_ERROR(LoadBaseSnapshot());
  if (plan_.starts()) WALKV_RETURN_IF_ERROR(ReplayLog());
  if (plan_.starts() && mode() == RecoveryMode::kAbsolute) {
    WALKV_RETURN_IF_ERROR(CheckUnneededFiles());
  }
  state().summary.keys = store_->Size();
  state().summary.last_seq = state().last_seq;
  state().summary.duration_micros = env_->MonotonicMicros() - start;
  return std::move(plan_);
}

bool Planner::Found(Finding f) {
  f.decision = Decide(mode(), f.kind, f.needed);
  plan_.findings.push_back(std::move(f));
  if (plan_.findings.back().decision != Decision::kRefuse) return true;
  plan_.refusal = plan_.findings.size() - 1;
  return false;
}

void Planner::Act(Action a) {
  if (a.kind == ActionKind::kTruncate || a.kind == ActionKind::kMoveAside) {
    state().summary.bytes_truncated += a.bytes;
  }
  plan_.actions.push_back(std::move(a));
}

Status Planner::ReadPendingInstall() {
  auto install = install::ReadInstall(env_, dir_);
  if (!install.ok()) return install.status();
  if (!install->present) return Status::Ok();
  if (!install->snapshot_seq) {
    return Status::Corruption(StrCat(install::InstallFileName(), " (a pending snapshot install) ",
                                     install->problem));
  }
  plan_.pending_install = *install->snapshot_seq;
  return Status::Ok();
}

Status Planner::ListFilesForPendingInstall(const std::vector<std::string>& children) {
  const uint64_t seq = *plan_.pending_install;
  const std::string received = install::ReceivedSnapshotFileName(seq);
  for (const std::string& name : children) {
    // Every other segment and snapshot will be moved aside; *.tmp files are removed as always.
    if (ParseFileName(name).kind == FileKind::kTemp && name != received) {
      Act({.kind = ActionKind::kRemoveTemp, .file = name});
    }
  }
  std::optional<std::string> file = install::PendingSnapshotFile(env_, dir_, seq);
  if (seq > 0 && !file) {
    return Status::Corruption(StrCat(install::InstallFileName(), " names the snapshot at seq ",
                                     seq, ", but neither ", received, " nor ",
                                     SnapshotFileName(seq), " exists"));
  }
  if (file) {
    auto size = env_->GetFileSize(Path(*file));
    if (!size.ok()) return size.status();
    snapshot_files_.push_back({.file = *file, .seq = seq, .bytes = *size});
  }
  return Status::Ok();
}

Status Planner::ListFiles() {
  auto children = env_->GetChildren(dir_);
  if (!children.ok()) return children.status();
  if (plan_.pending_install) return ListFilesForPendingInstall(*children);
  for (const std::string& name : *children) {
    ParsedFileName parsed = ParseFileName(name);
    switch (parsed.kind) {
      case FileKind::kTemp:
        // A snapshot or atomic write that never reached its rename: never part of the state.
        Act({.kind = ActionKind::kRemoveTemp, .file = name});
        break;
      case FileKind::kLogSegment: {
        auto size = env_->GetFileSize(Path(name));
        if (!size.ok()) return size.status();
        state().segments.push_back({parsed.seq, name, *size});
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
  std::sort(state().segments.begin(), state().segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_seq < b.first_seq; });
  std::sort(snapshot_files_.begin(), snapshot_files_.end(),
            [](const SnapshotInfo& a, const SnapshotInfo& b) { return a.seq < b.seq; });
  return Status::Ok();
}

void Planner::CheckLogHead() {
  std::vector<uint64_t> segment_seqs;
  for (const SegmentFile& s : state().segments) segment_seqs.push_back(s.first_seq);
  std::optional<log::LogHeadProblem> problem =
      log::FindLogHeadProblem(head_, snapshot_files_.size(), segment_seqs);
  if (!problem) return;
  Found(LogHeadFinding(*problem));  // a repair here changes nothing on disk: the engine rewrites LOGHEAD
}

Status Planner::LoadBaseSnapshot() {
  const auto& segments = state().segments;
  // The log covers what follows snapshot S if some segment starts at or before S+1 (or there is
  // no log at all yet after it).
  auto covered = [&](uint64_t seq) {
    return segments.empty() || segments.front().first_seq <= seq + 1;
  };
  for (auto it = snapshot_files_.rbegin(); it != snapshot_files_.rend(); ++it) {
    StatusOr<snapshot::SnapshotCheck> read = snapshot::ReadSnapshotWithDeadlines(
        env_, Path(it->file), it->seq,
        [&](std::string_view k, std::string_view v, uint64_t deadline_ms) {
          store_->Load(k, v, deadline_ms);
        },
        [&](uint64_t entries) { store_->Reserve(entries); });
    WALKV_RETURN_IF_ERROR(read.status());
    const snapshot::SnapshotCheck& check = *read;
    if (check.problem) {
      store_->Clear();
      if (!Found({.kind = DamageKind::kSnapshotDamaged,
                  .file = it->file,
                  .offset = check.problem->offset,
                  .bytes = check.bytes - std::min<uint64_t>(check.problem->offset, check.bytes),
                  .detail = check.problem->reason})) {
        return Status::Ok();
      }
      continue;
    }
    if (!covered(it->seq)) {
      store_->Clear();
      if (!Found({.kind = DamageKind::kSnapshotUncovered,
                  .file = it->file,
                  .oldest_segment = segments.front().name})) {
        return Status::Ok();
      }
      continue;
    }
    it->keys = check.entries;
    base_seq_ = it->seq;
    state().digest = check.digest.value_or(HistoryDigest::StartingAt(it->seq));
    state().base_snapshot = *it;
    state().summary.snapshot_file = it->file;
    state().summary.snapshot_seq = it->seq;
    state().summary.snapshot_keys = check.entries;
    break;
  }
  // Keep the list of intact-looking snapshots no newer than the base for later cleanup decisions
  // (older ones were not read unless absolute mode checks them; one found damaged is left out).
  for (const SnapshotInfo& info : snapshot_files_) {
    const bool damaged = std::any_of(plan_.findings.begin(), plan_.findings.end(),
                                     [&](const Finding& f) { return f.file == info.file; });
    if (info.seq <= base_seq_ && !damaged) state().snapshots.push_back(info);
  }
  if (state().base_snapshot) return Status::Ok();
  if (segments.empty() && !snapshot_files_.empty()) {
    Found({.kind = DamageKind::kNoBase, .file = snapshot_files_.back().file});
  } else if (!segments.empty() && segments.front().first_seq != 1) {
    Found({.kind = DamageKind::kNoBase,
           .file = segments.front().name,
           .expected_seq = 1,
           .found_seq = segments.front().first_seq});
  }
  return Status::Ok();
}

Status Planner::ReplayLog() {
  auto& segments = state().segments;
  uint64_t expected = base_seq_ + 1;
  // Start at the last segment that begins at or before the first record the snapshot lacks.
  size_t start = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].first_seq <= expected) start = i;
  }
  replay_start_ = start;
  RecoverySummary& summary = state().summary;
  // One buffer for every segment: its capacity (a segment's size) is reused, so each segment
  // costs a read but no fresh allocation and page faults.
  std::string bytes;
  const uint64_t keys_before = store_->Size();
  for (size_t i = start; i < segments.size(); ++i) {
    const SegmentFile& seg = segments[i];
    if (i > start && seg.first_seq != expected) {
      state().last_seq = expected - 1;
      if (Found({.kind = DamageKind::kSequenceGap,
                 .file = seg.name,
                 .bytes = seg.bytes,
                 .expected_seq = expected,
                 .found_seq = seg.first_seq})) {
        DropSegmentsFrom(i, plan_.findings.size() - 1);
      }
      return Status::Ok();
    }
    if (i == start + 1 && store_->Size() > keys_before) {
      ReserveForRestOfLog(i, store_->Size() - keys_before);
    }
    WALKV_RETURN_IF_ERROR(ReadFileToString(env_, Path(seg.name), &bytes));
    log::SegmentScan scan =
        log::ParseSegment(bytes, seg.first_seq, [&](const log::RecordView& rec) {
          if (rec.seq < expected) return;  // already in the snapshot
          MutationResult ignored;
          store_->Apply(rec.type, rec.key, rec.value, rec.deadline_ms, &ignored);
          state().digest.AdvanceRecord(std::string_view(bytes).substr(rec.offset, rec.size));
          ++expected;
          ++summary.records_replayed;
          summary.bytes_replayed += rec.size;
        });
    ++summary.segments_replayed;
    // Bytes of log, not of file: a pre-written segment's unused zero tail is not log.
    if (!scan.damage) segments[i].bytes = scan.valid_end;
    if (scan.damage) {
      state().last_seq = expected - 1;
      PlanSegmentDamage(i, scan, bytes.size());
      return Status::Ok();
    }
  }
  state().last_seq = expected - 1;
  return Status::Ok();
}

void Planner::ReserveForRestOfLog(size_t next, uint64_t keys_added) {
  const auto& segments = state().segments;
  const uint64_t replayed = segments[next - 1].bytes;
  if (replayed == 0 || keys_added == 0) return;
  uint64_t rest = 0;
  for (size_t i = next; i < segments.size(); ++i) rest += segments[i].bytes;
  // As many new keys per byte as the first segment added: an overestimate only if later segments
  // create keys more slowly than the first (the table then holds spare slots, 9 bytes each).
  const double per_byte = static_cast<double>(keys_added) / static_cast<double>(replayed);
  // Every record is at least a header long, so no log holds more new keys than that.
  const auto estimate = static_cast<uint64_t>(per_byte * static_cast<double>(rest));
  const uint64_t more = std::min<uint64_t>(estimate, rest / log::kRecordHeaderSize);
  store_->Reserve(store_->Size() + more);
}

Status Planner::CheckUnneededFiles() {
  for (const SnapshotInfo& info : snapshot_files_) {
    if (state().base_snapshot && info.seq == state().base_snapshot->seq) continue;
    StatusOr<snapshot::SnapshotCheck> check =
        snapshot::ReadSnapshot(env_, Path(info.file), info.seq, nullptr);
    WALKV_RETURN_IF_ERROR(check.status());
    if (check->problem && !Found({.kind = DamageKind::kSnapshotDamaged,
                                  .file = info.file,
                                  .offset = check->problem->offset,
                                  .detail = check->problem->reason,
                                  .needed = false})) {
      return Status::Ok();
    }
  }
  const auto& segments = state().segments;
  for (size_t i = 0; i < replay_start_ && i < segments.size(); ++i) {
    std::string bytes;
    WALKV_RETURN_IF_ERROR(ReadFileToString(env_, Path(segments[i].name), &bytes));
    log::SegmentScan scan = log::ParseSegment(bytes, segments[i].first_seq, nullptr);
    if (scan.damage && !Found({.kind = ClassifySegmentDamage(scan, bytes.size(), /*newest=*/false,
                                                                 /*named_by_loghead=*/false),
                               .file = segments[i].name,
                               .offset = scan.damage->offset,
                               .detail = scan.damage->reason,
                               .needed = false})) {
      return Status::Ok();
    }
  }
  return Status::Ok();
}

void Planner::PlanSegmentDamage(size_t index, const log::SegmentScan& scan,
                                uint64_t file_bytes) {
  auto& segments = state().segments;
  const SegmentFile seg = segments[index];
  const log::SegmentDamage& damage = *scan.damage;
  Finding f{.kind = ClassifySegmentDamage(scan, file_bytes, index + 1 == segments.size(),
                                          head_.newest == seg.first_seq),
            .file = seg.name,
            .offset = damage.offset,
            .bytes = file_bytes - std::min(damage.offset, file_bytes),
            .detail = damage.reason};
  if (damage.valid_records_follow) f.next_valid_offset = damage.next_valid_offset;
  if (!Found(std::move(f))) return;
  const size_t cause = plan_.findings.size() - 1;

  if (!scan.header_ok) {  // nothing in it is usable
    Act({.kind = ActionKind::kMoveAside,
         .file = seg.name,
         .target = DroppedFileName(seg.name),
         .bytes = seg.bytes,
         .finding = cause});
    segments.erase(segments.begin() + static_cast<std::ptrdiff_t>(index));
    DropSegmentsFrom(index, cause);
    return;
  }
  if (mode() == RecoveryMode::kPointInTime) {  // point-in-time keeps what it drops
    Act({.kind = ActionKind::kKeepTail,
         .file = seg.name,
         .target = DroppedTailFileName(seg.name, scan.valid_end),
         .size = scan.valid_end,
         .finding = cause});
  }
  Act({.kind = ActionKind::kTruncate,
       .file = seg.name,
       .size = scan.valid_end,
       .bytes = seg.bytes - scan.valid_end,
       .finding = cause});
  segments[index].bytes = scan.valid_end;
  DropSegmentsFrom(index + 1, cause);
}

void Planner::DropSegmentsFrom(size_t first, size_t cause) {
  auto& segments = state().segments;
  for (size_t i = first; i < segments.size(); ++i) {
    Act({.kind = ActionKind::kMoveAside,
         .file = segments[i].name,
         .target = DroppedFileName(segments[i].name),
         .bytes = segments[i].bytes,
         .finding = cause});
  }
  segments.resize(std::min(segments.size(), first));
}

}  // namespace

StatusOr<RecoveryPlan> PlanRecovery(Env* env, const std::string& dir, RecoveryMode mode,
                                    Store* store) {
  Planner planner(env, dir, mode, store);
  return planner.Run();
}

Status ExecuteRecoveryPlan(Env* env, const std::string& dir, const RecoveryPlan& plan) {
  if (!plan.starts()) return Status::InvalidArgument("a refusing recovery plan cannot be executed");
  bool dir_changed = false;
  for (const Action& a : plan.actions) {
    const std::string path = JoinPath(dir, a.file);
    switch (a.kind) {
      case ActionKind::kRemoveTemp:
        WALKV_RETURN_IF_ERROR(env->RemoveFile(path));
        dir_changed = true;
        break;
      case ActionKind::kKeepTail: {
        // Written whole (temp, sync, rename, directory sync) before the truncation that follows.
        std::string bytes;
        WALKV_RETURN_IF_ERROR(ReadFileToString(env, path, &bytes));
        if (bytes.size() < a.size) {
          return Status::Corruption(StrCat(a.file, " is shorter (", bytes.size(),
                                           " bytes) than when recovery read it"));
        }
        WALKV_RETURN_IF_ERROR(
            WriteFileAtomically(env, dir, a.target, std::string_view(bytes).substr(a.size)));
        break;
      }
      case ActionKind::kTruncate:
        WALKV_RETURN_IF_ERROR(env->TruncateFile(path, a.size));  // syncs the file
        break;
      case ActionKind::kMoveAside:
        WALKV_RETURN_IF_ERROR(env->RenameFile(path, JoinPath(dir, a.target)));
        dir_changed = true;
        break;
    }
  }
  return dir_changed ? env->SyncDir(dir) : Status::Ok();
}

StatusOr<RecoveredState> Recover(Env* env, const std::string& dir, RecoveryMode mode,
                                 Store* store, const LogSink& log) {
  // A snapshot install that was committed (INSTALL is durable) is finished before anything else:
  // from its commit point on the directory's state is the installed snapshot.
  auto installed = install::FinishPendingInstall(env, dir);
  if (!installed.ok()) return installed.status();
  std::optional<std::string> install_note;
  if (installed->finished) {
    install_note = StrCat("finished installing the primary's snapshot at seq ",
                          installed->snapshot_seq, ": ", installed->moved_aside.size(),
                          " file(s) of the replica's own history moved aside as *.dropped");
    if (log) log(LogLevel::kWarn, *install_note);
  }
  auto plan = PlanRecovery(env, dir, mode, store);
  if (!plan.ok()) return plan.status();
  if (!plan->starts()) return Status::Corruption(DescribeRefusal(*plan));
  RecoveredState& state = plan->state;
  if (install_note) state.summary.notes.push_back(std::move(*install_note));
  for (std::string& line : DescribeHousekeeping(*plan)) {
    if (log) log(LogLevel::kInfo, line);
  }
  for (std::string& line : DescribeRepairs(*plan)) {
    if (log) log(LogLevel::kWarn, line);
    state.summary.notes.push_back(std::move(line));
  }
  WALKV_RETURN_IF_ERROR(ExecuteRecoveryPlan(env, dir, *plan));
  return std::move(state);
}

}  // namespace walkv
