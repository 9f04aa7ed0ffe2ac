// SnapshotBlockPipeline: the load pass's blocks (docs/format.md §4.5 step 7), read in file order
// on the caller's thread and inflated on helper threads, several at once, handed back in file
// order. Blocks are independent (each is its own zlib stream under its own xxh64, §4.2), so
// inflating them in parallel changes nothing but the time; the caller still sees every block, its
// read status and its inflate result exactly in file order, as a serial reader would.
//
// Memory: at most kMaxBlocksAhead blocks are held at once, and fewer when they are large: a block
// is read ahead only while the blocks already held (compressed plus inflated bytes) stay under
// kReadAheadBytes, except that one block ahead of the one being handed out is always allowed
// (so huge single-entry blocks cost what the serial reader's two blocks cost, plus their
// compressed bytes).
//
// Threads: the caller's (reads, hands out) and `workers` helpers (inflate). A block is owned by
// the caller until it is queued, by one helper while it is inflated, and by the caller again once
// marked done; mu_ orders the hand-offs. The destructor waits for the helpers' current inflates and
// joins them on every path, so nothing outlives the pipeline. Not thread-safe otherwise: one
// caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/byte_source.h"
#include "engine/inflater.h"
#include "engine/mutex.h"
#include "engine/status.h"

namespace walkv::snapshot {

// A block header (docs/format.md §4.2) as read from the file.
struct BlockHeader {
  uint64_t offset = 0;  // of the block header in the file
  uint32_t raw_len = 0;
  uint32_t comp_len = 0;
  uint32_t entries = 0;
  uint64_t hash = 0;
  std::string_view hashed;  // the 12 bytes the hash covers first (valid only while read)
};

BlockHeader DecodeBlockHeader(uint64_t offset, std::string_view b);

// One block of the load pass.
struct InflatedBlock {
  Status status;  // not OK: an I/O error, or the block changed since the check pass
  BlockHeader header;
  bool inflated = false;  // the zlib stream inflated to exactly raw_len bytes, in `raw`
  std::string compressed;  // the block's zlib stream (buffer reused from block to block)
  std::string raw;
};

class SnapshotBlockPipeline {
 public:
  static constexpr size_t kMaxBlocksAhead = 4;
  static constexpr uint64_t kReadAheadBytes = 4 << 20;

  // The number of helper threads worth starting for `blocks` blocks on this machine: none for a
  // single block (the caller inflates it), else one per core up to two.
  static int WorkersFor(uint64_t blocks);

  // `src` is positioned at the first block header and holds `blocks` blocks, which the check
  // pass found intact; it must outlive the pipeline. With `workers` 0 every block is read and
  // inflated on the caller's thread inside Next().
  SnapshotBlockPipeline(ByteSource* src, uint64_t blocks, int workers);
  ~SnapshotBlockPipeline();
  SnapshotBlockPipeline(const SnapshotBlockPipeline&) = delete;
  SnapshotBlockPipeline& operator=(const SnapshotBlockPipeline&) = delete;

  // The next block in file order (call at most `blocks` times), read, re-hashed and — if its
  // status is OK — inflated. Valid until the next call. After a block whose status is not OK no
  // further block is read; the caller stops there.
  const InflatedBlock& Next();

 private:
  struct Slot {
    InflatedBlock block;
    bool done = false;  // guarded by mu_ while the pipeline has helpers
    uint64_t held_bytes = 0;  // the block's buffers' capacity, counted in bytes_ahead_ (caller)
  };

  // Reads blocks ahead into free slots and queues them, within the limits above.
  void ReadAhead();
  // Reads the block at src_'s offset into `block` and checks its hash again (a mismatch now
  // means the file changed since the check pass).
  void ReadBlock(InflatedBlock* block);
  void WorkerLoop();
  static void InflateBlock(Inflater* inflater, InflatedBlock* block);

  ByteSource* const src_;
  const uint64_t blocks_;
  uint64_t read_ = 0;          // blocks read so far (caller only)
  uint64_t handed_out_ = 0;    // blocks returned by Next so far (caller only)
  uint64_t bytes_ahead_ = 0;   // compressed + raw bytes of blocks [handed_out_, read_) (caller)
  bool read_failed_ = false;   // a block's read failed: read no further (caller only)
  std::vector<std::unique_ptr<Slot>> slots_;  // ring: block i lives in slots_[i % size]
  std::unique_ptr<Inflater> caller_inflater_;  // only without helpers

  Mutex mu_;
  CondVar work_ready_{&mu_};  // queue_ gained a slot, or stopping_
  CondVar block_done_{&mu_};  // some slot's done became true
  std::deque<Slot*> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;  // declared last: started after everything they use
};

}  // namespace walkv::snapshot
