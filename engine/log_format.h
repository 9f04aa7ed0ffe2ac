// The write-ahead log's on-disk format. docs/format.md is the prose version of this header.
//
// A log segment file (wal-<first_seq>.log) is a header followed by records:
//
//   segment header, 24 bytes:
//     magic      8 bytes  "WALKVLOG"
//     version    u32 LE   kLogFormatVersion
//     first_seq  u64 LE   sequence number of the first record in this segment
//     crc        u32 LE   crc32 (zlib) of the preceding 20 bytes
//
//   record, kRecordHeaderSize (17) bytes + payload:
//     crc        u32 LE   crc32 (zlib) of every following byte of the record (length..payload)
//     length     u32 LE   payload length in bytes (<= kMaxRecordPayload)
//     seq        u64 LE   sequence number; exactly previous + 1 (the first is first_seq)
//     type       u8       MutationType (1 SET, 2 DELETE, 3 APPEND, 4 FLUSHALL,
//                         5 SET_WITH_DEADLINE, 6 EXPIRE_AT, 7 PERSIST, 8 BATCH)
//     payload    SET/APPEND: varint32 key length, key bytes, value bytes (the rest)
//                DELETE: key bytes (the whole payload)
//                FLUSHALL: empty
//                SET_WITH_DEADLINE: varint32 key length, key bytes, u64 LE deadline (unix ms,
//                                   > 0), value bytes (the rest)
//                EXPIRE_AT: u64 LE deadline (unix ms, > 0), key bytes (the rest)
//                PERSIST: key bytes (the whole payload)
//                BATCH: varint32 count, then per part: u8 type (SET, DELETE, SET_WITH_DEADLINE),
//                       varint32 length, that type's payload (engine/record_payload.h)
//
// Versions: 1 wrote types 1-4 only; 2 (this build) adds types 5-8. Both are read, and a reader
// accepts every known type in either (a version-1 segment that held no record when a version-2
// build started is continued by it). 3 (this build with --prewrite-segments): the same records,
// inside write frames, in a segment zero-filled when created (see kPrewrittenLogFormatVersion).
//
// All integers are little-endian. varint32 is the LEB128 encoding LevelDB uses (7 bits per byte,
// high bit = more follows, at most 5 bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace walkv::log {

inline constexpr std::string_view kSegmentMagic = "WALKVLOG";
inline constexpr uint32_t kLogFormatVersion = 2;
// A pre-written segment (zero-filled when created, EngineOptions::prewrite_segments) says 3: its
// unused zero tail is the clean end of the log, which a version-2 reader would call damage, so an
// older walkv refuses the segment by version instead of misreading it. Only in a version-3
// segment is a zero tail clean; in versions 1 and 2 it stays a torn tail, as before.
//
// In a version-3 segment every write (one group commit's records, LogWriter::AppendBatch) is a
// write frame: kWriteFrameHeaderSize bytes, then the records, which must end exactly at the
// frame's end:
//     crc        u32 LE   crc32 (zlib) of every following byte of the frame (length..records)
//     length     u32 LE   bytes of records in the frame (>= kRecordHeaderSize)
// Why: records overwrite zeros, and the page cache writes an unsynced overwrite back sector by
// sector in no order, so a power cut can keep a later sector of the last write and lose (or tear)
// an earlier one. Record checksums alone would then show "damage followed by intact records",
// which is how mid-log damage looks. The frame checksum covers the whole write, so a torn last
// write is one bad frame with no intact frame after it: a torn tail, as in versions 1 and 2.
inline constexpr uint32_t kPrewrittenLogFormatVersion = 3;
inline constexpr size_t kWriteFrameHeaderSize = 8;
inline constexpr uint32_t kNewestReadableLogFormatVersion = 3;
// The oldest version this build still reads.
inline constexpr uint32_t kOldestReadableLogFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 24;
inline constexpr size_t kRecordHeaderSize = 17;
inline constexpr uint32_t kMaxRecordPayload = 1u << 30;

}  // namespace walkv::log
