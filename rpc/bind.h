// Binding: a decoded request (id, method name, arguments) -> a Call of the method table, or the
// error response to send instead.
//
// Bind is the one place where the rules about a call live: method lookup (ASCII
// case-insensitive), arity, keyword names, an argument given both positionally and by name,
// argument types (strings only, except set's option keywords: numbers and booleans, turned into
// the option words they stand for and appended after the positional arguments) and size limits (ParamSpec::max_bytes). The decoders only decode
// a line into CallParts: the generic one through nlohmann-json (rpc/request.h), the fast one by
// hand (rpc/fast_request.h). Since both end in Bind, a request gets the same answer — and the
// same error message — whichever decoder read it.
//
// Pure function, any thread.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rpc/methods.h"
#include "rpc/request.h"

namespace walkv::rpc {

// One decoded argument.
struct ArgValue {
  // The bytes of a JSON string argument, or of a {"b64": ...} argument once decoded (Bind moves
  // them into the Call), or nullptr when the argument is of another JSON type (or invalid base64).
  std::string* text = nullptr;
  std::string_view type_name = "string";  // the JSON type name, for the error message
  // A number or boolean argument's value, for the few keyword arguments that take one (set's
  // {"ex": 10}, {"nx": true}: rpc/expiry_args.h); nullptr otherwise. Every other parameter
  // takes strings only.
  const nlohmann::json* scalar = nullptr;
};

struct KeywordArg {
  std::string_view name;
  ArgValue value;
};

// What a decoder yields: everything Bind needs, nothing checked yet. The views must outlive Bind.
struct CallParts {
  std::string id = "null";             // JSON text to echo
  std::string_view method;             // as sent
  std::span<const ArgValue> args;      // positional, in order
  std::span<const KeywordArg> kwargs;  // distinct names; the first bad one is reported
  bool b64_results = false;            // Request::b64_results
};

// A request bound to its method, ready to execute.
struct Call {
  std::string id;  // JSON text to echo
  const MethodSpec* method = nullptr;
  size_t method_index = 0;  // index in MethodTable()
  std::vector<std::string> args;
  bool b64_results = false;  // encode non-UTF-8 strings of the result as {"b64": ...}

  bool operator==(const Call&) const = default;
};

// UNKNOWN_METHOD, or INVALID_ARGUMENT for arity, unknown keywords, a parameter given twice or
// without the ones before it, non-string arguments and arguments over their parameter's
// max_bytes.
std::variant<Call, ErrorResponse> Bind(CallParts parts);

}  // namespace walkv::rpc
