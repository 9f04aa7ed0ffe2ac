#include "rpc/stream_connection.h"

#include <algorithm>
#include <array>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <unistd.h>
#include <memory>
#include <utility>

#include "rpc/metrics.h"

namespace walkv::rpc {

namespace {

// Per-thread scratch buffer for socket reads: bytes are copied into the protocol's buffer at
// once, so idle connections own no read buffer.
constexpr size_t kReadChunk = 64 * 1024;
// Reads per readiness event before yielding to other connections on this thread.
constexpr int kReadsPerWakeup = 4;
// Rounds of (process requests, send) per Pump() before yielding the I/O thread.
constexpr int kPumpRounds = 4;
// Buffers with more spare capacity than this are freed once drained.
constexpr size_t kKeepCapacity = 64 * 1024;

char* ScratchBuffer() {
  thread_local std::array<char, kReadChunk> buffer;
  return buffer.data();
}

void Release(std::string& s) {
  if (s.capacity() > kKeepCapacity) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

}  // namespace

StreamConnection::StreamConnection(asio::ip::tcp::socket socket, Service& service,
                                   CompletionQueue& completions, ConnectionLimits limits,
                                   std::function<void()> on_released)
    : service_(service),
      limits_(limits),
      socket_(std::move(socket)),
      executor_(socket_.get_executor()),
      completions_(completions),
      on_released_(std::move(on_released)) {}

StreamConnection::~StreamConnection() = default;

void StreamConnection::Start() {
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

void StreamConnection::BeginShutdown() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    if (self->closed_ || self->shutting_down_) return;
    self->shutting_down_ = true;
    self->Pump();
  });
}

void StreamConnection::ForceClose() {
  asio::dispatch(executor_, [self = shared_from_this()] { self->CloseNow(); });
}

void StreamConnection::OnCompletionsReady(CompletionBatch batch) {
  // From the draining I/O thread (this connection is alive: it has writes in flight, so
  // writes_keep_alive_ is set); runs inline when the strand is idle. `self` keeps the connection
  // alive while OnWritesCompleted() may release writes_keep_alive_.
  asio::dispatch(executor_, [self = shared_from_this(), batch = std::move(batch)]() mutable {
    self->OnWritesCompleted(std::move(batch));
  });
}

void StreamConnection::Pump() {
  if (closed_ || in_pump_) return;
  in_pump_ = true;
  if (HasBlockedCall() && writes_in_flight_ == 0) StartBlockedCall();
  for (int round = 1;; ++round) {
    if (paused_ && BelowResumeMark()) SetPaused(false);
    if (!paused_) ProcessInput();
    const bool held_back = !input_done_ && !HasBlockedCall() && (paused_ || OverLimits());
    Flush();
    // A direct send may have made room while requests are held back: go on now (no write
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
    } else if (!paused_ && !HasBlockedCall()) {
      ArmRead();
    }
  }
  in_pump_ = false;
  MaybeFinish();
}

uint64_t StreamConnection::AddSlot() {
  slots_.emplace_back();
  return base_seq_ + (slots_.size() - head_ - 1);
}

void StreamConnection::CompleteWith(uint64_t seq, std::string bytes) {
  Complete(seq, [&](std::string& out) {
    if (out.empty()) {
      out = std::move(bytes);
    } else {
      out += bytes;
    }
  });
}

std::unique_ptr<PendingWrite> StreamConnection::NewWrite(uint64_t seq, const Call& call) {
  auto write = std::make_unique<PendingWrite>();
  write->target = this;
  write->seq = seq;
  write->method = call.method;
  return write;
}

void StreamConnection::SubmitWrite(Call& call, std::unique_ptr<PendingWrite> write) {
  if (writes_in_flight_ == 0) writes_keep_alive_ = shared_from_this();
  ++calls_in_flight_;
  ++writes_in_flight_;
  service_.SubmitWrite(call, std::move(write), completions_);
}

void StreamConnection::FinishBlockingCall(const std::function<void()>& complete) {
  --calls_in_flight_;
  if (closed_) {
    MaybeRelease();
    return;
  }
  complete();
  Pump();
}

void StreamConnection::OnWritesCompleted(CompletionBatch done) {
  while (std::unique_ptr<PendingWrite> w = done.Pop()) {
    --calls_in_flight_;
    --writes_in_flight_;
    OnWriteDone(std::move(w));
  }
  // The caller holds a reference too, so this connection outlives the rest of this function.
  if (writes_in_flight_ == 0) writes_keep_alive_.reset();
  if (closed_) {
    MaybeRelease();
    return;
  }
  Pump();  // one flush, hence one send, for the whole batch
}

// Moves the slots at the head of the queue that are done to out_, in order.
void StreamConnection::MoveDonePrefix() {
  while (head_ < slots_.size() && slots_[head_].done) {
    out_ += slots_[head_].response;
    ++head_;
    ++base_seq_;
  }
}

// Moves the completed prefix of the slot queue to out_ and sends it: first directly (the socket is
// non-blocking; usually everything fits in the kernel's buffer, and no handler is needed), then
// whatever is left with an async_write, unless one is running already.
void StreamConnection::Flush() {
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

void StreamConnection::OnWritten(const asio::error_code& ec) {
  write_in_flight_ = false;
  Release(writing_);
  if (closed_) return;
  if (ec) {
    CloseNow();
    return;
  }
  Pump();
}

void StreamConnection::ArmRead() {
  if (read_armed_ || closed_ || (eof_ && !lingering_)) return;
  read_armed_ = true;
  socket_.async_wait(
      asio::socket_base::wait_read,
      [self = shared_from_this()](const asio::error_code& ec) { self->OnReadable(ec); });
}

void StreamConnection::OnReadable(const asio::error_code& ec) {
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

void StreamConnection::ReadAvailable() {
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
    if (!AppendInput(std::string_view(buffer, n))) {
      CloseNow();
      return;
    }
    ProcessInput();
    if (OverLimits() || input_done_ || HasBlockedCall()) return;
    // A short read almost always drained the socket: skip the read that would say EAGAIN. Safe
    // because every async_wait re-arms the socket in epoll (EPOLL_CTL_MOD), which reports data
    // that is already there.
    if (n < kReadChunk) return;
  }
}

// Half-closed: throw input away until EOF or the linger timer, then close.
void StreamConnection::Discard() {
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

bool StreamConnection::OverLimits() const {
  return pending_slots() >= limits_.max_pending_requests ||
         out_.size() + writing_.size() >= limits_.max_pending_output_bytes;
}

bool StreamConnection::BelowResumeMark() const {
  return pending_slots() < std::max<size_t>(1, limits_.max_pending_requests / 2) &&
         out_.size() + writing_.size() < std::max<size_t>(1, limits_.max_pending_output_bytes / 2);
}

void StreamConnection::SetPaused(bool paused) {
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

void StreamConnection::HandOffSocket(std::function<void(int fd)> take) {
  handoff_ = std::move(take);
  input_done_ = true;
}

// Once every request is answered and flushed: hand the socket off (HandOffSocket), close (the
// peer is done sending) or half-close and linger.
void StreamConnection::MaybeFinish() {
  if (handoff_ && !closed_ && pending_slots() == 0 && !write_in_flight_ && out_.empty()) {
    const int fd = ::dup(socket_.native_handle());
    std::function<void(int fd)> take = std::move(handoff_);
    handoff_ = nullptr;
    CloseNow();  // close(2) of our descriptor only: the duplicate keeps the connection open
    if (fd >= 0) take(fd);
    return;
  }
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

void StreamConnection::CloseNow() {
  if (closed_) return;
  closed_ = true;
  input_done_ = true;
  SetPaused(false);
  asio::error_code ignored;
  socket_.close(ignored);
  if (linger_timer_) linger_timer_->cancel();
  Release(out_);
  OnClosed();
  MaybeRelease();
}

void StreamConnection::MaybeRelease() {
  if (!closed_ || released_ || calls_in_flight_ > 0) return;
  released_ = true;
  std::function<void()> callback = std::move(on_released_);
  if (callback) callback();
}

}  // namespace walkv::rpc
