// EngineImpl: opening, the commit thread (group commit), reads, stats and Close.
// The snapshot thread lives in engine_snapshot.cc.
#include "engine/engine_impl.h"

#include <algorithm>
#include <chrono>

#include "engine/expiry.h"
#include "engine/file_names.h"
#include "engine/log_format.h"
#include "engine/log_head.h"
#include "engine/mutation_resolver.h"
#include "engine/replication_log.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

// A batch stops growing at this many mutations or encoded bytes; the rest waits for the next one.
constexpr size_t kMaxBatchMutations = 4096;
constexpr size_t kMaxBatchBytes = 8u << 20;
// CommitBatch keeps its encode buffer between batches unless it grew beyond this.
constexpr size_t kMaxKeptBufferBytes = 1u << 20;
// Upper bound of the group-commit gathering wait (GatherBatch).
constexpr uint64_t kMaxGatherMicros = 1000;
// Below this the wait costs more in wake-ups than it could gain.
constexpr uint64_t kMinGatherMicros = 20;
// After a batch smaller than this the commit thread never waits: a lone or small group gains
// less from sharing a sync than the wait costs it.
constexpr size_t kMinGatherBatch = 4;
// A lone writer commits on its own thread only while a recent fdatasync took at least this long.
// Below it (a RAM-backed or write-caching device) the hand-off to the commit thread costs less
// than what it buys: under concurrency the commit thread batches the completions of back-to-back
// writers, where writers committing one by one on the I/O threads measured 20-30% slower on
// tmpfs at 50 clients (docs/performance.md, "Levers").
constexpr uint64_t kMinSyncMicrosToCommitAlone = 20;
// The fdatasync latency assumed before any was measured (a fast SSD); the moving average forgets
// it within a few dozen syncs.
constexpr uint64_t kInitialSyncMicrosGuess = 100;

uint64_t EncodedSizeEstimate(const Mutation& m) {
  return log::kRecordHeaderSize + PayloadSizeBound(m);
}

}  // namespace

EngineImpl::EngineImpl(const EngineOptions& options, Env* env)
    : options_(options), env_(env), fsync_ewma_micros_(kInitialSyncMicrosGuess) {
  store_.SetClock(env_);
}

EngineImpl::~EngineImpl() { Close().IgnoreError(); }

void EngineImpl::Log(LogLevel level, const std::string& message) const {
  if (options_.log) options_.log(level, message);
}

Status EngineImpl::Init() {
  start_micros_ = env_->MonotonicMicros();
  WALKV_RETURN_IF_ERROR(env_->CreateDirIfMissing(options_.data_dir));
  auto lock = env_->LockFile(JoinPath(options_.data_dir, LockFileName()));
  if (!lock.ok()) return lock.status();
  dir_lock_ = std::move(*lock);
  WALKV_RETURN_IF_ERROR(LoadReplicationRole());

  auto recovered = Recover(env_, options_.data_dir, options_.recovery_mode, &store_, options_.log);
  if (!recovered.ok()) return recovered.status();
  recovery_ = recovered->summary;
  recovery_.last_seq = recovered->last_seq;
  last_seq_.store(recovered->last_seq);
  // What recovery read back is what the next start would read back too: treat it as synced.
  synced_seq_.store(recovered->last_seq);
  {
    MutexLock lock_digest(&digest_mu_);
    digest_ = recovered->digest;
  }

  // New records go into a fresh segment, so that an older one is never appended to again; but a
  // newest segment that holds no record (recovery kept none) is simply continued: recreating it
  // would truncate a segment LOGHEAD may name, and a crash then would leave it torn.
  uint64_t first_seq = recovered->last_seq + 1;
  const bool continue_newest =
      !recovered->segments.empty() && recovered->segments.back().first_seq == first_seq;
  auto writer = continue_newest ? log::LogWriter::OpenForAppend(env_, options_.data_dir, first_seq,
                                                               recovered->segments.back().bytes)
                                : NewSegment(first_seq);
  if (!writer.ok()) return writer.status();
  log_ = std::move(*writer);
  // The segment is durable; only now may LOGHEAD name it, and no record goes into it before.
  if (recovered->log_head != first_seq) {
    WALKV_RETURN_IF_ERROR(log::WriteLogHead(env_, options_.data_dir, first_seq));
  }
  {
    MutexLock lock_files(&files_mu_);
    segments_ = std::move(recovered->segments);
    std::erase_if(segments_, [&](const SegmentFile& s) { return s.first_seq == first_seq; });
    segments_.push_back({first_seq, log_->file_name(), log_->size()});
    snapshots_ = std::move(recovered->snapshots);
  }
  next_interval_sync_ = env_->MonotonicMicros() + options_.fsync_interval_ms * 1000;
  {
    MutexLock lock_snap(&snap_mu_);
    last_snapshot_attempt_micros_ = env_->MonotonicMicros();
  }
  {
    MutexLock lock_queue(&queue_mu_);
    accepting_ = true;
  }
  if (PrewriteBytes() > 0 && options_.prepare_spare_segment) {
    segment_preparer_ =
        std::make_unique<SegmentPreparer>(env_, options_.data_dir, PrewriteBytes());
    segment_preparer_->Start();
  }
  commit_thread_ = std::thread([this] { CommitLoop(); });
  snapshot_thread_ = std::thread([this] { SnapshotLoop(); });
  StartExpirySweeper();
  return Status::Ok();
}

std::optional<std::string> EngineImpl::Get(std::string_view key) { return store_.Get(key); }

std::vector<std::string> EngineImpl::Keys(std::string_view pattern) {
  return store_.Keys(pattern);
}

std::optional<uint64_t> EngineImpl::ValueLength(std::string_view key) {
  return store_.ValueLength(key);
}

uint64_t EngineImpl::Size() { return store_.Size(); }

std::optional<std::vector<std::string>> EngineImpl::KeysUpTo(std::string_view pattern,
                                                             size_t max_keys) {
  return store_.KeysUpTo(pattern, max_keys);
}

uint64_t EngineImpl::Scan(uint64_t cursor, size_t count, std::string_view pattern,
                          std::vector<std::string>* keys) {
  return store_.Scan(cursor, count, pattern, keys);
}

int64_t EngineImpl::Pttl(std::string_view key) {
  return PttlOf(store_.ExpiryOf(key), NowUnixMillis(env_));
}

void EngineImpl::StartExpirySweeper() {
  sweeper_ = std::make_unique<ExpirySweeper>(
      &store_, env_, [this](Mutation m, Callback done) { Submit(std::move(m), std::move(done)); });
  // A replica deletes only what its primary's records delete; Promote starts the sweep.
  if (options_.active_expiry_sweep && !IsReplica()) sweeper_->Start();
}

StatusOr<uint64_t> EngineImpl::SweepExpired() {
  if (IsReplica() || sweeper_ == nullptr) return uint64_t{0};
  return sweeper_->SweepAll();
}

void EngineImpl::Submit(Mutation m, Callback done) {
  if (IsReplica()) {
    done(Status::NotSupported("a replica's log grows only through its primary's records"));
    return;
  }
  if (Status s = CheckSubmittable(m); !s.ok()) {
    done(std::move(s));
    return;
  }
  bool alone = false;
  {
    MutexLock lock(&queue_mu_);
    if (!accepting_) {
      // Answered below, outside the lock.
    } else if (MayCommitAlone()) {
      committing_ = true;  // the commit token: this thread commits m itself
      alone = true;
    } else {
      queue_.push_back({std::move(m), std::move(done)});
      if (queue_.size() == 1 || queue_.size() == gather_target_) queue_cv_.Signal();
      return;
    }
  }
  if (alone) {
    CommitAlone(std::move(m), std::move(done));
    return;
  }
  done(Status::ShuttingDown("the engine is shutting down"));
}

bool EngineImpl::MayCommitAlone() {
  // A batch of one after a batch of one: a writer with no company. After a larger batch the
  // writers just answered are about to come back, and the commit thread gathers them into one
  // sync instead (GatherBatch).
  return !committing_ && queue_.empty() && !commit_thread_wants_token_ && !cut_requested_ &&
         !commit_stop_ && last_batch_size_ <= 1 && options_.fsync_mode == FsyncMode::kAlways &&
         fsync_ewma_micros_.load(std::memory_order_relaxed) >= kMinSyncMicrosToCommitAlone;
}

void EngineImpl::CommitAlone(Mutation m, Callback done) {
  alone_batch_.push_back({std::move(m), std::move(done)});
  CommitBatch(&alone_batch_);  // runs the callback once the record is durable (or failed)
  alone_batch_.clear();
  MaybeIntervalSync();
  MutexLock lock(&queue_mu_);
  ReturnCommitToken(1);
}

void EngineImpl::ReturnCommitToken(size_t batch_size) {
  committing_ = false;
  last_batch_size_ = batch_size;
  if (token_waiters_ > 0) token_cv_.SignalAll();  // replica appenders (replica_apply.cc)
  if (!queue_.empty() || cut_requested_ || commit_stop_ ||
      (options_.fsync_mode == FsyncMode::kInterval && log_unsynced_)) {
    queue_cv_.Signal();  // only the commit thread waits on queue_cv_
  }
}

void EngineImpl::MaybeIntervalSync() {
  if (options_.fsync_mode == FsyncMode::kInterval && log_unsynced_ &&
      env_->MonotonicMicros() >= next_interval_sync_) {
    Status s = SyncLog();
    if (!s.ok()) Poison(s);
    next_interval_sync_ = env_->MonotonicMicros() + options_.fsync_interval_ms * 1000;
  }
}

void EngineImpl::CommitLoop() {
  std::vector<PendingWrite> batch;
  batch.reserve(kMaxBatchMutations);
  for (;;) {
    bool do_cut = false;
    bool exiting = false;
    {
      MutexLock lock(&queue_mu_);
      for (;;) {
        const bool work = !queue_.empty() || commit_stop_ || cut_requested_;
        if (committing_) {
          // A lone writer holds the token; it wakes us when it returns it.
          commit_thread_wants_token_ = work;
          queue_cv_.Wait();
          continue;
        }
        commit_thread_wants_token_ = false;
        if (work) break;
        // log_unsynced_ is token-owned; the token is free and was returned under queue_mu_.
        if (options_.fsync_mode == FsyncMode::kInterval && log_unsynced_) {
          uint64_t now = env_->MonotonicMicros();
          if (now >= next_interval_sync_) break;  // time for the interval sync
          queue_cv_.WaitFor(next_interval_sync_ - now);
        } else {
          queue_cv_.Wait();
        }
      }
      committing_ = true;
      GatherBatch();
      size_t bytes = 0;
      while (!queue_.empty() && batch.size() < kMaxBatchMutations && bytes < kMaxBatchBytes) {
        bytes += EncodedSizeEstimate(queue_.front().mutation);
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      do_cut = cut_requested_;
      cut_requested_ = false;
      exiting = commit_stop_ && queue_.empty();
    }
    const size_t batch_size = batch.size();
    if (!batch.empty()) {
      CommitBatch(&batch);
      batch.clear();
    }
    MaybeIntervalSync();
    if (do_cut) PerformSnapshotCut();
    MutexLock lock(&queue_mu_);
    // A round without mutations (cut, interval sync) leaves the last batch's size as it was.
    ReturnCommitToken(batch_size != 0 ? batch_size : last_batch_size_);
    if (exiting) break;
  }
  MutexLock lock(&queue_mu_);
  commit_exited_ = true;
  if (cut_requested_) {
    cut_result_ = CutResult{Status::ShuttingDown("the engine is shutting down")};
    cut_requested_ = false;
  }
  cut_cv_.SignalAll();
}

void EngineImpl::GatherBatch() {
  if (options_.fsync_mode != FsyncMode::kAlways || last_batch_size_ < kMinGatherBatch ||
      queue_.empty()) {
    return;
  }
  uint64_t window = std::min(fsync_ewma_micros_.load(std::memory_order_relaxed) / 2,
                             kMaxGatherMicros);
  if (window < kMinGatherMicros) return;
  // Those queued now arrived during the last sync; the last batch's writers were answered just
  // before this and are expected back within a network round trip.
  size_t target = std::min(queue_.size() + last_batch_size_, kMaxBatchMutations);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(window);
  gather_target_ = target;
  while (queue_.size() < target && !commit_stop_ && !cut_requested_) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    queue_cv_.WaitFor(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count() + 1));
  }
  gather_target_ = 0;
}

void EngineImpl::EncodeBatch(std::vector<PendingWrite>* batch,
                             std::vector<MutationResult>* results) {
  // Plain batches over a store without deadlines (the common case) skip resolution entirely.
  const bool deadlines_possible =
      store_.KeysWithDeadline() > 0 ||
      std::any_of(batch->begin(), batch->end(), [](const PendingWrite& w) {
        return w.mutation.request != MutationRequest::kAsIs || SetsDeadline(w.mutation);
      });
  const bool resolving = std::any_of(batch->begin(), batch->end(), [&](const PendingWrite& w) {
    return NeedsResolution(w.mutation, deadlines_possible);
  });
  overlay_.Clear();
  const uint64_t now_ms = resolving ? NowUnixMillis(env_) : 0;
  uint64_t seq = last_seq_.load();
  for (size_t i = 0; i < batch->size(); ++i) {
    PendingWrite& w = (*batch)[i];
    Mutation& m = w.mutation;
    if (resolving && NeedsResolution(m, deadlines_possible)) {
      const Resolution r = ResolveMutation(&m, overlay_, now_ms, &(*results)[i], &w.refused);
      if (r == Resolution::kRefused) continue;
      if (r == Resolution::kNoRecord) {
        w.no_record = true;
        continue;
      }
    }
    if (resolving) overlay_.Add(m);
    log::EncodeRecord(++seq, m, &encode_buffer_);
  }
}

void EngineImpl::CommitBatch(std::vector<PendingWrite>* batch) {
  Status status = PoisonStatus();
  // A segment without records is never rolled: the new one would have the same name.
  if (status.ok() && log_->size() >= options_.segment_bytes &&
      log_->first_seq() <= last_seq_.load()) {
    status = RollSegment(last_seq_.load() + 1);
    if (!status.ok()) Poison(status);
  }
  // Reused across batches (commit thread only): a fresh multi-kilobyte buffer per batch costs
  // malloc consolidation on the hot path.
  std::string& encoded = encode_buffer_;
  encoded.clear();
  std::vector<MutationResult>& results = results_buffer_;
  results.assign(batch->size(), MutationResult{});
  if (status.ok()) {
    EncodeBatch(batch, &results);
    if (!encoded.empty()) {  // empty when every mutation was a refused counter
      status = log_->AppendBatch(encoded);
      if (status.ok() && options_.fsync_mode == FsyncMode::kAlways) status = SyncLog();
    }
    if (!status.ok()) Poison(status);
  }
  if (!status.ok()) {
    Status failure = PoisonStatus();
    for (PendingWrite& w : *batch) w.done(failure.ok() ? status : failure);
    return;
  }
  if (options_.fsync_mode != FsyncMode::kAlways && !encoded.empty()) log_unsynced_ = true;

  // Durable (or written, in interval/never mode): the history digest covers these records from
  // now on; apply in sequence order, then acknowledge.
  if (!encoded.empty()) {
    MutexLock lock(&digest_mu_);
    digest_.AdvanceRecords(encoded);
  }
  uint64_t seq = last_seq_.load();
  size_t committed = 0;
  for (size_t i = 0; i < batch->size(); ++i) {
    if (!(*batch)[i].refused.ok() || (*batch)[i].no_record) continue;
    results[i].seq = ++seq;
    store_.Apply((*batch)[i].mutation, &results[i]);
    ++committed;
  }
  const uint64_t first_seq = last_seq_.load() + 1;
  last_seq_.store(seq);
  if (!encoded.empty()) {
    MutexLock lock(&listeners_mu_);
    for (auto& [id, listener] : listeners_) listener(first_seq, seq, encoded);
  }
  total_wal_bytes_.fetch_add(encoded.size());
  if (encoded.capacity() > kMaxKeptBufferBytes) encoded = std::string();  // after a huge batch
  commit_batches_.fetch_add(1, std::memory_order_relaxed);
  mutations_committed_.fetch_add(committed, std::memory_order_relaxed);
  {
    MutexLock lock(&files_mu_);
    segments_.back().bytes = log_->size();
  }
  for (size_t i = 0; i < batch->size(); ++i) {
    PendingWrite& w = (*batch)[i];
    if (w.refused.ok()) {
      w.done(std::move(results[i]));
    } else {
      w.done(std::move(w.refused));
    }
  }

  MaybeTriggerWalSnapshot();
}

Status EngineImpl::SyncLog() {
  uint64_t start = env_->MonotonicMicros();
  Status s = log_->Sync();
  if (s.ok()) {
    uint64_t micros = env_->MonotonicMicros() - start;
    fsync_count_.fetch_add(1, std::memory_order_relaxed);
    fsync_latencies_.Record(micros);
    fsync_ewma_micros_.store((fsync_ewma_micros_.load(std::memory_order_relaxed) * 7 + micros) / 8,
                             std::memory_order_relaxed);
    log_unsynced_ = false;
    synced_seq_.store(last_seq_.load());
  }
  return s;
}

StatusOr<std::unique_ptr<log::LogWriter>> EngineImpl::NewSegment(uint64_t first_seq) {
  if (segment_preparer_ != nullptr) {
    if (std::optional<std::string> spare = segment_preparer_->Take()) {
      auto writer = log::LogWriter::CreateFromSpare(env_, options_.data_dir, *spare, first_seq);
      segment_preparer_->Replenish();
      return writer;
    }
  }
  return log::LogWriter::Create(env_, options_.data_dir, first_seq, PrewriteBytes());
}

Status EngineImpl::RollSegment(uint64_t first_seq) {
  // The old segment must be complete on disk before records continue in the new one: otherwise a
  // crash could keep the new segment but lose the old one's tail, leaving a hole in the log.
  if (log_unsynced_ || options_.fsync_mode != FsyncMode::kAlways) {
    WALKV_RETURN_IF_ERROR(SyncLog());
  }
  WALKV_RETURN_IF_ERROR(log_->Close());
  auto writer = NewSegment(first_seq);
  if (!writer.ok()) return writer.status();
  log_ = std::move(*writer);
  {
    MutexLock lock(&files_mu_);
    segments_.push_back({first_seq, log_->file_name(), log_->size()});
  }
  // LOGHEAD names the new segment before any record goes into it (engine/log_head.h): from
  // here on, losing that segment is seen at startup. If this fails the caller poisons the
  // engine, so no record is written into a segment LOGHEAD does not name.
  return log::WriteLogHead(env_, options_.data_dir, first_seq);
}

void EngineImpl::PerformSnapshotCut() {
  CutResult cut;
  cut.status = PoisonStatus();
  cut.seq = last_seq_.load();
  cut.wal_bytes_total = total_wal_bytes_.load();
  {
    MutexLock lock(&digest_mu_);
    cut.digest = digest_;
  }
  if (cut.status.ok() && log_->first_seq() != cut.seq + 1) {
    // Start the post-snapshot records in a fresh segment so that every older segment is wholly
    // covered by the snapshot and can be removed once it is durable.
    cut.status = RollSegment(cut.seq + 1);
    if (!cut.status.ok()) Poison(cut.status);
  }
  if (cut.status.ok()) store_.BeginSnapshot();
  MutexLock lock(&queue_mu_);
  cut_result_ = std::move(cut);
  cut_cv_.SignalAll();
}

void EngineImpl::Poison(const Status& why) {
  MutexLock lock(&poison_mu_);
  if (poisoned_.load()) return;
  poison_ = Status(why.code() == StatusCode::kNoSpace ? StatusCode::kNoSpace : StatusCode::kPoisoned,
                   StrCat("the log could not be made durable (", why.ToString(),
                          "); no further writes are accepted until walkv restarts"));
  poisoned_.store(true);
  Log(LogLevel::kError, StrCat("storage failure, refusing all writes from now on: ",
                               why.ToString()));
}

Status EngineImpl::PoisonStatus() {
  if (!poisoned_.load()) return Status::Ok();
  MutexLock lock(&poison_mu_);
  return poison_;
}

EngineStats EngineImpl::Stats() {
  EngineStats stats;
  stats.keys = store_.Size();
  stats.keys_with_deadline = store_.KeysWithDeadline();
  stats.approx_memory_bytes = store_.ApproxMemoryBytes();
  stats.last_seq = last_seq_.load();
  stats.fsync_count = fsync_count_.load();
  stats.commit_batches = commit_batches_.load();
  stats.mutations_committed = mutations_committed_.load();
  stats.uptime_micros = env_->MonotonicMicros() - start_micros_;
  if (segment_preparer_ != nullptr) {  // set in Open, before any caller can see the engine
    stats.log_spares_used = segment_preparer_->spares_taken();
    stats.log_spare_failures = segment_preparer_->preparations_failed();
  }
  {
    MutexLock lock(&files_mu_);
    stats.log_segments = segments_.size();
    for (const SegmentFile& s : segments_) stats.log_bytes += s.bytes;
    if (!snapshots_.empty()) stats.last_snapshot = snapshots_.back();
  }
  const LatencyWindow::Summary fsync = fsync_latencies_.Summarize();
  stats.fsync_p50_micros = fsync.p50;
  stats.fsync_p99_micros = fsync.p99;
  stats.fsync_max_micros = fsync.max;
  Status poison = PoisonStatus();
  if (!poison.ok()) stats.poisoned_reason = poison.message();
  {
    MutexLock lock(&digest_mu_);
    stats.digest = digest_;
  }
  return stats;
}

uint64_t EngineImpl::AddCommitListener(CommittedRecordsListener listener) {
  MutexLock lock(&listeners_mu_);
  const uint64_t id = next_listener_id_++;
  listeners_.emplace_back(id, std::move(listener));
  return id;
}

void EngineImpl::RemoveCommitListener(uint64_t id) {
  MutexLock lock(&listeners_mu_);
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
}

uint64_t EngineImpl::LastShippableSeq() {
  return options_.fsync_mode == FsyncMode::kAlways ? last_seq_.load() : synced_seq_.load();
}

Status EngineImpl::ReadCommittedRecords(uint64_t from_seq, size_t max_bytes, std::string* out) {
  replication::LogCursor cursor(from_seq);
  std::string copied;
  WALKV_RETURN_IF_ERROR(ReadCommittedRecordsAt(&cursor, max_bytes, &copied));
  out->append(copied);
  return Status::Ok();
}

Status EngineImpl::ReadCommittedRecordsAt(replication::LogCursor* cursor, size_t max_bytes,
                                          std::string* out) {
  // The seq first: every record up to it is in a segment listed after it is read.
  const uint64_t up_to_seq = LastShippableSeq();
  std::vector<SegmentFile> segments;
  {
    MutexLock lock(&files_mu_);
    segments = segments_;
  }
  return cursor->Read(env_, options_.data_dir, segments, up_to_seq, max_bytes, out);
}

Status EngineImpl::Close() {
  MutexLock close_lock(&close_mu_);
  if (closed_) return close_status_;
  closed_ = true;
  {
    MutexLock lock(&queue_mu_);
    accepting_ = false;
  }
  // The snapshot thread first: a snapshot in progress may still need the commit thread for its
  // cut. Then the commit thread, which commits whatever is still queued before it exits.
  if (sweeper_ != nullptr) sweeper_->Stop();  // it submits deletes: before the commit thread
  {
    MutexLock lock(&snap_mu_);
    snapshot_stop_ = true;
  }
  snap_cv_.SignalAll();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  {
    MutexLock lock(&queue_mu_);
    commit_stop_ = true;
  }
  queue_cv_.SignalAll();
  if (commit_thread_.joinable()) commit_thread_.join();
  if (segment_preparer_ != nullptr) segment_preparer_->Stop();

  Status status = PoisonStatus();
  if (log_ != nullptr) {
    if (status.ok() && options_.fsync_mode != FsyncMode::kAlways) status = SyncLog();
    Status closed = log_->Close();
    if (status.ok()) status = closed;
    log_.reset();
  }
  if (!status.ok() && options_.fsync_mode == FsyncMode::kAlways) {
    // Every acknowledged mutation was synced before it was acknowledged, and those the failure
    // caught were answered with it: nothing acknowledged depends on this close.
    Log(LogLevel::kWarn, StrCat("closing after a storage failure (", status.ToString(),
                                "); every acknowledged write was synced before it was "
                                "acknowledged, so none is lost"));
    status = Status::Ok();
  }
  dir_lock_.reset();
  close_status_ = status;
  return status;
}

void EngineImpl::MaybeTriggerWalSnapshot() {
  if (options_.snapshot_wal_bytes > 0 &&
      total_wal_bytes_.load() - snapshot_wal_base_.load() >= options_.snapshot_wal_bytes) {
    MutexLock lock(&snap_mu_);
    if (!wal_trigger_) {
      wal_trigger_ = true;
      snap_cv_.SignalAll();
    }
  }
}

}  // namespace walkv
