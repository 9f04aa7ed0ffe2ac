// Inflater: inflates one whole zlib (RFC 1950) stream held in memory — a snapshot block
// (docs/format.md §4.2) — into exactly the length its producer promised. Decoding is libdeflate's
// raw-DEFLATE decoder (about twice zlib's inflate speed); the 2-byte zlib header is checked here as
// zlib's inflate checks it, and the 4-byte trailer must be present.
// The stream's Adler-32 is not verified (as zlib's inflateValidate(0) did before): callers inflate
// only bytes whose own hash they check (a snapshot block's xxh64), so it would check them twice.
//
// Thread safety: one Inflater per thread at a time (it owns a libdeflate decompressor, ~30 KiB,
// reused from call to call); different Inflaters may run on different threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct libdeflate_decompressor;

namespace walkv {

class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates `stream` into `*out` (resized to raw_len; its capacity is reused). True if `stream`
  // is exactly one complete zlib stream (header, DEFLATE data, 4-byte trailer, nothing after it)
  // that inflates to exactly `raw_len` bytes. A raw_len that `stream` could not possibly expand
  // to (DEFLATE expands at most ~1032:1) fails before anything is allocated, so a lying raw_len
  // cannot make it allocate more than the stream's size allows. On failure `*out` holds nothing
  // useful.
  bool Inflate(std::string_view stream, uint32_t raw_len, std::string* out);

 private:
  libdeflate_decompressor* decompressor_;
};

}  // namespace walkv
