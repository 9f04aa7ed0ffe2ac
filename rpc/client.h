// Client: a blocking client for the walkv protocol (docs/protocol.md), over one TCP connection.
//
// Not thread-safe: use one Client per thread — except that one thread may SendRaw() while one
// other thread Receive()s (they touch disjoint state), which lets a pipelining sender and a
// reader run concurrently. Requests are given ids 1, 2, 3, ... in send order.
//
// Error reporting:
//  - Transport failures (connect, send, receive, a malformed response line, timeout) return a
//    non-OK Status with code kIOError and a one-line message.
//  - Call()/Receive() return the whole response object, error responses included.
//  - The typed helpers (Ping, Set, ...) turn an error response into a non-OK Status whose message
//    is "CODE: message" (for example "STORAGE_ERROR: disk full"), with code kIOError for
//    STORAGE_ERROR, kShuttingDown for SHUTTING_DOWN, kBusy for TOO_MANY_CONNECTIONS and
//    kInvalidArgument for every other code. RpcErrorOf() extracts the code and message.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace walkv::rpc {

struct RpcError {
  std::string code;     // "INVALID_ARGUMENT", ...
  std::string message;  // human text
};

// The error of an error response, or nullopt for a result response.
std::optional<RpcError> RpcErrorOf(const nlohmann::json& response);

class Client {
 public:
  // Connects to host:port (a name or a numeric address). Failure: kIOError with a one-line
  // message such as "could not connect to 127.0.0.1:7379: Connection refused".
  static StatusOr<std::unique_ptr<Client>> Connect(const std::string& host, uint16_t port);

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Binary mode (rpc/binary_json.h), off by default: requests carry "encoding":"b64" and send
  // string arguments that are not UTF-8 as {"b64": ...}; Receive()/Call() turn every {"b64": ...}
  // in a result back into a string of bytes. So any bytes round-trip.
  void set_binary(bool binary) { binary_ = binary; }

  // Bounds every later send and receive; zero (the default) waits forever.
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  // Sends one request and waits for its response; returns the whole response object
  // ({"id":…,"result":…} or {"id":…,"error":{…}}). kwargs null means "no kwargs".
  // Must not be mixed with unreceived Send()s.
  StatusOr<nlohmann::json> Call(std::string_view method,
                                nlohmann::json args = nlohmann::json::array(),
                                nlohmann::json kwargs = nullptr);

  // Keys, values and other strings must be valid UTF-8 (the protocol carries JSON strings):
  // otherwise Send()/Call() return kInvalidArgument without sending anything.
  //
  // Pipelining: Send() writes a request with the next id and returns that id; Receive() reads
  // the next response (responses arrive in request order). SendRaw() writes bytes as they are.
  StatusOr<uint64_t> Send(std::string_view method, const nlohmann::json& args,
                          const nlohmann::json& kwargs = nullptr);
  Status SendRaw(std::string_view bytes);
  StatusOr<nlohmann::json> Receive();
  // The next response line exactly as received, without its '\n'.
  StatusOr<std::string> ReceiveLine();

  // Typed helpers (see the error-reporting note above).
  Status Ping();
  Status Set(std::string_view key, std::string_view value);
  StatusOr<std::optional<std::string>> Get(std::string_view key);
  StatusOr<bool> Delete(std::string_view key);  // true if the key existed
  StatusOr<uint64_t> Append(std::string_view key, std::string_view value);  // new length
  StatusOr<std::vector<std::string>> Keys(std::string_view pattern = "*");
  Status FlushAll();
  StatusOr<nlohmann::json> Snapshot();  // {"seq":…,"bytes":…,"file":…,"keys":…}
  StatusOr<nlohmann::json> Info();
  // Any method: its "result" member, or the error response as a Status (as the helpers above).
  StatusOr<nlohmann::json> CallForResult(std::string_view method, nlohmann::json args);

  // Half-closes the sending side (the server answers what it has, then closes).
  Status CloseSend();
  std::string address() const { return address_; }

 private:
  Client(int fd, std::string address) : fd_(fd), address_(std::move(address)) {}
  Status WaitFor(short events);
  Status TransportError(std::string_view what, int err) const;

  int fd_;
  std::string address_;
  uint64_t next_id_ = 1;
  std::string inbuf_;       // received bytes not yet returned
  size_t inbuf_start_ = 0;  // first unreturned byte of inbuf_
  std::chrono::milliseconds timeout_{0};
  bool binary_ = false;
};

}  // namespace walkv::rpc
