// GateJsonCall: the JSON protocol's authentication rule (docs/protocol.md, "Authentication"),
// applied by rpc/connection.cc to every bound call before it is executed.
//
//   - auth(token): answered here. true when the token matches --auth-token-file (the connection
//     is authenticated from then on); UNAUTHENTICATED "invalid auth token" when it does not;
//     INVALID_ARGUMENT when the server has no token.
//   - any other method on a connection that is not authenticated: UNAUTHENTICATED, except ping.
//   - otherwise: nullopt, execute the call.
// The answer is a complete response line, already counted in the Service's metrics.
//
// Pure apart from `authenticated` (the connection's flag) and the metrics; any thread.
#pragma once

#include <optional>
#include <string>

#include "rpc/bind.h"
#include "rpc/service.h"

namespace walkv::rpc {

std::optional<std::string> GateJsonCall(const Call& call, bool& authenticated, Service& service);

}  // namespace walkv::rpc
