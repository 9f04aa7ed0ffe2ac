#include "engine/recovery_words.h"

#include "engine/file_names.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

constexpr std::string_view kVerifyHint = " Run `walkv verify --data-dir DIR` for a full report.";
constexpr std::string_view kCopyFirst =
    " Copy the data directory first (cp -a DIR DIR.copy): point-in-time changes files.";

bool IsLogHeadKind(DamageKind kind) {
  return kind == DamageKind::kLogHeadDamaged || kind == DamageKind::kLogHeadMissing ||
         kind == DamageKind::kNamedSegmentMissing;
}

bool IsSegmentKind(DamageKind kind) {
  return kind == DamageKind::kTornTail || kind == DamageKind::kMidLogDamage ||
         kind == DamageKind::kSegmentHeaderDamaged;
}

std::string ModeFlag(RecoveryMode mode) {
  return StrCat("--recovery-mode ", RecoveryModeName(mode));
}

// The damage as the subject of a sentence, with file and offset.
std::string Subject(const Finding& f) {
  switch (f.kind) {
    case DamageKind::kTornTail:
    case DamageKind::kMidLogDamage:
    case DamageKind::kSegmentHeaderDamaged:
      return StrCat("log damage in ", f.file, " at byte ", f.offset, ": ", DescribeDamage(f));
    case DamageKind::kSequenceGap:
      return StrCat("log damage: ", f.file, " starts at sequence ", f.found_seq, " but ",
                    f.expected_seq, " was expected: a segment is missing or the log has a gap");
    case DamageKind::kLogHeadDamaged:
      return StrCat("log damage: ", f.file, " is damaged at byte ", f.offset, ": ", f.detail,
                    ", so walkv cannot tell whether the newest log segment is there");
    case DamageKind::kLogHeadMissing:
      return StrCat("log damage: ", f.file,
                    " is missing, so walkv cannot tell whether the newest log segment is there");
    case DamageKind::kNamedSegmentMissing:
      return StrCat("log damage: ", f.file, " is missing: ", f.detail);
    case DamageKind::kSnapshotDamaged:
      return StrCat("snapshot ", f.file, " is damaged at byte ", f.offset, ": ", f.detail);
    case DamageKind::kSnapshotUncovered:
      return StrCat("snapshot ", f.file, " is intact but ", DescribeDamage(f));
    case DamageKind::kNoBase:
      return DescribeDamage(f);
  }
  return f.file;
}

// Why `f`, which refuses, is not something this mode repairs.
std::string WhyRefused(RecoveryMode mode, const Finding& f) {
  if (mode == RecoveryMode::kAbsolute) return StrCat("refusing to start (", ModeFlag(mode), ")");
  if (f.kind == DamageKind::kMidLogDamage) {  // DescribeDamage() already says what follows it
    return StrCat("this is not a torn tail; refusing to start (", ModeFlag(mode), ")");
  }
  if (f.kind == DamageKind::kSegmentHeaderDamaged) {
    return StrCat("the segment header is damaged; refusing to start (", ModeFlag(mode), ")");
  }
  return StrCat("refusing to start (", ModeFlag(mode), ")");
}

// The least intrusive mode that would start instead (per the decision table), and what it does.
std::string OtherModeHint(RecoveryMode mode, const Finding& f) {
  if (f.kind == DamageKind::kNoBase || !f.needed) return "";
  const Decision tolerant = Decide(RecoveryMode::kTolerateTail, f.kind);
  if (mode == RecoveryMode::kAbsolute && tolerant != Decision::kRefuse) {
    return StrCat(" --recovery-mode tolerate-tail (the default) would ",
                  tolerant == Decision::kFallBack ? "fall back to an older snapshot."
                                                  : "drop the torn tail.");
  }
  std::string_view serves = IsLogHeadKind(f.kind) ? "the log that is there"
                                                  : "the state before the damage";
  return StrCat(" --recovery-mode point-in-time would serve ", serves, ".", kCopyFirst);
}

// The actions caused by finding `index`, in words, "; "-joined.
std::string ActionsOf(const RecoveryPlan& plan, size_t index) {
  const Finding& f = plan.findings[index];
  const bool pit = plan.mode == RecoveryMode::kPointInTime;
  std::string out, kept_in;
  for (const Action& a : plan.actions) {
    if (a.finding != index) continue;
    switch (a.kind) {
      case ActionKind::kRemoveTemp:
        break;
      case ActionKind::kKeepTail:
        kept_in = a.target;  // always just before its truncation
        break;
      case ActionKind::kTruncate:
        out += StrCat("; truncated ", a.file, " to ", a.size, " bytes, dropping ", a.bytes,
                      " bytes", pit ? StrCat(" (", ModeFlag(plan.mode), ")") : std::string());
        if (!kept_in.empty()) out += StrCat("; the dropped bytes are kept in ", kept_in);
        break;
      case ActionKind::kMoveAside:
        if (a.file == f.file && IsSegmentKind(f.kind)) {
          out += StrCat("; segment held no intact record, moved it aside to ", a.target, " (",
                        a.bytes, " bytes)");
        } else {
          out += StrCat("; dropped ", a.file, " (", a.bytes, " bytes after the damage), moved "
                        "aside to ", a.target);
        }
        break;
    }
  }
  return out;
}

}  // namespace

std::string_view DamageKindName(DamageKind kind) {
  switch (kind) {
    case DamageKind::kTornTail: return "torn_tail";
    case DamageKind::kMidLogDamage: return "mid_log_damage";
    case DamageKind::kSegmentHeaderDamaged: return "segment_header_damaged";
    case DamageKind::kSequenceGap: return "sequence_gap";
    case DamageKind::kLogHeadDamaged: return "loghead_damaged";
    case DamageKind::kLogHeadMissing: return "loghead_missing";
    case DamageKind::kNamedSegmentMissing: return "newest_segment_missing";
    case DamageKind::kSnapshotDamaged: return "snapshot_damaged";
    case DamageKind::kSnapshotUncovered: return "snapshot_uncovered";
    case DamageKind::kNoBase: return "no_base";
  }
  return "unknown";
}

std::string_view DecisionName(Decision decision) {
  switch (decision) {
    case Decision::kRepair: return "repair";
    case Decision::kFallBack: return "fall_back";
    case Decision::kIgnore: return "ignore";
    case Decision::kRefuse: return "refuse";
  }
  return "unknown";
}

std::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kRemoveTemp: return "remove_temp";
    case ActionKind::kKeepTail: return "keep_tail";
    case ActionKind::kTruncate: return "truncate";
    case ActionKind::kMoveAside: return "move_aside";
  }
  return "unknown";
}

std::string DescribeDamage(const Finding& f) {
  switch (f.kind) {
    case DamageKind::kTornTail:
      return StrCat(f.detail, " (torn tail: nothing intact follows)");
    case DamageKind::kMidLogDamage:
      return f.next_valid_offset
                 ? StrCat(f.detail, " (intact records follow at byte ", *f.next_valid_offset, ")")
                 : StrCat(f.detail, " (in a segment that later segments follow)");
    case DamageKind::kSegmentHeaderDamaged:
      return StrCat(f.detail, " (segment header)");
    case DamageKind::kSequenceGap:
      return StrCat("sequence gap: this segment starts at ", f.found_seq, " but ", f.expected_seq,
                    " was expected (a segment is missing or was damaged)");
    case DamageKind::kLogHeadDamaged:
      return StrCat("damaged: ", f.detail);
    case DamageKind::kLogHeadMissing:
      return "missing: nothing names the newest log segment, so a lost one cannot be seen";
    case DamageKind::kNamedSegmentMissing:
      return StrCat("missing: ", f.detail);
    case DamageKind::kSnapshotDamaged:
      return f.detail;
    case DamageKind::kSnapshotUncovered:
      return StrCat("the log no longer holds the records after it (oldest segment ",
                    f.oldest_segment, ")");
    case DamageKind::kNoBase:
      return f.found_seq == 0
                 ? StrCat("no usable snapshot and no log segment: the state of ", f.file,
                          " cannot be rebuilt")
                 : StrCat("no usable snapshot, and the oldest log segment ", f.file,
                          " starts at sequence ", f.found_seq, ", so records before it are missing");
  }
  return f.detail;
}

std::string DescribeRefusal(const RecoveryPlan& plan) {
  const Finding& f = plan.refusing_finding();
  if (!f.needed) {
    return StrCat(f.file, " is damaged at byte ", f.offset, ": ", f.detail,
                  "; it is not needed to start, but refusing to start (", ModeFlag(plan.mode),
                  " refuses on any damage).", kVerifyHint);
  }
  if (f.kind == DamageKind::kNoBase) {
    return StrCat(DescribeDamage(f), "; refusing to start.", kVerifyHint);
  }
  return StrCat(Subject(f), "; ", WhyRefused(plan.mode, f), ".", OtherModeHint(plan.mode, f),
                kVerifyHint);
}

std::string DescribeDecision(const RecoveryPlan& plan, size_t index) {
  if (plan.refusal == index) return DescribeRefusal(plan);
  const Finding& f = plan.findings[index];
  switch (f.decision) {
    case Decision::kFallBack:
      return StrCat(Subject(f), f.kind == DamageKind::kSnapshotUncovered
                                    ? "; trying an older snapshot"
                                    : "; falling back to an older snapshot");
    case Decision::kIgnore:
      return StrCat(Subject(f), "; not needed to start, left as it is");
    case Decision::kRefuse:
      return DescribeRefusal(plan);
    case Decision::kRepair:
      break;
  }
  if (IsLogHeadKind(f.kind)) {
    return StrCat(Subject(f), "; serving the log that is there (", ModeFlag(plan.mode), ")");
  }
  if (f.kind == DamageKind::kSequenceGap) {
    return StrCat(Subject(f), "; serving the state up to sequence ", f.expected_seq - 1, " (",
                  ModeFlag(plan.mode), ")", ActionsOf(plan, index));
  }
  return StrCat(Subject(f), ActionsOf(plan, index));
}

std::vector<std::string> DescribeRepairs(const RecoveryPlan& plan) {
  std::vector<std::string> lines;
  if (!plan.starts()) return lines;
  for (size_t i = 0; i < plan.findings.size(); ++i) lines.push_back(DescribeDecision(plan, i));
  return lines;
}

std::vector<std::string> DescribeHousekeeping(const RecoveryPlan& plan) {
  std::vector<std::string> lines;
  for (const Action& a : plan.actions) {
    if (a.kind == ActionKind::kRemoveTemp) {
      lines.push_back(StrCat("removed unfinished temporary file ", a.file));
    }
  }
  return lines;
}

}  // namespace walkv
