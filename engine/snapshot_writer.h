// SnapshotWriter: streams key-value pairs into a new snapshot file and publishes it crash-safely.
//
// Not thread-safe: one writer per snapshot, used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/env.h"
#include "engine/history_digest.h"
#include "engine/status.h"

namespace walkv::snapshot {

struct WrittenSnapshot {
  std::string file_name;  // snap-<seq>.snap
  uint64_t seq = 0;
  uint64_t bytes = 0;
  uint64_t entries = 0;
};

class SnapshotWriter {
 public:
  // Opens dir/snap-<seq>.snap.tmp (truncating any leftover) and writes the header.
  static StatusOr<std::unique_ptr<SnapshotWriter>> Create(Env* env, const std::string& dir,
                                                          uint64_t seq);
  // Removes the temp file if Finish() did not succeed.
  ~SnapshotWriter();

  // Adds one entry (deadline_ms: unix ms when it expires, 0 for none). Buffers up to
  // kTargetBlockRawBytes, then compresses and writes a block.
  Status Add(std::string_view key, std::string_view value, uint64_t deadline_ms = 0);

  // The history digest at seq, written into the footer. Without a call the footer says the
  // chain starts at this snapshot (HistoryDigest::StartingAt(seq)). digest.seq must be seq.
  void SetHistoryDigest(const HistoryDigest& digest) { digest_ = digest; }

  // Flushes the last block, writes the footer, syncs the temp file, renames it to
  // snap-<seq>.snap and syncs the directory. When it returns OK the snapshot is durable under its
  // final name.
  StatusOr<WrittenSnapshot> Finish();

 private:
  SnapshotWriter(Env* env, std::string dir, uint64_t seq, std::unique_ptr<WritableFile> file);
  Status FlushBlock();

  Env* env_;
  std::string dir_;
  uint64_t seq_;
  std::unique_ptr<WritableFile> file_;
  std::string block_;          // raw entries of the block being built
  uint32_t block_entries_ = 0;
  uint64_t blocks_ = 0;
  uint64_t entries_ = 0;
  HistoryDigest digest_;
  void* file_hash_state_;      // XXH64_state_t*, hashing every byte written so far
  bool finished_ = false;
};

}  // namespace walkv::snapshot
