#include "engine/replication_feed.h"

#include <algorithm>
#include <chrono>

#include "engine/coding.h"
#include "engine/log_format.h"
#include "engine/str_cat.h"

namespace walkv::replication {
namespace {

size_t RecordSize(std::string_view records, size_t at) {
  return log::kRecordHeaderSize + DecodeFixed32(records.data() + at + 4);
}

uint64_t RecordSeq(std::string_view records, size_t at) {
  return DecodeFixed64(records.data() + at + 8);
}

}  // namespace

ReplicationFeed::ReplicationFeed(Engine* engine, uint64_t from_seq, size_t max_buffered_bytes)
    : engine_(engine), max_buffered_bytes_(max_buffered_bytes), next_seq_(from_seq) {
  listener_id_ = engine_->AddCommitListener(
      [this](uint64_t first, uint64_t last, std::string_view records) {
        OnCommitted(first, last, records);
      });
}

ReplicationFeed::~ReplicationFeed() { engine_->RemoveCommitListener(listener_id_); }

void ReplicationFeed::OnCommitted(uint64_t first_seq, uint64_t last_seq,
                                  std::string_view records) {
  MutexLock lock(&mu_);
  if (overflowed_) return;
  if (buffered_bytes_ + records.size() > max_buffered_bytes_) {
    overflowed_ = true;  // the consumer fell too far behind: cut it off, free the buffer
    live_.clear();
    buffered_bytes_ = 0;
  } else {
    live_.push_back(Chunk{first_seq, last_seq, std::string(records), 0});
    buffered_bytes_ += records.size();
  }
  cv_.SignalAll();
}

void ReplicationFeed::TakeLive(size_t max_bytes, uint64_t shippable_seq, std::string* out) {
  const size_t start_size = out->size();
  while (!live_.empty() && live_.front().first_seq <= next_seq_ && next_seq_ <= shippable_seq) {
    Chunk& chunk = live_.front();
    // Skip what the disk read already handed out.
    while (chunk.consumed < chunk.records.size() &&
           RecordSeq(chunk.records, chunk.consumed) < next_seq_) {
      chunk.consumed += RecordSize(chunk.records, chunk.consumed);
    }
    while (chunk.consumed < chunk.records.size() && out->size() - start_size < max_bytes &&
           next_seq_ <= shippable_seq) {
      const size_t size = RecordSize(chunk.records, chunk.consumed);
      out->append(chunk.records, chunk.consumed, size);
      chunk.consumed += size;
      ++next_seq_;
    }
    if (chunk.consumed < chunk.records.size()) return;  // max_bytes reached
    buffered_bytes_ -= chunk.records.size();
    live_.pop_front();
  }
}

Status ReplicationFeed::Next(size_t max_bytes, uint64_t timeout_micros, std::string* out) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_micros);
  for (;;) {
    bool from_disk = false;
    // Before looking at the buffer: every buffered record up to it may go.
    const uint64_t shippable_seq = engine_->LastShippableSeq();
    {
      MutexLock lock(&mu_);
      if (overflowed_) {
        return Status::Busy(StrCat("replication stream fell more than ", max_buffered_bytes_,
                                   " bytes behind the primary's commits; reconnect"));
      }
      // Chunks wholly before next_seq_ were covered by an earlier disk read.
      while (!live_.empty() && live_.front().last_seq < next_seq_) {
        buffered_bytes_ -= live_.front().records.size();
        live_.pop_front();
      }
      if (!live_.empty() && live_.front().first_seq <= next_seq_) {
        const size_t before = out->size();
        TakeLive(max_bytes, shippable_seq, out);
        if (out->size() > before) return Status::Ok();
      } else {
        // next_seq_ is older than the first buffered record (or nothing is buffered): it is on
        // disk if it was committed at all.
        from_disk = true;
      }
    }
    if (from_disk) {
      const size_t before = out->size();
      if (cursor_ == nullptr || cursor_->next_seq() != next_seq_) {
        cursor_ = std::make_unique<LogCursor>(next_seq_);
      }
      WALKV_RETURN_IF_ERROR(engine_->ReadCommittedRecordsAt(cursor_.get(), max_bytes, out));
      if (out->size() > before) {
        next_seq_ = cursor_->next_seq();
        return Status::Ok();
      }
    }
    // Nothing shippable from next_seq_ on yet: wait for the listener (a commit) or, while
    // records wait for a sync, look again shortly.
    MutexLock lock(&mu_);
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return Status::Ok();
    if (!overflowed_) {
      uint64_t wait = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count() + 1);
      if (!live_.empty()) wait = std::min(wait, kSyncPollMicros);
      cv_.WaitFor(wait);
    }
  }
}

}  // namespace walkv::replication
