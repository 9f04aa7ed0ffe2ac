#include "rpc/client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "rpc/binary_json.h"
#include "rpc/response.h"

namespace walkv::rpc {

namespace {

using json = nlohmann::json;

constexpr size_t kRecvChunk = 64 * 1024;

std::string HostPort(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

StatusCode CodeForRpcError(std::string_view code) {
  if (code == "STORAGE_ERROR") return StatusCode::kIOError;
  if (code == "SHUTTING_DOWN") return StatusCode::kShuttingDown;
  if (code == "TOO_MANY_CONNECTIONS") return StatusCode::kBusy;
  return StatusCode::kInvalidArgument;
}

}  // namespace

std::optional<RpcError> RpcErrorOf(const json& response) {
  if (!response.is_object()) return std::nullopt;
  auto it = response.find("error");
  if (it == response.end()) return std::nullopt;
  RpcError error;
  if (it->is_object()) {
    if (auto c = it->find("code"); c != it->end() && c->is_string()) error.code = *c;
    if (auto m = it->find("message"); m != it->end() && m->is_string()) error.message = *m;
  }
  if (error.code.empty()) error.code = "UNKNOWN";
  return error;
}

StatusOr<std::unique_ptr<Client>> Client::Connect(const std::string& host, uint16_t port) {
  const std::string where = HostPort(host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &results);
  if (rc != 0) {
    return Status::IOError("could not connect to " + where + ": " + gai_strerror(rc));
  }
  int err = ECONNREFUSED;
  int fd = -1;
  for (addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int r;
    do {
      r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    } while (r != 0 && errno == EINTR);
    if (r == 0) break;
    err = errno;
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(results);
  if (fd < 0) return Status::IOError("could not connect to " + where + ": " + std::strerror(err));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return std::unique_ptr<Client>(new Client(fd, where));
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Status Client::TransportError(std::string_view what, int err) const {
  std::string message(what);
  if (err != 0) message += std::string(": ") + std::strerror(err);
  return Status::IOError(std::move(message));
}

Status Client::WaitFor(short events) {
  if (timeout_.count() <= 0) return Status::Ok();
  pollfd p{fd_, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
  } while (r < 0 && errno == EINTR);
  if (r < 0) return TransportError("poll failed", errno);
  if (r == 0) return Status::IOError("timed out waiting for the server");
  return Status::Ok();
}

Status Client::SendRaw(std::string_view bytes) {
  if (fd_ < 0) return TransportError("not connected", 0);
  while (!bytes.empty()) {
    WALKV_RETURN_IF_ERROR(WaitFor(POLLOUT));
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return TransportError("could not send", errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status Client::CloseSend() {
  if (::shutdown(fd_, SHUT_WR) != 0)
    return TransportError("could not shut down the connection", errno);
  return Status::Ok();
}

StatusOr<std::string> Client::ReceiveLine() {
  if (fd_ < 0) return TransportError("not connected", 0);
  size_t scanned = inbuf_start_;
  for (;;) {
    const size_t nl = inbuf_.find('\n', scanned);
    if (nl != std::string::npos) {
      std::string line = inbuf_.substr(inbuf_start_, nl - inbuf_start_);
      inbuf_start_ = nl + 1;
      if (inbuf_start_ == inbuf_.size()) {
        inbuf_.clear();
        inbuf_start_ = 0;
      }
      return line;
    }
    scanned = inbuf_.size();
    if (inbuf_start_ > 0) {
      inbuf_.erase(0, inbuf_start_);
      scanned -= inbuf_start_;
      inbuf_start_ = 0;
    }
    WALKV_RETURN_IF_ERROR(WaitFor(POLLIN));
    const size_t old = inbuf_.size();
    inbuf_.resize(old + kRecvChunk);
    const ssize_t n = ::recv(fd_, inbuf_.data() + old, kRecvChunk, 0);
    inbuf_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n == 0) return TransportError("connection closed by the server", 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return TransportError("could not receive", errno);
    }
  }
}

StatusOr<json> Client::Receive() {
  StatusOr<std::string> line = ReceiveLine();
  if (!line.ok()) return line.status();
  json response = json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (!response.is_object()) {
    return Status::IOError("malformed response: " + line->substr(0, 200));
  }
  if (binary_) {
    if (auto result = response.find("result"); result != response.end()) {
      DecodeB64Objects(*result);
    }
  }
  return response;
}

StatusOr<uint64_t> Client::Send(std::string_view method, const json& args, const json& kwargs) {
  const uint64_t id = next_id_++;
  json request = {{"id", id}, {"method", std::string(method)}, {"args", args}};
  if (!kwargs.is_null()) request["kwargs"] = kwargs;
  if (binary_) {
    request[std::string(kEncodingMember)] = kB64Encoding;
    EncodeNonUtf8Strings(request["args"]);
    if (!kwargs.is_null()) EncodeNonUtf8Strings(request["kwargs"]);
  }
  std::string line;
  try {
    line = request.dump();  // strict: bytes that are not UTF-8 cannot be sent as JSON strings
  } catch (const json::type_error&) {
    return Status::InvalidArgument(std::string(method) +
                                   ": keys and values must be valid UTF-8 text");
  }
  line += '\n';
  WALKV_RETURN_IF_ERROR(SendRaw(line));
  return id;
}

StatusOr<json> Client::Call(std::string_view method, json args, json kwargs) {
  StatusOr<uint64_t> id = Send(method, args, kwargs);
  if (!id.ok()) return id.status();
  return Receive();
}

StatusOr<json> Client::CallForResult(std::string_view method, json args) {
  StatusOr<json> response = Call(method, std::move(args));
  if (!response.ok()) return response.status();
  if (std::optional<RpcError> error = RpcErrorOf(*response)) {
    return Status(CodeForRpcError(error->code), error->code + ": " + error->message);
  }
  auto it = response->find("result");
  if (it == response->end()) {
    return Status::IOError("malformed response: no result");
  }
  return std::move(*it);
}

namespace {
Status Malformed(std::string_view method) {
  return Status::IOError("malformed response: unexpected result type for " + std::string(method));
}
}  // namespace

Status Client::Ping() { return CallForResult("ping", json::array()).status(); }

Status Client::Set(std::string_view key, std::string_view value) {
  return CallForResult("set", {std::string(key), std::string(value)}).status();
}

StatusOr<std::optional<std::string>> Client::Get(std::string_view key) {
  StatusOr<json> r = CallForResult("get", {std::string(key)});
  if (!r.ok()) return r.status();
  if (r->is_null()) return std::optional<std::string>();
  if (!r->is_string()) return Malformed("get");
  return std::optional<std::string>(r->get<std::string>());
}

StatusOr<bool> Client::Delete(std::string_view key) {
  StatusOr<json> r = CallForResult("delete", {std::string(key)});
  if (!r.ok()) return r.status();
  if (!r->is_boolean()) return Malformed("delete");
  return r->get<bool>();
}

StatusOr<uint64_t> Client::Append(std::string_view key, std::string_view value) {
  StatusOr<json> r = CallForResult("append", {std::string(key), std::string(value)});
  if (!r.ok()) return r.status();
  if (!r->is_number_unsigned()) return Malformed("append");
  return r->get<uint64_t>();
}

StatusOr<std::vector<std::string>> Client::Keys(std::string_view pattern) {
  StatusOr<json> r = CallForResult("keys", {std::string(pattern)});
  if (!r.ok()) return r.status();
  if (!r->is_array()) return Malformed("keys");
  std::vector<std::string> keys;
  keys.reserve(r->size());
  for (const json& k : *r) {
    if (!k.is_string()) return Malformed("keys");
    keys.push_back(k.get<std::string>());
  }
  return keys;
}

Status Client::FlushAll() { return CallForResult("flushall", json::array()).status(); }

StatusOr<json> Client::Snapshot() { return CallForResult("snapshot", json::array()); }

StatusOr<json> Client::Info() { return CallForResult("info", json::array()); }

}  // namespace walkv::rpc
