#include "tests/e2e/cutting_proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

namespace walkv::e2e {

namespace {

constexpr int kPollMillis = 100;  // how often a blocked loop looks at stopping_
constexpr size_t kPieceBytes = 64 * 1024;

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int ConnectTo(const std::string& host, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

std::unique_ptr<CuttingProxy> CuttingProxy::Start(const std::string& target_host,
                                                  uint16_t target_port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "CuttingProxy: cannot listen: " << std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<CuttingProxy>(
      new CuttingProxy(fd, ntohs(addr.sin_port), target_host, target_port));
}

CuttingProxy::CuttingProxy(int listen_fd, uint16_t port, std::string target_host,
                           uint16_t target_port)
    : listen_fd_(listen_fd),
      port_(port),
      target_host_(std::move(target_host)),
      target_port_(target_port) {
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

CuttingProxy::~CuttingProxy() {
  stopping_.store(true);
  accept_thread_.join();
  CutAll();
  std::list<std::unique_ptr<Pair>> pairs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pairs.swap(pairs_);
  }
  for (auto& pair : pairs) pair->thread.join();
  ::close(listen_fd_);
}

void CuttingProxy::SetTarget(const std::string& host, uint16_t port) {
  std::lock_guard<std::mutex> lock(mu_);
  target_host_ = host;
  target_port_ = port;
}

void CuttingProxy::CutDownstreamAfter(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  budget_ = bytes;
}

void CuttingProxy::Disarm() {
  std::lock_guard<std::mutex> lock(mu_);
  budget_.reset();
}

void CuttingProxy::CutAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& pair : pairs_) Close(pair.get());
}

uint64_t CuttingProxy::budget_cuts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return budget_cuts_;
}

std::string CuttingProxy::last_cut_transcript() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_cut_transcript_;
}

void CuttingProxy::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMillis) <= 0) continue;
    const int client_fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client_fd < 0) continue;
    accepted_.fetch_add(1);
    std::string host;
    uint16_t port = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      host = target_host_;
      port = target_port_;
    }
    const int server_fd = ConnectTo(host, port);
    if (server_fd < 0) {  // the target is down: the client sees a closed connection
      ::close(client_fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::lock_guard<std::mutex> lock(mu_);
    auto pair = std::make_unique<Pair>();
    pair->client_fd = client_fd;
    pair->server_fd = server_fd;
    Pair* raw = pair.get();
    pair->thread = std::thread([this, raw] { Pump(raw); });
    pairs_.push_back(std::move(pair));
  }
}

size_t CuttingProxy::Allow(Pair* pair, std::string_view bytes, bool* cut) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t allowed = bytes.size();
  if (budget_.has_value()) {
    if (*budget_ > allowed) {
      *budget_ -= allowed;
    } else {
      allowed = static_cast<size_t>(*budget_);
      budget_.reset();
      ++budget_cuts_;
      *cut = true;
    }
  }
  pair->downstream.append(bytes.substr(0, allowed));
  if (*cut) last_cut_transcript_ = pair->downstream;
  return allowed;
}

// Called with mu_ held. Shuts both sockets down; the pair's own thread closes them as it ends.
void CuttingProxy::Close(Pair* pair) {
  if (pair->done) return;
  ::shutdown(pair->client_fd, SHUT_RDWR);
  ::shutdown(pair->server_fd, SHUT_RDWR);
}

// The client gets a FIN after the bytes sent; what it still sends is read and dropped until it
// closes, so that closing our side never resets the connection under bytes it has not read yet.
void CuttingProxy::EndAfterCut(Pair* pair) {
  ::shutdown(pair->server_fd, SHUT_RDWR);
  ::shutdown(pair->client_fd, SHUT_WR);
  char sink[4096];
  while (!stopping_.load()) {
    pollfd p{pair->client_fd, POLLIN, 0};
    if (::poll(&p, 1, kPollMillis) <= 0) continue;
    const ssize_t n = ::recv(pair->client_fd, sink, sizeof(sink), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
  }
}

void CuttingProxy::Pump(Pair* pair) {
  std::string buffer(kPieceBytes, '\0');
  bool open = true;
  while (open && !stopping_.load()) {
    pollfd p[2] = {{pair->client_fd, POLLIN, 0}, {pair->server_fd, POLLIN, 0}};
    if (::poll(p, 2, kPollMillis) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if (p[i].revents == 0) continue;
      const int from = p[i].fd;
      const int to = i == 0 ? pair->server_fd : pair->client_fd;
      const ssize_t n = ::recv(from, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        open = false;
        break;
      }
      std::string_view bytes(buffer.data(), static_cast<size_t>(n));
      bool cut = false;
      if (i == 1) bytes = bytes.substr(0, Allow(pair, bytes, &cut));
      if (!SendAll(to, bytes)) open = false;
      if (cut) {
        EndAfterCut(pair);
        open = false;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  Close(pair);
  pair->done = true;
  ::close(pair->client_fd);
  ::close(pair->server_fd);
}

}  // namespace walkv::e2e
