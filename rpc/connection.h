// Connection: one client connection — framing, ordered responses, backpressure, close.
//
// Concurrency: every member is touched only on the connection's strand (the executor of its
// socket), except executor_ (immutable) and the CompletionTarget base (the CompletionQueue's
// drain only). Write results come back in batches through the server's CompletionQueue
// (rpc/completion_queue.h): the engine's commit thread pushes, one drain on an I/O thread per
// commit batch calls OnCompletionsReady(batch), which dispatches OnWritesCompleted(batch) to the
// strand — so all of this connection's writes finished by one group commit are answered together
// and sent with one write. Blocking calls (snapshot) complete from the Service's pool, dispatched
// to the strand. A Connection is owned by shared_ptrs held by its pending asynchronous operations,
// by itself while it has writes in flight (writes_keep_alive_) and by its blocking calls'
// callbacks; the server's registry holds only a weak_ptr.
//
// Ordering: each request line gets a response slot, in arrival order. Calls complete in any order
// (a read answers at once, a write when durable); a response whose slot is the oldest unsent one
// is encoded straight into the output buffer, any other waits in its slot until the slots before
// it are done, so responses leave in request order.
//
// Read-your-writes: a request is executed when its line is processed, except that a read (or
// any non-write method) waits until every earlier write on the same connection is durable, and
// no later line is processed meanwhile. So a pipelined set-then-get returns the new value, while
// runs of pipelined writes still reach the engine together (group commit).
//
// Backpressure: while unanswered/unflushed slots reach max_pending_requests or unsent output
// reaches max_pending_output_bytes, no more lines are processed and the socket is not read;
// reading resumes once both are below half their bound. An idle connection holds its socket and
// no buffers (reads go through a per-thread scratch buffer; a partial line is kept, nothing else).
//
// Closing: after the peer's EOF (every line answered first), after TOO_LARGE, or after
// BeginShutdown() (buffered lines answered SHUTTING_DOWN, nothing more read), the connection
// flushes its output, half-closes, discards input briefly so the peer gets the responses rather
// than a reset, and closes. An I/O error closes at once. `on_released` runs (on the strand)
// once the socket is closed and no call is in flight any more.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/bind.h"
#include "rpc/completion_queue.h"
#include "rpc/line_framer.h"
#include "rpc/service.h"

namespace walkv::rpc {

// The server fills these from its ServerOptions (rpc/server.h), where their defaults live.
struct ConnectionLimits {
  size_t max_request_bytes;
  size_t max_pending_output_bytes;
  size_t max_pending_requests;
  std::chrono::milliseconds linger{1000};  // how long to discard input before the final close
};

class Connection : public std::enable_shared_from_this<Connection>, public CompletionTarget {
 public:
  // `socket`'s executor must be a strand. `completions` must outlive the connection.
  Connection(asio::ip::tcp::socket socket, Service& service, CompletionQueue& completions,
             ConnectionLimits limits, std::function<void()> on_released);
  ~Connection();

  // Each may be called from any thread; the work happens on the strand.
  void Start();
  void BeginShutdown();  // see "Closing" above
  void ForceClose();     // close now, dropping unsent output

  // CompletionTarget: on an I/O thread; dispatches OnWritesCompleted(batch) to the strand.
  void OnCompletionsReady(CompletionBatch batch) override;

 private:
  struct Slot {
    bool done = false;
    std::string response;
  };

  void Pump();
  void ProcessLines();
  void HandleLine(std::string_view line);
  uint64_t AddSlot();
  // Completes slot `seq`: encode(std::string&) appends its response line, to out_ directly when
  // every earlier slot has been moved there, else to the slot.
  template <typename Encode>
  void Complete(uint64_t seq, Encode&& encode);
  void Reject(uint64_t seq, std::string_view id, ErrorCode code, std::string_view message);
  void StartCall(uint64_t seq, Call call);
  void OnWritesCompleted(CompletionBatch done);
  void OnBlockingDone(uint64_t seq, std::string response);
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
  const asio::any_io_executor executor_;  // socket_'s strand; immutable, so any thread may use it
  Service& service_;
  CompletionQueue& completions_;
  const ConnectionLimits limits_;
  std::function<void()> on_released_;

  LineFramer framer_;
  bool authenticated_;  // see rpc/auth_gate.h
  std::vector<Slot> slots_;  // slots_[head_..] are unflushed; slots_[head_] has sequence base_seq_
  size_t head_ = 0;
  uint64_t base_seq_ = 0;
  size_t calls_in_flight_ = 0;   // slots whose call has been started and not completed yet
  size_t writes_in_flight_ = 0;  // ... of which writes
  // This connection, while writes_in_flight_ > 0: their PendingWrites name it by a raw pointer.
  std::shared_ptr<Connection> writes_keep_alive_;
  std::optional<Call> blocked_call_;  // a non-write waiting for writes_in_flight_ == 0
  uint64_t blocked_seq_ = 0;          // its slot

  std::string out_;      // responses ready to send, in order
  std::string writing_;  // the bytes of the async_write in flight (what a direct send left over)
  bool write_in_flight_ = false;

  bool read_armed_ = false;  // an async_wait(read) is outstanding
  bool paused_ = false;      // not reading because of backpressure
  bool in_pump_ = false;     // guards Pump() against re-entry from inline completions
  bool eof_ = false;         // the peer sent FIN
  bool shutting_down_ = false;
  bool input_done_ = false;  // no further line will be processed
  bool lingering_ = false;   // half-closed; discarding input until EOF or the linger timer
  bool closed_ = false;      // socket closed
  bool released_ = false;    // on_released_ has run
  std::unique_ptr<asio::steady_timer> linger_timer_;
};

}  // namespace walkv::rpc
