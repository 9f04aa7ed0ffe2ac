// Fuzz target: snapshot::ParseSnapshot (engine/snapshot_reader.h) over arbitrary bytes.
//
// The input is a whole snapshot file. It is parsed as is (without and with an expected sequence
// number), and again with every hash and the footer's totals recomputed, so that mutations reach
// inflation and entry decoding — the code behind the checksums, which only a writer bug or a hash
// collision would otherwise reach. Invariants checked after each parse (abort() on violation):
//   - on_entry is called only if the header hash, every block hash and the file hash are right
//     (checked here independently of the reader);
//   - no problem => the entries delivered are exactly check.entries, and blocks/entries match the
//     footer; a problem is reported at an offset inside the file;
//   - the expected sequence number is enforced at offset 16, and giving the header's own changes
//     nothing.
// Seeds: fuzz/corpus/snapshot_reader/.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/coding.h"
#include "engine/hash.h"
#include "engine/snapshot_format.h"
#include "engine/snapshot_reader.h"
#include "fuzz/fuzz_check.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WALKV_FUZZ_HAS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(WALKV_FUZZ_HAS_ASAN)
#define WALKV_FUZZ_HAS_ASAN 1
#endif
#ifndef WALKV_FUZZ_HAS_ASAN
#define WALKV_FUZZ_HAS_ASAN 0
#endif
#if WALKV_FUZZ_HAS_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace walkv::snapshot {
namespace {

struct Parsed {
  SnapshotCheck check;
  uint64_t delivered = 0;
  uint64_t key_value_bytes = 0;
};

// Every byte of a delivered key or value must be live memory. Under ASan this asks the shadow
// memory about the whole range at once (a view into freed memory, or past the end of a heap
// buffer, is poisoned); a byte-by-byte loop did the same at one traced compare per byte, which
// cost a third of the fuzzer's time on large values. Elsewhere (the replay test under g++), read
// every byte.
void CheckLive(std::string_view bytes, uint64_t* total) {
#if WALKV_FUZZ_HAS_ASAN
  const void* poisoned = __asan_region_is_poisoned(const_cast<char*>(bytes.data()), bytes.size());
  FUZZ_CHECK(poisoned == nullptr, "a delivered key or value covers dead memory at %p", poisoned);
#else
  volatile uint64_t sum = 0;
  for (char c : bytes) sum = sum + static_cast<unsigned char>(c);
#endif
  *total += bytes.size();
}

Parsed Parse(std::string_view bytes, std::optional<uint64_t> expected) {
  Parsed p;
  p.check = ParseSnapshot(bytes, expected, [&](std::string_view key, std::string_view value) {
    ++p.delivered;
    CheckLive(key, &p.key_value_bytes);
    CheckLive(value, &p.key_value_bytes);
  });
  return p;
}

// The footer's size for the version in the header (48 bytes from version 3, which holds the
// history digest; 32 before). `b` holds at least a header.
size_t FooterSizeOf(std::string_view b) { return FooterSize(DecodeFixed32(b.data() + 8)); }

// Walks the block headers between header and footer. Returns false if the framing does not reach
// the footer exactly. With `fix`, rewrites every block hash; otherwise returns false on a wrong
// one.
bool WalkBlocks(std::string* b, bool fix, uint64_t* blocks, uint64_t* entries) {
  if (b->size() < kHeaderSize + FooterSizeOf(*b)) return false;
  const size_t footer_at = b->size() - FooterSizeOf(*b);
  size_t pos = kHeaderSize;
  *blocks = 0;
  *entries = 0;
  while (pos < footer_at) {
    if (footer_at - pos < kBlockHeaderSize) return false;
    const uint32_t comp_len = DecodeFixed32(b->data() + pos + 4);
    if (comp_len > footer_at - pos - kBlockHeaderSize) return false;
    Xxh64Stream hash;
    hash.Update(std::string_view(*b).substr(pos, 12));
    hash.Update(std::string_view(*b).substr(pos + kBlockHeaderSize, comp_len));
    if (fix) {
      EncodeFixed64(b->data() + pos + 12, hash.Digest());
    } else if (hash.Digest() != DecodeFixed64(b->data() + pos + 12)) {
      return false;
    }
    ++*blocks;
    *entries += DecodeFixed32(b->data() + pos + 8);
    pos += kBlockHeaderSize + comp_len;
  }
  return true;
}

// True if every hash in the file matches: header, each block, whole file.
bool AllHashesValid(std::string_view bytes) {
  if (bytes.size() < kHeaderSize + kFooterSize) return false;
  if (bytes.size() < kHeaderSize + FooterSizeOf(bytes)) return false;
  if (Xxh64(bytes.substr(0, 24)) != DecodeFixed64(bytes.data() + 24)) return false;
  if (Xxh64(bytes.substr(0, bytes.size() - 8)) != DecodeFixed64(bytes.data() + bytes.size() - 8)) {
    return false;
  }
  std::string copy(bytes);
  uint64_t blocks = 0, entries = 0;
  return WalkBlocks(&copy, /*fix=*/false, &blocks, &entries);
}

void CheckInvariants(std::string_view bytes, std::optional<uint64_t> expected, const Parsed& p) {
  const SnapshotCheck& c = p.check;
  FUZZ_CHECK(c.bytes == bytes.size(), "bytes %llu, size %zu",
             static_cast<unsigned long long>(c.bytes), bytes.size());
  if (p.delivered > 0) {
    FUZZ_CHECK(AllHashesValid(bytes), "on_entry called on a file whose hashes do not all match");
    FUZZ_CHECK(p.delivered <= c.entries || c.problem.has_value(),
               "more entries delivered than counted");
  }
  if (!c.problem) {
    FUZZ_CHECK(AllHashesValid(bytes), "no problem reported, but a hash does not match");
    FUZZ_CHECK(p.delivered == c.entries, "clean snapshot: %llu entries delivered, %llu counted",
               static_cast<unsigned long long>(p.delivered),
               static_cast<unsigned long long>(c.entries));
    const char* f = bytes.data() + bytes.size() - FooterSizeOf(bytes);
    FUZZ_CHECK(DecodeFixed64(f + 8) == c.blocks && DecodeFixed64(f + 16) == c.entries,
               "clean snapshot: totals differ from the footer");
    FUZZ_CHECK(c.digest.has_value() == (c.version >= kFirstDigestSnapshotFormatVersion),
               "clean snapshot: a digest exactly from version 3 on");
    FUZZ_CHECK(!c.digest || (c.digest->seq == c.seq && c.digest->base_seq == DecodeFixed64(f + 24) &&
                             c.digest->value == DecodeFixed64(f + 32)),
               "clean snapshot: digest differs from the footer");
    FUZZ_CHECK(c.seq == DecodeFixed64(bytes.data() + 16), "clean snapshot: seq not the header's");
    FUZZ_CHECK(!expected || *expected == c.seq, "expected_seq not enforced");
    FUZZ_CHECK(c.entries >= c.blocks, "fewer entries than blocks (a block holds >= 1)");
  } else {
    FUZZ_CHECK(!c.problem->reason.empty(), "problem without a reason");
    FUZZ_CHECK(c.problem->offset < bytes.size() || c.problem->offset == 0,
               "problem offset %llu outside a %zu-byte file",
               static_cast<unsigned long long>(c.problem->offset), bytes.size());
  }
}

void CheckAll(std::string_view bytes) {
  const Parsed plain = Parse(bytes, std::nullopt);
  CheckInvariants(bytes, std::nullopt, plain);
  if (bytes.size() < kHeaderSize) return;
  const uint64_t header_seq = DecodeFixed64(bytes.data() + 16);
  const Parsed same = Parse(bytes, header_seq);
  CheckInvariants(bytes, header_seq, same);
  FUZZ_CHECK(same.check.problem.has_value() == plain.check.problem.has_value() &&
                 same.delivered == plain.delivered && same.check.entries == plain.check.entries,
             "expected_seq == header seq changed the result");
  if (!plain.check.problem) {
    const Parsed other = Parse(bytes, header_seq + 1);
    CheckInvariants(bytes, header_seq + 1, other);
    FUZZ_CHECK(other.check.problem && other.check.problem->offset == 16 && other.delivered == 0,
               "a snapshot whose name disagrees with its header was accepted");
  }
}

// Makes every checksum and the footer's totals right, keeping the fuzzer's bytes otherwise.
std::string FixChecksums(std::string_view in) {
  std::string b(in);
  if (b.size() < kHeaderSize + kFooterSize) return b;
  if (b.size() < kHeaderSize + FooterSizeOf(b)) return b;
  EncodeFixed64(b.data() + 24, Xxh64(std::string_view(b).substr(0, 24)));
  uint64_t blocks = 0, entries = 0;
  if (WalkBlocks(&b, /*fix=*/true, &blocks, &entries)) {
    char* f = b.data() + b.size() - FooterSizeOf(b);
    EncodeFixed64(f + 8, blocks);
    EncodeFixed64(f + 16, entries);
  }
  EncodeFixed64(b.data() + b.size() - 8, Xxh64(std::string_view(b).substr(0, b.size() - 8)));
  return b;
}

}  // namespace
}  // namespace walkv::snapshot

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  walkv::snapshot::CheckAll(bytes);
  const std::string fixed = walkv::snapshot::FixChecksums(bytes);
  if (fixed != bytes) walkv::snapshot::CheckAll(fixed);
  return 0;
}
