// CRC-32 as computed by zlib's crc32() (the IEEE 802.3 / gzip / PNG polynomial, reflected,
// initial value and final xor 0xffffffff). crc32("123456789") == 0xcbf43926. Used by the log
// format (docs/format.md); stored unmasked.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace walkv {

// Extends `crc` (the CRC of some preceding bytes, 0 for none) with `data`.
inline uint32_t Crc32Extend(uint32_t crc, std::string_view data) {
  uLong c = crc;
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  size_t n = data.size();
  while (n > 0) {  // zlib takes a uInt length: feed huge inputs in pieces
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    c = crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(c);
}

// CRC-32 of `data`.
inline uint32_t Crc32(std::string_view data) { return Crc32Extend(0, data); }

// CRC-32 of the concatenation of `parts`.
inline uint32_t Crc32(std::initializer_list<std::string_view> parts) {
  uint32_t crc = 0;
  for (std::string_view part : parts) crc = Crc32Extend(crc, part);
  return crc;
}

}  // namespace walkv
