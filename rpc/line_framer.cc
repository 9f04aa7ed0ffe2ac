#include "rpc/line_framer.h"

#include <algorithm>
#include <cstring>

namespace walkv::rpc {

namespace {
// A drained buffer with more capacity than this is freed rather than kept for reuse.
constexpr size_t kKeepCapacity = 64 * 1024;
}  // namespace

void LineFramer::Append(std::string_view bytes) {
  if (too_large_ || bytes.empty()) return;
  if (start_ > 0 && start_ == buf_.size()) {
    buf_.clear();
    start_ = scanned_ = 0;
  } else if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    scanned_ -= start_;
    start_ = 0;
  }
  buf_.append(bytes);
}

LineFramer::Result LineFramer::Next(std::string_view* line) {
  if (too_large_) return Result::kTooLarge;
  const size_t from = std::max(start_, scanned_);
  const void* nl =
      from < buf_.size() ? std::memchr(buf_.data() + from, '\n', buf_.size() - from) : nullptr;
  if (nl != nullptr) {
    const size_t pos = static_cast<const char*>(nl) - buf_.data();
    if (pos - start_ > max_line_bytes_) {
      too_large_ = true;
      return Result::kTooLarge;
    }
    *line = std::string_view(buf_).substr(start_, pos - start_);
    start_ = pos + 1;
    scanned_ = start_;
    return Result::kLine;
  }
  scanned_ = buf_.size();
  if (buf_.size() - start_ > max_line_bytes_) {
    too_large_ = true;
    buf_ = std::string();
    start_ = scanned_ = 0;
    return Result::kTooLarge;
  }
  if (start_ == buf_.size()) {
    if (buf_.capacity() > kKeepCapacity) {
      buf_ = std::string();
    } else {
      buf_.clear();
    }
    start_ = scanned_ = 0;
  }
  return Result::kNeedMore;
}

std::string LineFramer::TakeRemainder() {
  std::string rest = buf_.substr(start_);
  buf_ = std::string();
  start_ = scanned_ = 0;
  return rest;
}

}  // namespace walkv::rpc
