// Response encoding: one response line, '\n' included (docs/protocol.md).
//
// Strings are written as UTF-8 (not \u-escaped), control characters and '\n' escaped, so a
// response is always exactly one line. Bytes that are not valid UTF-8 (never produced by this
// protocol, which only stores what clients sent as JSON strings) are replaced by U+FFFD rather
// than failing. The output is byte for byte what nlohmann's dump() would write; strings, booleans,
// null and integers are written directly (rpc/json_text.h), anything else through nlohmann.
//
// Pure functions, any thread. The Append* forms write into a caller's buffer (a connection's
// output), the Encode* forms return a new string.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "rpc/error_code.h"

namespace walkv::rpc {

// Serialises a JSON value on one line, never throwing.
std::string DumpJson(const nlohmann::json& value);
// The same, appended to `out`.
void AppendJson(std::string& out, const nlohmann::json& value);

// {"id":<id_json>,"result":<result>}\n — id_json is inserted verbatim.
void AppendResult(std::string& out, std::string_view id_json, const nlohmann::json& result);
std::string EncodeResult(std::string_view id_json, const nlohmann::json& result);

// {"id":<id_json>,"error":{"code":"<CODE>","message":<message>}}\n
void AppendError(std::string& out, std::string_view id_json, ErrorCode code,
                 std::string_view message);
std::string EncodeError(std::string_view id_json, ErrorCode code, std::string_view message);

}  // namespace walkv::rpc
