#include "engine/replication_log.h"

#include <algorithm>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/file_names.h"
#include "engine/log_format.h"
#include "engine/str_cat.h"

namespace walkv::replication {
namespace {

Status TooFarBehind(uint64_t seq, const std::vector<SegmentFile>& segments) {
  return Status::NotFound(StrCat("too far behind: record ", seq,
                                 " is no longer in a log segment (the oldest starts at ",
                                 segments.empty() ? 0 : segments.front().first_seq, ")"));
}

}  // namespace

Status LogCursor::OpenSegment(Env* env, const std::string& dir, const SegmentFile& segment) {
  file_.reset();
  buffer_.clear();
  buffer_pos_ = 0;
  frame_left_ = 0;
  const std::string path = JoinPath(dir, segment.name);
  auto file = env->NewSequentialFile(path);
  if (!file.ok()) {
    // Removed by snapshot cleanup since the list was taken.
    if (!env->FileExists(path)) return TooFarBehind(next_seq_, {segment});
    return file.status();
  }
  file_ = std::move(*file);
  file_name_ = segment.name;
  segment_first_seq_ = segment.first_seq;
  WALKV_RETURN_IF_ERROR(Fill(log::kSegmentHeaderSize, log::kSegmentHeaderSize));
  const std::string_view header(buffer_.data(), log::kSegmentHeaderSize);
  version_ = DecodeFixed32(header.data() + 8);
  if (header.substr(0, log::kSegmentMagic.size()) != log::kSegmentMagic ||
      version_ < log::kOldestReadableLogFormatVersion ||
      version_ > log::kNewestReadableLogFormatVersion ||
      DecodeFixed64(header.data() + 12) != segment.first_seq ||
      Crc32(header.substr(0, 20)) != DecodeFixed32(header.data() + 20)) {
    file_.reset();
    return Status::Corruption(StrCat(segment.name, ": bad segment header"));
  }
  buffer_pos_ = log::kSegmentHeaderSize;
  // Skip to next_seq_ (a cursor that starts part way through a segment).
  const uint64_t target = next_seq_;
  next_seq_ = segment.first_seq;
  std::string_view record;
  while (next_seq_ < target) {
    WALKV_RETURN_IF_ERROR(NextRecord(&record));
  }
  return Status::Ok();
}

Status LogCursor::Fill(size_t n, size_t want) {
  if (buffer_.size() - buffer_pos_ >= n) return Status::Ok();
  buffer_.erase(0, buffer_pos_);
  buffer_pos_ = 0;
  std::string chunk;
  while (buffer_.size() < n) {
    WALKV_RETURN_IF_ERROR(file_->Read(std::max(want, n - buffer_.size()), &chunk));
    if (chunk.empty()) {
      return Status::Corruption(StrCat(file_name_, " ends before committed record ", next_seq_));
    }
    buffer_ += chunk;
  }
  return Status::Ok();
}

Status LogCursor::NextRecord(std::string_view* record) {
  // Pre-written segments: read exactly one write frame at a time (bytes past it may still be
  // zeros that a later commit overwrites). Other segments only grow: read ahead freely.
  const bool framed = version_ >= log::kPrewrittenLogFormatVersion;
  if (framed && frame_left_ == 0) {
    WALKV_RETURN_IF_ERROR(Fill(log::kWriteFrameHeaderSize, log::kWriteFrameHeaderSize));
    const char* f = buffer_.data() + buffer_pos_;
    const uint32_t length = DecodeFixed32(f + 4);
    if (length < log::kRecordHeaderSize) {
      return Status::Corruption(StrCat(file_name_, ": bad write frame before record ", next_seq_));
    }
    WALKV_RETURN_IF_ERROR(
        Fill(log::kWriteFrameHeaderSize + length, log::kWriteFrameHeaderSize + length));
    f = buffer_.data() + buffer_pos_;
    if (Crc32(std::string_view(f + 4, 4 + length)) != DecodeFixed32(f)) {
      return Status::Corruption(StrCat(file_name_, ": write frame checksum mismatch before "
                                       "record ", next_seq_));
    }
    buffer_pos_ += log::kWriteFrameHeaderSize;
    frame_left_ = length;
  }
  const size_t want = framed ? log::kRecordHeaderSize : kChunkBytes;
  WALKV_RETURN_IF_ERROR(Fill(log::kRecordHeaderSize, want));
  const uint32_t length = DecodeFixed32(buffer_.data() + buffer_pos_ + 4);
  if (length > log::kMaxRecordPayload ||
      (framed && log::kRecordHeaderSize + length > frame_left_)) {
    return Status::Corruption(StrCat(file_name_, ": bad record length at record ", next_seq_));
  }
  const size_t size = log::kRecordHeaderSize + length;
  WALKV_RETURN_IF_ERROR(Fill(size, framed ? size : std::max(want, size)));
  const std::string_view bytes(buffer_.data() + buffer_pos_, size);
  if (Crc32(bytes.substr(4)) != DecodeFixed32(bytes.data()) ||
      DecodeFixed64(bytes.data() + 8) != next_seq_) {
    return Status::Corruption(StrCat(file_name_, ": record ", next_seq_,
                                     " is damaged or out of sequence"));
  }
  buffer_pos_ += size;
  if (framed) frame_left_ -= size;
  ++next_seq_;
  *record = bytes;
  return Status::Ok();
}

Status LogCursor::Read(Env* env, const std::string& dir, const std::vector<SegmentFile>& segments,
                       uint64_t up_to_seq, size_t max_bytes, std::string* out) {
  const size_t start_size = out->size();
  while (next_seq_ <= up_to_seq && out->size() - start_size < std::max<size_t>(max_bytes, 1)) {
    // The newest listed segment that starts at or before next_seq_ holds it.
    auto holder = std::upper_bound(
        segments.begin(), segments.end(), next_seq_,
        [](uint64_t seq, const SegmentFile& s) { return seq < s.first_seq; });
    if (holder == segments.begin()) {
      // Not listed any more; the open segment may still hold it (removed while we read it).
      if (file_ == nullptr || next_seq_ < segment_first_seq_) return TooFarBehind(next_seq_, segments);
    } else {
      const SegmentFile& segment = *std::prev(holder);
      if (file_ == nullptr || segment.first_seq > segment_first_seq_ ||
          next_seq_ < segment_first_seq_) {
        WALKV_RETURN_IF_ERROR(OpenSegment(env, dir, segment));
      }
    }
    std::string_view record;
    Status read = NextRecord(&record);
    // A removed segment that ends early: the next one was removed too.
    if (!read.ok() && holder == segments.begin()) return TooFarBehind(next_seq_, segments);
    WALKV_RETURN_IF_ERROR(read);
    out->append(record);
  }
  return Status::Ok();
}

Status ReadCommittedRecords(Env* env, const std::string& dir,
                            const std::vector<SegmentFile>& segments, uint64_t from_seq,
                            uint64_t durable_seq, size_t max_bytes, std::string* out) {
  LogCursor cursor(from_seq);
  std::string copied;
  WALKV_RETURN_IF_ERROR(cursor.Read(env, dir, segments, durable_seq, max_bytes, &copied));
  out->append(copied);
  return Status::Ok();
}

}  // namespace walkv::replication
