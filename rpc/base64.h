// Base64 (RFC 4648 §4, the standard alphabet, '=' padding): the wire form of bytes that are not
// UTF-8 text (rpc/binary_json.h).
//
// Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace walkv::rpc {

std::string Base64Encode(std::string_view bytes);

// The bytes, or nullopt unless `text` is canonical base64: a multiple of 4 characters from the
// standard alphabet, '=' only as the last one or two, and zero bits after the last byte (so each
// byte string has exactly one accepted encoding).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace walkv::rpc
