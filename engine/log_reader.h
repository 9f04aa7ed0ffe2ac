// Log segment parsing: the one reader of the log format, shared by recovery, `walkv verify` and
// the fuzz target. It never guesses: damage is reported with its byte offset and whether valid
// records follow it, and the caller (recovery policy, verify) decides what to do.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/mutation.h"
#include "engine/status.h"

namespace walkv::log {

// A decoded record. key/value point into the buffer passed to ParseSegment.
struct RecordView {
  uint64_t seq = 0;
  MutationType type = MutationType::kSet;
  std::string_view key;
  std::string_view value;   // a BATCH: its whole payload (DecodeBatchParts, record_payload.h)
  uint64_t deadline_ms = 0;  // SET_WITH_DEADLINE, EXPIRE_AT: unix ms (> 0); otherwise 0
  uint64_t offset = 0;  // byte offset of the record's first header byte in the segment
  uint64_t size = 0;    // header + payload bytes
};

// The first problem found in a segment.
struct SegmentDamage {
  uint64_t offset = 0;  // byte offset where the damage starts
  std::string reason;   // e.g. "record checksum mismatch", "truncated record header (9 of 17
                        // bytes)", "sequence 12 where 11 was expected", "bad segment magic"
  // True if at least one intact record (valid framing and checksum, sequence number greater than
  // the last good one) starts somewhere after `offset`: the damage is not just a torn tail.
  // A candidate's sequence number must also be one the writer could have reached by its offset
  // (at most one more per kRecordHeaderSize bytes after the damage), so random bytes almost never
  // pass for a record. For a sequence gap (an intact record whose seq is greater than expected)
  // that record itself counts: valid_records_follow is true and next_valid_offset == offset.
  bool valid_records_follow = false;
  uint64_t next_valid_offset = 0;  // offset of the first such record when valid_records_follow
};

struct SegmentScan {
  bool header_ok = false;
  uint64_t first_seq = 0;  // from the header (0 if !header_ok)
  uint64_t records = 0;    // intact records before any damage
  uint64_t last_seq = 0;   // seq of the last intact record (first_seq - 1 if none; 0 if
                           // !header_ok)
  uint64_t valid_end = 0;  // offset just past the last intact record (or the header; 0 if
                           // !header_ok)
  // Bytes of zeros that run from valid_end to the end of the file: space a pre-written segment
  // (version 3, zero-filled when created) has not used yet. Such a tail is the clean end of the
  // log, not damage. Zeros followed by any non-zero byte are damage as before, and so is a write
  // frame that fails its checksum (a torn last write: some sectors new, some still zeros). In a
  // version-3 segment valid_end is always the end of a write frame (log_format.h).
  // 0 when damage was found.
  uint64_t preallocated_bytes = 0;
  // The header is bad and every byte of the file is zero: a segment whose creation (header write
  // plus zero fill) was cut short before its first sync reached the header.
  bool header_unwritten = false;
  std::optional<SegmentDamage> damage;  // nullopt: the segment is intact to its last byte (or
                                        // to a zero tail, see preallocated_bytes)
};

// Parses a whole segment held in memory. Calls on_record for each intact record in order, up to
// (not including) the first damage. `expected_first_seq`, when given, is checked against the
// header (the file name's sequence number). Never fails on bad input; all findings go to the
// returned SegmentScan.
SegmentScan ParseSegment(std::string_view bytes, std::optional<uint64_t> expected_first_seq,
                         const std::function<void(const RecordView&)>& on_record);

}  // namespace walkv::log
