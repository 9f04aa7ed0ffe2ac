// Snapshot reading: the one reader of the snapshot format, shared by recovery, `walkv verify`,
// the fuzz target and the benchmarks. It streams: memory does not depend on the file's size.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/env.h"
#include "engine/history_digest.h"
#include "engine/status.h"

namespace walkv::snapshot {

struct SnapshotProblem {
  uint64_t offset = 0;  // byte offset in the file where the problem is
  std::string reason;   // e.g. "block checksum mismatch", "bad footer magic", "file too short"
};

struct SnapshotCheck {
  uint64_t seq = 0;  // from the header (0 if the header is unreadable)
  uint32_t version = 0;  // format version from the header (0 if unreadable)
  uint64_t blocks = 0;
  uint64_t entries = 0;
  uint64_t bytes = 0;                      // file size
  // Version 3 on: the history digest at seq, from the footer (set once the checks passed).
  std::optional<HistoryDigest> digest;
  std::optional<SnapshotProblem> problem;  // nullopt: every check passed
};

// Called for each entry; key and value are valid only during the call.
using EntryCallback = std::function<void(std::string_view key, std::string_view value)>;
// The same with the entry's deadline (unix ms, 0: none; always 0 in a version-1 snapshot).
using ExpiringEntryCallback =
    std::function<void(std::string_view key, std::string_view value, uint64_t deadline_ms)>;
// Called with the total entry count.
using VerifiedCallback = std::function<void(uint64_t entries)>;

// Verifies and decodes the snapshot file at `path` (docs/format.md §4.5): header (magic, version,
// hash), footer (magic, file hash), every block (hash, inflate, raw length, entry framing and
// count) and the footer's totals. Reads the file twice, front to back, in chunks of
// ByteSource::kChunkBytes: a first pass checks framing and every hash without keeping any block;
// a second pass inflates and decodes. Memory: the read buffer, plus the blocks read ahead in the
// second pass (SnapshotBlockPipeline: at most 4, compressed and inflated, ~2 MiB for
// kTargetBlockRawBytes blocks; two when blocks are larger than 1 MiB each) and one libdeflate
// decompressor per inflating thread.
//
// Calls on_entry for each entry in file order, but only once the header, footer, whole-file hash
// and every block hash have checked out; on_entry may still be followed by a problem found while
// inflating or decoding a block (a writer bug or an xxhash collision), in which case the caller
// must discard what it received. `expected_seq`, when given, is checked against the header (the
// file name's sequence number). on_verified, when given, is called once with the total entry
// count after the checksums pass and before the first on_entry (recovery sizes the store with
// it). Damage is never an error: it goes to the returned SnapshotCheck's problem. The Status is
// not OK only if the file cannot be read (opening, sizing or reading fails; kNotFound if it does
// not exist) or it changed between the two passes; entries already delivered must then be
// discarded too. Inflating runs on up to two helper threads besides the caller's when there are
// several blocks, joined before the function returns; the callbacks always run on the calling
// thread, in file order.
StatusOr<SnapshotCheck> ReadSnapshot(Env* env, const std::string& path,
                                     std::optional<uint64_t> expected_seq,
                                     const EntryCallback& on_entry,
                                     const VerifiedCallback& on_verified = nullptr);

// ReadSnapshot with each entry's deadline.
StatusOr<SnapshotCheck> ReadSnapshotWithDeadlines(Env* env, const std::string& path,
                                                  std::optional<uint64_t> expected_seq,
                                                  const ExpiringEntryCallback& on_entry,
                                                  const VerifiedCallback& on_verified = nullptr);

// The same checks and callbacks over a whole snapshot already in memory (`bytes`; the fuzz target
// uses it). Never fails: everything goes to the returned SnapshotCheck.
SnapshotCheck ParseSnapshot(std::string_view bytes, std::optional<uint64_t> expected_seq,
                            const EntryCallback& on_entry,
                            const VerifiedCallback& on_verified = nullptr);
SnapshotCheck ParseSnapshotWithDeadlines(std::string_view bytes,
                                         std::optional<uint64_t> expected_seq,
                                         const ExpiringEntryCallback& on_entry,
                                         const VerifiedCallback& on_verified = nullptr);

}  // namespace walkv::snapshot
