// CuttingProxy: a TCP proxy on the loopback interface that a test puts between a client and a
// server to cut the network where it wants: after an exact number of bytes toward the client
// (so a replication stream ends in the middle of a frame or a record), or at once. It also gives
// a server that restarted on a new port a stable address (SetTarget).
//
// Every accepted connection is forwarded to the current target by a thread of its own with
// blocking sockets and poll(2); bytes are forwarded as read, in 64 KiB pieces. A cut closes both
// sides of the connection that carries the byte where the budget runs out, right after sending
// exactly the bytes within budget: the client sees those bytes and then EOF, and the server's next
// send fails.
//
// Thread safety: every method may be called from any thread; mu_ guards the target, the budget,
// the connection list and the transcripts. The destructor closes every connection and joins every
// thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace walkv::e2e {

class CuttingProxy {
 public:
  // Listens on 127.0.0.1, port 0; new connections go to target_host:target_port (numeric IPv4).
  // nullptr (with a gtest failure) if the listening socket cannot be made.
  static std::unique_ptr<CuttingProxy> Start(const std::string& target_host, uint16_t target_port);
  ~CuttingProxy();
  CuttingProxy(const CuttingProxy&) = delete;
  CuttingProxy& operator=(const CuttingProxy&) = delete;

  uint16_t port() const { return port_; }
  const std::string& host() const { return host_; }

  // Connections accepted from now on are forwarded there (open ones keep their server).
  void SetTarget(const std::string& host, uint16_t port);
  // Arms a cut: once `bytes` more bytes (counted over every connection, from this call) have
  // gone from a server to its client, that connection is closed on both sides; the client has
  // received exactly those bytes. Disarmed by the cut (each cut is armed anew) or by
  // Disarm().
  void CutDownstreamAfter(uint64_t bytes);
  void Disarm();
  // Closes every open connection now, both sides.
  void CutAll();

  // Cuts made by an armed budget so far.
  uint64_t budget_cuts() const;
  // Every byte sent toward the client on the connection of the most recent budget cut, from the
  // connection's first byte to the cut (what the client received).
  std::string last_cut_transcript() const;
  uint64_t connections_accepted() const { return accepted_.load(); }

 private:
  struct Pair {
    int client_fd = -1;
    int server_fd = -1;
    std::string downstream;  // bytes sent to the client so far (for last_cut_transcript)
    std::thread thread;
    bool done = false;
  };

  CuttingProxy(int listen_fd, uint16_t port, std::string target_host, uint16_t target_port);
  void AcceptLoop();
  void Pump(Pair* pair);
  // How many of `bytes` toward the client may be sent; sets *cut when the budget runs out.
  size_t Allow(Pair* pair, std::string_view bytes, bool* cut);
  void EndAfterCut(Pair* pair);
  void Close(Pair* pair);

  const int listen_fd_;
  const uint16_t port_;
  const std::string host_ = "127.0.0.1";
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> accepted_{0};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  std::string target_host_;              // guarded by mu_
  uint16_t target_port_ = 0;             // guarded by mu_
  std::optional<uint64_t> budget_;       // guarded by mu_: bytes left before the armed cut
  uint64_t budget_cuts_ = 0;             // guarded by mu_
  std::string last_cut_transcript_;      // guarded by mu_
  std::list<std::unique_ptr<Pair>> pairs_;  // guarded by mu_ (fds, downstream, done)
};

}  // namespace walkv::e2e
