// EngineImpl::AppendReplicatedRecords: a replica's log grows by its primary's records, byte for
// byte (docs/replication.md §3). The records are checked with the log reader's own rules
// (log::ParseSegment over a segment header for last_seq + 1 followed by the records), then
// written through the same LogWriter as a commit batch, synced per FsyncMode, hashed into the
// history digest, applied as recovery applies them, and handed to the commit listeners. The
// replica's log is then an ordinary walkv log whose seqs and digest equal the primary's.
#include <vector>

#include "engine/coding.h"
#include "engine/engine_impl.h"
#include "engine/log_reader.h"
#include "engine/log_writer.h"
#include "engine/record_payload.h"
#include "engine/str_cat.h"

namespace walkv {
namespace {

// Checks that `records` are intact framed records numbered first_seq, first_seq + 1, ... that
// end exactly at the end of `records`, with well-formed BATCH parts. On success *views (pointing
// into *segment, which this builds) holds them in order.
Status CheckShippedRecords(std::string_view records, uint64_t first_seq, std::string* segment,
                           std::vector<log::RecordView>* views) {
  if (records.size() >= log::kRecordHeaderSize) {
    const uint64_t seq = DecodeFixed64(records.data() + 8);
    if (seq != first_seq) {
      return Status::InvalidArgument(StrCat("shipped records start at seq ", seq,
                                            "; the next seq of this log is ", first_seq));
    }
  }
  segment->clear();
  log::EncodeSegmentHeader(first_seq, segment);
  segment->append(records);
  views->clear();
  const log::SegmentScan scan = log::ParseSegment(
      *segment, first_seq, [&](const log::RecordView& rec) { views->push_back(rec); });
  if (scan.damage.has_value()) {
    return Status::Corruption(StrCat("shipped record at byte ",
                                     scan.damage->offset - log::kSegmentHeaderSize, ": ",
                                     scan.damage->reason));
  }
  if (views->empty() || scan.valid_end != segment->size()) {
    return Status::Corruption(StrCat("shipped records end at byte ",
                                     scan.valid_end - log::kSegmentHeaderSize, " of ",
                                     records.size()));
  }
  std::vector<MutationView> parts;
  for (const log::RecordView& rec : *views) {
    if (rec.type == MutationType::kBatch && !DecodeBatchParts(rec.value, &parts)) {
      return Status::Corruption(StrCat("shipped record seq ", rec.seq, ": bad BATCH parts"));
    }
  }
  return Status::Ok();
}

}  // namespace

Status EngineImpl::AppendReplicatedRecords(std::string_view records) {
  if (records.empty()) return Status::Ok();
  WALKV_RETURN_IF_ERROR(WaitForCommitToken());
  Status status = CommitReplicated(records);
  MaybeIntervalSync();
  MutexLock lock(&queue_mu_);
  ReturnCommitToken(last_batch_size_);
  return status;
}

Status EngineImpl::WaitForCommitToken() {
  MutexLock lock(&queue_mu_);
  ++token_waiters_;
  while (accepting_ && committing_) token_cv_.Wait();
  --token_waiters_;
  if (!accepting_) return Status::ShuttingDown("the engine is shutting down");
  committing_ = true;  // the commit token (engine_impl.h)
  return Status::Ok();
}

Status EngineImpl::CommitReplicated(std::string_view records) {
  WALKV_RETURN_IF_ERROR(PoisonStatus());
  const uint64_t first_seq = last_seq_.load() + 1;
  std::string segment;
  std::vector<log::RecordView> views;
  WALKV_RETURN_IF_ERROR(CheckShippedRecords(records, first_seq, &segment, &views));
  const uint64_t last_seq = views.back().seq;

  // From here on exactly as CommitBatch: roll, write, sync; a failure poisons the engine.
  Status status;
  if (log_->size() >= options_.segment_bytes && log_->first_seq() <= last_seq_.load()) {
    status = RollSegment(first_seq);
  }
  if (status.ok()) status = log_->AppendBatch(records);
  if (status.ok() && options_.fsync_mode == FsyncMode::kAlways) status = SyncLog();
  if (!status.ok()) {
    Poison(status);
    return PoisonStatus();
  }
  if (options_.fsync_mode != FsyncMode::kAlways) log_unsynced_ = true;
  {
    MutexLock lock(&digest_mu_);
    digest_.AdvanceRecords(records);
  }
  for (const log::RecordView& rec : views) {
    MutationResult ignored;
    store_.Apply(rec.type, rec.key, rec.value, rec.deadline_ms, &ignored);
  }
  last_seq_.store(last_seq);
  {
    MutexLock lock(&listeners_mu_);
    for (auto& [id, listener] : listeners_) listener(first_seq, last_seq, records);
  }
  total_wal_bytes_.fetch_add(records.size());
  commit_batches_.fetch_add(1, std::memory_order_relaxed);
  mutations_committed_.fetch_add(views.size(), std::memory_order_relaxed);
  {
    MutexLock lock(&files_mu_);
    segments_.back().bytes = log_->size();
  }
  MaybeTriggerWalSnapshot();
  return Status::Ok();
}

}  // namespace walkv
