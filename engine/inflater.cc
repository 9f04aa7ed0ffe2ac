#include "engine/inflater.h"

#include <libdeflate.h>

#include <new>

namespace walkv {
namespace {

constexpr size_t kZlibHeaderBytes = 2;
constexpr size_t kZlibTrailerBytes = 4;  // Adler-32, not verified (see the header)
// DEFLATE's densest code is a 258-byte match in about 2 bits: at most 1032 output bytes per input
// byte. The slack covers the stream's own framing on tiny streams.
constexpr uint64_t kMaxExpansion = 1032;
constexpr uint64_t kExpansionSlack = 1024;

// The checks zlib's inflate makes of the 2-byte header (RFC 1950 §2.2) with the default 32 KiB
// window: a multiple of 31, compression method 8, a window of at most 32 KiB, no preset
// dictionary (which inflate reports as Z_NEED_DICT, a failure to its callers here).
bool ZlibHeaderOk(unsigned char cmf, unsigned char flg) {
  if ((cmf * 256u + flg) % 31 != 0) return false;
  if ((cmf & 0x0f) != 8) return false;
  if ((cmf >> 4) + 8 > 15) return false;
  return (flg & 0x20) == 0;
}

}  // namespace

Inflater::Inflater() : decompressor_(libdeflate_alloc_decompressor()) {
  if (decompressor_ == nullptr) throw std::bad_alloc();
}

Inflater::~Inflater() { libdeflate_free_decompressor(decompressor_); }

bool Inflater::Inflate(std::string_view stream, uint32_t raw_len, std::string* out) {
  out->clear();
  if (stream.size() < kZlibHeaderBytes + kZlibTrailerBytes) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(stream.data());
  if (!ZlibHeaderOk(bytes[0], bytes[1])) return false;
  const size_t deflate_bytes = stream.size() - kZlibHeaderBytes - kZlibTrailerBytes;
  if (raw_len > deflate_bytes * kMaxExpansion + kExpansionSlack) return false;
  out->resize(raw_len);
  size_t consumed = 0;
  // actual_out_nbytes_ret null: anything but exactly raw_len bytes out is a failure.
  const libdeflate_result rc = libdeflate_deflate_decompress_ex(
      decompressor_, bytes + kZlibHeaderBytes, deflate_bytes, out->data(), raw_len, &consumed,
      nullptr);
  // The DEFLATE data must end exactly where the trailer begins: no bytes after the stream.
  return rc == LIBDEFLATE_SUCCESS && consumed == deflate_bytes;
}

}  // namespace walkv
