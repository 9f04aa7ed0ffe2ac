// Server: the JSON-lines RPC server (docs/protocol.md) over standalone Asio.
//
// Threading (docs/server.md): ServerOptions::threads event loops, each an asio::io_context run by
// one I/O thread; a connection is dealt to one loop when accepted and stays there. Each
// connection owns a strand; everything about a connection (its buffers, response queue, socket)
// is touched only on that strand. Reads call the engine inline; writes go through
// Engine::Submit and their results come back in batches through a CompletionQueue
// (rpc/completion_queue.h); methods that block (snapshot) run on a small separate pool, never on
// an I/O thread.
//
// Lifecycle: construct, Start() (bind + listen), Run() on one thread (it also starts the other
// I/O threads and returns once the server has drained after Shutdown()). Shutdown() may be called
// from any thread, any number of times, before or during Run(). The Engine must outlive the
// Server; closing the engine after Run() returns is the caller's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/engine.h"
#include "engine/status.h"
#include "rpc/auth.h"
#include "rpc/methods.h"
#include "rpc/resp_parser.h"
#include "rpc/sync_replica_waiter.h"

namespace walkv::rpc {

// The number of I/O threads when ServerOptions::threads is 0: the number of CPUs, at least 1.
size_t DefaultIoThreads();

// The default member initialisers are the server's defaults and the only place they are written:
// `walkv serve` initialises its flags from a default-constructed ServerOptions and prints those
// values in its --help.
struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7379;                  // 0 = an ephemeral port; see Server::port()
  size_t threads = 0;                    // I/O threads; 0 = DefaultIoThreads()
  size_t max_connections = 10000;        // more are answered TOO_MANY_CONNECTIONS and closed
  size_t max_request_bytes = 16u << 20;  // longest accepted request line, without its '\n'
  // `keys` answers INVALID_ARGUMENT rather than list more keys than this; 0 = no bound.
  size_t max_keys_reply = ServerFacts{}.max_keys_reply;

  // Backpressure: a connection stops reading while its unsent output exceeds
  // max_pending_output_bytes or it has more than max_pending_requests requests unanswered or
  // unflushed; it resumes once both are below half of their bound.
  size_t max_pending_output_bytes = 4u << 20;
  size_t max_pending_requests = 1024;

  // After Shutdown(), connections whose responses still cannot be flushed (a peer that never
  // reads) are closed forcibly once this much time has passed.
  uint32_t shutdown_grace_ms = 10000;

  // RESP (docs/protocol.md, "RESP"): a second listener on the same host, off unless set; 0 = an
  // ephemeral port (see Server::resp_port()). Its connections share the method table, the
  // engine, the CompletionQueue, the I/O threads, the backpressure bounds above and
  // max_connections (counted over both protocols) with the JSON ones.
  std::optional<uint16_t> resp_port;
  RespLimits resp_limits;

  // --auth-token-file: with a token, connections of both protocols must authenticate before
  // anything but ping (rpc/auth.h).
  AuthToken auth;

  // --replica-of HOST:PORT (docs/replication.md §3): Start() starts following that primary
  // (rpc/replica_follower.h; the engine must be opened with EngineOptions::replica) and every
  // write is answered READONLY; Run() stops the follower before it returns.
  std::string replica_of_host;
  uint16_t replica_of_port = 0;  // 0: this server is a primary

  // --sync-replicas N, --sync-timeout-ms, --sync-timeout-action (docs/replication.md §6):
  // replicas > 0 makes every write wait for N replicas' ACKs (rpc/sync_replica_waiter.h).
  SyncReplicaOptions sync_replicas;
};

class Server {
 public:
  Server(Engine& engine, ServerOptions options);
  // Requests Shutdown() but does not wait: if Run() executes on another thread, let it return
  // (join that thread) before destroying the Server.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Resolves host, binds (SO_REUSEADDR) and listens, on port and (if set) resp_port. On failure
  // returns a one-line Status such as "127.0.0.1:7379: address already in use", and nothing is
  // left listening. After OK, port() (and resp_port()) are the bound ports.
  Status Start();

  uint16_t port() const;
  std::string address() const;  // "127.0.0.1:43211" (IPv6: "[::1]:43211")
  // The RESP listener's, after OK from Start() with resp_port set; else 0 and "".
  uint16_t resp_port() const;
  std::string resp_address() const;

  // Serves on the I/O thread pool (the calling thread is one of them) until Shutdown() has
  // drained every connection; then returns. Call at most once, after a successful Start().
  void Run();

  // Stops accepting, answers every request already dispatched (lines read afterwards get
  // SHUTTING_DOWN), waits for pending engine callbacks, flushes output, closes connections and
  // lets Run() return. Thread-safe, idempotent, non-blocking; not async-signal-safe.
  void Shutdown();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace walkv::rpc
