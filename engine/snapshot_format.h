// The snapshot file's on-disk format. docs/format.md is the prose version of this header.
//
// snap-<seq>.snap holds the full key-value state after applying every log record with sequence
// number <= seq. Layout:
//
//   header, 32 bytes:
//     magic      8 bytes  "WALKVSNP"
//     version    u32 LE   kSnapshotFormatVersion
//     flags      u32 LE   0 (reserved)
//     seq        u64 LE   the sequence number the snapshot covers
//     hash       u64 LE   XXH64 (seed 0) of the preceding 24 bytes
//
//   blocks, each:
//     raw_len    u32 LE   uncompressed length of the block's entries (<= kMaxBlockRawBytes)
//     comp_len   u32 LE   length of the zlib stream that follows
//     entries    u32 LE   number of entries in the block (>= 1)
//     hash       u64 LE   XXH64 (seed 0) of the 12 bytes above followed by the zlib stream
//     data       comp_len bytes: zlib (RFC 1950) stream whose inflation is raw_len bytes of
//                entries, each: varint32 key length, key, varint32 value length, value, and
//                (version 2) u64 LE deadline: unix ms when the key expires, 0 for none
//
//   footer, 48 bytes in version 3 (32 in versions 1 and 2), the last bytes of the file:
//     magic      8 bytes  "WALKVEND"
//     blocks     u64 LE   number of blocks
//     entries    u64 LE   number of entries in all blocks (= keys in the state)
//     digest_base_seq u64 LE  (version 3 only) where the history digest's chain starts
//     digest     u64 LE   (version 3 only) the history digest at seq (engine/history_digest.h)
//     file_hash  u64 LE   XXH64 (seed 0) of every byte of the file before this field
//
// Keys are unique within a snapshot and appear in no particular order. A block's entries never
// straddle blocks; a single entry larger than kTargetBlockRawBytes gets a block of its own.
//
// Versions: 1 had no deadline field; 2 has one per entry; 3 (this build) adds the history digest
// to the footer. All three are read; a version-1 entry has no deadline, a version-1 or -2
// snapshot has no digest (recovery starts a new chain at its seq). An entry whose deadline has passed is still loaded (its DELETE may be
// in the log after the snapshot; readers treat it as absent until then).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace walkv::snapshot {

inline constexpr std::string_view kSnapshotMagic = "WALKVSNP";
inline constexpr std::string_view kFooterMagic = "WALKVEND";
inline constexpr uint32_t kSnapshotFormatVersion = 3;
// The first version whose footer holds the history digest.
inline constexpr uint32_t kFirstDigestSnapshotFormatVersion = 3;
inline constexpr uint32_t kOldestReadableSnapshotFormatVersion = 1;
inline constexpr size_t kHeaderSize = 32;
inline constexpr size_t kBlockHeaderSize = 20;
inline constexpr size_t kFooterSize = 32;  // versions 1 and 2 (and the smallest footer)
inline constexpr size_t kDigestFooterSize = 48;  // version 3 and later
constexpr size_t FooterSize(uint32_t version) {
  return version >= kFirstDigestSnapshotFormatVersion ? kDigestFooterSize : kFooterSize;
}
inline constexpr size_t kTargetBlockRawBytes = 256 * 1024;
inline constexpr uint32_t kMaxBlockRawBytes = 1u << 30;

}  // namespace walkv::snapshot
