// LogWriter: appends framed records to one log segment.
//
// Not thread-safe: the engine's commit thread is its only user. Durability: bytes passed to
// AppendBatch are durable only after Sync() returns OK.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/env.h"
#include "engine/log_format.h"
#include "engine/mutation.h"
#include "engine/status.h"

namespace walkv::log {

// Appends the framed record for (seq, m) to *dst. Encoding many records into one buffer and
// writing it with one AppendBatch is how group commit gets one write per batch.
// Only plain mutations have a record: m.request must be kAsIs (the commit thread resolves a
// counter request into the kSet of its result first); anything else aborts the process rather
// than log a value that was never the state.
void EncodeRecord(uint64_t seq, const Mutation& m, std::string* dst);

// Appends the 24-byte segment header for `first_seq` to *dst. `version` is for tests that build
// segments an older walkv wrote; the writer always uses kLogFormatVersion.
void EncodeSegmentHeader(uint64_t first_seq, std::string* dst, uint32_t version);
inline void EncodeSegmentHeader(uint64_t first_seq, std::string* dst) {
  EncodeSegmentHeader(first_seq, dst, kLogFormatVersion);
}

// Appends a version-3 write frame holding `records` (already encoded by EncodeRecord) to *dst:
// the frame header (log_format.h, kWriteFrameHeaderSize), then the records.
void EncodeWriteFrame(std::string_view records, std::string* dst);

class LogWriter {
 public:
  // Creates dir/wal-<first_seq>.log, writes its header, syncs the file and the directory, so that
  // when it returns OK the (empty) segment is durable and the first record written into it cannot
  // be lost to a missing directory entry.
  //
  // With `prewrite_bytes` > kSegmentHeaderSize the segment is pre-written: header plus zeros up to
  // `prewrite_bytes`, synced (file and directory) before it returns, and records then overwrite
  // the zeros, so a commit's fdatasync flushes no metadata while the segment has room (records
  // past `prewrite_bytes` extend the file as usual). The unused zero tail is the clean end of the
  // log to every reader (log_reader.h, SegmentScan::preallocated_bytes). Such a segment is
  // format version 3: each AppendBatch is one write frame (log_format.h). An Env that cannot
  // overwrite (NewOverwritingFile kNotSupported) gets a plain segment.
  static StatusOr<std::unique_ptr<LogWriter>> Create(Env* env, const std::string& dir,
                                                     uint64_t first_seq,
                                                     uint64_t prewrite_bytes = 0);
  // Turns a spare (engine/segment_preparer.h: `spare_path`, zeros already synced) into
  // dir/wal-<first_seq>.log, pre-written like Create's: writes the version-3 header over its first
  // bytes and syncs it (a data-only fdatasync), renames it into place and syncs the directory.
  // When it returns OK the segment is durable exactly as after Create. A crash before the rename
  // leaves only the spare (a .tmp, removed at startup); after it, an empty segment.
  static StatusOr<std::unique_ptr<LogWriter>> CreateFromSpare(Env* env, const std::string& dir,
                                                              const std::string& spare_path,
                                                              uint64_t first_seq);
  // Opens the existing dir/wal-<first_seq>.log to write records from `records_end` on: where its
  // last intact record ends, as recovery found it. The caller (engine startup) has checked that
  // the header is intact and that nothing but a pre-written zero tail follows `records_end`
  // (recovery truncated anything else). Reads the header's version: a version-3 segment goes on
  // with write frames over its zeros (no metadata to sync while it has room); a plain one has any
  // bytes past `records_end` cut off (synced) and is appended to.
  static StatusOr<std::unique_ptr<LogWriter>> OpenForAppend(Env* env, const std::string& dir,
                                                            uint64_t first_seq,
                                                            uint64_t records_end);

  // Writes already-encoded records (from EncodeRecord) in one Append (in a version-3 segment as
  // one write frame). Not durable until Sync().
  Status AppendBatch(std::string_view encoded_records);
  // fdatasync of the segment.
  Status Sync();
  Status Close();

  uint64_t first_seq() const { return first_seq_; }
  // Bytes of log written: header plus records, not counting a pre-written segment's zero tail.
  uint64_t size() const { return file_->Size(); }
  const std::string& file_name() const { return file_name_; }

 private:
  LogWriter(std::unique_ptr<WritableFile> file, std::string file_name, uint64_t first_seq,
            bool framed)
      : file_(std::move(file)),
        file_name_(std::move(file_name)),
        first_seq_(first_seq),
        framed_(framed) {}

  std::unique_ptr<WritableFile> file_;
  std::string file_name_;
  uint64_t first_seq_;
  bool framed_;              // version 3: each AppendBatch is one write frame
  std::string frame_buffer_;  // reused by AppendBatch when framed_
};

}  // namespace walkv::log
