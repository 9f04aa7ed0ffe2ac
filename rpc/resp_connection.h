// RespConnection: one RESP client connection (docs/protocol.md, "RESP") — the RESP twin of
// rpc/connection.h, with the same threading, ordering, read-your-writes, backpressure and
// closing rules (read that header first); only the framing and the reply encoding differ.
//
// Each command is decoded by RespParser (rpc/resp_parser.h), planned by PlanCommand
// (rpc/resp_commands.h) into Calls of the one method table or an immediate reply, and the Calls
// are executed through the same Service functions as JSON requests: reads inline on the strand,
// writes through Engine::Submit and the server's CompletionQueue (so RESP writes share group
// commits with JSON writes), blocking methods on the Service's pool. The method's outcome is
// converted to RESP when its slot completes (AppendRespOutcome). A DEL of several keys is one
// slot fed by several delete writes; it completes when the last one is durable.
//
// Concurrency: every member is touched only on the connection's strand (its socket's executor),
// except executor_ (immutable) and the CompletionTarget base (the CompletionQueue's drain).
//
// Closing, in addition to connection.h's rules: after QUIT (answered +OK first) and after a
// protocol error or limit (answered "-ERR Protocol error: ..." first), like Redis.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/completion_queue.h"
#include "rpc/connection.h"
#include "rpc/resp_commands.h"
#include "rpc/resp_parser.h"
#include "rpc/service.h"

namespace walkv::rpc {

class RespConnection : public std::enable_shared_from_this<RespConnection>,
                       public CompletionTarget {
 public:
  // `socket`'s executor must be a strand. `completions` must outlive the connection. `id` is
  // what CLIENT ID and HELLO report. limits.max_request_bytes is not used (RespLimits are).
  RespConnection(asio::ip::tcp::socket socket, Service& service, CompletionQueue& completions,
                 ConnectionLimits limits, RespLimits resp_limits, uint64_t id,
                 std::function<void()> on_released);
  ~RespConnection();

  // Each may be called from any thread; the work happens on the strand.
  void Start();
  void BeginShutdown();
  void ForceClose();

  void OnCompletionsReady(CompletionBatch batch) override;

 private:
  struct Slot {
    bool done = false;
    std::string response;
    // While calls of this slot are in flight:
    RespReply reply = RespReply::kOk;
    int protocol = 2;
    size_t remaining = 0;              // calls not completed yet
    int64_t sum = 0;                   // DEL of several keys: deleted so far
    std::optional<Failure> failure;    // the first failure among them
  };

  void Pump();
  void ProcessCommands();
  void HandleCommand(std::vector<std::string>& args);
  uint64_t AddSlot();
  Slot& SlotAt(uint64_t seq) { return slots_[head_ + (seq - base_seq_)]; }
  template <typename Encode>
  void Complete(uint64_t seq, Encode&& encode);
  void CompleteWith(uint64_t seq, std::string bytes);
  void StartCalls(uint64_t seq, RespMethodCalls calls);
  void OnCallDone(uint64_t seq, MethodResult result);
  void OnWritesCompleted(CompletionBatch done);
  void MoveDonePrefix();
  void Flush();
  void OnWritten(const asio::error_code& ec);
  void ArmRead();
  void OnReadable(const asio::error_code& ec);
  void ReadAvailable();
  void Discard();
  bool OverLimits() const;
  bool BelowResumeMark() const;
  void SetPaused(bool paused);
  void MaybeFinish();
  void CloseNow();
  void MaybeRelease();
  size_t pending_slots() const { return slots_.size() - head_; }

  asio::ip::tcp::socket socket_;
  const asio::any_io_executor executor_;
  Service& service_;
  CompletionQueue& completions_;
  const ConnectionLimits limits_;
  std::function<void()> on_released_;

  RespParser parser_;
  RespSession session_;
  std::vector<std::string> args_;  // scratch for the parser's output

  std::vector<Slot> slots_;
  size_t head_ = 0;
  uint64_t base_seq_ = 0;
  size_t calls_in_flight_ = 0;
  size_t writes_in_flight_ = 0;
  std::shared_ptr<RespConnection> writes_keep_alive_;
  std::optional<RespMethodCalls> blocked_calls_;  // a read waiting for writes_in_flight_ == 0
  uint64_t blocked_seq_ = 0;

  std::string out_;
  std::string writing_;
  bool write_in_flight_ = false;

  bool read_armed_ = false;
  bool paused_ = false;
  bool in_pump_ = false;
  bool eof_ = false;
  bool shutting_down_ = false;
  bool input_done_ = false;
  bool lingering_ = false;
  bool closed_ = false;
  bool released_ = false;
  std::unique_ptr<asio::steady_timer> linger_timer_;
};

}  // namespace walkv::rpc
