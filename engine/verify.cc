#include "engine/verify.h"

#include <algorithm>

#include "engine/file_names.h"
#include "engine/log_head.h"
#include "engine/log_reader.h"
#include "engine/recovery.h"
#include "engine/recovery_words.h"
#include "engine/snapshot_reader.h"
#include "engine/store.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

struct Listing {
  std::vector<std::pair<uint64_t, std::string>> snapshots;  // ascending by seq
  std::vector<std::pair<uint64_t, std::string>> segments;   // ascending by first seq
};

StatusOr<Listing> ListDataDir(Env* env, const std::string& dir) {
  auto children = env->GetChildren(dir);
  if (!children.ok()) return children.status();
  Listing listing;
  for (const std::string& name : *children) {
    ParsedFileName parsed = ParseFileName(name);
    if (parsed.kind == FileKind::kSnapshot) listing.snapshots.emplace_back(parsed.seq, name);
    if (parsed.kind == FileKind::kLogSegment) listing.segments.emplace_back(parsed.seq, name);
  }
  std::sort(listing.snapshots.begin(), listing.snapshots.end());
  std::sort(listing.segments.begin(), listing.segments.end());
  return listing;
}

// True if a live server holds the directory lock. Never creates or writes the lock file; if the
// lock cannot even be probed (say, LOCK is unreadable), verify goes on as if no server ran.
bool ServerHoldsLock(Env* env, const std::string& dir) {
  StatusOr<bool> locked = env->IsLocked(JoinPath(dir, LockFileName()));
  return locked.ok() && *locked;
}

VerifyProblem ProblemFrom(const Finding& f) {
  return {f.kind, f.file, f.offset, DescribeDamage(f), {}, {}, {}};
}

// LOGHEAD's problems: damaged, missing where the directory needs it, or naming a segment that is
// not there. `head` was read before `listing`, so a segment it names that a live server created
// is in the listing; one a live server removed since (after rolling past it and snapshotting)
// is told apart by reading LOGHEAD again.
std::optional<VerifyProblem> CheckLogHead(Env* env, const std::string& dir,
                                          const log::LogHeadCheck& head, const Listing& listing,
                                          VerifiedFile* file) {
  const std::string name = LogHeadFileName();
  file->name = name;
  file->kind = "head";
  file->bytes = head.present ? log::kLogHeadSize : 0;
  file->seq = file->last_seq = head.newest.value_or(0);
  std::vector<uint64_t> segment_seqs;
  for (const auto& [first_seq, segment] : listing.segments) segment_seqs.push_back(first_seq);
  std::optional<log::LogHeadProblem> found =
      log::FindLogHeadProblem(head, listing.snapshots.size(), segment_seqs);
  // A directory that never got past wal-1 may have no LOGHEAD yet: that is ok too.
  file->ok = !found || found->kind == log::LogHeadProblem::Kind::kSegmentMissing;
  if (!found) return std::nullopt;
  if (found->kind == log::LogHeadProblem::Kind::kSegmentMissing) {
    auto again = log::ReadLogHead(env, dir);
    if (again.ok() && again->newest != head.newest) return std::nullopt;  // a live server moved on
  }
  return ProblemFrom(LogHeadFinding(*found));
}

// True if the directory changed under `plan` in a way that makes it wrong: a live server rolled
// past the segment LOGHEAD named and removed it after a snapshot, between the reads.
bool LogHeadMovedOn(Env* env, const std::string& dir, const RecoveryPlan& plan) {
  if (plan.starts() || plan.refusing_finding().kind != DamageKind::kNamedSegmentMissing) {
    return false;
  }
  auto again = log::ReadLogHead(env, dir);
  return again.ok() && again->newest != plan.state.log_head;
}

ModeOutcome PlanFor(Env* env, const std::string& dir, RecoveryMode mode) {
  ModeOutcome outcome;
  // A server running on the directory may remove a file (or move LOGHEAD on) between the listing
  // and the reads: plan again, twice at most.
  for (int attempt = 0;; ++attempt) {
    Store store;
    auto plan = PlanRecovery(env, dir, mode, &store);
    const bool last = attempt == 2;
    if (!plan.ok()) {
      if (plan.status().IsNotFound() && !last) continue;
      outcome.summary = StrCat("could not check: ", plan.status().message());
      return outcome;
    }
    if (!last && LogHeadMovedOn(env, dir, *plan)) continue;
    outcome.actions = DescribeRepairs(*plan);
    if (!plan->starts()) {
      outcome.summary = StrCat("would refuse to start: ", DescribeRefusal(*plan));
    } else {
      outcome.would_start = true;
      const RecoveredState& state = plan->state;
      outcome.summary = StrCat("would start with ", state.summary.keys, " keys at sequence ",
                               state.last_seq,
                               state.base_snapshot ? StrCat(" from ", state.base_snapshot->file)
                                                   : std::string(" from the log alone"));
    }
    outcome.plan = std::move(*plan);
    return outcome;
  }
}

// What serve would do about `problem` under one mode, from that mode's plan: its refusal if it
// refuses (then nothing on disk changes), else its decision about the same file, else nothing.
std::string AnswerFor(const ModeOutcome& outcome, const VerifyProblem& problem) {
  if (!outcome.plan || !outcome.would_start) return outcome.summary;
  const RecoveryPlan& plan = *outcome.plan;
  for (size_t i = 0; i < plan.findings.size(); ++i) {
    if (plan.findings[i].file == problem.file) return DescribeDecision(plan, i);
  }
  return "nothing: the file is not needed to recover (it is older than the snapshot serve loads)";
}

// Findings only recovery makes (the per-file scan cannot see them): a snapshot the log no longer
// covers, or nothing to start from.
bool OnlyRecoverySees(DamageKind kind) {
  return kind == DamageKind::kSnapshotUncovered || kind == DamageKind::kNoBase;
}

}  // namespace

bool LooksLikeDataDir(Env* env, const std::string& dir) {
  auto children = env->GetChildren(dir);
  if (!children.ok()) return false;
  return std::any_of(children->begin(), children->end(), [](const std::string& name) {
    FileKind kind = ParseFileName(name).kind;
    return kind == FileKind::kLock || kind == FileKind::kLogHead || kind == FileKind::kSnapshot ||
           kind == FileKind::kLogSegment;
  });
}

bool VerifyReport::only_crash_tail() const {
  return !problems.empty() && std::all_of(problems.begin(), problems.end(), [](const auto& p) {
    return IsCrashTail(p.kind);
  });
}

StatusOr<VerifyReport> VerifyDataDir(Env* env, const std::string& dir,
                                     const VerifyProgress& progress) {
  VerifyReport report;
  // LOGHEAD first: see CheckLogHead.
  auto head = log::ReadLogHead(env, dir);
  if (!head.ok() && !head.status().IsNotFound()) return head.status();
  auto listing = ListDataDir(env, dir);
  if (!listing.ok()) return listing.status();
  if (!LooksLikeDataDir(env, dir)) {
    return Status::InvalidArgument(
        StrCat(dir, " is not a walkv data directory: it holds no LOCK, LOGHEAD, snap-*.snap or "
                    "wal-*.log file"));
  }
  report.server_running = ServerHoldsLock(env, dir);
  if (report.server_running) {
    report.notes.push_back("a server is running on this directory; the newest log segment may "
                           "grow while it is checked");
  }

  const size_t total = listing->snapshots.size() + listing->segments.size();
  size_t done = 0;
  auto add_problem = [&](const Finding& f) { report.problems.push_back(ProblemFrom(f)); };

  for (const auto& [seq, name] : listing->snapshots) {
    if (progress) progress(name, done, total);
    ++done;
    StatusOr<snapshot::SnapshotCheck> read =
        snapshot::ReadSnapshot(env, JoinPath(dir, name), seq, nullptr);
    if (read.status().IsNotFound()) {
      report.notes.push_back(StrCat(name, " was removed while verify ran (snapshot cleanup)"));
      continue;
    }
    if (!read.ok()) return read.status();
    const snapshot::SnapshotCheck& check = *read;
    report.files.push_back({name, "snapshot", check.bytes, seq, seq, check.entries,
                            !check.problem.has_value()});
    ++report.snapshots;
    report.bytes += check.bytes;
    if (check.problem) {
      add_problem({.kind = DamageKind::kSnapshotDamaged,
                   .file = name,
                   .offset = check.problem->offset,
                   .detail = check.problem->reason});
    }
  }

  // The last intact record of the previous segment, while continuity can be checked.
  bool have_previous = false;
  uint64_t previous_last_seq = 0;
  // The segment LOGHEAD names; 0 (no segment starts there) when it names none.
  const uint64_t head_newest = head.ok() ? head->newest.value_or(0) : 0;
  for (size_t i = 0; i < listing->segments.size(); ++i) {
    const auto& [first_seq, name] = listing->segments[i];
    if (progress) progress(name, done, total);
    ++done;
    std::string bytes;
    Status s = ReadFileToString(env, JoinPath(dir, name), &bytes);
    if (s.IsNotFound()) {
      report.notes.push_back(StrCat(name, " was removed while verify ran (snapshot cleanup)"));
      have_previous = false;
      continue;
    }
    if (!s.ok()) return s;
    log::SegmentScan scan = log::ParseSegment(bytes, first_seq, [](const log::RecordView&) {});
    report.files.push_back({name, "log", bytes.size(), first_seq, scan.last_seq, scan.records,
                            !scan.damage.has_value()});
    ++report.segments;
    report.records += scan.records;
    report.bytes += bytes.size();

    if (have_previous && first_seq != previous_last_seq + 1) {
      add_problem({.kind = DamageKind::kSequenceGap,
                   .file = name,
                   .bytes = bytes.size(),
                   .expected_seq = previous_last_seq + 1,
                   .found_seq = first_seq});
    }
    if (scan.damage) {
      const bool newest = i + 1 == listing->segments.size();
      Finding f{.kind = ClassifySegmentDamage(scan, bytes.size(), newest,
                                              head_newest == first_seq),
                .file = name,
                .offset = scan.damage->offset,
                .bytes = bytes.size() - std::min<uint64_t>(scan.damage->offset, bytes.size()),
                .detail = scan.damage->reason};
      if (scan.damage->valid_records_follow) f.next_valid_offset = scan.damage->next_valid_offset;
      if (report.server_running && f.kind == DamageKind::kTornTail && scan.header_ok) {
        report.notes.push_back(StrCat(name, " ends in a partial record at byte ",
                                      scan.damage->offset, ": the running server is writing it"));
      } else {
        add_problem(f);
      }
      have_previous = false;  // continuity after damage is meaningless
    } else {
      if (scan.preallocated_bytes > 0) {
        report.notes.push_back(StrCat(name, ": ", scan.preallocated_bytes,
                                      " bytes preallocated (zero-filled, not yet used) after the "
                                      "last record, which ends at byte ",
                                      scan.valid_end));
      }
      have_previous = true;
      previous_last_seq = scan.last_seq;
    }
  }

  VerifiedFile head_file;
  if (auto p = CheckLogHead(env, dir, head.ok() ? *head : log::LogHeadCheck{}, *listing,
                            &head_file)) {
    report.problems.push_back(std::move(*p));
  }
  if (head_file.bytes > 0 || !head_file.ok) report.files.push_back(head_file);

  auto replication = ReadReplicationState(env, dir);
  if (!replication.ok()) return replication.status();
  report.replication = std::move(*replication);

  report.tolerate_tail = PlanFor(env, dir, RecoveryMode::kTolerateTail);
  report.absolute = PlanFor(env, dir, RecoveryMode::kAbsolute);
  report.point_in_time = PlanFor(env, dir, RecoveryMode::kPointInTime);
  if (report.tolerate_tail.would_start) {
    report.keys = report.tolerate_tail.plan->state.summary.keys;
    report.last_seq = report.tolerate_tail.plan->state.last_seq;
    report.digest = report.tolerate_tail.plan->state.digest;
  }
  if (report.tolerate_tail.plan && report.tolerate_tail.plan->pending_install) {
    const uint64_t seq = *report.tolerate_tail.plan->pending_install;
    report.notes.push_back(StrCat(
        "INSTALL: an install of the primary's snapshot at seq ", seq, " is pending (the replica "
        "stopped while installing it); serve finishes it first: ",
        seq > 0 ? StrCat("the received snapshot becomes ", SnapshotFileName(seq), ", ")
                : std::string(),
        "every other log segment and snapshot is moved aside as *.dropped, and it starts from ",
        seq > 0 ? "that snapshot" : "the empty state"));
  }

  for (const ModeOutcome* outcome : {&report.tolerate_tail, &report.point_in_time}) {
    if (!outcome->plan) continue;
    for (const Finding& f : outcome->plan->findings) {
      const bool known =
          std::any_of(report.problems.begin(), report.problems.end(),
                      [&](const VerifyProblem& p) { return p.file == f.file && p.kind == f.kind; });
      if (OnlyRecoverySees(f.kind) && !known) add_problem(f);
    }
  }
  if (!report.tolerate_tail.would_start && report.problems.empty()) {
    // Recovery refuses for a reason no check above found, or could not plan at all.
    if (report.tolerate_tail.plan) {
      add_problem(report.tolerate_tail.plan->refusing_finding());
    } else {
      report.problems.push_back({DamageKind::kNoBase, "", 0, report.tolerate_tail.summary});
    }
  }
  for (VerifyProblem& p : report.problems) {
    p.tolerate_tail = AnswerFor(report.tolerate_tail, p);
    p.absolute = AnswerFor(report.absolute, p);
    p.point_in_time = AnswerFor(report.point_in_time, p);
  }
  return report;
}

}  // namespace walkv
