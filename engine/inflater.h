// Inflater: inflates one zlib (RFC 1950) stream, fed in pieces, into exactly the length its
// producer promised — a snapshot block (docs/format.md §4.2) read through a ByteSource.
// The stream's Adler-32 is not verified (zlib's inflateValidate(0)): callers feed only bytes whose
// own hash they check (a snapshot block's xxh64), so it would check the same bytes twice.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace walkv {

class Inflater {
 public:
  // Inflates into `*out` (cleared first; its capacity is reused). `*out` grows only as zlib
  // actually produces bytes, and never past `raw_len`, so a lying raw_len cannot make it allocate
  // more than the stream really expands to. `out` must outlive the Inflater.
  Inflater(uint32_t raw_len, std::string* out);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Feeds the next piece of the stream. After a failure (bad data, output longer than raw_len,
  // bytes after the stream's end) further pieces are ignored.
  void Feed(std::string_view piece);
  // True if the pieces fed were exactly one complete stream that inflated to exactly raw_len
  // bytes, now in `*out`. Call once, after the last Feed.
  bool Finish();

 private:
  z_stream zs_{};
  const uint32_t raw_len_;
  std::string* const out_;
  size_t produced_ = 0;
  bool ended_ = false;
  bool failed_ = false;
};

}  // namespace walkv
