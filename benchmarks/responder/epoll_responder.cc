// epoll-responder: the simplest server that can answer walkv-bench's GET workload — one thread,
// one level-triggered epoll loop, one recv and one send per ready connection per turn, fixed
// replies (reply.h), no storage. scripts/bench-vs-redis runs it beside walkv and Redis, with the
// same client in the same run, as the ceiling for GET at 50 clients: what the kernel's TCP path
// and one core allow when the server itself does almost nothing.
//
//   epoll-responder --port P [--host 127.0.0.1] [--value-size 100]
//
// Requests are newline-terminated lines; a client may pipeline, and replies go out in request
// order (each read's complete lines are answered in order, partial lines wait for the rest).
// SIGTERM or SIGINT stops it (exit 0).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/responder/reply.h"

namespace walkv::responder {
namespace {

constexpr size_t kMaxLineBytes = 16 << 20;  // a longer line closes the connection
constexpr size_t kMaxPendingOut = 4 << 20;  // stop reading a connection that does not read

struct Conn {
  int fd = -1;
  std::string in;
  std::string out;
  size_t sent = 0;      // bytes of `out` already sent
  uint32_t events = 0;  // the interest registered with epoll
};

class Server {
 public:
  Server(int epoll_fd, int listen_fd, int signal_fd, size_t value_size)
      : epoll_fd_(epoll_fd), listen_fd_(listen_fd), signal_fd_(signal_fd), replier_(value_size) {}

  int Run() {
    std::vector<epoll_event> ready(256);
    for (;;) {
      const int n = epoll_wait(epoll_fd_, ready.data(), static_cast<int>(ready.size()), -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail("epoll_wait");
      for (int i = 0; i < n; ++i) {
        const int fd = ready[i].data.fd;
        if (fd == signal_fd_) return 0;
        if (fd == listen_fd_) {
          AcceptAll();
        } else {
          Serve(fd, ready[i].events);
        }
      }
    }
  }

 private:
  static int Fail(const char* what) {
    std::fprintf(stderr, "epoll-responder: %s: %s\n", what, std::strerror(errno));
    return 1;
  }

  void AcceptAll() {
    for (;;) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or a connection that went away: nothing to do
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      if (static_cast<size_t>(fd) >= conns_.size()) conns_.resize(fd + 1);
      conns_[fd] = std::make_unique<Conn>();
      conns_[fd]->fd = fd;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      conns_[fd]->events = EPOLLIN;
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) Close(fd);
    }
  }

  void Serve(int fd, uint32_t events) {
    Conn* conn = conns_[fd].get();
    if (conn == nullptr) return;
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 && !Read(conn)) {
      Close(fd);
      return;
    }
    if (!Flush(conn)) {
      Close(fd);
      return;
    }
    const size_t pending = conn->out.size() - conn->sent;
    const uint32_t want = (pending > 0 ? EPOLLOUT : 0u) | (pending < kMaxPendingOut ? EPOLLIN : 0u);
    if (want != conn->events) {
      epoll_event ev{};
      ev.events = want;
      ev.data.fd = fd;
      conn->events = want;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    }
  }

  // One recv; answers every complete line in it. False when the connection is done.
  bool Read(Conn* conn) {
    char buf[64 << 10];
    const ssize_t got = recv(conn->fd, buf, sizeof(buf), 0);
    if (got == 0) return false;
    if (got < 0) return errno == EAGAIN || errno == EINTR;
    conn->in.append(buf, static_cast<size_t>(got));
    size_t start = 0;
    for (;;) {
      const size_t nl = conn->in.find('\n', start);
      if (nl == std::string::npos) break;
      replier_.AppendReply(std::string_view(conn->in).substr(start, nl - start), &conn->out);
      start = nl + 1;
    }
    conn->in.erase(0, start);
    return conn->in.size() <= kMaxLineBytes;
  }

  // One send of what is pending. False on a broken connection.
  bool Flush(Conn* conn) {
    if (conn->sent == conn->out.size()) return true;
    const ssize_t put =
        send(conn->fd, conn->out.data() + conn->sent, conn->out.size() - conn->sent, MSG_NOSIGNAL);
    if (put < 0) return errno == EAGAIN || errno == EINTR;
    conn->sent += static_cast<size_t>(put);
    if (conn->sent == conn->out.size()) {
      conn->out.clear();
      conn->sent = 0;
    }
    return true;
  }

  void Close(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_[fd].reset();
  }

  const int epoll_fd_;
  const int listen_fd_;
  const int signal_fd_;
  const Replier replier_;
  std::vector<std::unique_ptr<Conn>> conns_;  // by fd
};

int Listen(const std::string& host, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    std::fprintf(stderr, "epoll-responder: --host must be an IPv4 address: %s\n", host.c_str());
    return -1;
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  socklen_t len = sizeof(addr);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 1024) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::fprintf(stderr, "epoll-responder: listen on %s:%u: %s\n", host.c_str(), port,
                 std::strerror(errno));
    return -1;
  }
  std::fprintf(stderr, "epoll-responder: listening on %s:%u\n", host.c_str(), ntohs(addr.sin_port));
  return fd;
}

int Main(int argc, char** argv) {
  CLI::App app{"epoll-responder: fixed replies to walkv JSON lines, one thread, no storage"};
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  size_t value_size = 100;
  app.add_option("--host", host, "IPv4 address to listen on")->capture_default_str();
  app.add_option("--port", port, "Port (0: any free port, printed on stderr)")
      ->capture_default_str();
  app.add_option("--value-size", value_size, "Bytes of the string every get returns")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  const int signal_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
  const int listen_fd = Listen(host, port);
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (signal_fd < 0 || listen_fd < 0 || epoll_fd < 0) return 1;
  for (const int fd : {signal_fd, listen_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
  return Server(epoll_fd, listen_fd, signal_fd, value_size).Run();
}

}  // namespace
}  // namespace walkv::responder

int main(int argc, char** argv) { return walkv::responder::Main(argc, argv); }
