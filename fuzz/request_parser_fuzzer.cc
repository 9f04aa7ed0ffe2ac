// Fuzz target: the RPC request parser (rpc/request.h ParseRequest, rpc/methods.h ParseCall) and
// the error responses it produces (rpc/response.h).
//
// The input is one protocol line. Invariants (abort() on violation):
//   - nothing throws out of ParseCall, EncodeError or EncodeResult;
//   - an error response is one line of valid JSON, {"id": ..., "error": {"code", "message"}},
//     with a code the parser may produce (docs/protocol.md, contract §2);
//   - PARSE_ERROR exactly when the line is not valid JSON (nlohmann's strict accept());
//   - when the request carries a scalar id, both the result and the error response echo it (equal
//     as JSON); without one, the id is null;
//   - a bound call names a method of the table (case-insensitively equal to the one sent) with an
//     arity and argument sizes the table allows;
//   - differential: the fast decoder (rpc/fast_request.h FastParseRequest), when it accepts the
//     line, yields exactly the id, method and arguments of the generic nlohmann decoder
//     (ParseRequest), and ParseCall's answer (Call or error) equals ParseCallGeneric's (both bind
//     through the one Bind, rpc/bind.h);
//   - differential: AppendJsonString (rpc/json_text.h) writes exactly nlohmann's dump() of the
//     line taken as a string, and refuses exactly the lines nlohmann's strict dump() refuses
//     (invalid UTF-8).
// Seeds: fuzz/corpus/request_parser/.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz/fuzz_check.h"
#include "rpc/ascii.h"
#include "rpc/error_code.h"
#include "rpc/fast_request.h"
#include "rpc/json_text.h"
#include "rpc/methods.h"
#include "rpc/parse_call.h"
#include "rpc/request.h"
#include "rpc/response.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;

// Parses an encoded response line and checks its framing; returns the JSON object.
json CheckResponseLine(const std::string& line) {
  FUZZ_CHECK(!line.empty() && line.back() == '\n', "response does not end with a newline");
  FUZZ_CHECK(line.find('\n') == line.size() - 1, "response spans more than one line");
  json r = json::parse(line, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!r.is_discarded(), "response is not valid JSON: %s", line.c_str());
  FUZZ_CHECK(r.is_object() && r.contains("id"), "response is not an object with an id: %s",
             line.c_str());
  return r;
}

void CheckError(const ErrorResponse& e, const json& request, bool request_is_json) {
  const std::string line = EncodeError(e.id, e.code, e.message);
  const json r = CheckResponseLine(line);
  FUZZ_CHECK(r.size() == 2 && r.contains("error"), "error response has other members: %s",
             line.c_str());
  const json& err = r["error"];
  FUZZ_CHECK(err.is_object() && err.size() == 2 && err.contains("code") &&
                 err.contains("message") && err["code"].is_string() && err["message"].is_string(),
             "malformed error object: %s", line.c_str());
  const std::string code = err["code"].get<std::string>();
  FUZZ_CHECK(code == "PARSE_ERROR" || code == "INVALID_REQUEST" || code == "UNKNOWN_METHOD" ||
                 code == "INVALID_ARGUMENT",
             "parser produced error code %s", code.c_str());
  FUZZ_CHECK(code == ErrorCodeName(e.code), "encoded code differs");
  FUZZ_CHECK(!err["message"].get<std::string>().empty(), "empty error message");

  FUZZ_CHECK((e.code == ErrorCode::kParseError) == !request_is_json,
             "PARSE_ERROR %d but nlohmann accept() says %d",
             static_cast<int>(e.code == ErrorCode::kParseError), static_cast<int>(request_is_json));
  if (!request_is_json || !request.is_object()) {
    FUZZ_CHECK(r["id"].is_null(), "id echoed for a line that is not a JSON object");
    return;
  }
  const auto id = request.find("id");
  // (Only the nesting error's own message starts so; an unknown method's name may contain it.)
  const bool too_deep = e.code == ErrorCode::kInvalidRequest &&
                        e.message.rfind("request nests deeper", 0) == 0;
  if (id == request.end() || id->is_structured() || too_deep) {
    FUZZ_CHECK(r["id"].is_null(), "id echoed although the request has no usable id");
  } else {
    FUZZ_CHECK(r["id"] == *id, "error echoes id %s for %s", r["id"].dump().c_str(),
               id->dump().c_str());
  }
}

void CheckCall(const Call& c, const json& request, bool request_is_json) {
  FUZZ_CHECK(request_is_json && request.is_object(), "a call bound from a non-object line");
  FUZZ_CHECK(c.method != nullptr, "call without a method");
  const auto table = MethodTable();
  FUZZ_CHECK(c.method_index < table.size() && &table[c.method_index] == c.method,
             "method_index does not point at the method");
  const auto method = request.find("method");
  FUZZ_CHECK(method != request.end() && method->is_string(), "call without a string method");
  FUZZ_CHECK(EqualsIgnoreAsciiCase(method->get<std::string>(), c.method->name),
             "bound to the wrong method");
  FUZZ_CHECK(c.args.size() >= c.method->min_args && c.args.size() <= c.method->max_args,
             "%zu args for %s", c.args.size(), std::string(c.method->name).c_str());
  for (size_t i = 0; i < c.args.size(); ++i) {
    FUZZ_CHECK(c.args[i].size() <= c.method->params[i].max_bytes, "arg %zu over its limit", i);
  }

  const std::string line = EncodeResult(c.id, json("PONG"));
  const json r = CheckResponseLine(line);
  const auto id = request.find("id");
  if (id == request.end()) {
    FUZZ_CHECK(r["id"].is_null(), "id invented for a request without one");
  } else {
    FUZZ_CHECK(r["id"] == *id, "result echoes id %s for %s", r["id"].dump().c_str(),
               id->dump().c_str());
  }
}

// The fast decoder, when it accepts the line, decodes exactly what the generic one does; and
// ParseCall answers exactly as ParseCallGeneric.
void CheckFastPath(std::string_view line, const std::variant<Call, ErrorResponse>& parsed) {
  if (const std::optional<FastRequest> fast = FastParseRequest(line)) {
    const std::variant<Request, ErrorResponse> generic = ParseRequest(line);
    const Request* g = std::get_if<Request>(&generic);
    FUZZ_CHECK(g != nullptr, "fast decoder accepted a line the generic one rejects: %s",
               std::get<ErrorResponse>(generic).message.c_str());
    FUZZ_CHECK(fast->id == g->id, "fast id %s vs generic %s", fast->id.c_str(), g->id.c_str());
    FUZZ_CHECK(fast->method == g->method, "different method");
    FUZZ_CHECK(g->kwargs.empty(), "fast decoder dropped keyword arguments");
    FUZZ_CHECK(fast->arg_count == g->args.size(), "%zu args vs generic %zu", fast->arg_count,
               g->args.size());
    for (size_t i = 0; i < fast->arg_count; ++i) {
      FUZZ_CHECK(g->args[i].is_string() && g->args[i].get_ref<const std::string&>() == fast->args[i],
                 "different arg %zu", i);
    }
  }
  FUZZ_CHECK(parsed == ParseCallGeneric(line), "ParseCall differs from ParseCallGeneric");
}

// AppendJsonString == nlohmann's dump() for the line taken as a string.
void CheckStringEncoding(std::string_view line) {
  std::string fast = "x";
  const bool ok = AppendJsonString(fast, line);
  std::string reference;
  bool reference_ok = true;
  try {
    reference = json(std::string(line)).dump();
  } catch (const json::type_error&) {
    reference_ok = false;  // 316: invalid UTF-8
  }
  FUZZ_CHECK(ok == reference_ok, "AppendJsonString says valid=%d, nlohmann %d", ok ? 1 : 0,
             reference_ok ? 1 : 0);
  if (ok) {
    FUZZ_CHECK(fast == "x" + reference, "AppendJsonString differs from nlohmann: %s vs %s",
               fast.c_str(), reference.c_str());
  } else {
    FUZZ_CHECK(fast == "x", "AppendJsonString changed its output after failing");
  }
  std::string lenient;
  AppendJsonStringLenient(lenient, line);
  FUZZ_CHECK(lenient == json(std::string(line))
                            .dump(-1, ' ', false, json::error_handler_t::replace),
             "AppendJsonStringLenient differs from nlohmann's replace");
}

void CheckLine(std::string_view line) {
  const json request = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  const bool request_is_json = !request.is_discarded();
  const std::variant<Call, ErrorResponse> parsed = ParseCall(line);
  CheckFastPath(line, parsed);
  CheckStringEncoding(line);
  if (const auto* e = std::get_if<ErrorResponse>(&parsed)) {
    CheckError(*e, request, request_is_json);
  } else {
    CheckCall(std::get<Call>(parsed), request, request_is_json);
  }
}

}  // namespace
}  // namespace walkv::rpc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  try {
    walkv::rpc::CheckLine(line);
  } catch (const std::exception& ex) {
    FUZZ_CHECK(false, "exception escaped: %s", ex.what());
  } catch (...) {
    FUZZ_CHECK(false, "non-std exception escaped");
  }
  return 0;
}
