// The snapshot a primary sends with a SNAPSHOT answer (docs/replication.md §4): the newest intact
// snapshot file in the data directory, verified with the snapshot reader and held open, so that
// snapshot cleanup removing it while it is sent does not break the stream (an open descriptor
// outlives unlink(2)). Snapshot files never change once published (tmp, sync, rename), so the
// bytes read from the open file are the ones that were verified.
//
// Thread safety: one SnapshotSource is for one thread; OpenNewestSnapshot from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/env.h"
#include "engine/history_digest.h"
#include "engine/status.h"

namespace walkv::replication {

class SnapshotSource {
 public:
  SnapshotSource(uint64_t seq, uint64_t bytes, HistoryDigest digest,
                 std::unique_ptr<SequentialFile> file)
      : seq_(seq), bytes_(bytes), digest_(digest), file_(std::move(file)) {}

  uint64_t seq() const { return seq_; }
  uint64_t bytes() const { return bytes_; }  // the file's size
  // D(seq) from the footer (a snapshot older than digests: a chain starting at seq).
  const HistoryDigest& digest() const { return digest_; }

  // Replaces *out with the next up to max_bytes of the file; empty once every byte was read.
  // kCorruption if the file ends before bytes() or runs past it.
  Status Read(size_t max_bytes, std::string* out);

 private:
  const uint64_t seq_;
  const uint64_t bytes_;
  const HistoryDigest digest_;
  std::unique_ptr<SequentialFile> file_;
  uint64_t read_ = 0;
};

// The newest snapshot in `dir` that verifies, opened. kNotFound if there is none. Damaged
// snapshots are skipped; one removed between listing and opening makes it look again.
StatusOr<std::unique_ptr<SnapshotSource>> OpenNewestSnapshot(Env* env, const std::string& dir);

// The history digest in the footer of the newest intact snapshot whose seq is at most max_seq
// (for the handshake's digest check, §2), or kNotFound if there is none.
StatusOr<HistoryDigest> NewestSnapshotDigestAtOrBelow(Env* env, const std::string& dir,
                                                      uint64_t max_seq);

}  // namespace walkv::replication
