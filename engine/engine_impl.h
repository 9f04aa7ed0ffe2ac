// EngineImpl: the engine behind engine.h — group commit over the log (by a lone writer itself, or
// by the commit thread), a snapshot thread, and the sharded in-memory Store.
//
// The commit token. Exactly one thread at a time commits: it holds the token (committing_, under
// queue_mu_) and is then the ONLY user of log_, the only applier of mutations to store_, the only
// writer of last_seq_ and of the token-owned state below. Taking and returning the token under
// queue_mu_ orders one holder's writes before the next holder's reads. Two kinds of holder:
//  - A lone writer (Submit, on the caller's thread; LevelDB/RocksDB writer-queue style): in
//    FsyncMode::kAlways, when the token is free, nothing is queued, no cut or stop is pending, the
//    commit thread is not waiting for the token, the previous batch held one mutation and recent
//    fdatasyncs took at least kMinSyncMicrosToCommitAlone (engine_impl.cc), Submit takes the token
//    and commits
//    its own mutation as a batch of one — encode, Append, fdatasync (FsyncMode::kAlways), apply,
//    then its callback — with no hand-off to another thread. Mutations submitted meanwhile queue
//    up; on returning the token it wakes the commit thread if anything is waiting for it.
//  - The commit thread (CommitLoop), for everything queued: it drains queue_ into batches,
//    assigns sequence numbers, encodes the whole batch (computing counter results as it goes),
//    writes it with one Append and (FsyncMode::kAlways) one fdatasync, and only then applies the
//    batch to store_ in sequence order and runs the callbacks. It also performs the
//    "snapshot cut" between two batches (roll the log, start pre-image tracking in the store) when
//    the snapshot thread asks, so the cut is exactly at a sequence number, and the interval sync.
// Either way a callback runs with OK only after its record's fdatasync (kAlways) returned OK.
//  - Snapshot thread (SnapshotLoop): waits for a trigger (timer, log bytes, Snapshot() call), asks
//    for a cut, copies the store as of the cut shard by shard (at normal CPU priority, since it
//    holds each shard's lock while copying it) and hands the copies to a SnapshotCompressor,
//    whose thread deflates them into a SnapshotWriter at lowered priority
//    (Env::LowerCurrentThreadPriority); then publishes the snapshot and removes files it made
//    obsolete (RemoveObsoleteFiles, keeping kSnapshotsKept snapshots).
//  - Any thread: Submit (enqueue, or commit alone), Get/Keys (store_ shared locks), Stats,
//    Snapshot (waits), SnapshotKeeping (waits, then RemoveObsoleteFiles on the caller's thread).
//
// Lock order (never acquire a lock listed earlier while holding a later one):
//   close_mu_ -> cleanup_mu_ -> snap_mu_ -> queue_mu_ -> files_mu_ ; store shard locks,
//   digest_mu_, replication_mu_, listeners_mu_ and the fsync latency window's lock are leaves. The commit token is not a lock: it is never waited for while a lock
//   is held, and its holder takes locks only in this order.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/batch_overlay.h"
#include "engine/engine.h"
#include "engine/env.h"
#include "engine/expiry_sweeper.h"
#include "engine/latency_window.h"
#include "engine/log_writer.h"
#include "engine/mutex.h"
#include "engine/recovery.h"
#include "engine/segment_preparer.h"
#include "engine/store.h"
#include "engine/thread_annotations.h"

namespace walkv {

class EngineImpl final : public Engine {
 public:
  EngineImpl(const EngineOptions& options, Env* env);
  ~EngineImpl() override;

  // Locks and recovers the data directory, opens a fresh log segment, starts the threads.
  Status Init();

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
  StatusOr<uint64_t> SweepExpired() override;
  void Submit(Mutation m, Callback done) override;
  StatusOr<SnapshotInfo> Snapshot() override;
  StatusOr<SnapshotInfo> SnapshotKeeping(size_t keep_snapshots) override;
  // Copies the fsync latency samples and sorts the copy outside any lock the commit thread takes
  // (LatencyWindow), so a Stats() caller never delays a group commit by more than that copy.
  EngineStats Stats() override;
  const RecoverySummary& recovery_summary() const override { return recovery_; }
  uint64_t AddCommitListener(CommittedRecordsListener listener) override;
  void RemoveCommitListener(uint64_t id) override;
  Status ReadCommittedRecords(uint64_t from_seq, size_t max_bytes, std::string* out) override;
  // engine/replica_apply.cc. Waits for the commit token (token_cv_), then commits `records`.
  Status AppendReplicatedRecords(std::string_view records) override;
  Status ReadCommittedRecordsAt(replication::LogCursor* cursor, size_t max_bytes,
                                std::string* out) override;
  uint64_t LastShippableSeq() override;
  // engine/engine_promote.cc (docs/replication.md §7).
  bool IsReplica() override { return replica_mode_.load(std::memory_order_acquire); }
  ReplicationState replication_state() override EXCLUDES(replication_mu_);
  Status ObservePrimary(const std::string& primary, uint64_t epoch) override
      EXCLUDES(replication_mu_);
  StatusOr<PromoteResult> Promote() override EXCLUDES(close_mu_, queue_mu_, replication_mu_);
  Status Close() override;

 private:
  struct PendingWrite {
    Mutation mutation;  // a counter request becomes the kSet of its result in EncodeBatch
    Callback done;
    Status refused;     // set by EncodeBatch: this one alone fails, without a log record
    bool no_record = false;  // set by EncodeBatch: answered without a record (NX/XX, EXPIRE on
                             // an absent key, ...; engine/mutation_resolver.h)
  };
  // The outcome of a snapshot cut, handed from the commit thread to the snapshot thread.
  struct CutResult {
    Status status;
    uint64_t seq = 0;            // the state the snapshot must capture
    uint64_t wal_bytes_total = 0;  // total_wal_bytes_ at the cut
    HistoryDigest digest = {};     // the history digest at seq
  };

  void StartExpirySweeper();
  // Init's part of engine_promote.cc: loads REPLICATION (a damaged one fails Init); a directory
  // that was last a replica and is opened as a primary (no --replica-of, no promote) records
  // that, keeping its epoch.
  Status LoadReplicationRole() EXCLUDES(replication_mu_);
  // --- commit token holders (see the header comment) ---
  // True if a Submit arriving now may take the commit token and commit its mutation alone.
  bool MayCommitAlone() REQUIRES(queue_mu_);
  // Submit's lone-writer path: the caller holds the commit token; commits `m` as a batch of one
  // (callback included), then returns the token.
  void CommitAlone(Mutation m, Callback done) EXCLUDES(queue_mu_);
  // Returns the commit token after a batch of `batch_size` mutations; wakes the commit thread if
  // it has something to do. Called with queue_mu_ held.
  void ReturnCommitToken(size_t batch_size) REQUIRES(queue_mu_);
  // Waits (token_cv_) until the commit token is free and takes it: OK, and the caller commits and
  // then returns it with ReturnCommitToken. kShuttingDown once the engine stops accepting work;
  // the caller then holds nothing. For callers outside the commit thread that must be serialised
  // with commits: AppendReplicatedRecords and Promote.
  Status WaitForCommitToken() EXCLUDES(queue_mu_);
  // FsyncMode::kInterval: syncs the log if bytes are unsynced and the interval is up. Token holder.
  void MaybeIntervalSync();

  // Wakes the snapshot thread once the log grew by options_.snapshot_wal_bytes since the last
  // snapshot (the size trigger). Token holder, after a batch is written.
  void MaybeTriggerWalSnapshot() EXCLUDES(snap_mu_);

  // --- replica (engine/replica_apply.cc) ---
  // The token holder's part of AppendReplicatedRecords: check, append, sync, digest, apply,
  // listeners.
  Status CommitReplicated(std::string_view records);

  // --- commit thread ---
  void CommitLoop();
  // Group-commit gathering (fsync always): when the last batch held several writers, waits a
  // bounded time — at most half a recent fdatasync, never more than kMaxGatherMicros — for the
  // writers it just acknowledged to submit again, so one sync covers them together with those
  // already queued instead of alternating between two half-size groups. Returns at once when
  // the expected number is queued, or on stop / cut requests. After a batch of fewer than
  // kMinGatherBatch mutations it never waits (and a lone writer never comes here).
  void GatherBatch() REQUIRES(queue_mu_);
  void CommitBatch(std::vector<PendingWrite>* batch);
  // Encodes the batch's records into encode_buffer_ with sequence numbers from last_seq_ + 1.
  // Requests (counters, expiry, ...) are resolved here, in log order, from the state their key
  // will have after the earlier mutations (overlay_) and one clock reading for the batch
  // (ResolveMutation, engine/mutation_resolver.h): each becomes a plain record, or no record
  // (`no_record`, answered from results[i]), or fails alone (`refused`, e.g. not an integer).
  void EncodeBatch(std::vector<PendingWrite>* batch, std::vector<MutationResult>* results);
  // Syncs the current segment (if needed), starts a new one whose first record is first_seq and
  // points LOGHEAD at it. When it returns OK, both are durable.
  Status RollSegment(uint64_t first_seq);
  // Bytes a new segment is pre-written to (0: not pre-written), from the options. Only with
  // fsync always: there each write frame is synced before the next one is written, so a power cut
  // can tear only the last frame (log_format.h); with several unsynced frames a lost sector of an
  // earlier one followed by an intact later one would read as mid-log damage.
  uint64_t PrewriteBytes() const {
    return options_.prewrite_segments && options_.fsync_mode == FsyncMode::kAlways
               ? options_.segment_bytes
               : 0;
  }
  // A new, durable segment for first_seq: from the spare (segment_preparer_) when one is ready,
  // else created here (log::LogWriter::Create). Commit thread (or Open, before it starts).
  StatusOr<std::unique_ptr<log::LogWriter>> NewSegment(uint64_t first_seq);
  Status SyncLog();
  void PerformSnapshotCut();
  void Poison(const Status& why);
  Status PoisonStatus();

  // --- snapshot thread ---
  // Snapshots kept: the new one and a fallback in case it is ever found damaged. `walkv compact`
  // keeps one (SnapshotKeeping).
  static constexpr size_t kSnapshotsKept = 2;
  void SnapshotLoop();
  StatusOr<SnapshotInfo> WriteSnapshot();
  CutResult RequestCut();
  // Removes the snapshot and log files that are obsolete when the keep_snapshots newest intact
  // snapshots are kept (ObsoleteFiles, engine/retention.h), oldest first, stopping at the first
  // failure, then syncs the directory. The files removed leave snapshots_ and segments_. When
  // it returns OK the removals are durable. Serialised by cleanup_mu_.
  // backlog_bytes: the replication backlog kept beyond that (ObsoleteFiles).
  [[nodiscard]] Status RemoveObsoleteFiles(size_t keep_snapshots, uint64_t backlog_bytes)
      EXCLUDES(cleanup_mu_);
  uint64_t LastSnapshotSeq();

  void Log(LogLevel level, const std::string& message) const;

  const EngineOptions options_;
  Env* const env_;
  std::unique_ptr<FileLock> dir_lock_;
  Store store_;
  RecoverySummary recovery_;
  uint64_t start_micros_ = 0;

  // The mutation queue and the commit thread's wake-up conditions.
  Mutex queue_mu_;
  CondVar queue_cv_{&queue_mu_};
  std::deque<PendingWrite> queue_ GUARDED_BY(queue_mu_);
  bool accepting_ GUARDED_BY(queue_mu_) = false;   // false before Init and once Close starts
  bool commit_stop_ GUARDED_BY(queue_mu_) = false; // commit thread: drain the queue and exit
  bool commit_exited_ GUARDED_BY(queue_mu_) = false;
  bool cut_requested_ GUARDED_BY(queue_mu_) = false;
  size_t gather_target_ GUARDED_BY(queue_mu_) = 0;  // Submit signals when the queue reaches it
  std::optional<CutResult> cut_result_ GUARDED_BY(queue_mu_);
  bool committing_ GUARDED_BY(queue_mu_) = false;  // the commit token is taken
  bool commit_thread_wants_token_ GUARDED_BY(queue_mu_) = false;  // lone writers stand aside
  // Mutations in the previous batch (GatherBatch; a lone writer commits alone only after one).
  size_t last_batch_size_ GUARDED_BY(queue_mu_) = 1;
  CondVar cut_cv_{&queue_mu_};
  // WaitForCommitToken callers (replicated appends, Promote); ReturnCommitToken wakes them.
  CondVar token_cv_{&queue_mu_};
  size_t token_waiters_ GUARDED_BY(queue_mu_) = 0;

  // Token-owned state: touched only by the commit token's holder (and by Init before the threads
  // start and by Close after the commit thread has exited).
  std::unique_ptr<log::LogWriter> log_;
  bool log_unsynced_ = false;      // bytes written since the last sync (interval/never modes)
  uint64_t next_interval_sync_ = 0;  // MonotonicMicros of the next interval sync
  std::string encode_buffer_;                  // CommitBatch's encoded records, reused
  std::vector<MutationResult> results_buffer_;  // CommitBatch's results, reused
  BatchOverlay overlay_{&store_};  // EncodeBatch: the batch's pending values, for counters
  std::vector<PendingWrite> alone_batch_;  // CommitAlone's batch of one, reused
  // Moving average of fdatasync latency (GatherBatch, MayCommitAlone). Written by the token
  // holder only; atomic so that MayCommitAlone may read it without the token.
  // Starts at a guess (kInitialSyncMicrosGuess in engine_impl.cc) that the first syncs replace.
  std::atomic<uint64_t> fsync_ewma_micros_;

  std::atomic<uint64_t> last_seq_{0};
  // The last seq an fdatasync of the log covered (written by the token holder in SyncLog, and by
  // Init). LastShippableSeq() with kInterval/kNever.
  std::atomic<uint64_t> synced_seq_{0};
  // The history digest at last_seq_ (engine/history_digest.h). Advanced only by the commit
  // token's holder, after a batch's write (and sync) succeeded and before it is applied; read by
  // anyone (Stats). digest_mu_ is a leaf lock.
  mutable Mutex digest_mu_;
  HistoryDigest digest_ GUARDED_BY(digest_mu_);
  // Commit listeners (replication streams), called by the token holder with listeners_mu_ held
  // (a leaf lock: listeners only copy).
  Mutex listeners_mu_;
  std::vector<std::pair<uint64_t, CommittedRecordsListener>> listeners_ GUARDED_BY(listeners_mu_);
  uint64_t next_listener_id_ GUARDED_BY(listeners_mu_) = 1;
  std::atomic<uint64_t> total_wal_bytes_{0};       // every log byte written since Open
  std::atomic<uint64_t> snapshot_wal_base_{0};     // total_wal_bytes_ at the last snapshot cut
  std::atomic<bool> poisoned_{false};
  Mutex poison_mu_;
  Status poison_ GUARDED_BY(poison_mu_);

  // Files in the directory: live log segments (the last is the one being written) and the
  // intact snapshots the engine knows of.
  Mutex files_mu_;
  std::vector<SegmentFile> segments_ GUARDED_BY(files_mu_);
  std::vector<SnapshotInfo> snapshots_ GUARDED_BY(files_mu_);

  // Held while obsolete files are listed and removed, so that two cleanups (the snapshot
  // thread's and a SnapshotKeeping caller's) never remove the same file.
  Mutex cleanup_mu_;

  // Snapshot scheduling.
  Mutex snap_mu_;
  CondVar snap_cv_{&snap_mu_};
  bool snapshot_stop_ GUARDED_BY(snap_mu_) = false;
  bool wal_trigger_ GUARDED_BY(snap_mu_) = false;
  uint64_t snap_requested_gen_ GUARDED_BY(snap_mu_) = 0;
  uint64_t snap_completed_gen_ GUARDED_BY(snap_mu_) = 0;
  std::optional<StatusOr<SnapshotInfo>> snap_last_result_ GUARDED_BY(snap_mu_);
  uint64_t last_snapshot_attempt_micros_ GUARDED_BY(snap_mu_) = 0;

  // Statistics.
  static constexpr size_t kFsyncLatencyWindow = 4096;  // samples Stats()' percentiles are over
  LatencyWindow fsync_latencies_{kFsyncLatencyWindow};  // recent fdatasync latencies
  std::atomic<uint64_t> fsync_count_{0};
  std::atomic<uint64_t> commit_batches_{0};
  std::atomic<uint64_t> mutations_committed_{0};

  std::thread commit_thread_;
  std::thread snapshot_thread_;
  // Replication (engine_promote.cc). replica_mode_: IsReplica(); set by Init, cleared once by
  // Promote while it holds the commit token, after REPLICATION is durable. replication_mu_ (a
  // leaf lock) guards replication_ and serialises writes of the REPLICATION file.
  std::atomic<bool> replica_mode_{false};
  Mutex replication_mu_;
  ReplicationState replication_ GUARDED_BY(replication_mu_);
  // The active expiry sweep (its own thread); stopped by Close before the commit thread.
  std::unique_ptr<ExpirySweeper> sweeper_;
  // Keeps a pre-written spare segment ready for the next roll; null unless PrewriteBytes() > 0.
  std::unique_ptr<SegmentPreparer> segment_preparer_;
  Mutex close_mu_;
  bool closed_ GUARDED_BY(close_mu_) = false;
  Status close_status_ GUARDED_BY(close_mu_);
};

}  // namespace walkv
