#include "engine/byte_source.h"

#include <algorithm>
#include <utility>

#include "engine/str_cat.h"

namespace walkv {

std::string_view ByteSource::Buffered() const {
  return std::string_view(buffer_).substr(buffer_pos_);
}

Status ByteSource::Fill() {
  const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, size_ - file_read_));
  WALKV_RETURN_IF_ERROR(file_->Read(want, &chunk_));
  if (chunk_.size() < want) {
    return Status::IOError(StrCat(name_, ": file ended at byte ", file_read_ + chunk_.size(),
                                  " before its size ", size_, " (changed while being read?)"));
  }
  file_read_ += chunk_.size();
  if (buffer_pos_ == buffer_.size()) {
    std::swap(buffer_, chunk_);  // the common case while streaming: nothing to keep, no copy
  } else {
    buffer_.erase(0, buffer_pos_);
    buffer_ += chunk_;
  }
  buffer_pos_ = 0;
  return Status::Ok();
}

Status ByteSource::CheckLeft(uint64_t n) const {
  if (n <= size_ - offset_) return Status::Ok();
  return Status::IOError(StrCat(name_, ": read of ", n, " bytes at ", offset_,
                                " runs past the end (", size_, " bytes)"));
}

Status ByteSource::Read(size_t n, std::string_view* out) {
  WALKV_RETURN_IF_ERROR(CheckLeft(n));
  while (Buffered().size() < n) WALKV_RETURN_IF_ERROR(Fill());
  *out = Buffered().substr(0, n);
  buffer_pos_ += n;
  offset_ += n;
  return Status::Ok();
}

Status ByteSource::Stream(uint64_t n, const std::function<void(std::string_view)>& sink) {
  WALKV_RETURN_IF_ERROR(CheckLeft(n));
  while (n > 0) {
    if (Buffered().empty()) WALKV_RETURN_IF_ERROR(Fill());
    const std::string_view piece = Buffered().substr(0, std::min<uint64_t>(n, Buffered().size()));
    buffer_pos_ += piece.size();
    offset_ += piece.size();
    n -= piece.size();
    sink(piece);
  }
  return Status::Ok();
}

}  // namespace walkv
