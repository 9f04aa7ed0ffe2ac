#include "rpc/replication_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace walkv::rpc {

namespace {

int PollMillis(ReplicationClient::Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - ReplicationClient::Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 3600000));
}

}  // namespace

StatusOr<std::unique_ptr<ReplicationClient>> ReplicationClient::Connect(
    const std::string& host, uint16_t port, Clock::time_point deadline) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    return Status::IOError("could not resolve " + where);
  }
  int fd = -1;
  std::string error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, PollMillis(deadline)) == 1) {
        int so_error = 0;
        socklen_t len = sizeof(so_error);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        rc = so_error == 0 ? 0 : -1;
        errno = so_error;
      } else {
        errno = ETIMEDOUT;
      }
    }
    if (rc == 0) break;
    error = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) return Status::IOError("could not connect to " + where + ": " + error);
  // ACK frames are 13 bytes: without this, Nagle holds one back until the primary's TCP ack of
  // the previous one, and --sync-replicas writes wait for it (up to the delayed-ack timer).
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return std::unique_ptr<ReplicationClient>(new ReplicationClient(fd));
}

ReplicationClient::~ReplicationClient() { ::close(fd_); }

void ReplicationClient::Abort() { ::shutdown(fd_, SHUT_RDWR); }

Status ReplicationClient::Fill(Clock::time_point deadline) {
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, PollMillis(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return Status::IOError("timed out");
    if (ready < 0) return Status::IOError(std::strerror(errno));
    char chunk[64 * 1024];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n == 0) return Status::IOError("the primary closed the stream");
    if (n < 0) return Status::IOError(std::strerror(errno));
    buffer_.append(chunk, static_cast<size_t>(n));
    return Status::Ok();
  }
}

Status ReplicationClient::SendAll(std::string_view rest, Clock::time_point deadline) {
  while (!rest.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, PollMillis(deadline)) != 1) return Status::IOError("timed out sending");
    const ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return Status::IOError(std::strerror(errno));
    rest.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status ReplicationClient::SendAck(uint64_t durable_seq, Clock::time_point deadline) {
  std::string frame;
  replication_frames::AppendAckFrame(&frame, durable_seq);
  return SendAll(frame, deadline);
}

StatusOr<nlohmann::json> ReplicationClient::Subscribe(uint64_t from_seq,
                                                      std::optional<uint64_t> digest,
                                                      Clock::time_point deadline,
                                                      bool accept_snapshot,
                                                      std::optional<uint64_t> epoch) {
  nlohmann::json args{{"from_seq", std::to_string(from_seq)}};
  if (digest.has_value()) {
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(*digest));
    args["digest"] = hex;
  }
  if (accept_snapshot) args["accept_snapshot"] = "true";
  if (epoch.has_value() && digest.has_value()) {
    // Parameters bind in order: an epoch needs accept_snapshot (rpc/bind.h).
    args["accept_snapshot"] = accept_snapshot ? "true" : "false";
    args["epoch"] = std::to_string(*epoch);
  }
  const std::string line =
      nlohmann::json{{"id", 1}, {"method", "replicate"}, {"kwargs", args}}.dump() + "\n";
  if (Status sent = SendAll(line, deadline); !sent.ok()) return sent;
  size_t newline;
  while ((newline = buffer_.find('\n', consumed_)) == std::string::npos) {
    Status s = Fill(deadline);
    if (!s.ok()) return s;
  }
  std::string answer = buffer_.substr(consumed_, newline - consumed_);
  consumed_ = newline + 1;
  nlohmann::json parsed = nlohmann::json::parse(answer, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Status::Corruption("the primary's answer is not a JSON object: " + answer);
  }
  return parsed;
}

StatusOr<replication_frames::Frame> ReplicationClient::NextFrame(Clock::time_point deadline) {
  while (true) {
    replication_frames::Frame frame;
    size_t used = 0;
    const std::string_view pending = std::string_view(buffer_).substr(consumed_);
    switch (replication_frames::DecodeFrame(pending, &frame, &used)) {
      case replication_frames::DecodeResult::kFrame:
        consumed_ += used;
        return frame;
      case replication_frames::DecodeResult::kMalformed:
        return Status::Corruption("malformed replication frame");
      case replication_frames::DecodeResult::kNeedMore:
        break;
    }
    Status s = Fill(deadline);
    if (!s.ok()) return s;
  }
}

}  // namespace walkv::rpc
