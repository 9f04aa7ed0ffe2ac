// SnapshotCompressor: the compressing half of writing a snapshot (EngineImpl::WriteSnapshot).
//
// Why two halves: Store::CollectShardForSnapshot holds a shard's lock exclusively while it copies
// the shard, and every writer to that shard (the commit thread's apply, so every batch touching
// it) waits meanwhile. Deflating the snapshot is the CPU work requests should win against, so it
// runs at lowered priority; but a low-priority thread holding a shard lock can be kept off the CPU
// by request threads for milliseconds while the commit thread waits for the lock (priority
// inversion: p99 SET during a snapshot measured 3.1x without one, docs/performance.md). So the
// caller's thread (normal priority) only copies shards into chunks, and this class's thread, at
// lowered priority (Env::LowerCurrentThreadPriority), feeds them to the SnapshotWriter.
//
// Two chunks circulate: the caller fills one while the thread writes the other. Memory: two
// chunks' keys and values (WriteSnapshot fills a chunk with shards up to ~1 MiB, plus the shard
// that crosses it).
//
// Threads: the caller (one thread) calls Empty, Submit and Finish; the compressor thread calls
// writer->Add only. mu_ guards the queues and the status.
#pragma once

#include <deque>
#include <thread>

#include "engine/env.h"
#include "engine/mutex.h"
#include "engine/snapshot_chunk.h"
#include "engine/snapshot_writer.h"
#include "engine/status.h"
#include "engine/thread_annotations.h"

namespace walkv {

class SnapshotCompressor {
 public:
  // Starts the thread. `writer` must outlive this object (or its Finish()).
  SnapshotCompressor(Env* env, snapshot::SnapshotWriter* writer);
  ~SnapshotCompressor();  // Finish()
  SnapshotCompressor(const SnapshotCompressor&) = delete;
  SnapshotCompressor& operator=(const SnapshotCompressor&) = delete;

  // An empty chunk to fill, waiting while both are with the thread. nullptr once an Add failed:
  // stop collecting and call Finish() for the error.
  SnapshotChunk* Empty();
  // Hands a chunk from Empty(), filled, to the thread.
  void Submit(SnapshotChunk* chunk);
  // Waits until every submitted chunk was added (or one failed), stops and joins the thread, and
  // returns the first error of writer->Add. Idempotent.
  Status Finish();

 private:
  void Run();

  Env* const env_;
  snapshot::SnapshotWriter* const writer_;
  SnapshotChunk chunks_[2];
  Mutex mu_;
  CondVar cv_{&mu_};
  std::deque<SnapshotChunk*> free_ GUARDED_BY(mu_);
  std::deque<SnapshotChunk*> filled_ GUARDED_BY(mu_);
  bool busy_ GUARDED_BY(mu_) = false;  // the thread is adding a chunk it took from filled_
  bool stop_ GUARDED_BY(mu_) = false;
  Status status_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace walkv
