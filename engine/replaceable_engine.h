// ReplaceableEngine: an Engine that forwards every call to a current engine which Reopen() can
// replace by a freshly opened one on the same data directory. It is what lets a replica install
// a snapshot received from its primary (docs/replication.md §4, engine/snapshot_install.h): the
// follower commits the install (the INSTALL file) while the current engine still serves reads,
// then Reopen() closes that engine, opens a new one (whose recovery finishes the install before
// anything else) and makes it current. `walkv serve --replica-of` wraps its engine in one; a
// primary does not (its calls pay nothing for it).
//
// What callers see across a Reopen():
//  - Reads keep being answered: by the closed old engine (its last state; closing keeps the
//    in-memory map) until the new one is current, then by the new one. A call that started on
//    the old engine finishes on it (it holds a reference: the old engine is destroyed by
//    whichever thread drops the last one).
//  - Writes to the closed engine fail with kShuttingDown (on a replica, clients' writes are
//    refused before they reach the engine anyway).
//  - Commit listeners move to the new engine: Reopen registers every listener still registered
//    on it before the new engine is current (and before anything commits there). A replication
//    feed of a downstream replica then sees the new engine's commits (from the install's seq + 1)
//    and, where they do not continue what it handed out, ends its stream ("too far behind") or
//    shows the downstream replica a digest that differs: either way that replica resubscribes
//    and is repaired the same way (docs/replication.md §4).
//  - options() is the options the first engine was opened with (every engine here is opened
//    with them); recovery_summary() is the first engine's (what `serve` logged at startup).
//
// Thread safety: every Engine method from any thread, as for any Engine. Reopen() from one
// thread at a time (the replica's follower). The current engine is a shared_ptr copied under a
// reader lock (current_mu_, held only for the copy, never during a forwarded call). Lock order:
// listeners_mu_ -> current_mu_.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>

#include "engine/engine.h"
#include "engine/mutex.h"
#include "engine/thread_annotations.h"

namespace walkv {

class ReplaceableEngine final : public Engine {
 public:
  // `first` is open and was opened with first->options().
  explicit ReplaceableEngine(std::unique_ptr<Engine> first);
  ~ReplaceableEngine() override;

  // Closes the current engine (a Close failure is logged through options().log, not returned:
  // the directory on disk is what counts), opens a new engine on the same directory with the
  // same options and makes it current. If the open fails, the closed engine stays current (reads
  // keep its state, writes fail) and the open's error is returned; calling Reopen again retries.
  // When it returns OK, the new engine's recovery is done (a pending install finished).
  Status Reopen();
  // Successful Reopen() calls so far.
  uint64_t reopens() const;

  std::optional<std::string> Get(std::string_view key) override;
  std::vector<std::string> Keys(std::string_view pattern) override;
  std::optional<uint64_t> ValueLength(std::string_view key) override;
  uint64_t Size() override;
  std::optional<std::vector<std::string>> KeysUpTo(std::string_view pattern,
                                                   size_t max_keys) override;
  uint64_t Scan(uint64_t cursor, size_t count, std::string_view pattern,
                std::vector<std::string>* keys) override;
  const EngineOptions& options() const override { return options_; }
  int64_t Pttl(std::string_view key) override;
  void Submit(Mutation m, Callback done) override;
  StatusOr<uint64_t> SweepExpired() override;
  StatusOr<SnapshotInfo> Snapshot() override;
  StatusOr<SnapshotInfo> SnapshotKeeping(size_t keep_snapshots) override;
  EngineStats Stats() override;
  const RecoverySummary& recovery_summary() const override { return first_recovery_; }
  uint64_t AddCommitListener(CommittedRecordsListener listener) override;
  void RemoveCommitListener(uint64_t id) override;
  Status ReadCommittedRecords(uint64_t from_seq, size_t max_bytes, std::string* out) override;
  Status ReadCommittedRecordsAt(replication::LogCursor* cursor, size_t max_bytes,
                                std::string* out) override;
  uint64_t LastShippableSeq() override;
  Status AppendReplicatedRecords(std::string_view records) override;
  bool IsReplica() override;
  ReplicationState replication_state() override;
  Status ObservePrimary(const std::string& primary, uint64_t epoch) override;
  StatusOr<PromoteResult> Promote() override;
  // Closes the current engine; Reopen() after Close() opens one again.
  Status Close() override;

 private:
  const EngineOptions options_;
  const RecoverySummary first_recovery_;

  // A copy of the current engine, taken under current_mu_'s shared lock (held only for the copy).
  std::shared_ptr<Engine> Current() const {
    ReaderLock lock(&current_mu_);
    return current_;
  }

  // Not std::atomic<std::shared_ptr>: libstdc++ 12 guards it with a lock bit ThreadSanitizer does
  // not see, so every Reopen beside a concurrent call was reported as a data race.
  mutable SharedMutex current_mu_;
  std::shared_ptr<Engine> current_ GUARDED_BY(current_mu_);
  std::atomic<uint64_t> reopens_{0};
  struct Listener {
    CommittedRecordsListener listener;
    std::weak_ptr<Engine> engine;  // the engine it is registered on
    uint64_t engine_id = 0;        // that engine's id for it
  };
  // Listener ids handed out -> the listener. Lock order: listeners_mu_ -> an engine's locks.
  Mutex listeners_mu_;
  std::map<uint64_t, Listener> listeners_ GUARDED_BY(listeners_mu_);
  uint64_t next_listener_id_ GUARDED_BY(listeners_mu_) = 1;
};

}  // namespace walkv
