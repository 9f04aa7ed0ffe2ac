#include "rpc/txn_args.h"

#include <utility>
#include <vector>

#include "engine/expiry_requests.h"

namespace walkv::rpc {

bool TakesJson(std::string_view method, std::string_view param) {
  return (method == "batch" && param == "ops") ||
         (method == "txn" && (param == "compare" || param == "success" || param == "failure"));
}

bool AcceptsNull(std::string_view method, std::string_view param) {
  return method == "cas" && param == "expected";
}

std::string NullableArg(const std::string* text) {
  return text == nullptr ? std::string() : "=" + *text;
}

std::optional<std::string> ParseNullableArg(std::string& tagged) {
  if (tagged.empty()) return std::nullopt;
  return tagged.substr(1);
}

Mutation ParseCasCall(std::vector<std::string>& args) {
  return CompareAndSetRequest(std::move(args[0]), ParseNullableArg(args[1]), std::move(args[2]));
}

}  // namespace walkv::rpc
