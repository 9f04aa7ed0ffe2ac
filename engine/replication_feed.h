// ReplicationFeed: the primary's side of one replication stream inside the engine
// (docs/replication.md §2). It hands out the engine's committed log records, byte for byte as
// framed in the log, in sequence order from a starting seq: first those already on disk (read
// from the segments), then live ones as they commit, with no gap and no duplicate between the
// two.
//
// The live part never slows the commit path: the engine's commit listener only copies each
// batch into this feed's buffer, bounded by max_buffered_bytes. A consumer that lets the buffer
// fill up (a slow replica) is cut off: Next() fails with kBusy from then on, and the replica must
// reconnect and catch up from disk.
//
// Records handed out are durable on the primary and applied: with FsyncMode::kAlways every
// acknowledged record, with kInterval/kNever only those an fdatasync covered
// (Engine::LastShippableSeq): a record written but not synced waits in the buffer until a sync
// covers it (the feed looks every kSyncPollMicros while it waits for one).
//
// From disk the feed keeps its place (a replication::LogCursor: the segment it is in and the
// bytes read ahead), so catching up reads each segment once whatever max_bytes is.
//
// Thread safety: Next() and next_seq() are for one consumer thread; the engine's commit thread
// calls the listener concurrently (mu_ guards the buffer). The engine must outlive the feed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "engine/mutex.h"
#include "engine/replication_log.h"
#include "engine/status.h"
#include "engine/thread_annotations.h"

namespace walkv::replication {

class ReplicationFeed {
 public:
  static constexpr size_t kDefaultMaxBufferedBytes = 64u << 20;
  // How often Next() looks again while buffered records wait for the primary's next sync.
  static constexpr uint64_t kSyncPollMicros = 10'000;

  // Subscribes to `engine`'s commits; the first record handed out will be from_seq (>= 1).
  ReplicationFeed(Engine* engine, uint64_t from_seq,
                  size_t max_buffered_bytes = kDefaultMaxBufferedBytes);
  // Unsubscribes; returns once the commit listener can no longer run.
  ~ReplicationFeed();
  ReplicationFeed(const ReplicationFeed&) = delete;
  ReplicationFeed& operator=(const ReplicationFeed&) = delete;

  // Appends the records next_seq(), next_seq() + 1, ... to *out: at least one record and about
  // max_bytes at most, waiting up to timeout_micros for the first one (OK with nothing appended
  // when none came). Errors: kNotFound if the records from next_seq() are no longer on disk
  // (too far behind), kBusy once the live buffer overflowed, or a read error.
  Status Next(size_t max_bytes, uint64_t timeout_micros, std::string* out);

  // The seq of the next record Next() will hand out.
  uint64_t next_seq() const { return next_seq_; }

 private:
  struct Chunk {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
    std::string records;
    size_t consumed = 0;  // bytes of `records` already handed out
  };
  void OnCommitted(uint64_t first_seq, uint64_t last_seq, std::string_view records);
  // Moves records up to shippable_seq from the front chunk(s) to *out; mu_ held.
  void TakeLive(size_t max_bytes, uint64_t shippable_seq, std::string* out) REQUIRES(mu_);

  Engine* const engine_;
  const size_t max_buffered_bytes_;
  uint64_t listener_id_ = 0;
  uint64_t next_seq_;  // consumer-owned
  std::unique_ptr<LogCursor> cursor_;  // consumer-owned: where the disk read stopped

  Mutex mu_;
  CondVar cv_{&mu_};
  std::deque<Chunk> live_ GUARDED_BY(mu_);
  size_t buffered_bytes_ GUARDED_BY(mu_) = 0;
  bool overflowed_ GUARDED_BY(mu_) = false;
};

}  // namespace walkv::replication
