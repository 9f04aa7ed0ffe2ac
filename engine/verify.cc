#include "engine/verify.h"

#include <algorithm>

#include "engine/file_names.h"
#include "engine/log_head.h"
#include "engine/log_reader.h"
#include "engine/recovery.h"
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

// LOGHEAD's problems: damaged, missing where the directory needs it, or naming a segment that is
// not there. `head` was read before `listing`, so a segment it names that a live server created
// is in the listing; one a live server removed since (after rolling past it and snapshotting)
// is told apart by reading LOGHEAD again.
std::vector<VerifyProblem> CheckLogHead(Env* env, const std::string& dir,
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
  if (!found) return {};
  auto problem = [](std::string where, uint64_t offset, std::string what) {
    return std::vector<VerifyProblem>{{std::move(where), offset, std::move(what), {}, {}, {}}};
  };
  switch (found->kind) {
    case log::LogHeadProblem::Kind::kDamaged:
      return problem(name, found->offset, "damaged: " + found->detail);
    case log::LogHeadProblem::Kind::kMissing:
      return problem(name, 0,
                     "missing: nothing names the newest log segment, so a lost one cannot be "
                     "seen");
    case log::LogHeadProblem::Kind::kSegmentMissing:
      break;
  }
  auto again = log::ReadLogHead(env, dir);
  if (again.ok() && again->newest != head.newest) return {};  // a live server moved on
  return problem(LogFileName(found->newest), 0, "missing: " + found->detail);
}

ModeOutcome DryRun(Env* env, const std::string& dir, RecoveryMode mode, uint64_t* keys,
                   uint64_t* last_seq) {
  ModeOutcome outcome;
  // A server running on the directory may remove a file between listing and reading: retry once.
  for (int attempt = 0; attempt < 2; ++attempt) {
    Store store;
    std::vector<std::string> actions;
    LogSink sink = [&](LogLevel level, std::string_view msg) {
      if (level >= LogLevel::kWarn) actions.emplace_back(msg);
    };
    auto recovered = Recover(env, dir, mode, &store, sink, /*dry_run=*/true);
    if (!recovered.ok() && recovered.status().IsNotFound() && attempt == 0) continue;
    outcome.actions = std::move(actions);
    if (!recovered.ok()) {
      outcome.summary = StrCat("would refuse to start: ", recovered.status().message());
      return outcome;
    }
    outcome.would_start = true;
    *keys = store.Size();
    *last_seq = recovered->last_seq;
    outcome.summary = StrCat("would start with ", store.Size(), " keys at sequence ",
                             recovered->last_seq,
                             recovered->base_snapshot
                                 ? StrCat(" from ", recovered->base_snapshot->file)
                                 : std::string(" from the log alone"));
    return outcome;
  }
  return outcome;
}

// What serve would do about a problem in `file` under one mode, from that mode's dry run.
std::string ActionFor(const ModeOutcome& outcome, const std::string& file) {
  for (const std::string& action : outcome.actions) {
    if (action.find(file) != std::string::npos) return action;
  }
  if (!outcome.would_start) return outcome.summary;
  return "nothing: the file is not needed to recover (it is older than the snapshot serve loads)";
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
  auto add_problem = [&](const std::string& file, uint64_t offset, std::string what) {
    report.problems.push_back({file, offset, std::move(what), {}, {}, {}});
  };

  for (const auto& [seq, name] : listing->snapshots) {
    if (progress) progress(name, done, total);
    ++done;
    std::string bytes;
    Status s = ReadFileToString(env, JoinPath(dir, name), &bytes);
    if (s.IsNotFound()) {
      report.notes.push_back(StrCat(name, " was removed while verify ran (snapshot cleanup)"));
      continue;
    }
    if (!s.ok()) return s;
    snapshot::SnapshotCheck check =
        snapshot::ParseSnapshot(bytes, seq, [](std::string_view, std::string_view) {});
    report.files.push_back({name, "snapshot", bytes.size(), seq, seq, check.entries,
                            !check.problem.has_value()});
    ++report.snapshots;
    report.bytes += bytes.size();
    if (check.problem) add_problem(name, check.problem->offset, check.problem->reason);
  }

  // The last intact record of the previous segment, while continuity can be checked.
  bool have_previous = false;
  uint64_t previous_last_seq = 0;
  std::string previous_name;
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
      add_problem(name, 0,
                  StrCat("sequence gap: this segment starts at ", first_seq, " but ",
                         previous_name, " ends at ", previous_last_seq,
                         " (a segment is missing or was damaged)"));
    }
    if (scan.damage) {
      bool newest = i + 1 == listing->segments.size();
      bool tail_in_progress = report.server_running && newest && scan.header_ok &&
                              !scan.damage->valid_records_follow;
      if (tail_in_progress) {
        report.notes.push_back(StrCat(name, " ends in a partial record at byte ",
                                      scan.damage->offset, ": the running server is writing it"));
      } else {
        add_problem(name, scan.damage->offset,
                    StrCat(scan.damage->reason,
                           scan.damage->valid_records_follow
                               ? StrCat(" (intact records follow at byte ",
                                        scan.damage->next_valid_offset, ")")
                               : std::string(newest ? " (torn tail: nothing intact follows)"
                                                    : "")));
      }
      have_previous = false;  // continuity after damage is meaningless
    } else {
      have_previous = true;
      previous_last_seq = scan.last_seq;
      previous_name = name;
    }
  }

  VerifiedFile head_file;
  for (VerifyProblem& p :
       CheckLogHead(env, dir, head.ok() ? *head : log::LogHeadCheck{}, *listing, &head_file)) {
    report.problems.push_back(std::move(p));
  }
  if (head_file.bytes > 0 || !head_file.ok) report.files.push_back(head_file);

  uint64_t keys = 0, last_seq = 0, ignored_keys = 0, ignored_seq = 0;
  report.tolerate_tail = DryRun(env, dir, RecoveryMode::kTolerateTail, &keys, &last_seq);
  report.absolute = DryRun(env, dir, RecoveryMode::kAbsolute, &ignored_keys, &ignored_seq);
  report.point_in_time =
      DryRun(env, dir, RecoveryMode::kPointInTime, &ignored_keys, &ignored_seq);
  report.keys = keys;
  report.last_seq = last_seq;

  // Damage recovery finds that the per-file scan cannot (a snapshot the log no longer covers).
  for (const ModeOutcome* outcome : {&report.tolerate_tail, &report.point_in_time}) {
    for (const std::string& action : outcome->actions) {
      if (action.find("no longer holds") == std::string::npos) continue;
      std::string file = action.substr(action.find("snap-"), SnapshotFileName(0).size());
      bool known = std::any_of(report.problems.begin(), report.problems.end(),
                               [&](const VerifyProblem& p) { return p.file == file; });
      if (!known) add_problem(file, 0, action);
    }
  }
  if (!report.tolerate_tail.would_start && report.problems.empty()) {
    add_problem("", 0, report.tolerate_tail.summary);
  }
  for (VerifyProblem& p : report.problems) {
    p.tolerate_tail = ActionFor(report.tolerate_tail, p.file);
    p.absolute = ActionFor(report.absolute, p.file);
    p.point_in_time = ActionFor(report.point_in_time, p.file);
  }
  return report;
}

}  // namespace walkv
