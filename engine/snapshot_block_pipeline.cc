#include "engine/snapshot_block_pipeline.h"

#include <algorithm>
#include <utility>

#include "engine/coding.h"
#include "engine/hash.h"
#include "engine/snapshot_format.h"
#include "engine/str_cat.h"

namespace walkv::snapshot {

BlockHeader DecodeBlockHeader(uint64_t offset, std::string_view b) {
  return BlockHeader{.offset = offset,
                     .raw_len = DecodeFixed32(b.data()),
                     .comp_len = DecodeFixed32(b.data() + 4),
                     .entries = DecodeFixed32(b.data() + 8),
                     .hash = DecodeFixed64(b.data() + 12),
                     .hashed = b.substr(0, 12)};
}

int SnapshotBlockPipeline::WorkersFor(uint64_t blocks) {
  if (blocks < 2) return 0;
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cores, 1u, 2u));
}

SnapshotBlockPipeline::SnapshotBlockPipeline(ByteSource* src, uint64_t blocks, int workers)
    : src_(src), blocks_(blocks) {
  slots_.resize(workers > 0 ? kMaxBlocksAhead : 1);
  for (auto& slot : slots_) slot = std::make_unique<Slot>();
  if (workers == 0) caller_inflater_ = std::make_unique<Inflater>();
  workers_.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

SnapshotBlockPipeline::~SnapshotBlockPipeline() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    queue_.clear();  // blocks nobody will ask for; a helper finishes only the one it holds
  }
  work_ready_.SignalAll();
  for (std::thread& worker : workers_) worker.join();
}

void SnapshotBlockPipeline::ReadBlock(InflatedBlock* block) {
  block->header = {};
  block->inflated = false;
  block->compressed.clear();
  std::string_view b;
  block->status = src_->Read(kBlockHeaderSize, &b);
  if (!block->status.ok()) return;
  block->header = DecodeBlockHeader(src_->offset() - kBlockHeaderSize, b);
  Xxh64Stream hash;
  hash.Update(block->header.hashed);
  block->header.hashed = {};  // points into the source's buffer, which the next read reuses
  block->compressed.reserve(block->header.comp_len);
  block->status = src_->Stream(block->header.comp_len, [&](std::string_view piece) {
    hash.Update(piece);
    block->compressed.append(piece);
  });
  if (!block->status.ok()) return;
  if (hash.Digest() != block->header.hash) {
    block->status = Status::IOError(StrCat(src_->name(), ": block at ", block->header.offset,
                                           " changed while the file was read"));
    return;
  }
  // Allocate here, on the caller's thread, so helpers never grow a buffer (Inflate only resizes
  // within this capacity when raw_len is honest).
  block->raw.reserve(block->header.raw_len);
}

void SnapshotBlockPipeline::InflateBlock(Inflater* inflater, InflatedBlock* block) {
  block->inflated = inflater->Inflate(block->compressed, block->header.raw_len, &block->raw);
}

void SnapshotBlockPipeline::ReadAhead() {
  while (read_ < blocks_ && !read_failed_ && read_ - handed_out_ < slots_.size() &&
         (read_ - handed_out_ < 2 || bytes_ahead_ < kReadAheadBytes)) {
    Slot* slot = slots_[read_ % slots_.size()].get();
    ReadBlock(&slot->block);
    ++read_;
    slot->held_bytes = slot->block.compressed.capacity() + slot->block.raw.capacity();
    bytes_ahead_ += slot->held_bytes;
    if (!slot->block.status.ok()) read_failed_ = true;
    if (workers_.empty()) {
      if (slot->block.status.ok()) InflateBlock(caller_inflater_.get(), &slot->block);
      continue;
    }
    MutexLock lock(&mu_);
    slot->done = !slot->block.status.ok();  // nothing to inflate: hand the status back as is
    if (!slot->done) {
      queue_.push_back(slot);
      work_ready_.Signal();
    }
  }
}

const InflatedBlock& SnapshotBlockPipeline::Next() {
  if (handed_out_ > 0) {  // the block handed out last is the caller's no more
    bytes_ahead_ -= slots_[(handed_out_ - 1) % slots_.size()]->held_bytes;
  }
  ReadAhead();
  Slot* slot = slots_[handed_out_ % slots_.size()].get();
  ++handed_out_;
  if (!workers_.empty()) {
    MutexLock lock(&mu_);
    while (!slot->done) block_done_.Wait();
  }
  return slot->block;
}

void SnapshotBlockPipeline::WorkerLoop() {
  Inflater inflater;
  for (;;) {
    Slot* slot = nullptr;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) work_ready_.Wait();
      if (stopping_) return;
      slot = queue_.front();
      queue_.pop_front();
    }
    InflateBlock(&inflater, &slot->block);
    {
      MutexLock lock(&mu_);
      slot->done = true;
    }
    block_done_.SignalAll();
  }
}

}  // namespace walkv::snapshot
