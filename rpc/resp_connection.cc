#include "rpc/resp_connection.h"

#include <algorithm>
#include <array>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <exception>
#include <memory>
#include <utility>
#include <variant>

#include "rpc/methods.h"
#include "rpc/resp_encoder.h"

namespace walkv::rpc {

namespace {

// The same tuning as rpc/connection.cc.
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWakeup = 4;
constexpr int kPumpRounds = 4;
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

RespConnection::RespConnection(asio::ip::tcp::socket socket, Service& service,
                               CompletionQueue& completions, ConnectionLimits limits,
                               RespLimits resp_limits, uint64_t id,
                               std::function<void()> on_released)
    : socket_(std::move(socket)),
      executor_(socket_.get_executor()),
      service_(service),
      completions_(completions),
      limits_(limits),
      on_released_(std::move(on_released)),
      parser_(resp_limits) {
  session_.id = id;
  session_.authenticated = !service_.auth().required();
}

RespConnection::~RespConnection() = default;

void RespConnection::Start() {
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

void RespConnection::BeginShutdown() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    if (self->closed_ || self->shutting_down_) return;
    self->shutting_down_ = true;
    self->Pump();
  });
}

void RespConnection::ForceClose() {
  asio::dispatch(executor_, [self = shared_from_this()] { self->CloseNow(); });
}

void RespConnection::OnCompletionsReady(CompletionBatch batch) {
  asio::dispatch(executor_, [self = shared_from_this(), batch = std::move(batch)]() mutable {
    self->OnWritesCompleted(std::move(batch));
  });
}

void RespConnection::Pump() {
  if (closed_ || in_pump_) return;
  in_pump_ = true;
  if (blocked_calls_ && writes_in_flight_ == 0) {
    RespMethodCalls calls = std::move(*blocked_calls_);
    blocked_calls_.reset();
    StartCalls(blocked_seq_, std::move(calls));
  }
  for (int round = 1;; ++round) {
    if (paused_ && BelowResumeMark()) SetPaused(false);
    if (!paused_) ProcessCommands();
    const bool held_back = !input_done_ && !blocked_calls_ && (paused_ || OverLimits());
    Flush();
    if (!held_back || closed_ || (paused_ ? !BelowResumeMark() : OverLimits())) break;
    if (round == kPumpRounds) {
      asio::post(executor_, [self = shared_from_this()] { self->Pump(); });
      break;
    }
  }
  if (!input_done_ && !closed_) {
    if (OverLimits()) {
      SetPaused(true);
    } else if (!paused_ && !blocked_calls_) {
      ArmRead();
    }
  }
  in_pump_ = false;
  MaybeFinish();
}

void RespConnection::ProcessCommands() {
  while (!input_done_ && !blocked_calls_ && !OverLimits()) {
    RespParser::Result result;
    try {
      result = parser_.Next(&args_);
    } catch (const std::exception& e) {  // std::bad_alloc on a huge bulk: answer, don't crash
      service_.CountRejected(ErrorCode::kInternalError);
      CompleteWith(AddSlot(), "-INTERNAL_ERROR " + std::string(e.what()) + "\r\n");
      input_done_ = true;
      return;
    }
    switch (result) {
      case RespParser::Result::kCommand:
        HandleCommand(args_);
        break;
      case RespParser::Result::kError: {
        service_.CountRejected(ErrorCode::kParseError);
        std::string reply;
        AppendRespError(reply, "ERR " + parser_.error());
        CompleteWith(AddSlot(), std::move(reply));
        input_done_ = true;  // like Redis: answer, then close
        return;
      }
      case RespParser::Result::kNeedMore:
        // At EOF an unfinished command is dropped, like Redis does.
        if (eof_ || shutting_down_) input_done_ = true;
        return;
    }
  }
}

void RespConnection::HandleCommand(std::vector<std::string>& args) {
  const uint64_t seq = AddSlot();
  if (shutting_down_) {
    service_.CountRejected(ErrorCode::kShuttingDown);
    CompleteWith(seq, "-SHUTTING_DOWN the server is shutting down\r\n");
    return;
  }
  RespPlan plan;
  try {
    plan = PlanCommand(args, session_, service_.auth());
  } catch (const std::exception& e) {
    service_.CountRejected(ErrorCode::kInternalError);
    CompleteWith(seq, "-INTERNAL_ERROR " + std::string(e.what()) + "\r\n");
    return;
  }
  if (auto* immediate = std::get_if<RespImmediate>(&plan)) {
    if (!immediate->reply.empty() && immediate->reply[0] == '-') {
      const std::string_view reply = immediate->reply;
      service_.CountRejected(
          reply.starts_with("-NOAUTH") || reply.starts_with("-WRONGPASS")
              ? ErrorCode::kUnauthenticated
              : (reply.starts_with("-ERR unknown command") ? ErrorCode::kUnknownMethod
                                                           : ErrorCode::kInvalidArgument));
    } else {
      service_.CountAnswered();
    }
    if (immediate->close_after) input_done_ = true;
    CompleteWith(seq, std::move(immediate->reply));
    return;
  }
  RespMethodCalls& calls = std::get<RespMethodCalls>(plan);
  if (calls.calls.front().method->kind != MethodKind::kWrite && writes_in_flight_ > 0) {
    blocked_calls_ = std::move(calls);  // read-your-writes: wait for the earlier writes
    blocked_seq_ = seq;
    return;
  }
  StartCalls(seq, std::move(calls));
}

void RespConnection::StartCalls(uint64_t seq, RespMethodCalls calls) {
  {
    Slot& slot = SlotAt(seq);
    slot.reply = calls.reply;
    slot.protocol = session_.protocol;
    slot.remaining = calls.calls.size();
  }
  for (Call& call : calls.calls) {
    switch (call.method->kind) {
      case MethodKind::kRead:
        OnCallDone(seq, service_.RunRead(call));
        break;
      case MethodKind::kWrite: {
        auto w = std::make_unique<PendingWrite>();
        w->target = this;
        if (writes_in_flight_ == 0) writes_keep_alive_ = shared_from_this();
        w->seq = seq;
        w->method = call.method;
        ++calls_in_flight_;
        ++writes_in_flight_;
        service_.SubmitWrite(call, std::move(w), completions_);
        break;
      }
      case MethodKind::kBlocking:
        ++calls_in_flight_;
        service_.ExecuteBlockingOutcome(
            std::move(call), [self = shared_from_this(), seq](MethodResult result) {
              asio::dispatch(self->executor_, [self, seq, result = std::move(result)]() mutable {
                --self->calls_in_flight_;
                if (self->closed_) {
                  self->MaybeRelease();
                  return;
                }
                self->OnCallDone(seq, std::move(result));
                self->Pump();
              });
            });
        break;
    }
  }
}

// One call of slot `seq` is done; the slot completes with its last call.
void RespConnection::OnCallDone(uint64_t seq, MethodResult result) {
  Slot& slot = SlotAt(seq);
  if (slot.remaining > 1) {  // a DEL of several keys, not the last one
    --slot.remaining;
    if (const auto* failure = std::get_if<Failure>(&result)) {
      if (!slot.failure) slot.failure = *failure;
    } else {
      slot.sum += std::get<nlohmann::json>(result).get<bool>() ? 1 : 0;
    }
    return;
  }
  slot.remaining = 0;
  if (slot.sum > 0 || slot.failure) {  // fold in the earlier calls of this slot
    if (slot.failure) {
      result = *slot.failure;
    } else if (const auto* json = std::get_if<nlohmann::json>(&result)) {
      result = nlohmann::json(slot.sum + (json->get<bool>() ? 1 : 0));
    }
  }
  const RespReply reply = slot.reply;
  const int protocol = slot.protocol;
  Complete(seq, [&](std::string& out) { AppendRespOutcome(out, reply, result, protocol); });
}

uint64_t RespConnection::AddSlot() {
  slots_.emplace_back();
  return base_seq_ + (slots_.size() - head_ - 1);
}

template <typename Encode>
void RespConnection::Complete(uint64_t seq, Encode&& encode) {
  if (seq == base_seq_) {
    encode(out_);
    ++head_;
    ++base_seq_;
    MoveDonePrefix();
    return;
  }
  Slot& slot = SlotAt(seq);
  encode(slot.response);
  slot.done = true;
}

void RespConnection::CompleteWith(uint64_t seq, std::string bytes) {
  Complete(seq, [&](std::string& out) {
    if (out.empty()) {
      out = std::move(bytes);
    } else {
      out += bytes;
    }
  });
}

void RespConnection::OnWritesCompleted(CompletionBatch done) {
  while (std::unique_ptr<PendingWrite> w = done.Pop()) {
    --calls_in_flight_;
    --writes_in_flight_;
    MethodResult result = service_.WriteOutcome(*w);  // counted even if nobody reads it
    if (!closed_) OnCallDone(w->seq, std::move(result));
  }
  if (writes_in_flight_ == 0) writes_keep_alive_.reset();
  if (closed_) {
    MaybeRelease();
    return;
  }
  Pump();
}

void RespConnection::MoveDonePrefix() {
  while (head_ < slots_.size() && slots_[head_].done) {
    out_ += slots_[head_].response;
    ++head_;
    ++base_seq_;
  }
}

void RespConnection::Flush() {
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

void RespConnection::OnWritten(const asio::error_code& ec) {
  write_in_flight_ = false;
  Release(writing_);
  if (closed_) return;
  if (ec) {
    CloseNow();
    return;
  }
  Pump();
}

void RespConnection::ArmRead() {
  if (read_armed_ || closed_ || (eof_ && !lingering_)) return;
  read_armed_ = true;
  socket_.async_wait(
      asio::socket_base::wait_read,
      [self = shared_from_this()](const asio::error_code& ec) { self->OnReadable(ec); });
}

void RespConnection::OnReadable(const asio::error_code& ec) {
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
  if (input_done_) return;
  ReadAvailable();
  Pump();
}

void RespConnection::ReadAvailable() {
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
    try {
      parser_.Append(std::string_view(buffer, n));
    } catch (const std::exception&) {  // std::bad_alloc: cannot even buffer the input
      CloseNow();
      return;
    }
    ProcessCommands();
    if (OverLimits() || input_done_ || blocked_calls_) return;
    if (n < kReadChunk) return;
  }
}

void RespConnection::Discard() {
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

bool RespConnection::OverLimits() const {
  return pending_slots() >= limits_.max_pending_requests ||
         out_.size() + writing_.size() >= limits_.max_pending_output_bytes;
}

bool RespConnection::BelowResumeMark() const {
  return pending_slots() < std::max<size_t>(1, limits_.max_pending_requests / 2) &&
         out_.size() + writing_.size() < std::max<size_t>(1, limits_.max_pending_output_bytes / 2);
}

void RespConnection::SetPaused(bool paused) {
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

void RespConnection::MaybeFinish() {
  if (closed_ || lingering_ || !input_done_ || pending_slots() > 0 || write_in_flight_ ||
      !out_.empty()) {
    return;
  }
  asio::error_code ignored;
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

void RespConnection::CloseNow() {
  if (closed_) return;
  closed_ = true;
  input_done_ = true;
  SetPaused(false);
  asio::error_code ignored;
  socket_.close(ignored);
  if (linger_timer_) linger_timer_->cancel();
  Release(out_);
  blocked_calls_.reset();
  MaybeRelease();
}

void RespConnection::MaybeRelease() {
  if (!closed_ || released_ || calls_in_flight_ > 0) return;
  released_ = true;
  std::function<void()> callback = std::move(on_released_);
  if (callback) callback();
}

}  // namespace walkv::rpc
