// Recovery: rebuilds the in-memory state of a data directory at startup.
//
// Steps (docs/durability.md explains why): read LOGHEAD (engine/log_head.h) and check that the
// newest log segment it names is there; remove leftover *.tmp files; load the newest snapshot
// whose checksums verify and whose successor records the log still holds (falling back to older
// ones, except in absolute mode); replay the log from the snapshot's sequence number, checking
// framing, checksums and sequence continuity across segments; handle damage per RecoveryMode:
//   tolerate-tail  a torn or checksum-failing tail of the NEWEST segment (no intact record after
//                  it) is truncated away; any other damage refuses to start, including a missing
//                  or damaged LOGHEAD and a missing segment that LOGHEAD names.
//   absolute       any damage refuses to start (including a damaged snapshot), also in the
//                  fallback files it does not need: the other snapshots and the segments before
//                  the one replay starts in are read and checked too.
//   point-in-time  the state up to the first damage is served; the damaged segment is truncated
//                  at the damage and later segments are renamed to <name>.dropped.
// Every message names the file and byte offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/env.h"
#include "engine/options.h"
#include "engine/status.h"
#include "engine/store.h"

namespace walkv {

struct SegmentFile {
  uint64_t first_seq = 0;
  std::string name;
  uint64_t bytes = 0;
};

struct RecoveredState {
  RecoverySummary summary;
  uint64_t last_seq = 0;                 // the state reflects every record up to this one
  std::vector<SegmentFile> segments;     // log segments still in the directory, ascending
  std::vector<SnapshotInfo> snapshots;   // intact snapshots, ascending by seq (loaded one last
                                         // unless a newer one was damaged or uncovered)
  std::optional<SnapshotInfo> base_snapshot;  // the snapshot the state was loaded from
  std::optional<uint64_t> log_head;      // the segment LOGHEAD named, if it was intact
};

// Rebuilds `*store` (which must be empty) from `dir`. The caller holds the directory lock.
// With dry_run, nothing in `dir` is changed (no truncation, rename or removal): the result and
// its notes say what a real recovery would do. `walkv verify` uses that.
StatusOr<RecoveredState> Recover(Env* env, const std::string& dir, RecoveryMode mode,
                                 Store* store, const LogSink& log, bool dry_run = false);

}  // namespace walkv
