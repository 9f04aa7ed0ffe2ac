#include "engine/snapshot_reader.h"

#include <memory>
#include <utility>

#include "engine/byte_source.h"
#include "engine/coding.h"
#include "engine/hash.h"
#include "engine/snapshot_block_pipeline.h"
#include "engine/snapshot_format.h"
#include "engine/str_cat.h"
#include "engine/string_file.h"

namespace walkv::snapshot {
namespace {

SnapshotProblem Problem(uint64_t offset, std::string reason) {
  return SnapshotProblem{offset, std::move(reason)};
}

// Steps 1-6 of docs/format.md §4.5: everything but inflating and decoding, in one pass over
// `src` that keeps nothing but the source's buffer. Returns the check with `problem` set on the
// first failure; blocks and entries are filled in only when every check passed.
StatusOr<SnapshotCheck> CheckPass(ByteSource* src, std::optional<uint64_t> expected_seq) {
  SnapshotCheck check;
  const uint64_t size = src->size();
  check.bytes = size;
  if (size < kHeaderSize + kFooterSize) {
    check.problem = Problem(0, StrCat("file too short (", size, " bytes; a snapshot has at least ",
                                      kHeaderSize + kFooterSize, ")"));
    return check;
  }

  // Header.
  Xxh64Stream file_hash;
  std::string_view h;
  WALKV_RETURN_IF_ERROR(src->Read(kHeaderSize, &h));
  file_hash.Update(h);
  if (h.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
    check.problem = Problem(0, "bad snapshot magic");
    return check;
  }
  const uint32_t version = DecodeFixed32(h.data() + 8);
  if (version < kOldestReadableSnapshotFormatVersion || version > kSnapshotFormatVersion) {
    check.problem = Problem(8, StrCat("unsupported snapshot format version ", version,
                                      " (this build reads ", kOldestReadableSnapshotFormatVersion,
                                      " to ", kSnapshotFormatVersion, ")"));
    return check;
  }
  check.version = version;
  const uint64_t footer_size = FooterSize(version);
  if (size < kHeaderSize + footer_size) {
    check.problem = Problem(0, StrCat("file too short (", size, " bytes; a version ", version,
                                      " snapshot has at least ", kHeaderSize + footer_size, ")"));
    return check;
  }
  if (Xxh64(h.substr(0, 24)) != DecodeFixed64(h.data() + 24)) {
    check.problem = Problem(24, "snapshot header checksum mismatch");
    return check;
  }
  const uint32_t flags = DecodeFixed32(h.data() + 12);
  if (flags != 0) {
    check.problem = Problem(12, StrCat("unknown snapshot flags ", flags));
    return check;
  }
  check.seq = DecodeFixed64(h.data() + 16);
  if (expected_seq && check.seq != *expected_seq) {
    check.problem = Problem(16, StrCat("snapshot header says sequence ", check.seq,
                                       " but its name says ", *expected_seq));
    return check;
  }

  // Blocks: framing and hashes only. Walking them before checking the whole-file hash lets a
  // damaged file be blamed on the exact block that is bad. The footer magic comes first in
  // §4.5's order but last in the file, so a block's problem waits until the footer is read.
  const uint64_t footer_at = size - footer_size;
  std::optional<SnapshotProblem> block_problem;
  uint64_t blocks = 0;
  uint64_t entries = 0;
  while (src->offset() < footer_at) {
    const uint64_t pos = src->offset();
    const uint64_t remain = footer_at - pos;
    if (remain < kBlockHeaderSize) {
      block_problem = Problem(pos, StrCat("truncated block header (", remain, " of ",
                                          kBlockHeaderSize, " bytes before footer)"));
      break;
    }
    std::string_view b;
    WALKV_RETURN_IF_ERROR(src->Read(kBlockHeaderSize, &b));
    file_hash.Update(b);
    const BlockHeader block = DecodeBlockHeader(pos, b);
    if (block.comp_len > remain - kBlockHeaderSize) {
      block_problem =
          Problem(pos, StrCat("block length ", block.comp_len, " runs past the footer"));
      break;
    }
    Xxh64Stream block_hash;
    block_hash.Update(block.hashed);
    WALKV_RETURN_IF_ERROR(src->Stream(block.comp_len, [&](std::string_view piece) {
      block_hash.Update(piece);
      file_hash.Update(piece);
    }));
    if (block_hash.Digest() != block.hash) {
      block_problem = Problem(pos, "block checksum mismatch");
      break;
    }
    if (block.raw_len > kMaxBlockRawBytes) {
      block_problem =
          Problem(pos, StrCat("block raw length ", block.raw_len, " exceeds the maximum"));
      break;
    }
    if (block.entries == 0) {
      block_problem = Problem(pos, "block with no entries");
      break;
    }
    entries += block.entries;
    ++blocks;
  }
  if (block_problem) {  // skip to the footer: its magic is checked first
    WALKV_RETURN_IF_ERROR(src->Stream(footer_at - src->offset(), [](std::string_view) {}));
  }

  // Footer.
  std::string_view f;
  WALKV_RETURN_IF_ERROR(src->Read(footer_size, &f));
  if (f.substr(0, kFooterMagic.size()) != kFooterMagic) {
    check.problem = Problem(footer_at, "bad footer magic (file truncated or not a snapshot)");
    return check;
  }
  if (block_problem) {
    check.problem = std::move(block_problem);
    return check;
  }
  const uint64_t footer_blocks = DecodeFixed64(f.data() + 8);
  const uint64_t footer_entries = DecodeFixed64(f.data() + 16);
  if (blocks != footer_blocks) {
    check.problem =
        Problem(footer_at + 8, StrCat("footer says ", footer_blocks, " blocks, file has ", blocks));
    return check;
  }
  if (entries != footer_entries) {
    check.problem = Problem(
        footer_at + 16, StrCat("footer says ", footer_entries, " entries, blocks hold ", entries));
    return check;
  }
  file_hash.Update(f.substr(0, footer_size - 8));
  if (file_hash.Digest() != DecodeFixed64(f.data() + footer_size - 8)) {
    check.problem = Problem(size - 8, "file checksum mismatch");
    return check;
  }
  check.blocks = blocks;
  check.entries = entries;
  if (version >= kFirstDigestSnapshotFormatVersion) {
    check.digest = HistoryDigest{.base_seq = DecodeFixed64(f.data() + 24),
                                 .seq = check.seq,
                                 .value = DecodeFixed64(f.data() + 32)};
  }
  return check;
}

// Step 7 of docs/format.md §4.5 over a file whose steps 1-6 passed (`check`): inflates and
// decodes every block, calling on_entry in file order. Inflating is most of the cost of loading a
// snapshot, so blocks are read ahead and inflated on helper threads (SnapshotBlockPipeline) while
// the caller decodes and hands out the block before them; the pipeline returns blocks in file
// order, so what on_entry sees and which problem is reported are exactly a serial reader's.
Status LoadPass(ByteSource* src, SnapshotCheck* check, const ExpiringEntryCallback& on_entry) {
  const bool has_deadlines = check->version >= 2;
  std::string_view header;
  WALKV_RETURN_IF_ERROR(src->Read(kHeaderSize, &header));
  // On every return, ~SnapshotBlockPipeline waits for its helpers and joins them.
  SnapshotBlockPipeline pipeline(src, check->blocks,
                                 SnapshotBlockPipeline::WorkersFor(check->blocks));
  for (uint64_t i = 0; i < check->blocks; ++i) {
    const InflatedBlock& current = pipeline.Next();
    WALKV_RETURN_IF_ERROR(current.status);
    const BlockHeader& block = current.header;
    if (!current.inflated) {
      check->problem =
          Problem(block.offset, StrCat("block does not inflate to its raw length ", block.raw_len));
      return Status::Ok();
    }
    std::string_view in = current.raw;
    uint32_t decoded = 0;
    while (!in.empty()) {
      std::string_view key, value;
      uint64_t deadline = 0;
      if (!GetLengthPrefixed(&in, &key) || !GetLengthPrefixed(&in, &value) ||
          (has_deadlines && !GetFixed64(&in, &deadline))) {
        check->problem = Problem(block.offset, "bad entry framing in block");
        return Status::Ok();
      }
      ++decoded;
      if (on_entry) on_entry(key, value, deadline);
    }
    if (decoded != block.entries) {
      check->problem = Problem(block.offset, StrCat("block header says ", block.entries,
                                                    " entries, block holds ", decoded));
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// Both passes, over two handles on the same `size` bytes named `name`: `check_file` for steps
// 1-6, `load_file` for step 7.
StatusOr<SnapshotCheck> ReadSnapshotFrom(const std::string& name, SequentialFile* check_file,
                                         SequentialFile* load_file, uint64_t size,
                                         std::optional<uint64_t> expected_seq,
                                         const ExpiringEntryCallback& on_entry,
                                         const VerifiedCallback& on_verified) {
  StatusOr<SnapshotCheck> check = [&] {  // the first pass's buffer is gone before the second's
    ByteSource src(check_file, size, name);
    return CheckPass(&src, expected_seq);
  }();
  if (!check.ok() || check->problem) return check;
  if (on_verified) on_verified(check->entries);
  ByteSource load_src(load_file, size, name);
  WALKV_RETURN_IF_ERROR(LoadPass(&load_src, &*check, on_entry));
  return check;
}

// Adapts a callback that does not want deadlines.
ExpiringEntryCallback IgnoringDeadlines(const EntryCallback& on_entry) {
  if (!on_entry) return nullptr;
  return [&on_entry](std::string_view key, std::string_view value, uint64_t) {
    on_entry(key, value);
  };
}

}  // namespace

StatusOr<SnapshotCheck> ReadSnapshot(Env* env, const std::string& path,
                                     std::optional<uint64_t> expected_seq,
                                     const EntryCallback& on_entry,
                                     const VerifiedCallback& on_verified) {
  return ReadSnapshotWithDeadlines(env, path, expected_seq, IgnoringDeadlines(on_entry),
                                   on_verified);
}

SnapshotCheck ParseSnapshot(std::string_view bytes, std::optional<uint64_t> expected_seq,
                            const EntryCallback& on_entry, const VerifiedCallback& on_verified) {
  return ParseSnapshotWithDeadlines(bytes, expected_seq, IgnoringDeadlines(on_entry),
                                    on_verified);
}

StatusOr<SnapshotCheck> ReadSnapshotWithDeadlines(Env* env, const std::string& path,
                                                  std::optional<uint64_t> expected_seq,
                                                  const ExpiringEntryCallback& on_entry,
                                                  const VerifiedCallback& on_verified) {
  // Both handles are opened before the size is taken, so they name the same file even if a
  // newer one is renamed over `path` meanwhile.
  StatusOr<std::unique_ptr<SequentialFile>> check_file = env->NewSequentialFile(path);
  if (!check_file.ok()) return check_file.status();
  StatusOr<std::unique_ptr<SequentialFile>> load_file = env->NewSequentialFile(path);
  if (!load_file.ok()) return load_file.status();
  StatusOr<uint64_t> size = env->GetFileSize(path);
  if (!size.ok()) return size.status();
  return ReadSnapshotFrom(path, check_file->get(), load_file->get(), *size, expected_seq, on_entry,
                          on_verified);
}

SnapshotCheck ParseSnapshotWithDeadlines(std::string_view bytes,
                                         std::optional<uint64_t> expected_seq,
                                         const ExpiringEntryCallback& on_entry,
                                         const VerifiedCallback& on_verified) {
  StringFile check_file(bytes);
  StringFile load_file(bytes);
  // Reading memory never fails and the bytes cannot change between the passes: always a value.
  return ReadSnapshotFrom("snapshot in memory", &check_file, &load_file, bytes.size(), expected_seq,
                          on_entry, on_verified)
      .value();
}

}  // namespace walkv::snapshot
