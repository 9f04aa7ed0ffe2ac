// How bytes that are not UTF-8 travel in the JSON protocol (docs/protocol.md, "Binary keys and
// values"): as an object with one member, {"b64": "<base64 of the bytes>"}.
//
//  - Arguments: anywhere a string argument is accepted, {"b64": ...} passes its decoded bytes
//    (server: rpc/parse_call.cc; invalid base64 is INVALID_ARGUMENT).
//  - Results: only when the request says "encoding":"b64", every string in the result that is not
//    valid UTF-8 is sent as {"b64": ...}; valid UTF-8 strings stay strings. Without it, such bytes
//    are replaced by U+FFFD (the answer stays valid JSON, but is lossy).
//
// Pure functions, any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace walkv::rpc {

inline constexpr std::string_view kB64Member = "b64";
// The request member that opts in to b64 results, and its one value.
inline constexpr std::string_view kEncodingMember = "encoding";
inline constexpr std::string_view kB64Encoding = "b64";

bool IsValidUtf8(std::string_view s);

// True if `value` is an object whose only member is "b64" (whatever its value).
bool IsB64Object(const nlohmann::json& value);

// "s" if valid UTF-8, else {"b64": base64(s)}.
nlohmann::json BytesToJson(std::string_view bytes);

// Replaces, recursively through arrays and object members, every string that is not valid UTF-8
// by its {"b64": ...} form. Returns true if anything was replaced.
bool EncodeNonUtf8Strings(nlohmann::json& value);

// The bytes of a string or of a {"b64": ...} object with valid base64, else nullopt.
std::optional<std::string> BytesFromJson(const nlohmann::json& value);

// The inverse of EncodeNonUtf8Strings for a client: replaces every {"b64": ...} object holding
// valid base64 by the decoded bytes as a string.
void DecodeB64Objects(nlohmann::json& value);

}  // namespace walkv::rpc
