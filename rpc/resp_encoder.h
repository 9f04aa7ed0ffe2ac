// RESP reply encoding (RESP2, and RESP3 after HELLO 3): appends one reply element to a
// connection's output buffer. Strings are bytes, written as they are (binary-safe).
//
// Where RESP2 and RESP3 differ (null, map, double-free boolean), the function takes the protocol
// version and writes the RESP2 equivalent for 2: a null bulk string "$-1" for null, a flat array
// of 2N elements for a map of N pairs.
//
// Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace walkv::rpc {

// +text\r\n — `text` must not contain '\r' or '\n' (they are replaced by spaces).
void AppendRespSimple(std::string& out, std::string_view text);
// -text\r\n — `text` starts with the error prefix ("ERR ...", "NOAUTH ..."); '\r'/'\n' replaced.
void AppendRespError(std::string& out, std::string_view text);
// :n\r\n
void AppendRespInteger(std::string& out, int64_t n);
// $len\r\nbytes\r\n
void AppendRespBulk(std::string& out, std::string_view bytes);
// RESP2 $-1\r\n, RESP3 _\r\n
void AppendRespNull(std::string& out, int protocol);
// *n\r\n
void AppendRespArrayHeader(std::string& out, size_t n);
// RESP2 *2n\r\n, RESP3 %n\r\n
void AppendRespMapHeader(std::string& out, size_t pairs, int protocol);

}  // namespace walkv::rpc
