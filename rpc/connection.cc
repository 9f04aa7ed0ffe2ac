#include "rpc/connection.h"

#include <asio/dispatch.hpp>
#include <charconv>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "rpc/auth_gate.h"
#include "rpc/methods.h"
#include "rpc/parse_call.h"
#include "rpc/replication_streams.h"
#include "engine/history_digest.h"

namespace walkv::rpc {

namespace {

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

bool ParseUint64(std::string_view text, uint64_t* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, Service& service,
                       CompletionQueue& completions, ConnectionLimits limits,
                       std::function<void()> on_released)
    : StreamConnection(std::move(socket), service, completions, limits, std::move(on_released)),
      framer_(limits.max_request_bytes),
      authenticated_(!service.auth().required()) {}

Connection::~Connection() = default;

bool Connection::AppendInput(std::string_view bytes) {
  framer_.Append(bytes);
  return true;
}

void Connection::ProcessInput() {
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
  if (call.method->kind == MethodKind::kWrite) {
    if (auto reason = service_.ReadOnlyReason()) {  // a replica (docs/replication.md §3)
      Reject(seq, call.id, ErrorCode::kReadOnly, *reason);
      return;
    }
  }
  if (call.method->name == "replicate") {
    StartReplication(seq, call);
    return;
  }
  if (call.method->kind != MethodKind::kWrite && writes_in_flight() > 0) {
    blocked_call_ = std::move(call);  // read-your-writes: wait for the earlier writes
    blocked_seq_ = seq;
    return;
  }
  StartCall(seq, std::move(call));
}

void Connection::StartBlockedCall() {
  Call call = std::move(*blocked_call_);
  blocked_call_.reset();
  StartCall(blocked_seq_, std::move(call));
}

void Connection::StartCall(uint64_t seq, Call call) {
  switch (call.method->kind) {
    case MethodKind::kRead:
      Complete(seq, [&](std::string& out) { service_.ExecuteRead(call, out); });
      return;
    case MethodKind::kWrite: {
      std::unique_ptr<PendingWrite> w = NewWrite(seq, call);
      w->id = std::move(call.id);
      SubmitWrite(call, std::move(w));
      return;
    }
    case MethodKind::kBlocking: {
      StartBlockingCall();
      std::shared_ptr<StreamConnection> self = shared_from_this();
      service_.ExecuteBlocking(std::move(call), [this, self, seq](std::string response) {
        asio::dispatch(executor(), [this, self, seq, response = std::move(response)]() mutable {
          FinishBlockingCall([&] { CompleteWith(seq, std::move(response)); });
        });
      });
      return;
    }
  }
}

void Connection::StartReplication(uint64_t seq, Call& call) {
  ReplicateRequest request;
  request.id_json = call.id;
  uint64_t from_seq = 0;
  if (!ParseUint64(call.args[0], &from_seq) || from_seq == 0) {
    Reject(seq, call.id, ErrorCode::kInvalidArgument, "from_seq must be an integer >= 1");
    return;
  }
  request.from_seq = from_seq;
  if (call.args.size() > 1) {
    uint64_t digest = 0;
    if (!ParseDigestHex(call.args[1], &digest)) {
      Reject(seq, call.id, ErrorCode::kInvalidArgument, "digest must be 16 hex digits");
      return;
    }
    request.digest = digest;
  }
  if (call.args.size() > 2) {
    if (call.args[2] != "true" && call.args[2] != "false") {
      Reject(seq, call.id, ErrorCode::kInvalidArgument, "accept_snapshot must be true or false");
      return;
    }
    request.accept_snapshot = call.args[2] == "true";
  }
  if (call.args.size() > 3) {  // the replica's replication epoch (docs/replication.md §7)
    uint64_t epoch = 0;
    if (!ParseUint64(call.args[3], &epoch)) {
      Reject(seq, call.id, ErrorCode::kInvalidArgument, "epoch must be an integer >= 0");
      return;
    }
    request.epoch = epoch;
  }
  Complete(seq, [](std::string&) {});  // the stream's thread sends the answer line
  ReplicationStreams& streams = service_.replication_streams();
  HandOffSocket([&streams, request = std::move(request)](int fd) mutable {
    streams.Start(fd, std::move(request));
  });
}

void Connection::Reject(uint64_t seq, std::string_view id, ErrorCode code,
                        std::string_view message) {
  Complete(seq, [&](std::string& out) { service_.AppendReject(out, id, code, message); });
}

void Connection::OnWriteDone(std::unique_ptr<PendingWrite> w) {
  if (closed_) {
    std::string discarded;  // still counted in the metrics, like any answered call
    service_.AppendWriteResponse(*w, discarded);
    return;
  }
  Complete(w->seq, [&](std::string& out) { service_.AppendWriteResponse(*w, out); });
}

void Connection::OnClosed() {
  framer_.TakeRemainder();
  blocked_call_.reset();
}

}  // namespace walkv::rpc
