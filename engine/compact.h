// CompactDataDir: the offline compaction behind `walkv compact`.
//
// Opens the directory through Engine::Open like `walkv serve` would (taking its lock, so it fails
// with kBusy while a server runs), recovers it, and calls Engine::SnapshotKeeping(1): a fresh
// snapshot of the recovered state, then every older snapshot and every log segment the new
// snapshot covers removed (the same rule the server's snapshots follow, keeping one snapshot
// instead of two), and the directory synced. Crash-safe at every step: the new snapshot is
// durable (temp file, sync, rename, directory sync) before anything is removed, and each removal
// leaves a directory that recovers to the same state.
#pragma once

#include <cstdint>

#include "engine/engine.h"
#include "engine/options.h"
#include "engine/status.h"

namespace walkv {

struct CompactResult {
  uint64_t bytes_before = 0;  // snapshots + log segments before
  uint64_t bytes_after = 0;
  uint64_t files_before = 0;
  uint64_t files_after = 0;
  SnapshotInfo snapshot;      // the snapshot that now holds the state
  RecoverySummary recovery;   // what opening the directory found
};

// Fails with kNotFound if the directory does not exist and kInvalidArgument if it is not a data
// directory (LooksLikeDataDir in verify.h); in both cases nothing is created or changed.
StatusOr<CompactResult> CompactDataDir(const EngineOptions& options);

}  // namespace walkv
