// RecoveryPlan: what recovery found in a data directory and what it will do about it, as data.
//
// Recovery runs in two steps (engine/recovery.h): PlanRecovery reads the directory, loads the
// state into a Store and returns a plan without changing a byte on disk; ExecuteRecoveryPlan then
// makes the plan's directory changes. `walkv serve` (through Engine::Open) executes the plan,
// `walkv verify` only reports it, and both put it into words with engine/recovery_words.h.
//
// What each kind of damage leads to, per --recovery-mode, is decided in exactly one place:
// Decide() below (RocksDB's WALRecoveryMode style). docs/durability.md prints the same table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/log_head.h"
#include "engine/log_reader.h"
#include "engine/options.h"

namespace walkv {

// One kind per row of the decision table.
enum class DamageKind {
  // The newest segment ends in an incomplete or checksum-failing record with nothing intact after
  // it, or its creation was cut short inside its header: what a crash during a write leaves. Its
  // bytes were never acknowledged (with --fsync always).
  kTornTail,
  // Damage followed by intact records, or damage in a segment that is not the newest.
  kMidLogDamage,
  // A segment's header is damaged (and not just cut short by a crash while it was created).
  kSegmentHeaderDamaged,
  // A segment starts at another sequence number than the one after the previous segment's last
  // record: a segment is missing or the log has a hole.
  kSequenceGap,
  kLogHeadDamaged,       // LOGHEAD does not parse
  kLogHeadMissing,       // LOGHEAD is missing from a directory that must have one
  kNamedSegmentMissing,  // the newest segment, the one LOGHEAD names, is gone
  kSnapshotDamaged,      // a snapshot's framing or checksums fail
  kSnapshotUncovered,    // a snapshot is intact but the log no longer holds the records after it
  // Nothing to start from: no usable snapshot, and no log that starts at sequence 1.
  kNoBase,
};

// What startup does about one finding.
enum class Decision {
  kRepair,    // drop the damaged part (truncate, move aside) and serve the state before it
  kFallBack,  // do without this snapshot: load an older one and replay more of the log
  kIgnore,    // the file is not needed to start; it is left as it is
  kRefuse,    // refuse to start; nothing on disk is changed
};

// The (mode, damage) -> decision table. `needed` is false for damage in a file recovery does not
// read to build the state (an older snapshot, a segment before the one replay starts in); only
// absolute mode reads those, and refuses on them.
Decision Decide(RecoveryMode mode, DamageKind kind, bool needed = true);

// True for the damage a normal crash leaves (kTornTail): `verify` reports it as its own class.
bool IsCrashTail(DamageKind kind);

// The kind of damage `scan` found in a segment `file_bytes` long (scan.damage must be set), for
// recovery and verify alike. `newest`: no segment follows it. `named_by_loghead`: LOGHEAD names
// it. A file no longer than a segment header whose header does not parse is a segment whose
// creation a crash cut short (a torn tail: it never held a record), unless LOGHEAD names it:
// LOGHEAD names a segment only once its header is durable, so that one lost bytes it once had.
DamageKind ClassifySegmentDamage(const log::SegmentScan& scan, uint64_t file_bytes, bool newest,
                                 bool named_by_loghead);

struct Finding {
  DamageKind kind = DamageKind::kMidLogDamage;
  Decision decision = Decision::kRefuse;  // Decide(plan mode, kind, needed)
  std::string file;     // the file it is in; for a missing file, the missing file's name
  uint64_t offset = 0;  // byte offset of the damage in `file`
  uint64_t bytes = 0;   // bytes from `offset` to the end of `file` (0 for a missing file)
  std::string detail;   // the reader's reason, e.g. "record checksum mismatch"; words only
  bool needed = true;   // see Decide()
  // kMidLogDamage: where intact records resume, when they do.
  std::optional<uint64_t> next_valid_offset;
  // kSequenceGap: the sequence number the segment should start at, and the one it starts at.
  // kNoBase: the oldest segment's first sequence number in `found_seq` (0 when there is none).
  uint64_t expected_seq = 0;
  uint64_t found_seq = 0;
  // kSnapshotUncovered: the oldest segment there is.
  std::string oldest_segment;
};

// The finding for a LOGHEAD problem (log_head.h), for recovery and verify alike; its decision is
// left for the caller's mode.
Finding LogHeadFinding(const log::LogHeadProblem& problem);

enum class ActionKind {
  kRemoveTemp,  // remove an unfinished *.tmp file: it was never part of the state
  kKeepTail,    // copy bytes [size, end) of `file` to `target` (a *.dropped file), synced
  kTruncate,    // cut `file` to `size` bytes, dropping `bytes`
  kMoveAside,   // rename `file` to `target` (`file`.dropped), dropping all its `bytes`
};

struct Action {
  ActionKind kind = ActionKind::kRemoveTemp;
  std::string file;
  std::string target;   // kKeepTail, kMoveAside: the new file's name
  uint64_t size = 0;    // kKeepTail, kTruncate: where the kept part ends
  uint64_t bytes = 0;   // bytes this action takes out of the log
  std::optional<size_t> finding;  // index into RecoveryPlan::findings of the cause
};

struct SegmentFile {
  uint64_t first_seq = 0;
  std::string name;
  uint64_t bytes = 0;
};

// The state a plan starts with, once its actions are done.
struct RecoveredState {
  RecoverySummary summary;
  uint64_t last_seq = 0;                 // the state reflects every record up to this one
  std::vector<SegmentFile> segments;     // log segments left in the directory, ascending
  std::vector<SnapshotInfo> snapshots;   // intact snapshots no newer than the base, ascending
  std::optional<SnapshotInfo> base_snapshot;  // the snapshot the state was loaded from
  std::optional<uint64_t> log_head;      // the segment LOGHEAD named, if it was intact
  // The history digest at last_seq (engine/history_digest.h): the base snapshot's (a chain
  // starting at its seq if it predates digests; at 0 without one), advanced over every record
  // replayed.
  HistoryDigest digest;
};

struct RecoveryPlan {
  RecoveryMode mode = RecoveryMode::kTolerateTail;
  std::vector<Finding> findings;  // in the order recovery met them
  std::vector<Action> actions;    // in the order they must be done
  // The finding that refuses start (its decision is kRefuse); planning stops there. Empty: the
  // plan starts, with `state`.
  std::optional<size_t> refusal;
  RecoveredState state;  // state.log_head is set even when the plan refuses
  // A snapshot install from the primary is pending (engine/snapshot_install.h: the INSTALL file
  // names this seq): the plan is of the directory as it will be once the install is finished,
  // snap-<seq> and nothing else. Only a read-only plan (walkv verify) sees one: Recover finishes
  // the install before it plans.
  std::optional<uint64_t> pending_install;

  bool starts() const { return !refusal.has_value(); }
  const Finding& refusing_finding() const { return findings[*refusal]; }
};

}  // namespace walkv
