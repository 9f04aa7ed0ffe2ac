// LineFramer: splits a byte stream into '\n'-terminated lines with a hard length limit.
//
// Holds only the bytes not yet returned as lines; when everything has been consumed its buffer
// is released, so an idle connection costs no buffer memory. Not thread-safe (one per
// connection, used on that connection's strand).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace walkv::rpc {

class LineFramer {
 public:
  enum class Result {
    kLine,      // *line is the next line, without its '\n'
    kNeedMore,  // no complete line buffered; Append() more bytes
    kTooLarge,  // the next line is (or will be) longer than max_line_bytes
  };

  explicit LineFramer(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  void Append(std::string_view bytes);

  // Returns the next complete line. *line stays valid until the next Append() or Next() call.
  // After kTooLarge the framer keeps returning kTooLarge (the stream cannot be resynchronised
  // safely); the caller answers and closes.
  Result Next(std::string_view* line);

  // The unterminated tail (the peer closed mid-line); empties the framer.
  std::string TakeRemainder();

  size_t buffered_bytes() const { return buf_.size() - start_; }

 private:
  const size_t max_line_bytes_;
  std::string buf_;
  size_t start_ = 0;    // first byte of buf_ not yet returned
  size_t scanned_ = 0;  // bytes of buf_ known to contain no '\n' (from start_)
  bool too_large_ = false;
};

}  // namespace walkv::rpc
