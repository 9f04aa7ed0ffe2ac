// Connection: one JSON-lines client connection (docs/protocol.md) — the JSON framing, request
// parsing and response encoding over StreamConnection (rpc/stream_connection.h), which owns the
// threading, ordered response slots, backpressure and closing rules shared with RESP (read that
// header first).
//
// Each request line gets a response slot. A read executes inline on the strand, a write goes
// through Engine::Submit and the server's CompletionQueue (answered when durable), a blocking
// method (snapshot) runs on the Service's pool.
//
// Read-your-writes: a request is executed when its line is processed, except that a read (or
// any non-write method) waits until every earlier write on the same connection is durable, and
// no later line is processed meanwhile. So a pipelined set-then-get returns the new value, while
// runs of pipelined writes still reach the engine together (group commit).
//
// Closing, in addition to stream_connection.h's rules: after TOO_LARGE (answered first); the
// peer's EOF in the middle of a line makes the unterminated tail a last request; at shutdown an
// unterminated tail is dropped.
//
// Concurrency: every member is touched only on the connection's strand (stream_connection.h).
#pragma once

#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "rpc/completion_queue.h"
#include "rpc/line_framer.h"
#include "rpc/service.h"
#include "rpc/stream_connection.h"

namespace walkv::rpc {

class Connection final : public StreamConnection {
 public:
  // `socket`'s executor must be a strand. `completions` must outlive the connection.
  Connection(asio::ip::tcp::socket socket, Service& service, CompletionQueue& completions,
             ConnectionLimits limits, std::function<void()> on_released);
  ~Connection() override;

 private:
  // StreamConnection's protocol hooks.
  bool AppendInput(std::string_view bytes) override;
  void ProcessInput() override;
  bool HasBlockedCall() const override { return blocked_call_.has_value(); }
  void StartBlockedCall() override;
  void OnWriteDone(std::unique_ptr<PendingWrite> write) override;
  void OnClosed() override;

  void HandleLine(std::string_view line);
  void Reject(uint64_t seq, std::string_view id, ErrorCode code, std::string_view message);
  void StartCall(uint64_t seq, Call call);
  // `replicate`: checks the arguments and hands the socket to the replication streams.
  void StartReplication(uint64_t seq, Call& call);

  LineFramer framer_;
  bool authenticated_;  // see rpc/auth_gate.h
  std::optional<Call> blocked_call_;  // a non-write waiting for writes_in_flight() == 0
  uint64_t blocked_seq_ = 0;          // its slot
};

}  // namespace walkv::rpc
