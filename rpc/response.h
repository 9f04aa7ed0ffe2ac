// Response encoding: one response line, '\n' included (docs/protocol.md).
//
// Strings are written as UTF-8 (not \u-escaped), control characters and '\n' escaped, so a
// response is always exactly one line. Bytes that are not valid UTF-8 (never produced by this
// protocol, which only stores what clients sent as JSON strings) are replaced by U+FFFD rather
// than failing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "rpc/error_code.h"

namespace walkv::rpc {

// Serialises a JSON value on one line, never throwing.
std::string DumpJson(const nlohmann::json& value);

// {"id":<id_json>,"result":<result>}\n — id_json is inserted verbatim.
std::string EncodeResult(std::string_view id_json, const nlohmann::json& result);

// {"id":<id_json>,"error":{"code":"<CODE>","message":<message>}}\n
std::string EncodeError(std::string_view id_json, ErrorCode code, std::string_view message);

}  // namespace walkv::rpc
