// Engine: the durable key-value store. The only engine header rpc/ and cli/ need.
//
// Durability contract (FsyncMode::kAlways):
//  - A mutation's callback runs with OK only after its log record has been fdatasync'ed and the
//    mutation applied to the in-memory map. Concurrent mutations share one write and one sync
//    (group commit).
//  - Reads (Get/Keys) see only applied, hence durable, mutations; they never wait for a sync.
//  - Mutations are applied in log (sequence) order by one committing thread at a time, so results
//    such as APPEND's new length and a counter's new value follow log order.
//  - If a write or sync ever fails, the engine is poisoned: that batch and every later mutation
//    fail with a storage error (IsStorageFailure()), reads keep working, and a restart recovers
//    from what is on disk.
//
// Thread safety: every public method may be called from any thread at any time, until Close().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/history_digest.h"
#include "engine/mutation.h"
#include "engine/options.h"
#include "engine/replication_state.h"
#include "engine/status.h"

namespace walkv {

namespace replication {
class LogCursor;  // engine/replication_log.h
}  // namespace replication

// What recovery found and did at Open(). Every damage message names file and byte offset.
struct RecoverySummary {
  std::string snapshot_file;         // empty if started without a snapshot
  uint64_t snapshot_seq = 0;
  uint64_t snapshot_keys = 0;
  uint64_t segments_replayed = 0;
  uint64_t records_replayed = 0;
  uint64_t bytes_replayed = 0;
  uint64_t last_seq = 0;             // sequence number of the last mutation in the recovered state
  uint64_t keys = 0;                 // keys in the map after recovery
  uint64_t bytes_truncated = 0;      // bytes dropped from a damaged tail
  uint64_t duration_micros = 0;
  std::vector<std::string> notes;    // one human sentence per thing recovery dropped or skipped
};

struct SnapshotInfo {
  std::string file;     // file name inside the data dir
  uint64_t seq = 0;     // the state covers every mutation with sequence number <= seq
  uint64_t bytes = 0;   // file size
  uint64_t keys = 0;
  uint64_t unix_micros = 0;  // when it became durable
};

struct EngineStats {
  uint64_t keys = 0;
  uint64_t keys_with_deadline = 0;  // keys with a deadline, expired but not yet swept ones included
  uint64_t approx_memory_bytes = 0;
  uint64_t log_bytes = 0;         // bytes in all live log segments
  uint64_t log_segments = 0;
  // Pre-written segments (EngineOptions::prewrite_segments): rolls that took the spare segment
  // prepared in the background, and preparations that failed (the roll then wrote its own).
  uint64_t log_spares_used = 0;
  uint64_t log_spare_failures = 0;
  uint64_t last_seq = 0;
  uint64_t fsync_count = 0;
  uint64_t fsync_p50_micros = 0;
  uint64_t fsync_p99_micros = 0;
  uint64_t fsync_max_micros = 0;
  uint64_t commit_batches = 0;    // group-commit batches written
  uint64_t mutations_committed = 0;
  std::optional<SnapshotInfo> last_snapshot;
  uint64_t uptime_micros = 0;
  std::string poisoned_reason;    // empty while healthy
  HistoryDigest digest;           // the history digest at digest.seq == last_seq (replication.md)
};

class Engine {
 public:
  // Called exactly once per submitted mutation, on the commit thread, after the mutation is durable
  // (per FsyncMode) and applied — or with the error that prevented it. A mutation rejected up
  // front (engine closing, record too large), and one that a lone writer commits itself
  // (engine_impl.h, "the commit token"; durable and applied all the same), gets its callback
  // synchronously inside Submit, on the caller's thread. Must not block for long and must not wait for another mutation's callback.
  using Callback = std::function<void(StatusOr<MutationResult>)>;

  // Locks options.data_dir (kBusy if another process holds it), creates it (0700) if missing,
  // loads the newest valid snapshot, replays the log according to options.recovery_mode, and
  // starts the commit and snapshot threads.
  static StatusOr<std::unique_ptr<Engine>> Open(const EngineOptions& options);

  virtual ~Engine() = default;

  // --- reads: never block on I/O ---
  virtual std::optional<std::string> Get(std::string_view key) = 0;
  // Keys matching a Redis-style glob (* ? [abc] [^a] [a-z] \x), in no particular order.
  virtual std::vector<std::string> Keys(std::string_view pattern) = 0;
  // The length in bytes of key's value, or nullopt if the key does not exist.
  virtual std::optional<uint64_t> ValueLength(std::string_view key) = 0;
  // The number of keys held, including expired keys the active sweep has not deleted yet (like
  // Redis's DBSIZE; engine/expiry.h).
  virtual uint64_t Size() = 0;
  // Keys(pattern) if at most `max_keys` keys match, else nullopt — found out without building
  // the whole answer (EngineImpl). The default calls Keys().
  virtual std::optional<std::vector<std::string>> KeysUpTo(std::string_view pattern,
                                                           size_t max_keys);
  // One step of a cursor scan with Redis SCAN's guarantee (Store::Scan): start with cursor 0,
  // pass each returned cursor back; once 0 is returned, every key present for the whole scan was
  // appended to *keys at least once (if it matches `pattern`). `count` is the work per call in
  // entries visited. Any uint64 is a valid cursor; its encoding is not part of the API.
  virtual uint64_t Scan(uint64_t cursor, size_t count, std::string_view pattern,
                        std::vector<std::string>* keys) = 0;
  // The options the engine was opened with (`info server`).
  virtual const EngineOptions& options() const = 0;
  // Redis's PTTL: -2 if key is absent or expired, -1 if it has no deadline, else the milliseconds
  // left. The default (engines without expiry) never reports a deadline.
  virtual int64_t Pttl(std::string_view key) { return ValueLength(key).has_value() ? -1 : -2; }

  // --- writes ---
  // Queues `m` for the next group commit; `done` runs once it is durable and applied.
  virtual void Submit(Mutation m, Callback done) = 0;
  // Blocking conveniences over Submit.
  StatusOr<MutationResult> Write(Mutation m);
  Status Set(std::string_view key, std::string_view value);
  StatusOr<bool> Delete(std::string_view key);  // true if the key existed
  StatusOr<uint64_t> Append(std::string_view key, std::string_view value);  // new length
  Status FlushAll();
  // Counters (engine/counter.h): the key's value after adding / subtracting `delta`. Atomic in log
  // order like every mutation: the commit thread computes the result from the state left by every
  // earlier mutation and logs it as a plain SET. A value that is not an integer, or a result out
  // of int64 range, fails with kInvalidArgument and changes nothing.
  StatusOr<int64_t> IncrBy(std::string_view key, int64_t delta);
  StatusOr<int64_t> DecrBy(std::string_view key, int64_t delta);

  // Expiry (engine/expiry.h). Deadlines are logged as absolute unix milliseconds.
  // key's deadline := now + ttl_ms; a ttl_ms <= 0 deletes the key. False if key is absent.
  StatusOr<bool> Expire(std::string_view key, int64_t ttl_ms);
  // Removes key's deadline; false if key is absent or has none.
  StatusOr<bool> Persist(std::string_view key);
  // Deletes (with logged DELETEs) every key whose deadline has passed and returns once those
  // deletes are durable: how many keys it deleted. The active sweep does the same in bounded
  // steps on its own; this is for tests and maintenance.
  virtual StatusOr<uint64_t> SweepExpired() { return uint64_t{0}; }

  // Writes a snapshot of the current state while writers keep running; returns once it is durable
  // and obsolete log segments are removed (keeping options().replication_backlog_bytes of the
  // newest segments). Concurrent calls share one snapshot.
  virtual StatusOr<SnapshotInfo> Snapshot() = 0;

  // Snapshot(), then removes the files it makes obsolete when only the `keep_snapshots` newest
  // intact snapshots are kept (at least one; 0 counts as 1): every older snapshot file, and every
  // log segment the oldest kept snapshot covers (the rule is ObsoleteFiles, engine/retention.h).
  // Snapshot() itself keeps two, the new one and a fallback; `walkv compact` keeps one.
  // Returns OK once the snapshot is durable, every obsolete file is removed and the directory is
  // synced. Files are removed oldest first and the snapshot is durable before the first removal,
  // so a crash or a failure part way leaves a directory that recovers to the same state; a
  // failed removal or directory sync is returned (the snapshot is durable all the same).
  virtual StatusOr<SnapshotInfo> SnapshotKeeping(size_t keep_snapshots) = 0;

  virtual EngineStats Stats() = 0;
  virtual const RecoverySummary& recovery_summary() const = 0;

  // --- replication sources (docs/replication.md §2; engine/replication_feed.h) ---
  // Called by the committing thread once a batch's records are durable (per FsyncMode) and
  // applied, before the batch's callbacks run: `records` are the batch's records exactly as
  // written to the log (framed, crc included), sequence numbers first_seq..last_seq. It must only
  // copy what it needs and return: it must never block (it delays every writer).
  using CommittedRecordsListener =
      std::function<void(uint64_t first_seq, uint64_t last_seq, std::string_view records)>;
  // Returns an id for RemoveCommitListener. Once AddCommitListener returns, every batch
  // committed later reaches the listener; RemoveCommitListener returns once no call to it is
  // running or will start. The defaults (engines without a log) never call it.
  virtual uint64_t AddCommitListener(CommittedRecordsListener /*listener*/) { return 0; }
  virtual void RemoveCommitListener(uint64_t /*id*/) {}
  // Appends to *out the committed records from_seq, from_seq + 1, ... that are durable (up to the
  // last acknowledged seq), read from the log segments on disk, byte for byte as framed there,
  // up to about max_bytes (engine/replication_log.h). kNotFound ("too far behind") if from_seq
  // is older than the oldest segment still on disk.
  virtual Status ReadCommittedRecords(uint64_t /*from_seq*/, size_t /*max_bytes*/,
                                      std::string* /*out*/) {
    return Status::NotSupported("this engine keeps no log");
  }
  // The same from a cursor kept between calls (engine/replication_log.h): reads on from where
  // the previous call stopped, never rereading a segment. Records up to LastShippableSeq().
  virtual Status ReadCommittedRecordsAt(replication::LogCursor* /*cursor*/, size_t /*max_bytes*/,
                                        std::string* /*out*/) {
    return Status::NotSupported("this engine keeps no log");
  }
  // The last seq a replication stream may hand out: the last acknowledged one with
  // FsyncMode::kAlways; with kInterval/kNever the last one an fdatasync covered (an interval
  // sync, a segment roll, a snapshot cut or Close), so that a replica never holds a record the
  // primary could lose in a power cut (docs/replication.md §2).
  virtual uint64_t LastShippableSeq() { return Stats().last_seq; }

  // --- replica (docs/replication.md §3; engine/replica_apply.cc) ---
  // Appends a primary's records verbatim: `records` are framed records (format.md §3.2, crc
  // included) with seqs exactly last_seq + 1, + 2, ... . Each record's crc, framing and payload
  // (a BATCH's parts too) is checked first; a bad one answers kCorruption, a first seq other than
  // last_seq + 1 (a gap or a duplicate) kInvalidArgument, and then nothing is written. Otherwise
  // the bytes go through the same log writer as commits (segment rolls, LOGHEAD, fdatasync per
  // FsyncMode), the history digest advances over exactly those bytes, the records are applied
  // as recovery applies them and the commit listeners see them. Returns OK once they are durable
  // (per FsyncMode) and applied. Serialised with commits by the commit token. A write or sync
  // failure poisons the engine as for any commit. The default: engines without a log.
  virtual Status AppendReplicatedRecords(std::string_view /*records*/) {
    return Status::NotSupported("this engine keeps no log");
  }

  // --- replication role and epoch (docs/replication.md §7; engine/replication_state.h) ---
  // True while the engine is a replica: Submit fails (kNotSupported), no expiry sweeper runs and
  // the log grows only by AppendReplicatedRecords. Starts as options().replica; only Promote()
  // changes it, once, to false.
  virtual bool IsReplica() { return options().replica; }
  // The replication state as persisted in the data directory's REPLICATION file (epoch 0, primary
  // for a directory without one). Loaded by Open (a damaged file fails Open with kCorruption).
  virtual ReplicationState replication_state() { return {}; }
  // A replica heard from its primary `primary` (HOST:PORT) that the primary is at `epoch`. If
  // that is higher than the engine's epoch, or the file does not name this primary yet, the
  // REPLICATION file is rewritten ({max(epoch, own), replica, primary}); OK once it is durable.
  // Lower epochs never lower the engine's. A no-op (OK) when the engine is not a replica.
  // Any thread; serialised with Promote.
  virtual Status ObservePrimary(const std::string& /*primary*/, uint64_t /*epoch*/) {
    return Status::Ok();
  }
  struct PromoteResult {
    uint64_t epoch = 0;     // the epoch the engine is at now
    uint64_t last_seq = 0;  // the last record of its history when it turned writable
    bool already_primary = false;  // it was not a replica: nothing changed
  };
  // Turns a replica into a primary. Holding the commit token (no replicated append or commit
  // runs meanwhile): epoch := own epoch + 1 (the own epoch is already the highest one heard from
  // a primary, ObservePrimary), REPLICATION := {epoch, primary}, durable; only then IsReplica()
  // becomes false, so Submit accepts mutations, and the expiry sweeper starts. If the file cannot
  // be written the engine stays a replica at its old epoch and the error is returned. On a
  // primary: already_primary with the current epoch and last seq. The caller stops feeding
  // AppendReplicatedRecords first (the follower), or a later append would mix histories: after
  // Promote, AppendReplicatedRecords still works but a primary has no business calling it.
  // kShuttingDown once Close has started.
  virtual StatusOr<PromoteResult> Promote() {
    return Status::NotSupported("this engine has no replication state");
  }

  // Stops accepting mutations (new ones fail with kShuttingDown), commits and syncs everything
  // queued, stops background threads and releases the directory lock. Idempotent. Returns OK
  // exactly when every acknowledged mutation is durable: with FsyncMode::kAlways that holds even
  // after a storage failure (each was synced before its answer; the failure is logged), with
  // kInterval/kNever a failure means acknowledged writes may be lost and is returned.
  virtual Status Close() = 0;
};

}  // namespace walkv
