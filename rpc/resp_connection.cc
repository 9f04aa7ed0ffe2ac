#include "rpc/resp_connection.h"

#include <asio/dispatch.hpp>
#include <exception>
#include <memory>
#include <utility>
#include <variant>

#include "rpc/methods.h"
#include "rpc/resp_encoder.h"

namespace walkv::rpc {

RespConnection::RespConnection(asio::ip::tcp::socket socket, Service& service,
                               CompletionQueue& completions, ConnectionLimits limits,
                               RespLimits resp_limits, uint64_t id,
                               std::function<void()> on_released)
    : StreamConnection(std::move(socket), service, completions, limits, std::move(on_released)),
      parser_(resp_limits) {
  session_.id = id;
  session_.authenticated = !service_.auth().required();
}

RespConnection::~RespConnection() = default;

bool RespConnection::AppendInput(std::string_view bytes) {
  try {
    parser_.Append(bytes);
  } catch (const std::exception&) {  // std::bad_alloc: cannot even buffer the input
    return false;
  }
  return true;
}

void RespConnection::ProcessInput() {
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
  if (auto reason = service_.ReadOnlyReason()) {  // a replica (docs/replication.md §3)
    for (const Call& call : calls.calls) {
      if (call.method->kind != MethodKind::kWrite) continue;
      service_.CountRejected(ErrorCode::kReadOnly);
      CompleteWith(seq, "-READONLY " + *reason + "\r\n");
      return;
    }
  }
  if (calls.calls.front().method->kind != MethodKind::kWrite && writes_in_flight() > 0) {
    blocked_calls_ = std::move(calls);  // read-your-writes: wait for the earlier writes
    blocked_seq_ = seq;
    return;
  }
  StartCalls(seq, std::move(calls));
}

void RespConnection::StartBlockedCall() {
  RespMethodCalls calls = std::move(*blocked_calls_);
  blocked_calls_.reset();
  StartCalls(blocked_seq_, std::move(calls));
}

void RespConnection::StartCalls(uint64_t seq, RespMethodCalls calls) {
  if (calls.calls.size() == 1 && calls.calls.front().method->kind == MethodKind::kRead) {
    // The common case, answered at once: no state to keep.
    const MethodResult result = service_.RunRead(calls.calls.front());
    const int protocol = session_.protocol;
    Complete(seq,
             [&](std::string& out) { AppendRespOutcome(out, calls.reply, result, protocol); });
    return;
  }
  groups_[seq] = CallGroup{.reply = calls.reply,
                           .protocol = session_.protocol,
                           .remaining = calls.calls.size()};
  for (Call& call : calls.calls) {
    switch (call.method->kind) {
      case MethodKind::kRead:
        OnCallDone(seq, service_.RunRead(call));
        break;
      case MethodKind::kWrite:
        SubmitWrite(call, NewWrite(seq, call));
        break;
      case MethodKind::kBlocking: {
        StartBlockingCall();
        std::shared_ptr<StreamConnection> self = shared_from_this();
        service_.ExecuteBlockingOutcome(
            std::move(call), [this, self, seq](MethodResult result) {
              asio::dispatch(executor(), [this, self, seq, result = std::move(result)]() mutable {
                FinishBlockingCall([&] { OnCallDone(seq, std::move(result)); });
              });
            });
        break;
      }
    }
  }
}

// One call of slot `seq` is done; the slot completes with its last call.
void RespConnection::OnCallDone(uint64_t seq, MethodResult result) {
  auto it = groups_.find(seq);
  CallGroup& group = it->second;
  if (group.remaining > 1) {  // a DEL of several keys, not the last one
    --group.remaining;
    if (const auto* failure = std::get_if<Failure>(&result)) {
      if (!group.failure) group.failure = *failure;
    } else {
      group.sum += std::get<nlohmann::json>(result).get<bool>() ? 1 : 0;
    }
    return;
  }
  if (group.sum > 0 || group.failure) {  // fold in the earlier calls of this slot
    if (group.failure) {
      result = *group.failure;
    } else if (const auto* json = std::get_if<nlohmann::json>(&result)) {
      result = nlohmann::json(group.sum + (json->get<bool>() ? 1 : 0));
    }
  }
  const RespReply reply = group.reply;
  const int protocol = group.protocol;
  groups_.erase(it);
  Complete(seq, [&](std::string& out) { AppendRespOutcome(out, reply, result, protocol); });
}

void RespConnection::OnWriteDone(std::unique_ptr<PendingWrite> w) {
  MethodResult result = service_.WriteOutcome(*w);  // counted even if nobody reads it
  if (!closed_) OnCallDone(w->seq, std::move(result));
}

void RespConnection::OnClosed() {
  blocked_calls_.reset();
  groups_.clear();
}

}  // namespace walkv::rpc
