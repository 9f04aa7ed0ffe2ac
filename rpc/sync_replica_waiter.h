// SyncReplicaWaiter: semi-sync (`walkv serve --sync-replicas N`, docs/replication.md §6). Parks
// the answer of each write until N replicas have ACKed a seq >= the write's seq, or until its
// timeout, without the commit thread ever waiting.
//
// Flow: the engine calls a write's callback on the commit thread once the record is durable on
// the primary (per --fsync) and applied; Service::SubmitWrite's callback then calls Park(seq,
// release) and returns at once. The replication streams (rpc/replication_streams.h) report each
// replica's ACKs through AddReplica / ReplicaAcked / RemoveReplica; an ACK that makes N replicas
// hold seq S releases every parked write with seq <= S, in ascending seq, on the thread of that
// ACK. One timer thread (no sleep per request) releases parked writes whose timeout passed.
//
// What a release means (`SyncOutcome`):
//   kConfirmed   the record is durable on the primary AND N connected replicas ACKed a seq >= it
//                (a replica ACKs only what it has synced: rpc/replica_follower.h).
//   kTimedOut    durable on the primary, not confirmed by N replicas within the timeout; the
//                write is NOT rolled back (the client gets REPLICA_TIMEOUT).
//   kDowngraded  the same, with SyncTimeoutAction::kDowngrade: the client gets OK; a warning is
//                logged (at most one line per second, with the count since the last line).
//   kShutDown    Shutdown() ran before confirmation; never an OK.
// The confirmed seq is a high-water mark: once N replicas have ACKed S, a write with seq <= S that
// is parked later (its callback ran after the ACKs came) is released at once with kConfirmed.
// With fewer than N replicas connected nothing is confirmed: writes wait for their timeout (there
// is no silent downgrade). The timeout runs from Park(), i.e. from local durability.
//
// Thread safety: every method may be called from any thread. mu_ guards all state; `release`
// callbacks run outside mu_, exactly once each, and must not block (Service's only pushes the
// write onto the CompletionQueue). The destructor calls Shutdown() and joins the timer thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "engine/mutex.h"
#include "engine/thread_annotations.h"

namespace walkv::rpc {

enum class SyncTimeoutAction { kError, kDowngrade };

struct SyncReplicaOptions {
  size_t replicas = 0;  // N; 0 = semi-sync off (Service then creates no waiter)
  std::chrono::milliseconds timeout{1000};
  SyncTimeoutAction on_timeout = SyncTimeoutAction::kError;
};

enum class SyncOutcome { kConfirmed, kTimedOut, kDowngraded, kShutDown };

class SyncReplicaWaiter {
 public:
  using Release = std::function<void(SyncOutcome)>;

  explicit SyncReplicaWaiter(SyncReplicaOptions options);  // starts the timer thread
  ~SyncReplicaWaiter();
  SyncReplicaWaiter(const SyncReplicaWaiter&) = delete;
  SyncReplicaWaiter& operator=(const SyncReplicaWaiter&) = delete;

  const SyncReplicaOptions& options() const { return options_; }

  // Parks a write whose record `seq` is durable on the primary. `release` runs exactly once:
  // here, on the calling thread, if seq is already confirmed (kConfirmed) or after Shutdown()
  // (kShutDown); otherwise later from ReplicaAcked's thread or the timer thread.
  void Park(uint64_t seq, Release release);

  // A replica connected (a replication stream past its handshake): returns its id. Until its
  // first ACK it holds nothing that counts.
  uint64_t AddReplica();
  // Replica `id` has durably `acked_seq` (its ACK frame). Releases what became confirmed.
  void ReplicaAcked(uint64_t id, uint64_t acked_seq);
  // Replica `id` went away: its ACKs stop counting for seqs not confirmed yet.
  void RemoveReplica(uint64_t id);

  // Answers every parked write kShutDown, and every later Park() likewise. Idempotent.
  void Shutdown();

  struct Stats {
    size_t sync_replicas = 0;     // N
    uint64_t confirmed_seq = 0;   // the high-water mark: N replicas have ACKed it
    size_t replicas = 0;          // replicas counted now (connected streams)
    size_t waiting = 0;           // writes parked now
    uint64_t confirmed = 0;       // writes released kConfirmed after waiting or at once
    uint64_t timeouts = 0;        // writes released kTimedOut or kDowngraded
    uint64_t downgraded = 0;      // ... of which kDowngraded
  };
  Stats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Key {
    uint64_t seq;
    uint64_t id;  // Park order, so equal seqs stay distinct
    bool operator<(const Key& o) const { return seq != o.seq ? seq < o.seq : id < o.id; }
  };
  struct Deadline {
    Clock::time_point at;
    Key key;
  };

  void TimerLoop();
  // Moves every parked write with seq <= confirmed_seq_ into *out, ascending.
  void TakeConfirmed(std::deque<Release>* out) REQUIRES(mu_);
  void Recompute() REQUIRES(mu_);  // confirmed_seq_ from the replicas' ACKs
  void LogDowngrades(uint64_t count) REQUIRES(mu_);

  const SyncReplicaOptions options_;
  mutable Mutex mu_;
  CondVar timer_cv_{&mu_};
  bool shut_down_ GUARDED_BY(mu_) = false;
  uint64_t confirmed_seq_ GUARDED_BY(mu_) = 0;
  uint64_t next_park_id_ GUARDED_BY(mu_) = 0;
  uint64_t next_replica_id_ GUARDED_BY(mu_) = 1;
  std::map<uint64_t, uint64_t> acked_ GUARDED_BY(mu_);  // replica id -> its newest ACKed seq
  std::map<Key, Release> parked_ GUARDED_BY(mu_);
  // Park order == deadline order (one timeout for all); entries already released are skipped.
  std::deque<Deadline> deadlines_ GUARDED_BY(mu_);
  uint64_t confirmed_total_ GUARDED_BY(mu_) = 0;
  uint64_t timeouts_ GUARDED_BY(mu_) = 0;
  uint64_t downgraded_ GUARDED_BY(mu_) = 0;
  Clock::time_point last_warning_ GUARDED_BY(mu_){};
  uint64_t unlogged_downgrades_ GUARDED_BY(mu_) = 0;
  std::thread timer_;  // last: started once everything above exists
};

}  // namespace walkv::rpc
