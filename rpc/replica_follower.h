// ReplicaFollower: the replica's side of replication (docs/replication.md §3): one thread that
// keeps this server's engine (opened with EngineOptions::replica) a copy of its primary's log.
//
// Loop: connect to the primary's JSON port (rpc::ReplicationClient), subscribe from the engine's
// last_seq + 1 with its digest, then for each frame:
//   RECORDS   -> Engine::AppendReplicatedRecords (checked, written verbatim, synced, applied),
//                then an ACK frame with the new last seq;
//   HEARTBEAT -> remembered for `info` (primary_last_seq, lag); when its digest_seq equals the
//                replica's last seq, the digests are compared: a mismatch is divergence.
// Any error (connection refused or lost, no frame for kLinkTimeout, a refused handshake, records
// the engine refuses) closes the connection; the next attempt waits 100 ms, doubling to 5 s,
// jittered, and always subscribes again from the engine's own last durable seq: the follower
// keeps no state about the connection that is not on disk. Divergence (a heartbeat's digest or a
// DIVERGED answer) is logged as an error and is sticky: the follower applies nothing more until
// the process restarts (the SNAPSHOT fallback of §4 is not built), and keeps retrying the
// handshake only to report the link state.
// Epochs (§7): it subscribes with the engine's replication epoch; a STALE_EPOCH answer, or a
// primary announcing a lower epoch than the engine's (in its answer or any heartbeat), ends the
// connection with link stale_primary (retried with the backoff); a higher one is recorded with
// Engine::ObservePrimary (durable) before anything more is applied. Stop() is also how promote
// ends following (Service::Promote).
//
// Thread safety: Start/Stop from one owner thread; status() from any thread (mu_ guards the
// status and the current client, which Stop() aborts). The engine must outlive Stop().
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "engine/mutex.h"
#include "engine/thread_annotations.h"
#include "rpc/replication_client.h"

namespace walkv::rpc {

// kStalePrimary (§7): the primary is at a lower replication epoch than this replica has seen
// (it answered STALE_EPOCH, or its answer or a heartbeat named a lower epoch): it was replaced
// by a promoted server, and this replica applies nothing from it; it keeps retrying.
enum class ReplicaLink { kConnecting, kUp, kDiverged, kStalePrimary };
// "connecting", "up", "diverged", "stale_primary"
std::string_view ReplicaLinkName(ReplicaLink link);

// What `info replication` shows on a replica.
struct ReplicaStatus {
  std::string primary;  // "host:port"
  ReplicaLink link = ReplicaLink::kConnecting;
  uint64_t primary_last_seq = 0;  // from the newest heartbeat (or the handshake); 0: not known
  uint64_t heartbeat_unix_ms = 0;  // the newest heartbeat's clock (the primary's); 0: none yet
  // The newest heartbeat whose primary_last_seq the replica had applied when it came: the replica
  // then held everything the primary had at that time (for lag_ms). 0: never caught up.
  uint64_t caught_up_unix_ms = 0;
  uint64_t connects = 0;  // handshakes answered CONTINUE
  uint64_t primary_epoch = 0;  // the primary's replication epoch, from its answer and heartbeats
  std::string last_error;  // why the last connection ended (empty: none ended yet)
};

class ReplicaFollower {
 public:
  // The timing of the reconnect backoff and of the link's liveness check.
  static constexpr uint64_t kFirstBackoffMillis = 100;
  static constexpr uint64_t kMaxBackoffMillis = 5000;
  static constexpr uint64_t kLinkTimeoutMillis = 5000;  // the primary heartbeats every 500 ms

  ReplicaFollower(Engine& engine, std::string host, uint16_t port);
  ~ReplicaFollower();  // Stop()
  ReplicaFollower(const ReplicaFollower&) = delete;
  ReplicaFollower& operator=(const ReplicaFollower&) = delete;

  void Start();
  // Aborts the connection (a blocked read or connect returns), joins the thread. An append in
  // progress finishes first (it is one commit). Idempotent.
  void Stop();

  ReplicaStatus status() const;
  const std::string& primary() const { return primary_; }

 private:
  void Loop();
  // One connection, from connect to its end; returns why it ended.
  Status FollowOnce();
  // The frames after a CONTINUE answer, until an error.
  Status Follow(ReplicationClient& client, HistoryDigest applied);
  void SetLink(ReplicaLink link);
  // §7, from the handshake answer and each heartbeat: refuses (kInvalidArgument, link
  // stale_primary) a primary whose epoch is lower than the engine's, else records it
  // (Engine::ObservePrimary persists a higher one before anything more is applied).
  Status CheckPrimaryEpoch(uint64_t primary_epoch);
  // §7: a STALE_EPOCH answer: the primary was superseded; logged once per run of them.
  void NoteStalePrimary(const std::string& message);
  bool Stopping();
  // Sleeps up to `millis` unless Stop() is called meanwhile.
  void SleepUnlessStopped(uint64_t millis);

  Engine& engine_;
  const std::string host_;
  const uint16_t port_;
  const std::string primary_;
  std::thread thread_;
  std::mt19937_64 jitter_{std::random_device{}()};  // the follower thread only
  bool diverged_ = false;                            // the follower thread only
  bool stale_primary_ = false;  // the follower thread only: the last connection ended so (§7)

  mutable Mutex mu_;
  CondVar cv_{&mu_};
  bool stop_ GUARDED_BY(mu_) = false;
  ReplicationClient* client_ GUARDED_BY(mu_) = nullptr;  // the current connection, for Stop()
  ReplicaStatus status_ GUARDED_BY(mu_);
};

}  // namespace walkv::rpc
