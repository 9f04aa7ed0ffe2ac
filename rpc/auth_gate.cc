#include "rpc/auth_gate.h"

#include "rpc/response.h"

namespace walkv::rpc {

std::optional<std::string> GateJsonCall(const Call& call, bool& authenticated, Service& service) {
  if (call.method->name == "auth") {
    if (!service.auth().required()) {
      return service.Reject(call.id, ErrorCode::kInvalidArgument,
                            "auth: the server runs without --auth-token-file; nothing to "
                            "authenticate");
    }
    if (!service.auth().Matches(call.args.at(0))) {
      return service.Reject(call.id, ErrorCode::kUnauthenticated, "invalid auth token");
    }
    authenticated = true;
    service.CountAnswered();
    return EncodeResult(call.id, true);
  }
  if (!authenticated && call.method->name != "ping") {
    return service.Reject(call.id, ErrorCode::kUnauthenticated,
                          "authentication required: call auth(token) first (the server runs "
                          "with --auth-token-file)");
  }
  return std::nullopt;
}

}  // namespace walkv::rpc
