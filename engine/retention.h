// Retention: which snapshot and log files are obsolete once a snapshot is durable. The one rule
// both the snapshot thread (which keeps the new snapshot and a fallback) and `walkv compact`
// (which keeps only the new one) follow. A pure function: it reads and removes nothing.
//
// The rule, for keep_snapshots = K >= 1:
//  - Kept snapshots: the K newest intact ones. Every other snapshot file older than the newest
//    intact one is obsolete: older intact ones, and damaged or unknown ones (files recovery could
//    not use, or that nothing checked). Snapshot files at or after the newest intact one are kept:
//    they are not this rule's to judge.
//  - Log segments: every segment whose records all lie at or before the oldest kept snapshot is
//    obsolete (the next segment starts at or before that snapshot's seq + 1), except the newest
//    segment, which is never obsolete (it is the one being written, or the one the next server
//    continues). If fewer than K intact snapshots exist, no segment is obsolete: the log from its
//    start is the fallback then (replayed over the empty state).
//  - Replication backlog (backlog_bytes = N > 0, docs/replication.md §5): of the segments the
//    rule above makes obsolete, those among the newest segments whose total size (counting every
//    segment from the newest down, the ones recovery needs included) is at most N are kept, so a
//    replica that was away catches up from them. Still a prefix: the oldest segments go first.
//    N = 0 keeps nothing beyond what recovery needs.
//  - No intact snapshot: nothing is obsolete.
//
// Removal order: ascending by sequence number (a snapshot's seq, a segment's first seq; at equal
// numbers the snapshot first). Removing in that order, a crash or a failed removal part way
// leaves the remaining segments contiguous: a removed segment is always older than every kept one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace walkv {

// A snapshot file found in the data directory.
struct SnapshotOnDisk {
  std::string name;
  uint64_t seq = 0;
  bool intact = false;  // known to verify: written by this engine or loaded/checked by recovery
};

// A log segment file found in the data directory.
struct SegmentOnDisk {
  std::string name;
  uint64_t first_seq = 0;
  uint64_t bytes = 0;  // file size (the replication backlog counts it)
};

// The names of the obsolete files among `snapshots` and `segments` (each in any order), in the
// order in which to remove them. The newest intact snapshot is always kept: keep_snapshots = 0
// means 1.
std::vector<std::string> ObsoleteFiles(std::vector<SnapshotOnDisk> snapshots,
                                       std::vector<SegmentOnDisk> segments,
                                       size_t keep_snapshots, uint64_t backlog_bytes = 0);

}  // namespace walkv
