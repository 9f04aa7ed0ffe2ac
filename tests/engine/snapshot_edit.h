// Helpers for snapshot damage tests: find the blocks of a snapshot's bytes by walking the
// documented layout (docs/format.md §4), and fix up its hashes after a deliberate edit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/coding.h"
#include "engine/hash.h"
#include "engine/snapshot_format.h"

namespace walkv::snapshot {

// Offsets of the block headers of a snapshot, found by walking the documented layout (stops at
// the first block that does not fit).
inline std::vector<uint64_t> BlockOffsets(std::string_view bytes) {
  std::vector<uint64_t> offsets;
  if (bytes.size() < kHeaderSize + kFooterSize) return offsets;
  const size_t footer_size = FooterSize(DecodeFixed32(bytes.data() + 8));
  if (bytes.size() < kHeaderSize + footer_size) return offsets;
  const size_t end = bytes.size() - footer_size;
  size_t pos = kHeaderSize;
  while (pos + kBlockHeaderSize <= end) {
    const uint32_t comp_len = DecodeFixed32(bytes.data() + pos + 4);
    if (comp_len > end - pos - kBlockHeaderSize) break;
    offsets.push_back(pos);
    pos += kBlockHeaderSize + comp_len;
  }
  return offsets;
}

// Recomputes the header hash, every block hash and the file hash after a deliberate edit, so the
// edit gets past every checksum.
inline void RehashEverything(std::string* bytes) {
  if (bytes->size() < kHeaderSize + kFooterSize) return;
  EncodeFixed64(bytes->data() + 24, Xxh64(std::string_view(*bytes).substr(0, 24)));
  for (uint64_t off : BlockOffsets(*bytes)) {
    const uint32_t comp_len = DecodeFixed32(bytes->data() + off + 4);
    Xxh64Stream h;
    h.Update(std::string_view(*bytes).substr(off, 12));
    h.Update(std::string_view(*bytes).substr(off + kBlockHeaderSize, comp_len));
    EncodeFixed64(bytes->data() + off + 12, h.Digest());
  }
  EncodeFixed64(bytes->data() + bytes->size() - 8,
                Xxh64(std::string_view(*bytes).substr(0, bytes->size() - 8)));
}

}  // namespace walkv::snapshot
