// Service: executes bound Calls against the engine and encodes their response lines.
//
// Three ways to run a call, by MethodKind (rpc/methods.h):
//   - ExecuteRead(): kRead, inline on the calling I/O thread; appends the response to `out`.
//   - SubmitWrite(): kWrite, hands the mutation to Engine::Submit and returns at once; the engine's
//     callback (on its commit thread) only stores the result in the PendingWrite and pushes it
//     onto the CompletionQueue; the connection later encodes the response on its strand with
//     AppendWriteResponse(). Nothing is encoded and no counter touched on the commit thread.
//   - ExecuteBlocking(): kBlocking, on the Service's own small thread pool; `done` is called there
//     with the response line.
// All may be called from any thread. Every response produced here or through Reject() is counted
// in Metrics (ops by method when the call starts, errors by code, requests_total per response).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/engine.h"
#include "engine/mutex.h"
#include "rpc/auth.h"
#include "rpc/bind.h"
#include "rpc/completion_queue.h"
#include "rpc/methods.h"
#include "rpc/metrics.h"
#include "rpc/replica_follower.h"
#include "rpc/replication_streams.h"
#include "rpc/sync_replica_waiter.h"

namespace asio {
class thread_pool;
}

namespace walkv::rpc {

class Service {
 public:
  // Receives a complete response line ('\n' included).
  using Done = std::function<void(std::string line)>;

  static constexpr size_t kBlockingThreads = 2;

  // `auth`: the --auth-token-file token, checked by the connections (rpc/auth.h).
  explicit Service(Engine& engine, AuthToken auth = {});
  ~Service();  // waits for running blocking calls
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // kRead: runs `call` now and appends its response line to `out`.
  void ExecuteRead(Call& call, std::string& out);

  // kWrite: submits `call`'s mutation. `w` (target, seq, method and id already set) comes back
  // through `queue` once the engine has called back, with status and result filled in.
  void SubmitWrite(Call& call, std::unique_ptr<PendingWrite> w, CompletionQueue& queue);

  // Appends the response line of a completed write.
  void AppendWriteResponse(const PendingWrite& w, std::string& out);

  // kBlocking: runs `call` on the blocking pool, then `done` there.
  void ExecuteBlocking(Call call, Done done);

  // Counts and appends/encodes an error response that did not come from executing a call.
  void AppendReject(std::string& out, std::string_view id_json, ErrorCode code,
                    std::string_view message);
  std::string Reject(std::string_view id_json, ErrorCode code, std::string_view message);

  Metrics& metrics() { return metrics_; }
  const AuthToken& auth() const { return auth_; }

  // The same three ways for a front end that does not answer in JSON lines (RESP,
  // rpc/resp_connection.h): the method's outcome is returned (or passed to `done`) instead of
  // encoded; ops and outcomes are counted exactly as above.
  MethodResult RunRead(Call& call);
  MethodResult WriteOutcome(const PendingWrite& w);
  void ExecuteBlockingOutcome(Call call, std::function<void(MethodResult)> done);
  // Counts an error answered without executing a call (RESP protocol, arity, NOAUTH errors), or
  // a reply computed without the method table (RESP's ECHO, HELLO, ...).
  void CountRejected(ErrorCode code);
  void CountAnswered();

  // The primary's replication streams (`replicate`, rpc/replication_streams.h).
  ReplicationStreams& replication_streams() { return *replication_streams_; }

  // Semi-sync (`--sync-replicas N`, docs/replication.md §6): from now on a write whose record
  // got a seq is answered only once N replicas ACKed it, or with REPLICA_TIMEOUT (or OK with
  // SyncTimeoutAction::kDowngrade) after options.timeout (rpc/sync_replica_waiter.h). Call at
  // most once, before any request is executed (Server::Start does); replicas == 0 does nothing.
  void EnableSyncReplicas(SyncReplicaOptions options);
  // The waiter, or nullptr when semi-sync is off. The replication streams report ACKs to it.
  SyncReplicaWaiter* sync_waiter() { return sync_waiter_.get(); }

  // Call before any request is executed (Server::Start does, once the port is bound).
  void SetServerFacts(ServerFacts facts) { facts_ = std::move(facts); }

  // A replica (`walkv serve --replica-of`, docs/replication.md §3): starts a ReplicaFollower of
  // host:port over the engine (opened with EngineOptions::replica). Call at most once, before
  // any request is executed (Server::Start does); from then on ReadOnlyReason() is set.
  void FollowPrimary(const std::string& host, uint16_t port);
  // Stops the follower (if any) and joins its thread; before the engine is closed. Idempotent.
  void StopFollowing();
  // The follower, or nullptr on a primary.
  const ReplicaFollower* replica_follower() const { return follower_.get(); }
  // On a replica, the message a write is refused with (error code READONLY): "this server is a
  // replica of HOST:PORT; write there". nullopt on a primary.
  std::optional<std::string> ReadOnlyReason() const;
  // `promote` (docs/replication.md §7): on a replica, stops the follower (it applies nothing
  // after this returns), then Engine::Promote (the new epoch is durable before the engine takes
  // a write) and answers {role, epoch, last_seq, promoted_from}; from then on ReadOnlyReason()
  // is nullopt. On a primary (or a second time): ALREADY_PRIMARY naming its epoch. Serialised by
  // promote_mu_; may block (the follower's current append): call on the blocking pool.
  MethodResult Promote();

 private:
  // Runs a kRead/kBlocking method, turning exceptions into INTERNAL_ERROR, and appends the line.
  void RunAndAppend(Call& call, std::string& out);
  MethodResult Run(Call& call);       // counts the op; exceptions become INTERNAL_ERROR
  void CountOutcome(const MethodResult& result);
  // b64_results: Call::b64_results (rpc/binary_json.h).
  void AppendOutcome(std::string& out, std::string_view id, const MethodResult& result,
                     bool b64_results = false);

  Engine& engine_;
  const AuthToken auth_;
  Metrics metrics_;
  ServerFacts facts_;
  MethodContext context_;
  std::unique_ptr<asio::thread_pool> blocking_pool_;
  std::unique_ptr<ReplicaFollower> follower_;  // set once, before requests (FollowPrimary)
  // Set once, before requests (EnableSyncReplicas); outlives the streams, which report to it.
  std::unique_ptr<SyncReplicaWaiter> sync_waiter_;
  Mutex promote_mu_;                            // serialises Promote()
  // Last: destroyed first, so every stream has stopped before anything it uses goes away.
  std::unique_ptr<ReplicationStreams> replication_streams_;
};

}  // namespace walkv::rpc
