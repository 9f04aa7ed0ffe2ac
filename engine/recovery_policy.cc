// The decision table of engine/recovery_plan.h: the only place that says what each
// --recovery-mode does with each kind of damage.
#include "engine/recovery_plan.h"

#include "engine/file_names.h"
#include "engine/log_format.h"

namespace walkv {

Decision Decide(RecoveryMode mode, DamageKind kind, bool needed) {
  if (mode == RecoveryMode::kAbsolute) return Decision::kRefuse;  // any damage, in any file
  if (!needed) return Decision::kIgnore;
  const bool point_in_time = mode == RecoveryMode::kPointInTime;
  switch (kind) {
    case DamageKind::kTornTail:
      return Decision::kRepair;
    case DamageKind::kMidLogDamage:
    case DamageKind::kSegmentHeaderDamaged:
    case DamageKind::kSequenceGap:
    case DamageKind::kLogHeadDamaged:
    case DamageKind::kLogHeadMissing:
    case DamageKind::kNamedSegmentMissing:
      return point_in_time ? Decision::kRepair : Decision::kRefuse;
    case DamageKind::kSnapshotDamaged:
    case DamageKind::kSnapshotUncovered:
      return Decision::kFallBack;
    case DamageKind::kNoBase:
      return Decision::kRefuse;
  }
  return Decision::kRefuse;
}

bool IsCrashTail(DamageKind kind) { return kind == DamageKind::kTornTail; }

DamageKind ClassifySegmentDamage(const log::SegmentScan& scan, uint64_t file_bytes, bool newest,
                                 bool named_by_loghead) {
  const bool creation_cut_short =
      !scan.header_ok && (file_bytes <= log::kSegmentHeaderSize || scan.header_unwritten) &&
      !named_by_loghead;
  const bool tail = newest && !scan.damage->valid_records_follow;
  if (tail && (scan.header_ok || creation_cut_short)) return DamageKind::kTornTail;
  if (!scan.header_ok) return DamageKind::kSegmentHeaderDamaged;
  return DamageKind::kMidLogDamage;
}

Finding LogHeadFinding(const log::LogHeadProblem& problem) {
  Finding f{.file = LogHeadFileName(), .offset = problem.offset, .detail = problem.detail};
  switch (problem.kind) {
    case log::LogHeadProblem::Kind::kDamaged:
      f.kind = DamageKind::kLogHeadDamaged;
      break;
    case log::LogHeadProblem::Kind::kMissing:
      f.kind = DamageKind::kLogHeadMissing;
      break;
    case log::LogHeadProblem::Kind::kSegmentMissing:
      f.kind = DamageKind::kNamedSegmentMissing;
      f.file = LogFileName(problem.newest);
      f.found_seq = problem.newest;
      break;
  }
  return f;
}

}  // namespace walkv
