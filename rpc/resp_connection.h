// RespConnection: one RESP client connection (docs/protocol.md, "RESP") — the RESP parser and
// reply encoding over StreamConnection (rpc/stream_connection.h), which owns the threading,
// ordering, backpressure and closing rules shared with JSON (read that header first), and the
// same read-your-writes rule as rpc/connection.h.
//
// Each command is decoded by RespParser (rpc/resp_parser.h), planned by PlanCommand
// (rpc/resp_commands.h) into Calls of the one method table or an immediate reply, and the Calls
// are executed through the same Service functions as JSON requests: reads inline on the strand,
// writes through Engine::Submit and the server's CompletionQueue (so RESP writes share group
// commits with JSON writes), blocking methods on the Service's pool. The method's outcome is
// converted to RESP when its slot completes (AppendRespOutcome). A DEL of several keys is one
// slot fed by several delete writes; it completes when the last one is durable.
//
// Concurrency: every member is touched only on the connection's strand (stream_connection.h).
//
// Closing, in addition to stream_connection.h's rules: after QUIT (answered +OK first) and after a
// protocol error or limit (answered "-ERR Protocol error: ..." first), like Redis. At EOF or
// shutdown an unfinished command is dropped.
#pragma once

#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rpc/completion_queue.h"
#include "rpc/resp_commands.h"
#include "rpc/resp_parser.h"
#include "rpc/service.h"
#include "rpc/stream_connection.h"

namespace walkv::rpc {

class RespConnection final : public StreamConnection {
 public:
  // `socket`'s executor must be a strand. `completions` must outlive the connection. `id` is
  // what CLIENT ID and HELLO report. limits.max_request_bytes is not used (RespLimits are).
  RespConnection(asio::ip::tcp::socket socket, Service& service, CompletionQueue& completions,
                 ConnectionLimits limits, RespLimits resp_limits, uint64_t id,
                 std::function<void()> on_released);
  ~RespConnection() override;

 private:
  // The calls of one slot while they are in flight (writes, blocking calls, or several calls).
  struct CallGroup {
    RespReply reply = RespReply::kOk;
    int protocol = 2;
    size_t remaining = 0;            // calls not completed yet
    int64_t sum = 0;                 // DEL of several keys: deleted so far
    std::optional<Failure> failure;  // the first failure among them
  };

  // StreamConnection's protocol hooks.
  bool AppendInput(std::string_view bytes) override;
  void ProcessInput() override;
  bool HasBlockedCall() const override { return blocked_calls_.has_value(); }
  void StartBlockedCall() override;
  void OnWriteDone(std::unique_ptr<PendingWrite> write) override;
  void OnClosed() override;

  void HandleCommand(std::vector<std::string>& args);
  void StartCalls(uint64_t seq, RespMethodCalls calls);
  void OnCallDone(uint64_t seq, MethodResult result);

  RespParser parser_;
  RespSession session_;
  std::vector<std::string> args_;  // scratch for the parser's output

  std::unordered_map<uint64_t, CallGroup> groups_;  // by slot sequence number
  std::optional<RespMethodCalls> blocked_calls_;  // a read waiting for writes_in_flight() == 0
  uint64_t blocked_seq_ = 0;
};

}  // namespace walkv::rpc
