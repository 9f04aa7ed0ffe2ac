#include "engine/log_reader.h"

#include <vector>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/log_format.h"
#include "engine/record_payload.h"

namespace walkv::log {
namespace {

bool IsKnownType(uint8_t type) {
  return type >= static_cast<uint8_t>(MutationType::kSet) &&
         type <= static_cast<uint8_t>(kLastMutationType);
}

std::string_view TypeName(MutationType type) {
  switch (type) {
    case MutationType::kSet:
      return "SET";
    case MutationType::kDelete:
      return "DELETE";
    case MutationType::kAppend:
      return "APPEND";
    case MutationType::kFlushAll:
      return "FLUSHALL";
    case MutationType::kSetWithDeadline:
      return "SET_WITH_DEADLINE";
    case MutationType::kExpireAt:
      return "EXPIRE_AT";
    case MutationType::kPersist:
      return "PERSIST";
    case MutationType::kBatch:
      return "BATCH";
  }
  return "?";
}

// Splits a record payload into key, value and deadline according to its type
// (engine/record_payload.h). False if the framing is impossible.
bool DecodePayload(MutationType type, std::string_view payload, RecordView* rec) {
  MutationView view;
  if (!DecodeRecordPayload(type, payload, &view)) return false;
  rec->key = view.key;
  rec->value = view.value;
  rec->deadline_ms = view.deadline_ms;
  return true;
}

// Decodes the record starting at `offset` (< bytes.size()), checking everything but sequence
// continuity. On success fills *rec and returns true; otherwise sets *reason and returns false.
bool ParseRecordAt(std::string_view bytes, size_t offset, RecordView* rec, std::string* reason) {
  const size_t remain = bytes.size() - offset;
  if (remain < kRecordHeaderSize) {
    *reason = "truncated record header (" + std::to_string(remain) + " of " +
              std::to_string(kRecordHeaderSize) + " bytes)";
    return false;
  }
  const char* p = bytes.data() + offset;
  const uint32_t stored_crc = DecodeFixed32(p);
  const uint32_t length = DecodeFixed32(p + 4);
  const uint64_t seq = DecodeFixed64(p + 8);
  const uint8_t type = static_cast<uint8_t>(p[16]);
  if (length > kMaxRecordPayload) {
    *reason = "record length " + std::to_string(length) + " exceeds the maximum " +
              std::to_string(kMaxRecordPayload);
    return false;
  }
  if (length > remain - kRecordHeaderSize) {
    *reason = "truncated record (header promises " + std::to_string(length) + " payload bytes, " +
              std::to_string(remain - kRecordHeaderSize) + " remain)";
    return false;
  }
  const uint32_t crc = Crc32(bytes.substr(offset + 4, kRecordHeaderSize - 4 + length));
  if (crc != stored_crc) {
    *reason = "record checksum mismatch";
    return false;
  }
  if (!IsKnownType(type)) {
    *reason = "unknown record type " + std::to_string(type);
    return false;
  }
  rec->seq = seq;
  rec->type = static_cast<MutationType>(type);
  rec->offset = offset;
  rec->size = kRecordHeaderSize + length;
  if (!DecodePayload(rec->type, bytes.substr(offset + kRecordHeaderSize, length), rec)) {
    *reason = "bad " + std::string(TypeName(rec->type)) + " payload framing";
    return false;
  }
  return true;
}

// The sequence numbers a resynchronising scan accepts at some offset: [min, max]. The writer
// numbers records consecutively and each takes at least kRecordHeaderSize bytes, so a record that
// starts `d` bytes after the damage can carry at most min + d / kRecordHeaderSize. The upper bound
// makes random bytes (whose "seq" is a random 64-bit number) almost never reach the checksum.
struct SeqWindow {
  uint64_t min = 0;
  uint64_t damage_offset = 0;
  bool bounded = true;  // false after header damage with no expected first sequence

  bool Accepts(uint64_t seq, size_t offset) const {
    if (seq < min) return false;
    if (!bounded) return true;
    return seq - min <= (offset - damage_offset) / kRecordHeaderSize;
  }
};

// Looks for the first offset > window.damage_offset where a complete record starts whose checksum
// matches, whose type is known and whose sequence number is in `window`. The cheap checks (length
// fits, type, sequence) come first so the checksum is computed only at plausible offsets.
std::optional<uint64_t> FindIntactRecord(std::string_view bytes, const SeqWindow& window) {
  if (bytes.size() < kRecordHeaderSize) return std::nullopt;
  const size_t last_start = bytes.size() - kRecordHeaderSize;
  for (size_t off = window.damage_offset + 1; off <= last_start; ++off) {
    const char* p = bytes.data() + off;
    const uint32_t length = DecodeFixed32(p + 4);
    if (length > kMaxRecordPayload || length > bytes.size() - off - kRecordHeaderSize) continue;
    if (!IsKnownType(static_cast<uint8_t>(p[16]))) continue;
    if (!window.Accepts(DecodeFixed64(p + 8), off)) continue;
    if (Crc32(bytes.substr(off + 4, kRecordHeaderSize - 4 + length)) != DecodeFixed32(p)) continue;
    return off;
  }
  return std::nullopt;
}

// Version 3: looks for the first offset > window.damage_offset where a write frame starts whose
// checksum matches and whose first record's sequence number is in `window`.
std::optional<uint64_t> FindIntactFrame(std::string_view bytes, const SeqWindow& window) {
  constexpr size_t kMinFrame = kWriteFrameHeaderSize + kRecordHeaderSize;
  if (bytes.size() < kMinFrame) return std::nullopt;
  const size_t last_start = bytes.size() - kMinFrame;
  for (size_t off = window.damage_offset + 1; off <= last_start; ++off) {
    const char* p = bytes.data() + off;
    const uint32_t length = DecodeFixed32(p + 4);
    if (length < kRecordHeaderSize || length > bytes.size() - off - kWriteFrameHeaderSize) continue;
    if (!window.Accepts(DecodeFixed64(p + kWriteFrameHeaderSize + 8), off)) continue;
    if (Crc32(bytes.substr(off + 4, 4 + length)) != DecodeFixed32(p)) continue;
    return off;
  }
  return std::nullopt;
}

SegmentDamage MakeDamage(std::string_view bytes, std::string reason, const SeqWindow& window,
                         bool framed = false) {
  SegmentDamage damage;
  damage.offset = window.damage_offset;
  damage.reason = std::move(reason);
  if (auto next = framed ? FindIntactFrame(bytes, window) : FindIntactRecord(bytes, window)) {
    damage.valid_records_follow = true;
    damage.next_valid_offset = *next;
  }
  return damage;
}

// Checks the segment header. Returns an empty string if it is good, else the reason.
std::string CheckHeader(std::string_view bytes, std::optional<uint64_t> expected_first_seq,
                        uint64_t* first_seq, uint32_t* version_out) {
  if (bytes.size() < kSegmentHeaderSize) {
    return "truncated segment header (" + std::to_string(bytes.size()) + " of " +
           std::to_string(kSegmentHeaderSize) + " bytes)";
  }
  if (bytes.substr(0, kSegmentMagic.size()) != kSegmentMagic) return "bad segment magic";
  const uint32_t version = DecodeFixed32(bytes.data() + 8);
  const uint64_t seq = DecodeFixed64(bytes.data() + 12);
  const uint32_t stored_crc = DecodeFixed32(bytes.data() + 20);
  if (version < kOldestReadableLogFormatVersion || version > kNewestReadableLogFormatVersion) {
    return "unsupported log format version " + std::to_string(version) + " (this build reads " +
           std::to_string(kOldestReadableLogFormatVersion) + " to " +
           std::to_string(kNewestReadableLogFormatVersion) + ")";
  }
  if (Crc32(bytes.substr(0, 20)) != stored_crc) return "segment header checksum mismatch";
  if (expected_first_seq && seq != *expected_first_seq) {
    return "segment header says first sequence " + std::to_string(seq) + " but its name says " +
           std::to_string(*expected_first_seq);
  }
  *first_seq = seq;
  *version_out = version;
  return {};
}

// True if every byte from `offset` to the end is zero: the unused part of a pre-written segment.
// A record can never be all zeros (its sequence number and type are at least 1), so no record is
// mistaken for this tail.
bool IsZeroTail(std::string_view bytes, size_t offset) {
  return bytes.find_first_not_of('\0', offset) == std::string_view::npos;
}

// Checks the write frame header at `offset` (< bytes.size()) and its checksum. On success sets
// *frame_end to the offset just past the frame; otherwise sets *reason.
bool CheckFrameAt(std::string_view bytes, size_t offset, size_t* frame_end, std::string* reason) {
  const size_t remain = bytes.size() - offset;
  if (remain < kWriteFrameHeaderSize) {
    *reason = "truncated write frame header (" + std::to_string(remain) + " of " +
              std::to_string(kWriteFrameHeaderSize) + " bytes)";
    return false;
  }
  const uint32_t length = DecodeFixed32(bytes.data() + offset + 4);
  if (length < kRecordHeaderSize) {
    *reason = "write frame length " + std::to_string(length) + " is shorter than a record";
    return false;
  }
  if (length > remain - kWriteFrameHeaderSize) {
    *reason = "truncated write frame (header promises " + std::to_string(length) + " bytes, " +
              std::to_string(remain - kWriteFrameHeaderSize) + " remain)";
    return false;
  }
  if (Crc32(bytes.substr(offset + 4, 4 + length)) != DecodeFixed32(bytes.data() + offset)) {
    *reason = "write frame checksum mismatch";
    return false;
  }
  *frame_end = offset + kWriteFrameHeaderSize + length;
  return true;
}

// The records of a version-3 segment, frame by frame (log_format.h). A frame's records are
// reported only once the whole frame checked out, so valid_end is always a frame boundary.
void ParseFrames(std::string_view bytes, SegmentScan* scan,
                 const std::function<void(const RecordView&)>& on_record) {
  size_t offset = kSegmentHeaderSize;
  uint64_t next_seq = scan->first_seq;
  std::vector<RecordView> frame_records;
  while (offset < bytes.size()) {
    if (IsZeroTail(bytes, offset)) {
      scan->preallocated_bytes = bytes.size() - offset;
      return;
    }
    std::string reason;
    size_t frame_end = 0;
    if (!CheckFrameAt(bytes, offset, &frame_end, &reason)) {
      scan->damage = MakeDamage(bytes, std::move(reason), SeqWindow{next_seq, offset}, true);
      return;
    }
    // Records may not run past their frame.
    const std::string_view frame = bytes.substr(0, frame_end);
    frame_records.clear();
    uint64_t seq = next_seq;
    for (size_t at = offset + kWriteFrameHeaderSize; at < frame_end;) {
      RecordView rec;
      if (!ParseRecordAt(frame, at, &rec, &reason)) {
        scan->damage = MakeDamage(bytes, "in the write frame at byte " + std::to_string(offset) +
                                             ": " + reason,
                                  SeqWindow{next_seq, offset}, true);
        return;
      }
      if (rec.seq != seq) {
        std::string why = "sequence " + std::to_string(rec.seq) + " where " +
                          std::to_string(seq) + " was expected";
        if (rec.seq > seq && at == offset + kWriteFrameHeaderSize) {
          // An intact frame that is newer than the last good one: records are missing.
          scan->damage = SegmentDamage{offset, std::move(why), true, offset};
        } else {
          scan->damage = MakeDamage(bytes, std::move(why), SeqWindow{next_seq, offset}, true);
        }
        return;
      }
      frame_records.push_back(rec);
      ++seq;
      at += rec.size;
    }
    for (const RecordView& rec : frame_records) {
      if (on_record) on_record(rec);
      ++scan->records;
      scan->last_seq = rec.seq;
    }
    next_seq = seq;
    offset = frame_end;
    scan->valid_end = offset;
  }
}

}  // namespace

SegmentScan ParseSegment(std::string_view bytes, std::optional<uint64_t> expected_first_seq,
                         const std::function<void(const RecordView&)>& on_record) {
  SegmentScan scan;
  uint64_t first_seq = 0;
  uint32_t version = 0;
  if (std::string reason = CheckHeader(bytes, expected_first_seq, &first_seq, &version);
      !reason.empty()) {
    scan.damage =
        MakeDamage(bytes, std::move(reason),
                   SeqWindow{expected_first_seq.value_or(0), 0, expected_first_seq.has_value()});
    scan.header_unwritten = bytes.size() > kSegmentHeaderSize && IsZeroTail(bytes, 0);
    return scan;
  }
  scan.header_ok = true;
  scan.first_seq = first_seq;
  scan.last_seq = first_seq - 1;
  scan.valid_end = kSegmentHeaderSize;

  if (version >= kPrewrittenLogFormatVersion) {
    ParseFrames(bytes, &scan, on_record);
    return scan;
  }
  size_t offset = kSegmentHeaderSize;
  uint64_t next_seq = first_seq;
  while (offset < bytes.size()) {
    RecordView rec;
    std::string reason;
    if (!ParseRecordAt(bytes, offset, &rec, &reason)) {
      scan.damage = MakeDamage(bytes, std::move(reason), SeqWindow{next_seq, offset});
      return scan;
    }
    if (rec.seq != next_seq) {
      std::string why = "sequence " + std::to_string(rec.seq) + " where " +
                        std::to_string(next_seq) + " was expected";
      if (rec.seq > next_seq) {
        // A gap: this record is itself intact and newer than the last good one, so the damage
        // is not a torn tail (records are missing, not half-written).
        scan.damage = SegmentDamage{offset, std::move(why), true, offset};
      } else {
        scan.damage = MakeDamage(bytes, std::move(why), SeqWindow{next_seq, offset});
      }
      return scan;
    }
    if (on_record) on_record(rec);
    ++scan.records;
    scan.last_seq = rec.seq;
    ++next_seq;
    offset += rec.size;
    scan.valid_end = offset;
  }
  return scan;
}

}  // namespace walkv::log
