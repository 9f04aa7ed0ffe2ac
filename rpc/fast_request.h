// Fast path of request decoding: a hand-written scanner for the request shapes clients send all
// the time, so that they skip nlohmann-json's DOM.
//
// Contract: FastParseCall(line) either returns std::nullopt ("not understood here") or exactly the
// Call that ParseCallGeneric(line) (rpc/methods.h: nlohmann-json + BindCall) returns for that
// line — same id text, method, arguments. It never produces an error: every line it does not
// fully understand, valid or not, goes to the generic path, which owns every error message.
// tests/rpc/fast_request_test.cc and fuzz/request_parser_fuzzer.cc check the equivalence.
//
// Understood: one JSON object, whitespace anywhere JSON allows it, members in any order, each at
// most once, only these members:
//   "id":     a string, an integer of at most 18 digits, true, false or null
//   "method": a string naming a method of the table (any case)
//   "args":   null or a list of strings, as many as the method takes, each within its limit
//   "kwargs": null or {}
// Strings may hold any escape (\uXXXX surrogate pairs included) and any well-formed UTF-8.
// Everything else (floats, huge integers, other members, duplicated members, non-empty kwargs,
// escaped member names, a leading BOM, any error) returns std::nullopt.
//
// Pure function, any thread.
#pragma once

#include <optional>
#include <string_view>

#include "rpc/methods.h"

namespace walkv::rpc {

std::optional<Call> FastParseCall(std::string_view line);

}  // namespace walkv::rpc
