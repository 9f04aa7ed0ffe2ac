#include "benchmarks/loadgen/net.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace walkv::loadgen {

uint64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t RealtimeNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

int ConnectTcp(const std::string& host, uint16_t port, bool nonblocking, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found);
  if (rc != 0) {
    *error = "could not resolve " + host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  int last_errno = 0;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    last_errno = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) {
    *error = "could not connect to " + host + ":" + port_text + ": " + std::strerror(last_errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (nonblocking) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

BlockingConn::~BlockingConn() {
  if (fd_ >= 0) close(fd_);
}

bool BlockingConn::Call(const std::vector<std::string_view>& words, int timeout_ms, ReplyKind* kind,
                        std::string* payload, std::string* error) {
  std::string out;
  AppendRequest(protocol_, next_id_++, words, &out);
  size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("send: ") + std::strerror(errno);
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  const uint64_t deadline = MonotonicNanos() + static_cast<uint64_t>(timeout_ms) * 1'000'000u;
  for (;;) {
    Reply reply;
    const ptrdiff_t used = ParseReply(protocol_, in_, &reply);
    if (used < 0) {
      *error = "malformed reply";
      return false;
    }
    if (used > 0) {
      *kind = reply.kind;
      payload->assign(reply.payload);
      in_.erase(0, static_cast<size_t>(used));
      return true;
    }
    const uint64_t now = MonotonicNanos();
    if (now >= deadline) {
      *error = "timed out waiting for a reply";
      return false;
    }
    pollfd pfd{fd_, POLLIN, 0};
    const int wait_ms = static_cast<int>((deadline - now) / 1'000'000u) + 1;
    if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
      *error = std::string("poll: ") + std::strerror(errno);
      return false;
    }
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0) {
      *error = "connection closed by the server";
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      *error = std::string("recv: ") + std::strerror(errno);
      return false;
    }
    in_.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace walkv::loadgen
