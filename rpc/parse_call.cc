#include "rpc/parse_call.h"

#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "rpc/binary_json.h"
#include "rpc/fast_request.h"

namespace walkv::rpc {

ArgValue ArgFromJson(nlohmann::json& value) {
  if (IsB64Object(value)) {
    std::optional<std::string> bytes = BytesFromJson(value);
    if (!bytes.has_value()) return ArgValue{nullptr, "{\"b64\": ...} that is not valid base64"};
    value = std::move(*bytes);
  }
  if (!value.is_string()) return ArgValue{nullptr, value.type_name(), &value};
  return ArgValue{&value.get_ref<std::string&>()};
}

std::variant<Call, ErrorResponse> ParseCall(std::string_view line) {
  std::optional<FastRequest> fast = FastParseRequest(line);
  if (!fast) return ParseCallGeneric(line);
  std::array<ArgValue, kMaxParams> args;
  for (size_t i = 0; i < fast->arg_count; ++i) args[i].text = &fast->args[i];
  return Bind(CallParts{std::move(fast->id),
                        fast->method,
                        std::span<const ArgValue>(args.data(), fast->arg_count),
                        {}});
}

std::variant<Call, ErrorResponse> ParseCallGeneric(std::string_view line) {
  std::variant<Request, ErrorResponse> parsed = ParseRequest(line);
  if (auto* error = std::get_if<ErrorResponse>(&parsed)) return std::move(*error);
  Request& request = std::get<Request>(parsed);
  std::vector<ArgValue> args;
  args.reserve(request.args.size());
  for (nlohmann::json& arg : request.args) args.push_back(ArgFromJson(arg));
  std::vector<KeywordArg> kwargs;
  kwargs.reserve(request.kwargs.size());
  for (auto it = request.kwargs.begin(); it != request.kwargs.end(); ++it) {
    kwargs.push_back(KeywordArg{it.key(), ArgFromJson(it.value())});
  }
  return Bind(CallParts{std::move(request.id), request.method, args, kwargs, request.b64_results});
}

}  // namespace walkv::rpc
