// The server's decoder: one protocol line -> a Call ready to execute, or the error response to
// send instead.
//
// Two decoders, one binder: ParseCall tries the fast decoder (rpc/fast_request.h) and, for every
// line it does not understand, the generic one (rpc/request.h, nlohmann-json); either way the
// decoded parts go through Bind (rpc/bind.h), which applies every rule about a call. The answer —
// Call or error, byte for byte — is always exactly ParseCallGeneric's.
//
// Pure functions, any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <variant>

#include "rpc/bind.h"
#include "rpc/request.h"

namespace walkv::rpc {

// FastParseRequest + Bind, else ParseCallGeneric.
std::variant<Call, ErrorResponse> ParseCall(std::string_view line);

// ParseRequest + Bind: the reference decoder, which handles every line.
std::variant<Call, ErrorResponse> ParseCallGeneric(std::string_view line);

// One request argument as Bind takes it: a JSON string, or the bytes of a {"b64": ...} object
// (decoded in place, so the ArgValue points into `value`); any other JSON type is passed with its
// type name. Also used for the arguments inside batch/txn operations (rpc/batch_ops.cc).
ArgValue ArgFromJson(nlohmann::json& value);

}  // namespace walkv::rpc
