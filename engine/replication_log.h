// Reading committed log records for a replication stream (docs/replication.md §2).
//
// A LogCursor is a reading position in the log kept between calls: the segment it is in (an open
// file) and the bytes read ahead from it, so that catching up in many small steps reads every
// byte once. Each Read copies records byte for byte as framed in the segments (docs/format.md
// §3.2, crc included) from next_seq() on, never past `up_to_seq`: a record beyond it may still be
// in flight in the commit path (or, with --fsync interval/never, not yet synced). Each record's
// crc, length and seq are checked as recovery checks them.
//
// Segments: a cursor moves to the next segment once the segment list names one that starts at or
// before next_seq(). The open file survives the segment's removal by snapshot cleanup (an open
// descriptor outlives unlink(2)), so a cursor part way through a removed segment finishes it;
// a segment that must be opened but is gone from the list or the directory is "too far behind".
// Read-ahead is safe because segments are append-only: bytes a read returns never change. A
// pre-written segment (version 3, overwritten zeros) is read exactly one write frame at a time,
// never past the frame that holds the last record it hands out.
//
// Thread safety: a LogCursor is for one thread; it reads files through an Env, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/env.h"
#include "engine/recovery_plan.h"
#include "engine/status.h"

namespace walkv::replication {

class LogCursor {
 public:
  // Bytes read from a segment file per read call (read-ahead), except in pre-written segments.
  static constexpr size_t kChunkBytes = 1u << 20;

  // The first record handed out will be next_seq (>= 1).
  explicit LogCursor(uint64_t next_seq) : next_seq_(next_seq) {}
  LogCursor(const LogCursor&) = delete;
  LogCursor& operator=(const LogCursor&) = delete;

  // Appends to *out the records next_seq(), next_seq() + 1, ... up to up_to_seq, stopping after
  // the first record that makes the bytes appended reach max_bytes (at least one record is
  // copied when next_seq() <= up_to_seq). `segments` are the live segments, ascending
  // (the engine's list; the last may be growing). Errors: kNotFound ("too far behind") if the
  // segment holding next_seq() is no longer listed or no longer exists; kCorruption if a record
  // before up_to_seq is damaged, out of sequence or missing. On error, *out keeps the records
  // appended before it (next_seq() counts them); the caller should give the cursor up.
  Status Read(Env* env, const std::string& dir, const std::vector<SegmentFile>& segments,
              uint64_t up_to_seq, size_t max_bytes, std::string* out);

  // The seq of the next record Read() will hand out.
  uint64_t next_seq() const { return next_seq_; }

 private:
  // Opens the segment starting at first_seq and skips to next_seq_.
  Status OpenSegment(Env* env, const std::string& dir, const SegmentFile& segment);
  // Makes at least n unread bytes available in buffer_ (reading at most `want` more at once).
  Status Fill(size_t n, size_t want);
  // Reads the next record into *record (a view into buffer_, valid until the next Fill).
  Status NextRecord(std::string_view* record);

  uint64_t next_seq_;
  std::unique_ptr<SequentialFile> file_;  // the segment the cursor is in; null before the first
  std::string file_name_;
  uint64_t segment_first_seq_ = 0;
  uint32_t version_ = 0;
  std::string buffer_;     // bytes read from file_ ...
  size_t buffer_pos_ = 0;  // ... of which these were consumed
  uint64_t frame_left_ = 0;  // version 3: record bytes left in the current write frame
};

// Appends to *out the records from_seq, from_seq+1, ... up to durable_seq, stopping after the
// first record that makes *out reach max_bytes: a LogCursor used once. *out is left as it was
// on error.
Status ReadCommittedRecords(Env* env, const std::string& dir,
                            const std::vector<SegmentFile>& segments, uint64_t from_seq,
                            uint64_t durable_seq, size_t max_bytes, std::string* out);

}  // namespace walkv::replication
