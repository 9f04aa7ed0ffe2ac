#include "rpc/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/mutex.h"
#include "rpc/ascii.h"
#include "rpc/completion_queue.h"
#include "rpc/connection.h"
#include "rpc/resp_connection.h"
#include "rpc/response.h"
#include "rpc/service.h"

namespace walkv::rpc {

namespace {

using asio::ip::tcp;

constexpr int kListenBacklog = 65535;  // the kernel caps it at net.core.somaxconn
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
constexpr auto kRefusalLinger = std::chrono::milliseconds(1000);

std::string FormatAddress(const tcp::endpoint& ep) {
  const std::string host = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(ep.port());
}

// "Address already in use" -> "address already in use".
std::string Lowercased(std::string message) {
  if (!message.empty()) {
    message[0] = AsciiLower(message[0]);
  }
  return message;
}

// Sends TOO_MANY_CONNECTIONS on a connection over the limit, half-closes, discards what the peer
// sends until EOF or a short linger (so the peer reads the line instead of a reset), closes.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(tcp::socket socket, std::string line)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), line_(std::move(line)) {}

  void Start() {
    asio::async_write(socket_, asio::buffer(line_),
                      [self = shared_from_this()](const asio::error_code& ec, size_t) {
                        if (ec) return self->Close();
                        asio::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->timer_.expires_after(kRefusalLinger);
                        self->timer_.async_wait([self](const asio::error_code&) { self->Close(); });
                        self->Drain();
                      });
  }

 private:
  void Drain() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](const asio::error_code& ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }
  void Close() {
    asio::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string line_;
  char scratch_[512];
};

}  // namespace

class Server::Impl {
 public:
  Impl(Engine& engine, ServerOptions options)
      : options_(std::move(options)),
        loops_(MakeLoops(options_.threads != 0 ? options_.threads : DefaultIoThreads())),
        io_(*loops_[0].io),
        accept_strand_(asio::make_strand(io_)),
        acceptor_(accept_strand_),
        resp_acceptor_(accept_strand_),
        retry_timer_(accept_strand_),
        grace_timer_(accept_strand_),
        service_(engine, options_.auth) {}

  ~Impl() { Shutdown(); }

  Status Start() {
    Status status = Listen(acceptor_, options_.port, &port_, &address_);
    if (!status.ok()) return status;
    if (options_.resp_port.has_value()) {
      status = Listen(resp_acceptor_, *options_.resp_port, &resp_port_, &resp_address_);
      if (!status.ok()) {
        asio::error_code ignored;
        acceptor_.close(ignored);
        return status;
      }
    }
    service_.SetServerFacts({options_.host, port_, options_.max_keys_reply, resp_port_});
    service_.EnableSyncReplicas(options_.sync_replicas);
    if (options_.replica_of_port != 0) {
      service_.FollowPrimary(options_.replica_of_host, options_.replica_of_port);
    }
    for (Loop& loop : loops_) loop.work.emplace(loop.io->get_executor());
    started_ = true;
    return Status::Ok();
  }

  uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }
  uint16_t resp_port() const { return resp_port_; }
  const std::string& resp_address() const { return resp_address_; }

  void Run() {
    if (!started_ || ran_.exchange(true)) return;
    asio::post(accept_strand_, [this] { Accept(); });
    if (resp_acceptor_.is_open()) asio::post(accept_strand_, [this] { AcceptResp(); });
    std::vector<std::thread> threads;
    for (size_t i = 1; i < loops_.size(); ++i) {
      threads.emplace_back([this, i] { RunLoop(*loops_[i].io); });
    }
    RunLoop(io_);
    for (std::thread& t : threads) t.join();
    // The last engine callback may still be inside asio::post.
    for (Loop& loop : loops_) loop.completions->WaitForPushes();
    service_.StopFollowing();  // before the caller closes the engine
  }

  void Shutdown() {
    if (shutdown_requested_.exchange(true)) return;
    if (!started_) return;
    asio::post(accept_strand_, [this] { DoShutdown(); });
  }

 private:
  // Resolves options_.host, binds and listens on `port` with `acceptor`.
  Status Listen(tcp::acceptor& acceptor, uint16_t port, uint16_t* bound_port,
                std::string* bound_address) {
    const std::string where = options_.host + ":" + std::to_string(port);
    asio::error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints =
        resolver.resolve(options_.host, std::to_string(port),
                         tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec) return Status::InvalidArgument(where + ": cannot resolve host: " + ec.message());
    asio::error_code last = asio::error::host_not_found;
    for (const auto& entry : endpoints) {
      asio::error_code ignored;
      acceptor.close(ignored);
      acceptor.open(entry.endpoint().protocol(), last);
      if (last) continue;
      acceptor.set_option(tcp::acceptor::reuse_address(true), ignored);
      acceptor.bind(entry.endpoint(), last);
      if (last) continue;
      acceptor.listen(kListenBacklog, last);
      if (last) continue;
      const tcp::endpoint bound = acceptor.local_endpoint(last);
      if (last) continue;
      *bound_port = bound.port();
      *bound_address = FormatAddress(bound);
      return Status::Ok();
    }
    asio::error_code ignored;
    acceptor.close(ignored);
    std::string message = where + ": " + Lowercased(last.message());
    if (last == asio::error::address_in_use) return Status::Busy(std::move(message));
    return Status::IOError(std::move(message));
  }

  // One event loop per I/O thread: a connection lives on one loop for its whole life, so reading,
  // calling the engine and answering never hand it to another thread (docs/server.md).
  struct Loop {
    std::unique_ptr<asio::io_context> io;
    std::unique_ptr<CompletionQueue> completions;  // write results for this loop's connections
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  };
  static std::vector<Loop> MakeLoops(size_t count) {
    std::vector<Loop> loops(count);
    for (Loop& loop : loops) {
      loop.io = std::make_unique<asio::io_context>(1);  // run by exactly one thread
      loop.completions = std::make_unique<CompletionQueue>(*loop.io);
    }
    return loops;
  }

  // The loop for the next accepted connection: round robin (accept_strand_ only).
  Loop& NextLoop() { return loops_[next_loop_++ % loops_.size()]; }

  void RunLoop(asio::io_context& io) {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("rpc server: unexpected exception on an I/O thread: {}", e.what());
      }
    }
  }

  // --- everything below runs on accept_strand_ ---

  bool ShuttingDown() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return shutting_down_;
  }

  void Accept() EXCLUDES(mu_) {
    if (ShuttingDown() || !acceptor_.is_open()) return;
    Loop& loop = NextLoop();
    acceptor_.async_accept(asio::make_strand(*loop.io),
                           [this, &loop](const asio::error_code& ec, tcp::socket socket) {
                             OnAccept(ec, std::move(socket), *loop.completions);
                           });
  }

  void OnAccept(const asio::error_code& ec, tcp::socket socket, CompletionQueue& completions)
      EXCLUDES(mu_) {
    if (ShuttingDown() || ec == asio::error::operation_aborted) return;
    if (ec) {
      // EMFILE/ENFILE/ENOBUFS: back off instead of spinning; anything else: carry on.
      LogRateLimited(last_accept_error_log_, [&] {
        spdlog::warn("rpc server: accept failed on {}: {}", address_, ec.message());
      });
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([this](const asio::error_code& e) {
        if (!e) Accept();
      });
      return;
    }
    Metrics& metrics = service_.metrics();
    std::shared_ptr<Connection> conn;
    {
      MutexLock lock(&mu_);
      if (connections_.size() + resp_connections_.size() >= options_.max_connections) {
        Refuse(std::move(socket));
      } else {
        const uint64_t id = next_id_++;
        conn = std::make_shared<Connection>(std::move(socket), service_, completions, Limits(),
                                            [this, id] { OnReleased(id); });
        connections_.emplace(id, conn);
        metrics.connections_current.fetch_add(1, std::memory_order_relaxed);
        metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (conn) conn->Start();
    Accept();
  }

  ConnectionLimits Limits() const {
    return ConnectionLimits{
        .max_request_bytes = options_.max_request_bytes,
        .max_pending_output_bytes = std::max<size_t>(1, options_.max_pending_output_bytes),
        .max_pending_requests = std::max<size_t>(1, options_.max_pending_requests),
    };
  }

  // The RESP listener's accept loop: the same as Accept()/OnAccept(), with RespConnections.
  void AcceptResp() EXCLUDES(mu_) {
    if (ShuttingDown() || !resp_acceptor_.is_open()) return;
    Loop& loop = NextLoop();
    resp_acceptor_.async_accept(asio::make_strand(*loop.io),
                                [this, &loop](const asio::error_code& ec, tcp::socket socket) {
                                  OnAcceptResp(ec, std::move(socket), *loop.completions);
                                });
  }

  void OnAcceptResp(const asio::error_code& ec, tcp::socket socket, CompletionQueue& completions)
      EXCLUDES(mu_) {
    if (ShuttingDown() || ec == asio::error::operation_aborted) return;
    if (ec) {
      LogRateLimited(last_accept_error_log_, [&] {
        spdlog::warn("rpc server: accept failed on {}: {}", resp_address_, ec.message());
      });
      resp_retry_timer_.expires_after(kAcceptRetryDelay);
      resp_retry_timer_.async_wait([this](const asio::error_code& e) {
        if (!e) AcceptResp();
      });
      return;
    }
    Metrics& metrics = service_.metrics();
    std::shared_ptr<RespConnection> conn;
    {
      MutexLock lock(&mu_);
      if (connections_.size() + resp_connections_.size() >= options_.max_connections) {
        Refuse(std::move(socket), "-ERR max number of clients reached\r\n");
      } else {
        const uint64_t id = next_id_++;
        conn = std::make_shared<RespConnection>(std::move(socket), service_, completions,
                                                Limits(), options_.resp_limits, id + 1,
                                                [this, id] { OnReleased(id, /*resp=*/true); });
        resp_connections_.emplace(id, conn);
        metrics.connections_current.fetch_add(1, std::memory_order_relaxed);
        metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (conn) conn->Start();
    AcceptResp();
  }

  void Refuse(tcp::socket socket, std::string resp_refusal = "") {
    Metrics& metrics = service_.metrics();
    metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
    metrics.CountError(ErrorCode::kTooManyConnections);
    ++refused_since_log_;
    LogRateLimited(last_refusal_log_, [&] {
      spdlog::warn("rpc server: refused {} connection(s): --max-connections={} reached",
                   refused_since_log_, options_.max_connections);
      refused_since_log_ = 0;
    });
    std::make_shared<Refusal>(
        std::move(socket),
        !resp_refusal.empty()
            ? std::move(resp_refusal)
            : EncodeError("null", ErrorCode::kTooManyConnections,
                          "too many connections: the server allows --max-connections=" +
                              std::to_string(options_.max_connections)))
        ->Start();
  }

  template <typename F>
  void LogRateLimited(std::chrono::steady_clock::time_point& last, F&& log) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::seconds(1)) return;
    last = now;
    log();
  }

  void DoShutdown() EXCLUDES(mu_) {
    std::vector<std::shared_ptr<Connection>> live;
    std::vector<std::shared_ptr<RespConnection>> live_resp;
    {
      MutexLock lock(&mu_);
      shutting_down_ = true;
      for (auto& [id, weak] : connections_) {
        if (auto conn = weak.lock()) live.push_back(std::move(conn));
      }
      for (auto& [id, weak] : resp_connections_) {
        if (auto conn = weak.lock()) live_resp.push_back(std::move(conn));
      }
    }
    // Connections first: once a client sees the port closed, every connection's shutdown is
    // already queued on its strand ahead of any later event.
    for (auto& conn : live) conn->BeginShutdown();
    for (auto& conn : live_resp) conn->BeginShutdown();
    asio::error_code ignored;
    acceptor_.close(ignored);
    resp_acceptor_.close(ignored);
    retry_timer_.cancel();
    resp_retry_timer_.cancel();
    if (options_.shutdown_grace_ms > 0) {
      grace_timer_.expires_after(std::chrono::milliseconds(options_.shutdown_grace_ms));
      grace_timer_.async_wait([this](const asio::error_code& ec) {
        if (!ec) ForceCloseAll();
      });
    }
    CheckDrained();
  }

  void ForceCloseAll() EXCLUDES(mu_) {
    std::vector<std::shared_ptr<Connection>> live;
    std::vector<std::shared_ptr<RespConnection>> live_resp;
    {
      MutexLock lock(&mu_);
      for (auto& [id, weak] : connections_) {
        if (auto conn = weak.lock()) live.push_back(std::move(conn));
      }
      for (auto& [id, weak] : resp_connections_) {
        if (auto conn = weak.lock()) live_resp.push_back(std::move(conn));
      }
    }
    if (!live.empty() || !live_resp.empty()) {
      spdlog::warn("rpc server: closing {} connection(s) that did not drain within {} ms",
                   live.size() + live_resp.size(), options_.shutdown_grace_ms);
    }
    for (auto& conn : live) conn->ForceClose();
    for (auto& conn : live_resp) conn->ForceClose();
  }

  void CheckDrained() EXCLUDES(mu_) {
    {
      MutexLock lock(&mu_);
      if (!shutting_down_ || drained_ || !connections_.empty() || !resp_connections_.empty()) {
        return;
      }
      drained_ = true;
    }
    grace_timer_.cancel();
    for (Loop& loop : loops_) loop.work.reset();  // Run() returns once the last handlers ran
  }

  // On the released connection's strand.
  void OnReleased(uint64_t id, bool resp = false) EXCLUDES(mu_) {
    bool shutting_down;
    {
      MutexLock lock(&mu_);
      if (resp) {
        resp_connections_.erase(id);
      } else {
        connections_.erase(id);
      }
      shutting_down = shutting_down_;
    }
    service_.metrics().connections_current.fetch_sub(1, std::memory_order_relaxed);
    if (shutting_down) asio::post(accept_strand_, [this] { CheckDrained(); });
  }

  const ServerOptions options_;
  std::vector<Loop> loops_;  // one per I/O thread; loops_[0] is run by the thread calling Run()
  asio::io_context& io_;     // loops_[0]: the acceptors, timers and shutdown live there
  asio::strand<asio::io_context::executor_type> accept_strand_;
  tcp::acceptor acceptor_;          // accept_strand_ (and Start(), before Run())
  tcp::acceptor resp_acceptor_;     // the same; open only with options_.resp_port
  asio::steady_timer retry_timer_;  // accept_strand_
  asio::steady_timer resp_retry_timer_{accept_strand_};
  asio::steady_timer grace_timer_;  // accept_strand_
  Service service_;  // declared after loops_: destroyed first, while the loops still exist

  uint16_t port_ = 0;
  std::string address_;
  uint16_t resp_port_ = 0;
  std::string resp_address_;
  std::atomic<bool> started_{false};
  std::atomic<bool> ran_{false};
  std::atomic<bool> shutdown_requested_{false};

  // accept_strand_ only:
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::chrono::steady_clock::time_point last_accept_error_log_{};
  uint64_t refused_since_log_ = 0;
  size_t next_loop_ = 0;

  // The connection registry, the only state shared between strands: read and written by the
  // accept strand and by every connection's strand when it is released.
  Mutex mu_;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections_ GUARDED_BY(mu_);
  std::unordered_map<uint64_t, std::weak_ptr<RespConnection>> resp_connections_ GUARDED_BY(mu_);
  uint64_t next_id_ GUARDED_BY(mu_) = 0;
  bool shutting_down_ GUARDED_BY(mu_) = false;  // written by DoShutdown only
  bool drained_ GUARDED_BY(mu_) = false;
};

size_t DefaultIoThreads() { return std::max<size_t>(1, std::thread::hardware_concurrency()); }

Server::Server(Engine& engine, ServerOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(options))) {}
Server::~Server() = default;
Status Server::Start() { return impl_->Start(); }
uint16_t Server::port() const { return impl_->port(); }
std::string Server::address() const { return impl_->address(); }
uint16_t Server::resp_port() const { return impl_->resp_port(); }
std::string Server::resp_address() const { return impl_->resp_address(); }
void Server::Run() { impl_->Run(); }
void Server::Shutdown() { impl_->Shutdown(); }

}  // namespace walkv::rpc
