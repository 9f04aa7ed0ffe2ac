// Fast path of request decoding: a hand-written scanner for the request shapes clients send all
// the time, so that they skip nlohmann-json's DOM.
//
// Contract: FastParseRequest(line) either returns std::nullopt ("not understood here") or exactly
// the id, method and positional arguments that ParseRequest(line) (rpc/request.h, through
// nlohmann-json) decodes from that line, with no keyword arguments. It only decodes: it knows no
// method and checks no rule about arguments — Bind (rpc/bind.h) does that for both decoders. Every
// line it does not fully understand, valid or not, goes to the generic decoder, which owns every
// protocol-level error message. tests/rpc/fast_request_test.cc and fuzz/request_parser_fuzzer.cc
// check the equivalence.
//
// Understood: one JSON object, whitespace anywhere JSON allows it, members in any order, each at
// most once, only these members:
//   "id":     a string, an integer of at most 18 digits, true, false or null
//   "method": a string
//   "args":   null or a list of at most kMaxParams strings (longer lists, e.g. mget with many
//             keys, go to the generic parser)
//   "kwargs": null or {}
// Strings may hold any escape (\uXXXX surrogate pairs included) and any well-formed UTF-8.
// Everything else (floats, huge integers, other members, duplicated members, non-empty kwargs,
// non-string arguments, escaped member names, a leading BOM, any syntax error) returns
// std::nullopt.
//
// Pure function, any thread.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "rpc/methods.h"

namespace walkv::rpc {

// A decoded request, before binding. Holds its own decoded strings (no allocation for short ones).
struct FastRequest {
  std::string id = "null";  // JSON text to echo; "null" without an id member
  std::string method;       // as sent, decoded
  std::array<std::string, kMaxParams> args;
  size_t arg_count = 0;  // args[0..arg_count) were sent
};

std::optional<FastRequest> FastParseRequest(std::string_view line);

}  // namespace walkv::rpc
