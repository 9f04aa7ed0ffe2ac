#include "engine/inflater.h"

#include <algorithm>

namespace walkv {

Inflater::Inflater(uint32_t raw_len, std::string* out) : raw_len_(raw_len), out_(out) {
  out_->clear();
  failed_ = inflateInit(&zs_) != Z_OK;
  // No Adler-32: every block's compressed bytes are covered by its xxh64, checked before and
  // while they are fed here, and the raw length is still checked in Finish(). Computing the
  // Adler-32 of every inflated byte cost ~9% of inflating (perf, 2026-12-03).
  if (!failed_) failed_ = inflateValidate(&zs_, 0) != Z_OK;
}

Inflater::~Inflater() { inflateEnd(&zs_); }

void Inflater::Feed(std::string_view piece) {
  if (failed_ || piece.empty()) return;
  if (ended_) {  // bytes after the end of the stream
    failed_ = true;
    return;
  }
  zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
  zs_.avail_in = static_cast<uInt>(piece.size());  // pieces are at most ByteSource::kChunkBytes
  while (zs_.avail_in > 0) {
    if (produced_ == out_->size() && out_->size() < raw_len_) {
      const size_t grow = std::max<size_t>(out_->size(), 64 * 1024);
      out_->resize(std::min<size_t>(raw_len_, out_->size() + grow));
    }
    // With the output full (raw_len reached), inflate may still consume the stream's end; if it
    // has more to write, it makes no progress and says Z_BUF_ERROR.
    zs_.next_out = reinterpret_cast<Bytef*>(out_->data() + produced_);
    zs_.avail_out = static_cast<uInt>(out_->size() - produced_);
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    produced_ = out_->size() - zs_.avail_out;
    if (rc == Z_STREAM_END) {
      ended_ = true;
      failed_ = zs_.avail_in > 0;  // bytes after the end of the stream
      return;
    }
    if (rc != Z_OK) {  // Z_DATA_ERROR, Z_BUF_ERROR with input left (longer than raw_len) ...
      failed_ = true;
      return;
    }
  }
}

bool Inflater::Finish() {
  out_->resize(produced_);
  return !failed_ && ended_ && produced_ == raw_len_;
}

}  // namespace walkv
