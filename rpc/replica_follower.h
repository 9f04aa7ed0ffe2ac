// ReplicaFollower: the replica's side of replication (docs/replication.md §3): one thread that
// keeps this server's engine (opened with EngineOptions::replica) a copy of its primary's log.
//
// Loop: connect to the primary's JSON port (rpc::ReplicationClient), subscribe from the engine's
// last_seq + 1 with its digest, then for each frame:
//   RECORDS   -> Engine::AppendReplicatedRecords (checked, written verbatim, synced, applied),
//                then an ACK frame with the newest *synced* seq (Engine::LastShippableSeq: the
//                last applied one with --fsync always), so the primary's --sync-replicas counts
//                only records durable here;
//   HEARTBEAT -> an ACK if the synced seq moved since the last one (--fsync interval);
//                remembered for `info` (primary_last_seq, lag); when its digest_seq equals the
//                replica's last seq, the digests are compared: a mismatch is divergence.
// Any error (connection refused or lost, no frame for kLinkTimeout, a refused handshake, records
// the engine refuses) closes the connection; the next attempt waits 100 ms, doubling to 5 s,
// jittered, and always subscribes again from the engine's own last durable seq: the follower
// keeps no state about the connection that is not on disk.
//
// The SNAPSHOT fallback (docs/replication.md §4), when the engine is a ReplaceableEngine (as
// `walkv serve --replica-of` makes it): the follower subscribes with accept_snapshot. A SNAPSHOT
// answer's frames are received into the data directory (snapshot_install.h), the install is
// committed (INSTALL) and the engine reopened (its recovery finishes the install); then RECORDS
// from S+1 follow on the same connection. A CONTINUE from seq 1 to a replica that holds records
// (the primary has no snapshot, and this replica's history is not the primary's) installs the
// empty state the same way first. Divergence found by a heartbeat (`link: diverged` until it is
// repaired) makes the next subscription start from scratch (seq 1, digest D(0)), which the
// primary answers with its snapshot or with CONTINUE from 1: either way the replica's own
// history is moved aside (*.dropped) and replaced. Without a ReplaceableEngine, divergence is
// sticky as before: nothing more is applied until the process restarts.
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
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "engine/mutex.h"
#include "engine/replaceable_engine.h"
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
  uint64_t connects = 0;  // handshakes answered CONTINUE or SNAPSHOT
  uint64_t primary_epoch = 0;  // the primary's replication epoch, from its answer and heartbeats
  std::string last_error;  // why the last connection ended (empty: none ended yet)
  uint64_t snapshots_installed = 0;  // installs done (SNAPSHOT, or the empty state)
  uint64_t last_install_seq = 0;     // the seq the newest of them installed
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
  // ACKs min(applied_seq, the engine's synced seq) if it is newer than *last_ack.
  Status AckSynced(ReplicationClient& client, uint64_t applied_seq, uint64_t* last_ack);
  void SetLink(ReplicaLink link);

  // --- the SNAPSHOT fallback (docs/replication.md §4); only with replaceable_ ---
  // After a SNAPSHOT answer: receives the snapshot's frames into the data directory, commits
  // the install and reopens the engine. OK once the engine holds the snapshot's state, its
  // digest the one the answer announced.
  Status InstallSnapshotFromStream(ReplicationClient& client, const nlohmann::json& answer);
  // Writes SNAPSHOT_BEGIN/SNAPSHOT_DATA frames into the received-snapshot file, synced.
  Status ReceiveSnapshot(ReplicationClient& client, uint64_t seq, uint64_t bytes);
  // CONTINUE from seq 1 while this replica holds records: drop them (install the empty state).
  Status InstallEmptyState();
  // Commits the install of `seq` (its file already received) and reopens the engine.
  Status CommitAndReopen(uint64_t seq, std::optional<HistoryDigest> expected);
  Env* DataEnv() const;
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
  // The engine to reopen around an install; nullptr: installing is not possible here.
  ReplaceableEngine* const replaceable_;
  bool resync_ = false;        // the follower thread only: subscribe from seq 1 next time
  bool reopen_needed_ = false;  // the follower thread only: a reopen after an install failed
  bool stale_primary_ = false;  // the follower thread only: the last connection ended so (§7)

  mutable Mutex mu_;
  CondVar cv_{&mu_};
  bool stop_ GUARDED_BY(mu_) = false;
  ReplicationClient* client_ GUARDED_BY(mu_) = nullptr;  // the current connection, for Stop()
  ReplicaStatus status_ GUARDED_BY(mu_);
};

}  // namespace walkv::rpc
