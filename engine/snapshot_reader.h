// Snapshot parsing: the one reader of the snapshot format, shared by recovery, `walkv verify` and
// the fuzz target.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/env.h"
#include "engine/status.h"

namespace walkv::snapshot {

struct SnapshotProblem {
  uint64_t offset = 0;  // byte offset in the file where the problem is
  std::string reason;   // e.g. "block checksum mismatch", "bad footer magic", "file too short"
};

struct SnapshotCheck {
  uint64_t seq = 0;       // from the header (0 if the header is unreadable)
  uint64_t blocks = 0;
  uint64_t entries = 0;
  uint64_t bytes = 0;     // file size
  std::optional<SnapshotProblem> problem;  // nullopt: every check passed
};

// Verifies and decodes a whole snapshot held in memory: header (magic, version, hash), footer
// (magic, file hash), every block (hash, inflate, raw length, entry framing and count) and the
// footer's totals. Calls on_entry for each entry in file order, but only once the header, footer,
// whole-file hash and every block hash have checked out; on_entry may still be followed by a
// problem found while inflating or decoding a block (a writer bug or an xxhash collision), in
// which case the caller must discard what it received. `expected_seq`, when given, is checked
// against the header (the file name's sequence number). on_verified, when given, is called once
// with the total entry count after the checksums pass and before the first on_entry (recovery
// sizes the store with it). Never fails on bad input: everything goes to the returned
// SnapshotCheck. Inflating uses one helper thread besides the caller's when there are several
// blocks; the callbacks always run on the calling thread, in file order.
SnapshotCheck ParseSnapshot(
    std::string_view bytes, std::optional<uint64_t> expected_seq,
    const std::function<void(std::string_view key, std::string_view value)>& on_entry,
    const std::function<void(uint64_t entries)>& on_verified = nullptr);

}  // namespace walkv::snapshot
