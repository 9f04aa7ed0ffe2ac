#include "rpc/connection.h"

#include <algorithm>
#include <array>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <exception>
#include <memory>
#include <utility>
#include <variant>

#include "rpc/auth_gate.h"
#include "rpc/methods.h"
#include "rpc/parse_call.h"

namespace walkv::rpc {

namespace {

// Per-thread scratch buffer for socket reads: bytes are copied into the framer at once, so idle
// connections own no read buffer.
constexpr size_t kReadChunk = 64 * 1024;
// Reads per readiness event before yielding to other connections on this thread.
constexpr int kReadsPerWakeup = 4;
// Rounds of (process lines, send) per Pump() before yielding the I/O thread.
constexpr int kPumpRounds = 4;
// Buffers with more spare capacity than this are freed once drained.
constexpr size_t kKeepCapacity = 64 * 1024;

char* ScratchBuffer() {
  thread_local std::array<char, kReadChunk> buffer;
  return buffer.data();
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

void Release(std::string& s) {
  if (s.capacity() > kKeepCapacity) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, Service& service,
                       CompletionQueue& completions, ConnectionLimits limits,
                       std::function<void()> on_released)
    : socket_(std::move(socket)),
      executor_(socket_.get_executor()),
      service_(service),
      completions_(completions),
      limits_(limits),
      on_released_(std::move(on_released)),
      framer_(limits.max_request_bytes),
      authenticated_(!service.auth().required()) {}

Connection::~Connection() = default;

void Connection::Start() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    asio::error_code ec;
    self->socket_.non_blocking(true, ec);
    if (!ec) self->socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    if (ec) {
      self->CloseNow();
      return;
    }
    self->Pump();
  });
}

void Connection::BeginShutdown() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    if (self->closed_ || self->shutting_down_) return;
    self->shutting_down_ = true;
    self->Pump();
  });
}

void Connection::ForceClose() {
  asio::dispatch(executor_, [self = shared_from_this()] { self->CloseNow(); });
}

void Connection::OnCompletionsReady(CompletionBatch batch) {
  // From the draining I/O thread (this connection is alive: it has writes in flight, so
  // writes_keep_alive_ is set); runs inline when the strand is idle. `self` keeps the connection
  // alive while OnWritesCompleted() may release writes_keep_alive_.
  asio::dispatch(executor_, [self = shared_from_this(), batch = std::move(batch)]() mutable {
    self->OnWritesCompleted(std::move(batch));
  });
}

// Processes what can be processed, flushes, re-arms reading or closes. Every event handler ends
// here.
void Connection::Pump() {
  if (closed_ || in_pump_) return;
  in_pump_ = true;
  if (blocked_call_ && writes_in_flight_ == 0) {
    Call call = std::move(*blocked_call_);
    blocked_call_.reset();
    StartCall(blocked_seq_, std::move(call));
  }
  for (int round = 1;; ++round) {
    if (paused_ && BelowResumeMark()) SetPaused(false);
    if (!paused_) ProcessLines();
    const bool held_back = !input_done_ && !blocked_call_ && (paused_ || OverLimits());
    Flush();
    // A direct send may have made room while lines are held back: go on now (no write
    // completion will come to do it), a few rounds at a time so that one connection cannot
    // monopolise its I/O thread.
    if (!held_back || closed_ || (paused_ ? !BelowResumeMark() : OverLimits())) break;
    if (round == kPumpRounds) {
      asio::post(executor_, [self = shared_from_this()] { self->Pump(); });
      break;
    }
  }
  if (!input_done_ && !closed_) {
    if (OverLimits()) {
      SetPaused(true);
    } else if (!paused_ && !blocked_call_) {
      ArmRead();
    }
  }
  in_pump_ = false;
  MaybeFinish();
}

void Connection::ProcessLines() {
  while (!input_done_ && !blocked_call_ && !OverLimits()) {
    std::string_view line;
    switch (framer_.Next(&line)) {
      case LineFramer::Result::kLine:
        HandleLine(line);
        break;
      case LineFramer::Result::kTooLarge:
        Reject(AddSlot(), "null", ErrorCode::kTooLarge,
               "request line longer than --max-request-bytes=" +
                   std::to_string(limits_.max_request_bytes));
        input_done_ = true;
        return;
      case LineFramer::Result::kNeedMore:
        if (eof_) {
          // The peer closed mid-line: treat the unterminated tail as a last request.
          const std::string rest = framer_.TakeRemainder();
          HandleLine(rest);
          input_done_ = true;
        } else if (shutting_down_) {
          input_done_ = true;  // an unterminated tail is not a request: dropped
        }
        return;
    }
  }
}

void Connection::HandleLine(std::string_view line) {
  if (IsBlank(line)) return;
  const uint64_t seq = AddSlot();
  std::variant<Call, ErrorResponse> parsed;
  try {
    parsed = ParseCall(line);
  } catch (const std::exception& e) {  // std::bad_alloc on a huge line: answer, don't crash
    Reject(seq, "null", ErrorCode::kInternalError, e.what());
    return;
  }
  if (auto* error = std::get_if<ErrorResponse>(&parsed)) {
    Reject(seq, error->id, error->code, error->message);
    return;
  }
  Call& call = std::get<Call>(parsed);
  if (auto answer = GateJsonCall(call, authenticated_, service_)) {  // --auth-token-file
    Complete(seq, [&](std::string& out) { out += *answer; });
    return;
  }
  if (shutting_down_) {
    Reject(seq, call.id, ErrorCode::kShuttingDown, "the server is shutting down");
    return;
  }
  if (call.method->kind != MethodKind::kWrite && writes_in_flight_ > 0) {
    blocked_call_ = std::move(call);  // read-your-writes: wait for the earlier writes
    blocked_seq_ = seq;
    return;
  }
  StartCall(seq, std::move(call));
}

void Connection::StartCall(uint64_t seq, Call call) {
  switch (call.method->kind) {
    case MethodKind::kRead:
      Complete(seq, [&](std::string& out) { service_.ExecuteRead(call, out); });
      return;
    case MethodKind::kWrite: {
      auto w = std::make_unique<PendingWrite>();
      w->target = this;
      if (writes_in_flight_ == 0) writes_keep_alive_ = shared_from_this();
      w->seq = seq;
      w->method = call.method;
      w->id = std::move(call.id);
      ++calls_in_flight_;
      ++writes_in_flight_;
      service_.SubmitWrite(call, std::move(w), completions_);
      return;
    }
    case MethodKind::kBlocking:
      ++calls_in_flight_;
      service_.ExecuteBlocking(
          std::move(call), [self = shared_from_this(), seq](std::string response) {
            asio::dispatch(self->executor_, [self, seq, response = std::move(response)]() mutable {
              self->OnBlockingDone(seq, std::move(response));
            });
          });
      return;
  }
}

uint64_t Connection::AddSlot() {
  slots_.emplace_back();
  return base_seq_ + (slots_.size() - head_ - 1);
}

template <typename Encode>
void Connection::Complete(uint64_t seq, Encode&& encode) {
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

void Connection::Reject(uint64_t seq, std::string_view id, ErrorCode code,
                        std::string_view message) {
  Complete(seq, [&](std::string& out) { service_.AppendReject(out, id, code, message); });
}

void Connection::OnWritesCompleted(CompletionBatch done) {
  while (std::unique_ptr<PendingWrite> w = done.Pop()) {
    --calls_in_flight_;
    --writes_in_flight_;
    if (closed_) {
      std::string discarded;  // still counted in the metrics, like any answered call
      service_.AppendWriteResponse(*w, discarded);
    } else {
      Complete(w->seq, [&](std::string& out) { service_.AppendWriteResponse(*w, out); });
    }
  }
  // The caller holds a reference too, so this connection outlives the rest of this function.
  if (writes_in_flight_ == 0) writes_keep_alive_.reset();
  if (closed_) {
    MaybeRelease();
    return;
  }
  Pump();  // one flush, hence one send, for the whole batch
}

void Connection::OnBlockingDone(uint64_t seq, std::string response) {
  --calls_in_flight_;
  if (closed_) {
    MaybeRelease();
    return;
  }
  Complete(seq, [&](std::string& out) {
    if (out.empty()) {
      out = std::move(response);
    } else {
      out += response;
    }
  });
  Pump();
}

// Moves the slots at the head of the queue that are done to out_, in order.
void Connection::MoveDonePrefix() {
  while (head_ < slots_.size() && slots_[head_].done) {
    out_ += slots_[head_].response;
    ++head_;
    ++base_seq_;
  }
}

// Moves the completed prefix of the slot queue to out_ and sends it: first directly (the socket is
// non-blocking; usually everything fits in the kernel's buffer, and no handler is needed), then
// whatever is left with an async_write, unless one is running already.
void Connection::Flush() {
  MoveDonePrefix();
  if (head_ == slots_.size()) {
    if (slots_.capacity() > limits_.max_pending_requests) {
      std::vector<Slot>().swap(slots_);
    } else {
      slots_.clear();
    }
    head_ = 0;
  } else if (head_ >= 1024 && head_ * 2 >= slots_.size()) {
    slots_.erase(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  if (write_in_flight_ || out_.empty() || closed_) return;
  asio::error_code send_error;
  size_t sent = socket_.write_some(asio::buffer(out_), send_error);
  if (send_error == asio::error::would_block || send_error == asio::error::try_again) {
    sent = 0;
  } else if (send_error) {
    CloseNow();
    return;
  }
  if (sent == out_.size()) {
    Release(out_);
    return;
  }
  out_.erase(0, sent);
  writing_.swap(out_);
  write_in_flight_ = true;
  asio::async_write(
      socket_, asio::buffer(writing_),
      [self = shared_from_this()](const asio::error_code& ec, size_t) { self->OnWritten(ec); });
}

void Connection::OnWritten(const asio::error_code& ec) {
  write_in_flight_ = false;
  Release(writing_);
  if (closed_) return;
  if (ec) {
    CloseNow();
    return;
  }
  Pump();
}

void Connection::ArmRead() {
  if (read_armed_ || closed_ || (eof_ && !lingering_)) return;
  read_armed_ = true;
  socket_.async_wait(
      asio::socket_base::wait_read,
      [self = shared_from_this()](const asio::error_code& ec) { self->OnReadable(ec); });
}

void Connection::OnReadable(const asio::error_code& ec) {
  read_armed_ = false;
  if (closed_) return;
  if (ec) {
    CloseNow();
    return;
  }
  if (lingering_) {
    Discard();
    return;
  }
  if (input_done_) return;  // the data stays in the kernel; we are closing
  ReadAvailable();
  Pump();
}

void Connection::ReadAvailable() {
  char* buffer = ScratchBuffer();
  for (int i = 0; i < kReadsPerWakeup && !eof_; ++i) {
    asio::error_code ec;
    const size_t n = socket_.read_some(asio::buffer(buffer, kReadChunk), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return;
    if (ec == asio::error::eof) {
      eof_ = true;
      return;
    }
    if (ec) {
      CloseNow();
      return;
    }
    framer_.Append(std::string_view(buffer, n));
    ProcessLines();
    if (OverLimits() || input_done_ || blocked_call_) return;
    // A short read almost always drained the socket: skip the read that would say EAGAIN. Safe
    // because every async_wait re-arms the socket in epoll (EPOLL_CTL_MOD), which reports data
    // that is already there.
    if (n < kReadChunk) return;
  }
}

// Half-closed: throw input away until EOF or the linger timer, then close.
void Connection::Discard() {
  char* buffer = ScratchBuffer();
  for (int i = 0; i < kReadsPerWakeup; ++i) {
    asio::error_code ec;
    socket_.read_some(asio::buffer(buffer, kReadChunk), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ArmRead();
      return;
    }
    if (ec) {
      CloseNow();
      return;
    }
  }
  ArmRead();
}

bool Connection::OverLimits() const {
  return pending_slots() >= limits_.max_pending_requests ||
         out_.size() + writing_.size() >= limits_.max_pending_output_bytes;
}

bool Connection::BelowResumeMark() const {
  return pending_slots() < std::max<size_t>(1, limits_.max_pending_requests / 2) &&
         out_.size() + writing_.size() < std::max<size_t>(1, limits_.max_pending_output_bytes / 2);
}

void Connection::SetPaused(bool paused) {
  if (paused == paused_) return;
  paused_ = paused;
  Metrics& m = service_.metrics();
  if (paused) {
    m.read_pauses.fetch_add(1, std::memory_order_relaxed);
    m.connections_paused.fetch_add(1, std::memory_order_relaxed);
  } else {
    m.connections_paused.fetch_sub(1, std::memory_order_relaxed);
  }
}

// Once every line is answered and flushed: close (the peer is done sending) or half-close and
// linger.
void Connection::MaybeFinish() {
  if (closed_ || lingering_ || !input_done_ || pending_slots() > 0 || write_in_flight_ ||
      !out_.empty()) {
    return;
  }
  asio::error_code ignored;
  // Closing with unread input makes the kernel send a reset, which can destroy responses the
  // peer has not read yet; linger only when that can happen.
  const bool unread_input = !shutting_down_ || socket_.available(ignored) > 0;
  if (eof_ || !unread_input) {
    CloseNow();
    return;
  }
  socket_.shutdown(asio::socket_base::shutdown_send, ignored);
  lingering_ = true;
  linger_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor(), limits_.linger);
  linger_timer_->async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->CloseNow();
  });
  if (!read_armed_) ArmRead();
}

void Connection::CloseNow() {
  if (closed_) return;
  closed_ = true;
  input_done_ = true;
  SetPaused(false);
  asio::error_code ignored;
  socket_.close(ignored);
  if (linger_timer_) linger_timer_->cancel();
  Release(out_);
  framer_.TakeRemainder();
  blocked_call_.reset();
  MaybeRelease();
}

void Connection::MaybeRelease() {
  if (!closed_ || released_ || calls_in_flight_ > 0) return;
  released_ = true;
  std::function<void()> callback = std::move(on_released_);
  if (callback) callback();
}

}  // namespace walkv::rpc
