// Request parsing: one protocol line -> a Request, or the error response to send instead.
//
// Pure functions, no I/O, no engine: everything here is testable without a socket.
//
// The id is kept as the exact JSON text to echo. Numbers keep the raw text the client sent
// (123456789012345678901234567890, 1.0 and 1e5 come back byte for byte; nlohmann's SAX parser
// hands floats and out-of-range integers over with their raw text, and an in-range integer
// re-serialises to the same digits). Strings, booleans and null are re-serialised, which is
// equal as JSON. A request without an id is answered with "id": null.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "rpc/error_code.h"

namespace walkv::rpc {

// A syntactically valid request. The method is not yet looked up (see methods.h).
struct Request {
  std::string id = "null";                           // JSON text to echo as the response's "id"
  std::string method;                                // as sent (lookup is case-insensitive)
  nlohmann::json args = nlohmann::json::array();     // always an array
  nlohmann::json kwargs = nlohmann::json::object();  // always an object
  // "encoding":"b64": strings in the result that are not UTF-8 come back as {"b64": ...}
  // (rpc/binary_json.h). "encoding":"utf8" or no member: the default.
  bool b64_results = false;
};

// An error to answer with instead of executing anything.
struct ErrorResponse {
  std::string id = "null";  // JSON text of the request's id, "null" if it could not be found
  ErrorCode code = ErrorCode::kInvalidRequest;
  std::string message;

  bool operator==(const ErrorResponse&) const = default;
};

// Requests nested deeper than this are INVALID_REQUEST (no valid request nests beyond 3 levels);
// the limit also bounds the memory a hostile line can make the parser build.
inline constexpr int kMaxRequestDepth = 32;

// Parses one line (without its '\n'). Errors: PARSE_ERROR (not JSON / not UTF-8; the message
// names the first byte that is not UTF-8, and for a line that starts with a letter or a '{' not
// followed by '"' shows a request to send instead),
// INVALID_REQUEST (not an object, missing or non-string method, args not an array, kwargs not an
// object, id not a scalar, nesting deeper than kMaxRequestDepth, an "encoding" other than "b64" or
// "utf8"). Unknown top-level members are
// ignored. A duplicated member: the last one counts.
std::variant<Request, ErrorResponse> ParseRequest(std::string_view line);

}  // namespace walkv::rpc
