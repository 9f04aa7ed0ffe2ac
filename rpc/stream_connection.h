// StreamConnection: what every client connection does whatever its protocol — ordered response
// slots, backpressure, reading, sending and closing — in one implementation. The two protocols
// derive from it and supply only the framing, the execution of a decoded request and the reply
// encoding: rpc/connection.h (JSON lines) and rpc/resp_connection.h (RESP).
//
// Concurrency: every member is touched only on the connection's strand (the executor of its
// socket), except executor_ (immutable) and the CompletionTarget base (the CompletionQueue's
// drain only). Write results come back in batches through the server's CompletionQueue
// (rpc/completion_queue.h): the engine's commit thread pushes, one drain on an I/O thread per
// commit batch calls OnCompletionsReady(batch), which dispatches to the strand, where each write
// is handed to the protocol (OnWriteDone) — so all of this connection's writes finished by one
// group commit are answered together and sent with one write. Blocking calls (snapshot) complete
// from the Service's pool, dispatched to the strand (FinishBlockingCall). A connection is owned by
// shared_ptrs held by its pending asynchronous operations, by itself while it has writes in flight
// (writes_keep_alive_) and by its blocking calls' callbacks; the server's registry holds only a
// weak_ptr.
//
// Ordering: each request gets a response slot (AddSlot), in arrival order. Calls complete in any
// order (a read answers at once, a write when durable); a response whose slot is the oldest
// unsent one is encoded straight into the output buffer, any other waits in its slot until the
// slots before it are done, so responses leave in request order.
//
// Read-your-writes: the protocol holds back a non-write request while writes_in_flight() > 0
// (HasBlockedCall() is then true and no later request is processed); Pump() calls
// StartBlockedCall() once every earlier write is durable.
//
// Backpressure: while unanswered/unflushed slots reach max_pending_requests or unsent output
// reaches max_pending_output_bytes, no more requests are processed and the socket is not read;
// reading resumes once both are below half their bound. An idle connection holds its socket and
// no buffers (reads go through a per-thread scratch buffer; the protocol keeps only a partial
// request).
//
// Closing: after the peer's EOF (every request answered first), after the protocol sets
// input_done_ (TOO_LARGE, a protocol error, QUIT), or after BeginShutdown() (buffered requests
// answered SHUTTING_DOWN, nothing more read), the connection flushes its output, half-closes,
// discards input briefly so the peer gets the responses rather than a reset, and closes. An I/O
// error closes at once. `on_released` runs (on the strand) once the socket is closed and no call
// is in flight any more.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/completion_queue.h"
#include "rpc/service.h"

namespace walkv::rpc {

// The server fills these from its ServerOptions (rpc/server.h), where their defaults live.
struct ConnectionLimits {
  size_t max_request_bytes;
  size_t max_pending_output_bytes;
  size_t max_pending_requests;
  std::chrono::milliseconds linger{1000};  // how long to discard input before the final close
};

class StreamConnection : public std::enable_shared_from_this<StreamConnection>,
                         public CompletionTarget {
 public:
  // Each may be called from any thread; the work happens on the strand.
  void Start();
  void BeginShutdown();  // see "Closing" above
  void ForceClose();     // close now, dropping unsent output

  // CompletionTarget: on an I/O thread; dispatches the batch to the strand.
  void OnCompletionsReady(CompletionBatch batch) override;

 protected:
  // `socket`'s executor must be a strand. `completions` must outlive the connection.
  StreamConnection(asio::ip::tcp::socket socket, Service& service, CompletionQueue& completions,
                   ConnectionLimits limits, std::function<void()> on_released);
  virtual ~StreamConnection();

  // Processes what can be processed, flushes, re-arms reading or closes. Every event handler,
  // including the protocol's completions, ends here.
  void Pump();

  // A new response slot, after every earlier one; returns its sequence number.
  uint64_t AddSlot();
  // Completes slot `seq`: encode(std::string&) appends its response, to out_ directly when every
  // earlier slot has been moved there, else to the slot.
  template <typename Encode>
  void Complete(uint64_t seq, Encode&& encode);
  // Completes slot `seq` with `bytes`.
  void CompleteWith(uint64_t seq, std::string bytes);

  // A write of slot `seq` for `call`, naming this connection as its target; the protocol may
  // fill it further, then hands it to SubmitWrite, which submits it to the engine through the
  // server's CompletionQueue. Its result comes back to OnWriteDone.
  std::unique_ptr<PendingWrite> NewWrite(uint64_t seq, const Call& call);
  void SubmitWrite(Call& call, std::unique_ptr<PendingWrite> write);
  // Bookkeeping of a call run on the Service's blocking pool: StartBlockingCall() before handing
  // it over; its callback dispatches FinishBlockingCall(complete) to the strand, which runs
  // `complete` (unless the connection closed meanwhile) and pumps.
  void StartBlockingCall() { ++calls_in_flight_; }
  void FinishBlockingCall(const std::function<void()>& complete);

  // Turns this connection into something else (a replication stream, rpc/replication_streams.h):
  // no further request is processed; once every earlier response is sent, `take` receives a
  // duplicate of the socket's descriptor (its owner closes it) and this connection closes its
  // own, without shutting the socket down.
  void HandOffSocket(std::function<void(int fd)> take);

  bool OverLimits() const;
  size_t writes_in_flight() const { return writes_in_flight_; }
  const asio::any_io_executor& executor() const { return executor_; }

  Service& service_;
  const ConnectionLimits limits_;
  bool eof_ = false;          // the peer sent FIN
  bool shutting_down_ = false;
  bool input_done_ = false;   // no further request will be processed
  bool closed_ = false;       // socket closed

 private:
  struct Slot {
    bool done = false;
    std::string response;
  };

  // The protocol. Each runs on the strand.
  // Buffers bytes read from the socket; false if they cannot be kept (the connection closes).
  virtual bool AppendInput(std::string_view bytes) = 0;
  // Decodes and handles buffered requests while !input_done_ && !HasBlockedCall() &&
  // !OverLimits(); at the end of the buffered input, sets input_done_ if eof_ or shutting_down_.
  virtual void ProcessInput() = 0;
  // A request held back for read-your-writes, and starting it (writes_in_flight() == 0).
  virtual bool HasBlockedCall() const = 0;
  virtual void StartBlockedCall() = 0;
  // A write submitted by SubmitWrite finished; counters are already updated. When closed_, the
  // result is only counted.
  virtual void OnWriteDone(std::unique_ptr<PendingWrite> write) = 0;
  // The socket was closed: drop buffered input and any held-back request.
  virtual void OnClosed() = 0;

  void OnWritesCompleted(CompletionBatch done);
  void MoveDonePrefix();
  void Flush();
  void OnWritten(const asio::error_code& ec);
  void ArmRead();
  void OnReadable(const asio::error_code& ec);
  void ReadAvailable();
  void Discard();
  bool BelowResumeMark() const;
  void SetPaused(bool paused);
  void MaybeFinish();
  void CloseNow();
  void MaybeRelease();
  size_t pending_slots() const { return slots_.size() - head_; }

  asio::ip::tcp::socket socket_;
  const asio::any_io_executor executor_;  // socket_'s strand; immutable, so any thread may use it
  CompletionQueue& completions_;
  std::function<void()> on_released_;

  std::vector<Slot> slots_;  // slots_[head_..] are unflushed; slots_[head_] has sequence base_seq_
  size_t head_ = 0;
  uint64_t base_seq_ = 0;
  size_t calls_in_flight_ = 0;   // calls started and not completed yet
  size_t writes_in_flight_ = 0;  // ... of which writes
  // This connection, while writes_in_flight_ > 0: their PendingWrites name it by a raw pointer.
  std::shared_ptr<StreamConnection> writes_keep_alive_;

  std::string out_;      // responses ready to send, in order
  std::string writing_;  // the bytes of the async_write in flight (what a direct send left over)
  bool write_in_flight_ = false;

  bool read_armed_ = false;  // an async_wait(read) is outstanding
  bool paused_ = false;      // not reading because of backpressure
  bool in_pump_ = false;     // guards Pump() against re-entry from inline completions
  bool lingering_ = false;   // half-closed; discarding input until EOF or the linger timer
  bool released_ = false;    // on_released_ has run
  std::unique_ptr<asio::steady_timer> linger_timer_;
  std::function<void(int fd)> handoff_;  // HandOffSocket's receiver, until it runs
};

template <typename Encode>
void StreamConnection::Complete(uint64_t seq, Encode&& encode) {
  if (seq == base_seq_) {  // every earlier response is in out_ already
    encode(out_);
    ++head_;
    ++base_seq_;
    MoveDonePrefix();
    return;
  }
  Slot& slot = slots_[head_ + (seq - base_seq_)];
  encode(slot.response);
  slot.done = true;
}

}  // namespace walkv::rpc
