// Byte encodings shared by the on-disk formats (docs/format.md):
//   fixed32 / fixed64  little-endian, 4 / 8 bytes
//   varint32           LEB128 as in LevelDB: 7 bits per byte, least significant group first, high
//                      bit set on every byte but the last, 1 to 5 bytes
//
// Encoders append to a std::string. Decoders are bounds-checked: they never read past the end of
// the input they are given and report failure (false / nullptr) instead, so they are safe on
// arbitrary (fuzzed, corrupted) bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace walkv {

inline constexpr size_t kMaxVarint32Bytes = 5;

// Writes exactly 4 / 8 bytes at `dst`.
void EncodeFixed32(char* dst, uint32_t value);
void EncodeFixed64(char* dst, uint64_t value);
// Reads exactly 4 / 8 bytes at `src`; the caller guarantees they exist.
uint32_t DecodeFixed32(const char* src);
uint64_t DecodeFixed64(const char* src);

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void PutVarint32(std::string* dst, uint32_t value);

// Number of bytes PutVarint32 writes for `value` (1..5).
size_t VarintLength32(uint32_t value);

// Decodes a varint32 starting at `p`, reading no byte at or beyond `limit`. Returns a pointer just
// past the varint, or nullptr if the input ends first, the varint is longer than 5 bytes, or its
// value does not fit in 32 bits.
const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* value);

// The same over a string_view: on success stores the value, advances *input past it and returns
// true; on failure returns false and leaves *input unchanged.
bool GetVarint32(std::string_view* input, uint32_t* value);
// Consumes 4 / 8 bytes from *input; false (input unchanged) if fewer remain.
bool GetFixed32(std::string_view* input, uint32_t* value);
bool GetFixed64(std::string_view* input, uint64_t* value);
// Consumes a varint32 length followed by that many bytes into *result (a view into the input).
// False (input unchanged) if the varint is bad or the bytes run past the end.
bool GetLengthPrefixed(std::string_view* input, std::string_view* result);

}  // namespace walkv
