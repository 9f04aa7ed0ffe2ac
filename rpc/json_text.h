// JSON text helpers shared by the fast request parser and the response encoder: UTF-8 validation
// and string escaping that produce exactly what nlohmann-json would, without building a DOM.
//
// Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace walkv::rpc {

// Length of the well-formed UTF-8 sequence starting at s[0] (1..4, per RFC 3629 / Unicode table
// 3-7, exactly the sequences nlohmann's lexer accepts inside strings), or 0 if s does not start
// with one. s must not be empty.
size_t Utf8SequenceLength(std::string_view s);

// Appends `s` as a JSON string literal, quotes included, byte for byte as nlohmann's
// dump(ensure_ascii=false) writes it: '"' and '\\' escaped, \b \f \n \r \t, other bytes below
// 0x20 as \u00xx (lower-case hex), everything else (0x7f and UTF-8 sequences) raw. Returns false
// — leaving `out` as it was — if `s` is not valid UTF-8.
bool AppendJsonString(std::string& out, std::string_view s);

// AppendJsonString, but bytes that are not valid UTF-8 are handled like nlohmann's
// error_handler_t::replace (through nlohmann itself; the protocol never produces such strings).
void AppendJsonStringLenient(std::string& out, std::string_view s);

// Appends the decimal digits of v.
void AppendUint(std::string& out, uint64_t v);

}  // namespace walkv::rpc
