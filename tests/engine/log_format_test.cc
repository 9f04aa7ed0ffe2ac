// The write-ahead log format (engine/log_format.h, docs/format.md): what EncodeRecord writes and
// what ParseSegment reports for intact segments, torn tails and every other kind of damage.
#include "engine/log_format.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/env.h"
#include "engine/file_names.h"
#include "engine/log_reader.h"
#include "engine/log_writer.h"
#include "engine/str_cat.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/temp_dir.h"

namespace walkv::log {
namespace {

struct Decoded {
  uint64_t seq;
  MutationType type;
  std::string key;
  std::string value;
  uint64_t offset;
  uint64_t size;
};

struct Parsed {
  SegmentScan scan;
  std::vector<Decoded> records;
};

Parsed Parse(std::string_view bytes, std::optional<uint64_t> expected_first_seq) {
  Parsed out;
  out.scan = ParseSegment(bytes, expected_first_seq, [&](const RecordView& r) {
    out.records.push_back(
        {r.seq, r.type, std::string(r.key), std::string(r.value), r.offset, r.size});
  });
  return out;
}

Mutation Set(std::string key, std::string value) {
  return {MutationType::kSet, std::move(key), std::move(value)};
}

// A segment starting at `first_seq` holding `muts` in order; record offsets go to *offsets.
std::string MakeSegment(uint64_t first_seq, const std::vector<Mutation>& muts,
                        std::vector<uint64_t>* offsets = nullptr) {
  std::string seg;
  EncodeSegmentHeader(first_seq, &seg);
  for (size_t i = 0; i < muts.size(); ++i) {
    if (offsets != nullptr) offsets->push_back(seg.size());
    EncodeRecord(first_seq + i, muts[i], &seg);
  }
  return seg;
}

std::vector<Mutation> SomeMutations(int n) {
  std::vector<Mutation> muts;
  for (int i = 0; i < n; ++i) {
    muts.push_back(Set(StrCat("key", i), "value-" + std::string(i % 7, 'x')));
  }
  return muts;
}

// Recomputes the crc of the record at `offset` after a test has edited it on purpose.
void FixRecordCrc(std::string* seg, size_t offset) {
  const uint32_t length = DecodeFixed32(seg->data() + offset + 4);
  EncodeFixed32(seg->data() + offset,
                Crc32(std::string_view(*seg).substr(offset + 4, kRecordHeaderSize - 4 + length)));
}

TEST(CodingTest, Crc32IsZlibCrc32) { EXPECT_EQ(Crc32("123456789"), 0xcbf43926u); }

TEST(CodingTest, FixedIntegersAreLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0c0b0a0908070605ull);
  ASSERT_EQ(s, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12));
  std::string_view in = s;
  uint32_t a = 0;
  uint64_t b = 0;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(a, 0x04030201u);
  EXPECT_EQ(b, 0x0c0b0a0908070605ull);
  EXPECT_FALSE(GetFixed32(&in, &a));
}

TEST(CodingTest, VarintRoundTripsAndRejectsTruncatedOrOverlongInput) {
  const uint32_t values[] = {
      0,        1,         127, 128, 300, 16383, 16384, (1u << 21) - 1, 1u << 21, (1u << 28) - 1,
      1u << 28, UINT32_MAX};
  for (uint32_t v : values) {
    std::string s;
    PutVarint32(&s, v);
    EXPECT_EQ(s.size(), VarintLength32(v)) << v;
    uint32_t got = 0;
    std::string_view in = s;
    ASSERT_TRUE(GetVarint32(&in, &got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
    for (size_t cut = 0; cut < s.size(); ++cut) {
      std::string_view partial(s.data(), cut);
      EXPECT_FALSE(GetVarint32(&partial, &got)) << v << " cut at " << cut;
      EXPECT_EQ(partial.size(), cut);  // unchanged on failure
    }
  }
  std::string s;
  PutVarint32(&s, 300);
  EXPECT_EQ(s, "\xac\x02");
  uint32_t got = 0;
  std::string_view six("\x80\x80\x80\x80\x80\x01", 6);
  EXPECT_FALSE(GetVarint32(&six, &got));
  std::string_view too_big("\xff\xff\xff\xff\x1f", 5);  // 2^35 - 1 does not fit in 32 bits
  EXPECT_FALSE(GetVarint32(&too_big, &got));
}

TEST(LogFormatTest, RecordBytesMatchTheDocumentedLayout) {
  std::string seg;
  EncodeSegmentHeader(7, &seg);
  ASSERT_EQ(seg.size(), kSegmentHeaderSize);
  EXPECT_EQ(seg.substr(0, 8), "WALKVLOG");
  EXPECT_EQ(DecodeFixed32(seg.data() + 8), kLogFormatVersion);
  EXPECT_EQ(DecodeFixed64(seg.data() + 12), 7u);
  EXPECT_EQ(DecodeFixed32(seg.data() + 20), Crc32(std::string_view(seg).substr(0, 20)));

  std::string rec;
  EncodeRecord(7, Set("ab", "xyz"), &rec);
  ASSERT_EQ(rec.size(), kRecordHeaderSize + 1 + 2 + 3);
  EXPECT_EQ(DecodeFixed32(rec.data() + 4), 6u);  // payload length
  EXPECT_EQ(DecodeFixed64(rec.data() + 8), 7u);  // seq
  EXPECT_EQ(rec[16], 1);                         // SET
  EXPECT_EQ(rec.substr(17), std::string("\x02"
                                        "abxyz"));
  EXPECT_EQ(DecodeFixed32(rec.data()), Crc32(std::string_view(rec).substr(4)));

  rec.clear();
  EncodeRecord(8, {MutationType::kDelete, "ab", ""}, &rec);
  EXPECT_EQ(rec.substr(16), std::string("\x02"
                                        "ab"));
  rec.clear();
  EncodeRecord(9, {MutationType::kFlushAll, "", ""}, &rec);
  EXPECT_EQ(rec.size(), kRecordHeaderSize);
  EXPECT_EQ(rec[16], 4);
}

TEST(LogFormatTest, EveryRecordTypeRoundTrips) {
  const std::string binary("\0\x01\xff\n\r\"\\ \x80", 9);
  const std::vector<Mutation> muts = {
      Set("k", "v"),
      Set("", ""),
      Set("empty-value", ""),
      Set("", "empty-key"),
      Set(binary, binary + binary),
      {MutationType::kAppend, "k", "more"},
      {MutationType::kAppend, binary, ""},
      {MutationType::kDelete, "k", ""},
      {MutationType::kDelete, binary, ""},
      {MutationType::kDelete, "", ""},
      {MutationType::kFlushAll, "", ""},
      Set("big", std::string(1 << 20, 'b') + binary),
      Set(std::string(200, 'K'), "long key needs a 2-byte varint"),
  };
  std::vector<uint64_t> offsets;
  const std::string seg = MakeSegment(100, muts, &offsets);
  const Parsed p = Parse(seg, 100);

  EXPECT_TRUE(p.scan.header_ok);
  EXPECT_FALSE(p.scan.damage.has_value()) << p.scan.damage->reason;
  EXPECT_EQ(p.scan.first_seq, 100u);
  EXPECT_EQ(p.scan.records, muts.size());
  EXPECT_EQ(p.scan.last_seq, 100 + muts.size() - 1);
  EXPECT_EQ(p.scan.valid_end, seg.size());
  ASSERT_EQ(p.records.size(), muts.size());
  for (size_t i = 0; i < muts.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(p.records[i].seq, 100 + i);
    EXPECT_EQ(p.records[i].type, muts[i].type);
    EXPECT_EQ(p.records[i].key, muts[i].key);
    EXPECT_EQ(p.records[i].value, muts[i].value);
    EXPECT_EQ(p.records[i].offset, offsets[i]);
    const uint64_t end = i + 1 < muts.size() ? offsets[i + 1] : seg.size();
    EXPECT_EQ(p.records[i].size, end - offsets[i]);
  }
}

TEST(LogFormatTest, HeaderOnlySegmentIsIntactAndEmpty) {
  const std::string seg = MakeSegment(5, {});
  const Parsed p = Parse(seg, 5);
  EXPECT_TRUE(p.scan.header_ok);
  EXPECT_FALSE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.records, 0u);
  EXPECT_EQ(p.scan.last_seq, 4u);
  EXPECT_EQ(p.scan.valid_end, kSegmentHeaderSize);
  EXPECT_TRUE(p.records.empty());
  // Without an expected first sequence the header's own is taken.
  EXPECT_FALSE(Parse(seg, std::nullopt).scan.damage.has_value());
}

TEST(LogFormatTest, TornTailAtEveryByteOffsetOfLastRecordKeepsPrefix) {
  std::vector<Mutation> muts = SomeMutations(4);
  muts.push_back(Set("last", std::string(40, 'z')));
  std::vector<uint64_t> offsets;
  const std::string seg = MakeSegment(1, muts, &offsets);
  const uint64_t last = offsets.back();
  for (size_t cut = last; cut < seg.size(); ++cut) {
    SCOPED_TRACE(StrCat("cut at ", cut));
    const Parsed p = Parse(std::string_view(seg).substr(0, cut), 1);
    EXPECT_TRUE(p.scan.header_ok);
    if (cut == last) {
      // Cut exactly at a record boundary: an intact, shorter segment.
      EXPECT_FALSE(p.scan.damage.has_value());
    } else {
      ASSERT_TRUE(p.scan.damage.has_value());
      EXPECT_EQ(p.scan.damage->offset, last);
      EXPECT_FALSE(p.scan.damage->valid_records_follow);
    }
    EXPECT_EQ(p.scan.records, 4u);
    EXPECT_EQ(p.scan.last_seq, 4u);
    EXPECT_EQ(p.scan.valid_end, last);
    ASSERT_EQ(p.records.size(), 4u);
    EXPECT_EQ(p.records.back().key, "key3");
  }
}

TEST(LogFormatTest, TornTailAtEveryByteOffsetOfOnlyRecordKeepsHeader) {
  const std::string seg = MakeSegment(9, {Set("only", "one")});
  for (size_t cut = kSegmentHeaderSize + 1; cut < seg.size(); ++cut) {
    const Parsed p = Parse(std::string_view(seg).substr(0, cut), 9);
    ASSERT_TRUE(p.scan.damage.has_value()) << cut;
    EXPECT_EQ(p.scan.damage->offset, kSegmentHeaderSize);
    EXPECT_FALSE(p.scan.damage->valid_records_follow);
    EXPECT_EQ(p.scan.records, 0u);
    EXPECT_EQ(p.scan.last_seq, 8u);
    EXPECT_EQ(p.scan.valid_end, kSegmentHeaderSize);
  }
}

TEST(LogFormatTest, ZeroFilledTailIsTornTail) {
  std::vector<uint64_t> offsets;
  const std::string seg = MakeSegment(1, SomeMutations(3), &offsets);
  for (size_t zeros : {1, 4, 16, 17, 18, 100, 4096}) {
    SCOPED_TRACE(zeros);
    const Parsed p = Parse(seg + std::string(zeros, '\0'), 1);
    ASSERT_TRUE(p.scan.damage.has_value());
    EXPECT_EQ(p.scan.damage->offset, seg.size());
    EXPECT_FALSE(p.scan.damage->valid_records_follow);
    EXPECT_EQ(p.scan.records, 3u);
    EXPECT_EQ(p.scan.valid_end, seg.size());
  }
  // A torn last record whose missing bytes came back as zeros is a torn tail too.
  std::string torn = seg.substr(0, offsets.back() + 20);
  torn.resize(seg.size() + 512, '\0');
  const Parsed p = Parse(torn, 1);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.damage->offset, offsets.back());
  EXPECT_FALSE(p.scan.damage->valid_records_follow);
  EXPECT_EQ(p.scan.valid_end, offsets.back());
}

TEST(LogFormatTest, FlippedBitInMiddleRecordIsDamageFollowedByValidRecords) {
  std::vector<uint64_t> offsets;
  const std::string seg = MakeSegment(50, SomeMutations(5), &offsets);
  const uint64_t mid = offsets[2];
  const uint64_t next = offsets[3];
  for (uint64_t byte = mid; byte < next; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      SCOPED_TRACE(StrCat("byte ", byte) + StrCat(" bit ", bit));
      std::string bad = seg;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      const Parsed p = Parse(bad, 50);
      ASSERT_TRUE(p.scan.damage.has_value());
      EXPECT_EQ(p.scan.damage->offset, mid);
      EXPECT_TRUE(p.scan.damage->valid_records_follow);
      EXPECT_EQ(p.scan.damage->next_valid_offset, next);
      EXPECT_EQ(p.scan.records, 2u);
      EXPECT_EQ(p.scan.last_seq, 51u);
      EXPECT_EQ(p.scan.valid_end, mid);
      EXPECT_EQ(p.records.size(), 2u);  // nothing past the damage is delivered
    }
  }
}

TEST(LogFormatTest, FlippedBitInLastRecordIsDamageWithNothingAfter) {
  std::vector<uint64_t> offsets;
  const std::string seg = MakeSegment(1, SomeMutations(3), &offsets);
  for (uint64_t byte = offsets.back(); byte < seg.size(); ++byte) {
    std::string bad = seg;
    bad[byte] = static_cast<char>(bad[byte] ^ 0x10);
    const Parsed p = Parse(bad, 1);
    ASSERT_TRUE(p.scan.damage.has_value()) << byte;
    EXPECT_EQ(p.scan.damage->offset, offsets.back());
    EXPECT_FALSE(p.scan.damage->valid_records_follow);
    EXPECT_EQ(p.scan.valid_end, offsets.back());
  }
}

TEST(LogFormatTest, CorruptLengthFieldStillFindsLaterRecords) {
  std::vector<uint64_t> offsets;
  const std::string seg = MakeSegment(1, SomeMutations(6), &offsets);
  const uint64_t bad_at = offsets[1];
  // Past the end of the file, over the maximum, a little too long and a little too short.
  for (uint32_t length : {0xffffffffu, kMaxRecordPayload + 1, kMaxRecordPayload,
                          static_cast<uint32_t>(seg.size()), 3u, 0u, 20u}) {
    SCOPED_TRACE(length);
    std::string bad = seg;
    EncodeFixed32(bad.data() + bad_at + 4, length);
    const Parsed p = Parse(bad, 1);
    ASSERT_TRUE(p.scan.damage.has_value());
    EXPECT_EQ(p.scan.damage->offset, bad_at);
    EXPECT_TRUE(p.scan.damage->valid_records_follow);
    EXPECT_EQ(p.scan.damage->next_valid_offset, offsets[2]);
    EXPECT_EQ(p.scan.records, 1u);
  }
}

TEST(LogFormatTest, SequenceGapIsDamage) {
  // 1, 2, 4, 5: the record with seq 4 is intact, so records follow the damage.
  std::string seg;
  EncodeSegmentHeader(1, &seg);
  EncodeRecord(1, Set("a", "1"), &seg);
  EncodeRecord(2, Set("b", "2"), &seg);
  const uint64_t gap_at = seg.size();
  EncodeRecord(4, Set("d", "4"), &seg);
  EncodeRecord(5, Set("e", "5"), &seg);
  Parsed p = Parse(seg, 1);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.damage->offset, gap_at);
  EXPECT_NE(p.scan.damage->reason.find("sequence 4 where 3 was expected"), std::string::npos)
      << p.scan.damage->reason;
  EXPECT_TRUE(p.scan.damage->valid_records_follow);
  EXPECT_EQ(p.scan.damage->next_valid_offset, gap_at);
  EXPECT_EQ(p.scan.records, 2u);
  EXPECT_EQ(p.scan.last_seq, 2u);
  EXPECT_EQ(p.scan.valid_end, gap_at);

  // A gap in the very last record is still not a torn tail: that record is whole.
  std::string tail_gap;
  EncodeSegmentHeader(1, &tail_gap);
  EncodeRecord(1, Set("a", "1"), &tail_gap);
  EncodeRecord(3, Set("c", "3"), &tail_gap);
  p = Parse(tail_gap, 1);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_TRUE(p.scan.damage->valid_records_follow);

  // The first record must carry the header's first sequence number.
  std::string first_wrong;
  EncodeSegmentHeader(10, &first_wrong);
  EncodeRecord(11, Set("a", "1"), &first_wrong);
  p = Parse(first_wrong, 10);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.damage->offset, kSegmentHeaderSize);
  EXPECT_EQ(p.scan.last_seq, 9u);

  // A repeated (older) sequence number is damage as well.
  std::string repeated;
  EncodeSegmentHeader(1, &repeated);
  EncodeRecord(1, Set("a", "1"), &repeated);
  const uint64_t dup_at = repeated.size();
  EncodeRecord(1, Set("a", "again"), &repeated);
  p = Parse(repeated, 1);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.damage->offset, dup_at);
  EXPECT_FALSE(p.scan.damage->valid_records_follow);
}

TEST(LogFormatTest, BadMagicVersionOrHeaderCrcIsHeaderDamage) {
  const std::string seg = MakeSegment(1, SomeMutations(3));
  auto expect_header_damage = [](const std::string& bytes, const std::string& why) -> std::string {
    SCOPED_TRACE(why);
    const Parsed p = Parse(bytes, 1);
    EXPECT_FALSE(p.scan.header_ok);
    EXPECT_TRUE(p.scan.damage.has_value());
    if (!p.scan.damage) return "";
    EXPECT_EQ(p.scan.damage->offset, 0u);
    EXPECT_EQ(p.scan.records, 0u);
    EXPECT_EQ(p.scan.valid_end, 0u);
    EXPECT_TRUE(p.records.empty());
    return p.scan.damage->reason;
  };
  std::string bad = seg;
  bad[0] = 'X';
  EXPECT_NE(expect_header_damage(bad, "magic").find("magic"), std::string::npos);

  bad = seg;
  EncodeFixed32(bad.data() + 8, kNewestReadableLogFormatVersion + 1);
  EncodeFixed32(bad.data() + 20, Crc32(std::string_view(bad).substr(0, 20)));
  EXPECT_NE(expect_header_damage(bad, "version").find("version"), std::string::npos);

  for (size_t byte = 8; byte < kSegmentHeaderSize; ++byte) {
    bad = seg;
    bad[byte] = static_cast<char>(bad[byte] ^ 0x01);
    expect_header_damage(bad, StrCat("flipped header byte ", byte));
  }
  // A segment shorter than its header (a crash while creating it).
  for (size_t len = 0; len < kSegmentHeaderSize; ++len) {
    expect_header_damage(seg.substr(0, len), StrCat("header cut at ", len));
    EXPECT_FALSE(Parse(seg.substr(0, len), 1).scan.damage->valid_records_follow);
  }
  // Records behind a damaged header are intact, so they are reported as following the damage.
  bad = seg;
  bad[20] = static_cast<char>(bad[20] ^ 0xff);
  const Parsed p = Parse(bad, 1);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_TRUE(p.scan.damage->valid_records_follow);
  EXPECT_EQ(p.scan.damage->next_valid_offset, kSegmentHeaderSize);
}

TEST(LogFormatTest, WrongFirstSeqIsDamage) {
  const std::string seg = MakeSegment(42, SomeMutations(2));
  const Parsed p = Parse(seg, 41);
  EXPECT_FALSE(p.scan.header_ok);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.damage->offset, 0u);
  EXPECT_NE(p.scan.damage->reason.find("42"), std::string::npos) << p.scan.damage->reason;
  EXPECT_TRUE(p.records.empty());
  EXPECT_FALSE(Parse(seg, 42).scan.damage.has_value());
}

TEST(LogFormatTest, UnknownRecordTypeIsDamageEvenWithAGoodChecksum) {
  std::vector<uint64_t> offsets;
  const std::string seg = MakeSegment(1, SomeMutations(3), &offsets);
  for (uint8_t type : {0, 9, 0x81, 0xff}) {
    std::string bad = seg;
    bad[offsets[1] + 16] = static_cast<char>(type);
    FixRecordCrc(&bad, offsets[1]);
    const Parsed p = Parse(bad, 1);
    ASSERT_TRUE(p.scan.damage.has_value()) << int{type};
    EXPECT_EQ(p.scan.damage->offset, offsets[1]);
    EXPECT_NE(p.scan.damage->reason.find("type"), std::string::npos);
    EXPECT_TRUE(p.scan.damage->valid_records_follow);
    EXPECT_EQ(p.scan.damage->next_valid_offset, offsets[2]);
    EXPECT_EQ(p.records.size(), 1u);
  }
}

TEST(LogFormatTest, BadPayloadFramingIsDamageEvenWithAGoodChecksum) {
  // SET whose key length runs past the payload.
  std::string seg;
  EncodeSegmentHeader(1, &seg);
  const uint64_t at = seg.size();
  EncodeRecord(1, Set("key", "value"), &seg);
  seg[at + kRecordHeaderSize] = 100;  // key length 100 > 8 payload bytes
  FixRecordCrc(&seg, at);
  Parsed p = Parse(seg, 1);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.damage->offset, at);
  EXPECT_TRUE(p.records.empty());

  // SET with an empty payload (no varint at all), and with an unterminated varint.
  for (const std::string& payload : {std::string(), std::string("\x80\x80", 2)}) {
    std::string s;
    EncodeSegmentHeader(1, &s);
    std::string rec(kRecordHeaderSize, '\0');
    EncodeFixed32(rec.data() + 4, static_cast<uint32_t>(payload.size()));
    EncodeFixed64(rec.data() + 8, 1);
    rec[16] = static_cast<char>(MutationType::kAppend);
    rec += payload;
    s += rec;
    FixRecordCrc(&s, kSegmentHeaderSize);
    p = Parse(s, 1);
    ASSERT_TRUE(p.scan.damage.has_value());
    EXPECT_EQ(p.scan.damage->offset, kSegmentHeaderSize);
  }

  // FLUSHALL must have an empty payload.
  std::string f;
  EncodeSegmentHeader(1, &f);
  EncodeRecord(1, {MutationType::kDelete, "x", ""}, &f);
  f[kSegmentHeaderSize + 16] = static_cast<char>(MutationType::kFlushAll);
  FixRecordCrc(&f, kSegmentHeaderSize);
  p = Parse(f, 1);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.damage->offset, kSegmentHeaderSize);
}

TEST(LogFormatTest, RandomGarbageAfterDamageIsNotMistakenForRecords) {
  std::vector<uint64_t> offsets;
  std::string seg = MakeSegment(1, SomeMutations(3), &offsets);
  const uint64_t garbage_at = seg.size();
  std::mt19937_64 rng(1);
  for (int i = 0; i < (4 << 20); ++i) seg.push_back(static_cast<char>(rng()));
  const Parsed p = Parse(seg, 1);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.damage->offset, garbage_at);
  EXPECT_FALSE(p.scan.damage->valid_records_follow);
  EXPECT_EQ(p.scan.records, 3u);
}

TEST(LogFormatTest, DamagedLargeRecordIsSkippedToTheNextRecord) {
  std::vector<uint64_t> offsets;
  const std::string seg = MakeSegment(
      1, {Set("a", "1"), Set("big", std::string(1 << 20, '\0')), Set("c", "3")}, &offsets);
  std::string bad = seg;
  bad[offsets[1] + 1000] ^= 0x01;
  const Parsed p = Parse(bad, 1);
  ASSERT_TRUE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.damage->offset, offsets[1]);
  EXPECT_TRUE(p.scan.damage->valid_records_follow);
  EXPECT_EQ(p.scan.damage->next_valid_offset, offsets[2]);
}

TEST(LogFormatTest, ArbitraryBytesNeverCrashTheReader) {
  // A bounded in-test fuzz run (the long campaign lives in a script): random garbage, and
  // random edits of a real segment. Under ASan/UBSan this checks the reader never reads out of
  // bounds; everywhere it checks the scan is self-consistent.
  std::mt19937_64 rng(20261125);
  const std::string seg = MakeSegment(1, SomeMutations(8));
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes;
    if (iter % 3 == 0) {
      bytes.resize(rng() % 200);
      for (char& c : bytes) c = static_cast<char>(rng());
      if (bytes.size() >= 8 && iter % 2 == 0) bytes.replace(0, 8, "WALKVLOG");
    } else {
      bytes = seg;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
      }
      if (iter % 5 == 0) bytes.resize(rng() % (bytes.size() + 1));
    }
    const Parsed p = Parse(bytes, rng() % 2 == 0 ? std::optional<uint64_t>(1) : std::nullopt);
    ASSERT_LE(p.scan.valid_end, bytes.size());
    ASSERT_EQ(p.records.size(), p.scan.records);
    ASSERT_EQ(p.scan.damage.has_value(), p.scan.valid_end != bytes.size() || !p.scan.header_ok);
    if (p.scan.damage && p.scan.damage->valid_records_follow) {
      ASSERT_LT(p.scan.damage->next_valid_offset, bytes.size());
      ASSERT_GE(p.scan.damage->next_valid_offset, p.scan.damage->offset);
    }
  }
}

TEST(LogWriterTest, CreateWritesADurableHeaderAndAppendsRecords) {
  walkv::testing::TempDir dir;
  Env* env = Env::Posix();
  StatusOr<std::unique_ptr<LogWriter>> writer = LogWriter::Create(env, dir.path(), 77);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_EQ((*writer)->file_name(), LogFileName(77));
  EXPECT_EQ((*writer)->first_seq(), 77u);
  EXPECT_EQ((*writer)->size(), kSegmentHeaderSize);

  std::string batch;
  EncodeRecord(77, Set("a", "1"), &batch);
  EncodeRecord(78, {MutationType::kAppend, "a", "2"}, &batch);
  ASSERT_TRUE((*writer)->AppendBatch(batch).ok());
  batch.clear();
  EncodeRecord(79, {MutationType::kFlushAll, "", ""}, &batch);
  ASSERT_TRUE((*writer)->AppendBatch(batch).ok());
  ASSERT_TRUE((*writer)->Sync().ok());
  ASSERT_TRUE((*writer)->Close().ok());

  std::string contents;
  ASSERT_TRUE(ReadFileToString(env, dir.Sub(LogFileName(77)), &contents).ok());
  const Parsed p = Parse(contents, 77);
  EXPECT_FALSE(p.scan.damage.has_value());
  EXPECT_EQ(p.scan.records, 3u);
  EXPECT_EQ(p.scan.last_seq, 79u);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[1].type, MutationType::kAppend);
  EXPECT_EQ(p.records[2].type, MutationType::kFlushAll);
}

TEST(LogWriterTest, CreatedSegmentSurvivesPowerLoss) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
  auto writer = LogWriter::Create(&env, "/db", 5);
  ASSERT_TRUE(writer.ok());
  env.RestartAfterPowerLoss(FaultInjectionEnv::kDropUnsynced);
  StatusOr<std::string> bytes = env.ReadWholeFile("/db/" + LogFileName(5));
  ASSERT_TRUE(bytes.ok()) << "Create() returned OK but the segment is gone";
  const Parsed p = Parse(*bytes, 5);
  EXPECT_TRUE(p.scan.header_ok);
  EXPECT_FALSE(p.scan.damage.has_value());
}

TEST(LogWriterTest, FailedCreateLeavesNoSegment) {
  for (bool fail_sync : {false, true}) {
    FaultInjectionEnv env;
    ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
    if (fail_sync) {
      env.FailNthSync(1, EIO);
    } else {
      env.FailNthWrite(1, ENOSPC, "", 10);
    }
    auto writer = LogWriter::Create(&env, "/db", 5);
    ASSERT_FALSE(writer.ok());
    EXPECT_TRUE(writer.status().IsStorageFailure()) << writer.status().ToString();
    EXPECT_FALSE(env.FileExists("/db/" + LogFileName(5)));
  }
}

TEST(LogWriterTest, PowerLossLeavesSyncedRecordsAndATornTailAtMost) {
  // Batches of records, each synced; then one more batch, cut by a power loss that keeps a random
  // prefix of the unsynced bytes. Every synced record must be read back and whatever follows
  // must parse as (at most) a torn tail.
  for (uint64_t seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE(StrCat("seed ", seed));
    FaultInjectionEnv env(seed);
    ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
    auto writer = LogWriter::Create(&env, "/db", 1);
    ASSERT_TRUE(writer.ok());
    std::mt19937_64 rng(seed);
    uint64_t seq = 1;
    const int synced_batches = static_cast<int>(rng() % 4);
    for (int b = 0; b < synced_batches; ++b) {
      std::string batch;
      for (int r = 0; r < 3; ++r, ++seq) {
        EncodeRecord(seq, Set(StrCat("k", seq), std::string(rng() % 300, 'v')), &batch);
      }
      ASSERT_TRUE((*writer)->AppendBatch(batch).ok());
      ASSERT_TRUE((*writer)->Sync().ok());
    }
    const uint64_t synced_last = seq - 1;
    std::string batch;
    for (int r = 0; r < 5; ++r, ++seq) {
      EncodeRecord(seq, Set(StrCat("u", seq), std::string(rng() % 300, 'w')), &batch);
    }
    ASSERT_TRUE((*writer)->AppendBatch(batch).ok());
    env.RestartAfterPowerLoss(FaultInjectionEnv::kKeepRandomUnsynced, seed);

    StatusOr<std::string> bytes = env.ReadWholeFile("/db/" + LogFileName(1));
    ASSERT_TRUE(bytes.ok());
    const Parsed p = Parse(*bytes, 1);
    ASSERT_TRUE(p.scan.header_ok);
    EXPECT_GE(p.scan.last_seq, synced_last);
    if (p.scan.damage) {
      EXPECT_FALSE(p.scan.damage->valid_records_follow) << p.scan.damage->reason;
    }
  }
}

}  // namespace
}  // namespace walkv::log
