#include "tests/e2e/line_socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace walkv::e2e {
namespace {

int PollMillis(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 3600000));
}

bool WaitFor(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  int ready;
  do {
    ready = poll(&p, 1, PollMillis(deadline));
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

}  // namespace

std::unique_ptr<LineSocket> LineSocket::Connect(const std::string& host, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (fd < 0 || inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ADD_FAILURE() << "connect " << host << ":" << port << ": " << std::strerror(errno);
    if (fd >= 0) close(fd);
    return nullptr;
  }
  return std::unique_ptr<LineSocket>(new LineSocket(fd));
}

LineSocket::~LineSocket() {
  if (fd_ >= 0) close(fd_);
}

bool LineSocket::SendAll(std::string_view bytes, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    if (!WaitFor(fd_, POLLOUT, deadline)) return false;
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::optional<std::string> LineSocket::ReadLine(Clock::time_point deadline) {
  while (true) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (!WaitFor(fd_, POLLIN, deadline)) return std::nullopt;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

bool LineSocket::WaitForEof(Clock::time_point deadline) {
  while (WaitFor(fd_, POLLIN, deadline)) {
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;  // EOF or reset: the server closed it
    buffer_.append(buf, static_cast<size_t>(n));
  }
  return false;
}

void LineSocket::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

void LineSocket::Abort() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace walkv::e2e
