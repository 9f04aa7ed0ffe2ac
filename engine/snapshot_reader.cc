#include "engine/snapshot_reader.h"

#include <zlib.h>

#include <algorithm>
#include <future>
#include <vector>

#include "engine/coding.h"
#include "engine/hash.h"
#include "engine/snapshot_format.h"

namespace walkv::snapshot {
namespace {

struct Block {
  uint64_t offset;  // of the block header
  uint32_t raw_len;
  uint32_t entries;
  std::string_view data;  // the zlib stream
};

struct InflatedBlock {
  bool ok = false;
  std::string raw;
};

// Inflates `in` (one complete zlib stream, nothing after it) into exactly `raw_len` bytes.
// The output grows with what inflate actually produces, so a lying raw_len cannot make us
// allocate more than the stream really expands to.
bool Inflate(std::string_view in, uint32_t raw_len, std::string* out) {
  out->clear();
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());  // comp_len is a u32 and uInt is 32 bits
  size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == out->size()) {
      if (out->size() == raw_len) break;  // full, but the stream has not ended: too long
      const size_t grow = std::max<size_t>(out->size(), 64 * 1024);
      out->resize(std::min<size_t>(raw_len, out->size() + grow));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs.avail_out = static_cast<uInt>(out->size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out->size() - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) break;  // Z_DATA_ERROR, Z_BUF_ERROR (input ended early), Z_MEM_ERROR ...
  }
  const bool ok = rc == Z_STREAM_END && produced == raw_len && zs.avail_in == 0;
  inflateEnd(&zs);
  out->resize(produced);
  return ok;
}

SnapshotProblem Problem(uint64_t offset, std::string reason) {
  return SnapshotProblem{offset, std::move(reason)};
}

}  // namespace

SnapshotCheck ParseSnapshot(
    std::string_view bytes, std::optional<uint64_t> expected_seq,
    const std::function<void(std::string_view key, std::string_view value)>& on_entry,
    const std::function<void(uint64_t entries)>& on_verified) {
  SnapshotCheck check;
  check.bytes = bytes.size();
  if (bytes.size() < kHeaderSize + kFooterSize) {
    check.problem = Problem(0, "file too short (" + std::to_string(bytes.size()) +
                                   " bytes; a snapshot has at least " +
                                   std::to_string(kHeaderSize + kFooterSize) + ")");
    return check;
  }

  // Header.
  const char* h = bytes.data();
  if (bytes.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
    check.problem = Problem(0, "bad snapshot magic");
    return check;
  }
  const uint32_t version = DecodeFixed32(h + 8);
  if (version != kSnapshotFormatVersion) {
    check.problem =
        Problem(8, "unsupported snapshot format version " + std::to_string(version) +
                       " (this build reads " + std::to_string(kSnapshotFormatVersion) + ")");
    return check;
  }
  if (Xxh64(bytes.substr(0, 24)) != DecodeFixed64(h + 24)) {
    check.problem = Problem(24, "snapshot header checksum mismatch");
    return check;
  }
  const uint32_t flags = DecodeFixed32(h + 12);
  if (flags != 0) {
    check.problem = Problem(12, "unknown snapshot flags " + std::to_string(flags));
    return check;
  }
  check.seq = DecodeFixed64(h + 16);
  if (expected_seq && check.seq != *expected_seq) {
    check.problem = Problem(16, "snapshot header says sequence " + std::to_string(check.seq) +
                                    " but its name says " + std::to_string(*expected_seq));
    return check;
  }

  // Footer.
  const size_t footer_at = bytes.size() - kFooterSize;
  const char* f = bytes.data() + footer_at;
  if (bytes.substr(footer_at, kFooterMagic.size()) != kFooterMagic) {
    check.problem = Problem(footer_at, "bad footer magic (file truncated or not a snapshot)");
    return check;
  }
  const uint64_t footer_blocks = DecodeFixed64(f + 8);
  const uint64_t footer_entries = DecodeFixed64(f + 16);
  const uint64_t file_hash = DecodeFixed64(f + 24);

  // Blocks: framing and hashes only. Walking them before checking the whole-file hash lets a
  // damaged file be blamed on the exact block that is bad.
  std::vector<Block> blocks;
  size_t pos = kHeaderSize;
  uint64_t entries = 0;
  while (pos < footer_at) {
    const size_t remain = footer_at - pos;
    if (remain < kBlockHeaderSize) {
      check.problem = Problem(pos, "truncated block header (" + std::to_string(remain) + " of " +
                                       std::to_string(kBlockHeaderSize) + " bytes before footer)");
      return check;
    }
    const char* b = bytes.data() + pos;
    Block block;
    block.offset = pos;
    block.raw_len = DecodeFixed32(b);
    const uint32_t comp_len = DecodeFixed32(b + 4);
    block.entries = DecodeFixed32(b + 8);
    if (comp_len > remain - kBlockHeaderSize) {
      check.problem =
          Problem(pos, "block length " + std::to_string(comp_len) + " runs past the footer");
      return check;
    }
    block.data = bytes.substr(pos + kBlockHeaderSize, comp_len);
    Xxh64Stream hash;
    hash.Update(bytes.substr(pos, 12));
    hash.Update(block.data);
    if (hash.Digest() != DecodeFixed64(b + 12)) {
      check.problem = Problem(pos, "block checksum mismatch");
      return check;
    }
    if (block.raw_len > kMaxBlockRawBytes) {
      check.problem = Problem(
          pos, "block raw length " + std::to_string(block.raw_len) + " exceeds the maximum");
      return check;
    }
    if (block.entries == 0) {
      check.problem = Problem(pos, "block with no entries");
      return check;
    }
    entries += block.entries;
    blocks.push_back(block);
    pos += kBlockHeaderSize + comp_len;
  }
  if (blocks.size() != footer_blocks) {
    check.problem =
        Problem(footer_at + 8, "footer says " + std::to_string(footer_blocks) +
                                   " blocks, file has " + std::to_string(blocks.size()));
    return check;
  }
  if (entries != footer_entries) {
    check.problem = Problem(footer_at + 16, "footer says " + std::to_string(footer_entries) +
                                                " entries, blocks hold " + std::to_string(entries));
    return check;
  }
  if (Xxh64(bytes.substr(0, bytes.size() - 8)) != file_hash) {
    check.problem = Problem(bytes.size() - 8, "file checksum mismatch");
    return check;
  }
  check.blocks = blocks.size();
  check.entries = entries;

  // Every checksum passed: inflate and decode. A failure here means a writer bug or a hash
  // collision; the caller must discard the entries it already received.
  if (on_verified) on_verified(entries);
  // Block i+1 is inflated on a helper thread while block i is decoded and handed to on_entry:
  // inflating is about half the cost of loading a snapshot, so the two halves overlap.
  // Two buffers take turns (the one being decoded, the one being inflated into), so large blocks
  // do not cost a fresh allocation and its page faults each.
  auto inflate = [&blocks](size_t i, std::string buffer) {
    InflatedBlock out;
    out.raw = std::move(buffer);
    out.ok = Inflate(blocks[i].data, blocks[i].raw_len, &out.raw);
    return out;
  };
  std::future<InflatedBlock> next;
  std::string spare;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Block& block = blocks[i];
    InflatedBlock current = i == 0 ? inflate(0, std::string()) : next.get();
    if (i + 1 < blocks.size()) {
      next = std::async(std::launch::async, inflate, i + 1, std::move(spare));
    }
    if (!current.ok) {
      check.problem = Problem(block.offset, "block does not inflate to its raw length " +
                                                std::to_string(block.raw_len));
      return check;  // ~future waits for the helper, which only touches `blocks`
    }
    std::string_view in = current.raw;
    uint32_t decoded = 0;
    while (!in.empty()) {
      std::string_view key, value;
      if (!GetLengthPrefixed(&in, &key) || !GetLengthPrefixed(&in, &value)) {
        check.problem = Problem(block.offset, "bad entry framing in block");
        return check;
      }
      ++decoded;
      if (on_entry) on_entry(key, value);
    }
    if (decoded != block.entries) {
      check.problem = Problem(block.offset, "block header says " + std::to_string(block.entries) +
                                                " entries, block holds " + std::to_string(decoded));
      return check;
    }
    spare = std::move(current.raw);
  }
  return check;
}

}  // namespace walkv::snapshot
