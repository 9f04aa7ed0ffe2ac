// Fuzz target: log::EncodeSegmentHeader/EncodeRecord (engine/log_writer.h) against
// log::ParseSegment (engine/log_reader.h).
//
// The input is turned (FuzzedDataProvider) into a first sequence number and a list of mutations,
// encoded as a segment the way the writer does, then:
//   1. parsed back: every record comes out in order with its exact type, key and value, and the
//      segment is intact to its last byte;
//   2. cut at a fuzz-chosen length (a crash mid-write): the records wholly before the cut come
//      out and nothing else; damage is reported exactly when the cut is not on a record boundary;
//   3. one fuzz-chosen byte changed (media corruption): every record before the one holding that
//      byte comes out intact and the damage is at that record's offset (crc32 catches every
//      single-byte error); if a later record exists, the damage is not taken for a torn tail
//      (valid_records_follow), since that is what keeps tolerate-tail recovery from truncating
//      acknowledged writes.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/log_format.h"
#include "engine/log_reader.h"
#include "engine/log_writer.h"
#include "engine/record_payload.h"
#include "engine/mutation.h"
#include "fuzz/fuzz_check.h"

namespace walkv::log {
namespace {

struct Decoded {
  SegmentScan scan;
  std::vector<Mutation> mutations;
};

Decoded Parse(std::string_view bytes, uint64_t first_seq) {
  Decoded d;
  d.scan = ParseSegment(bytes, first_seq, [&](const RecordView& r) {
    Mutation m{r.type, std::string(r.key), std::string(r.value)};
    m.deadline_ms = r.deadline_ms;
    if (r.type == MutationType::kBatch) {
      m.value.clear();
      std::vector<MutationView> parts;
      FUZZ_CHECK(DecodeBatchParts(r.value, &parts), "a delivered BATCH does not decode");
      for (const MutationView& p : parts) {
        Mutation part{p.type, std::string(p.key), std::string(p.value)};
        part.deadline_ms = p.deadline_ms;
        m.batch.push_back(std::move(part));
      }
    }
    d.mutations.push_back(std::move(m));
  });
  return d;
}

bool Same(const Mutation& a, const Mutation& b) {
  if (a.batch.size() != b.batch.size()) return false;
  for (size_t i = 0; i < a.batch.size(); ++i) {
    if (!Same(a.batch[i], b.batch[i])) return false;
  }
  return a.type == b.type && a.key == b.key && a.value == b.value &&
         a.deadline_ms == b.deadline_ms;
}

void Run(FuzzedDataProvider& in) {
  // Small first sequence numbers most of the time, occasionally huge ones (wrap-around edges).
  const uint64_t first_seq = in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(0, 1000)
                                              : in.ConsumeIntegral<uint64_t>();
  const size_t count = in.ConsumeIntegralInRange<size_t>(0, 16);
  std::vector<Mutation> mutations;
  for (size_t i = 0; i < count && in.remaining_bytes() > 0; ++i) {
    Mutation m;
    m.type = static_cast<MutationType>(
        in.ConsumeIntegralInRange<uint8_t>(1, static_cast<uint8_t>(kLastMutationType)));
    if (m.type != MutationType::kFlushAll) m.key = in.ConsumeRandomLengthString(256);
    if (m.type == MutationType::kSet || m.type == MutationType::kAppend ||
        m.type == MutationType::kSetWithDeadline) {
      m.value = in.ConsumeRandomLengthString(512);
    }
    if (m.type == MutationType::kSetWithDeadline || m.type == MutationType::kExpireAt) {
      m.deadline_ms = in.ConsumeIntegralInRange<uint64_t>(1, UINT64_MAX);
    }
    if (m.type == MutationType::kBatch) {  // 1-4 parts: SET, DELETE or SET_WITH_DEADLINE
      m.key.clear();
      const size_t parts = in.ConsumeIntegralInRange<size_t>(1, 4);
      for (size_t p = 0; p < parts; ++p) {
        static constexpr MutationType kPartTypes[] = {
            MutationType::kSet, MutationType::kDelete, MutationType::kSetWithDeadline};
        Mutation part{kPartTypes[in.ConsumeIntegralInRange<size_t>(0, 2)],
                      in.ConsumeRandomLengthString(64), ""};
        if (part.type != MutationType::kDelete) part.value = in.ConsumeRandomLengthString(64);
        if (part.type == MutationType::kSetWithDeadline) part.deadline_ms = 1 + p;
        m.batch.push_back(std::move(part));
      }
    }
    mutations.push_back(std::move(m));
  }
  // Sequence numbers must not wrap inside the segment.
  if (first_seq > UINT64_MAX - mutations.size()) return;

  std::string segment;
  EncodeSegmentHeader(first_seq, &segment);
  std::vector<size_t> ends;  // end offset of each record
  for (size_t i = 0; i < mutations.size(); ++i) {
    EncodeRecord(first_seq + i, mutations[i], &segment);
    ends.push_back(segment.size());
  }

  // 1. Round trip.
  const Decoded all = Parse(segment, first_seq);
  FUZZ_CHECK(all.scan.header_ok && !all.scan.damage, "a freshly encoded segment is damaged: %s",
             all.scan.damage ? all.scan.damage->reason.c_str() : "bad header");
  FUZZ_CHECK(all.mutations.size() == mutations.size(), "%zu records written, %zu read",
             mutations.size(), all.mutations.size());
  for (size_t i = 0; i < mutations.size(); ++i) {
    FUZZ_CHECK(Same(all.mutations[i], mutations[i]), "record %zu reads back differently", i);
  }
  FUZZ_CHECK(all.scan.valid_end == segment.size(), "valid_end short of the end");
  FUZZ_CHECK(all.scan.last_seq == first_seq + mutations.size() - 1, "wrong last_seq");

  // 2. Torn write: cut anywhere after the header.
  const size_t cut = in.ConsumeIntegralInRange<size_t>(kSegmentHeaderSize, segment.size());
  size_t whole = 0;
  while (whole < ends.size() && ends[whole] <= cut) ++whole;
  const size_t boundary = whole == 0 ? kSegmentHeaderSize : ends[whole - 1];
  const Decoded torn = Parse(std::string_view(segment).substr(0, cut), first_seq);
  FUZZ_CHECK(torn.mutations.size() == whole, "cut at %zu: %zu records read, %zu whole", cut,
             torn.mutations.size(), whole);
  for (size_t i = 0; i < whole; ++i) {
    FUZZ_CHECK(Same(torn.mutations[i], mutations[i]), "cut: record %zu differs", i);
  }
  FUZZ_CHECK(torn.scan.valid_end == boundary, "cut at %zu: valid_end %llu, boundary %zu", cut,
             static_cast<unsigned long long>(torn.scan.valid_end), boundary);
  FUZZ_CHECK(torn.scan.damage.has_value() == (cut != boundary), "cut at %zu: damage %d", cut,
             static_cast<int>(torn.scan.damage.has_value()));

  // 3. One corrupted byte.
  if (in.remaining_bytes() == 0) return;
  const size_t pos = in.ConsumeIntegralInRange<size_t>(0, segment.size() - 1);
  const auto delta = in.ConsumeIntegralInRange<uint8_t>(1, 255);
  std::string bad = segment;
  bad[pos] = static_cast<char>(static_cast<uint8_t>(bad[pos]) ^ delta);
  const Decoded hit = Parse(bad, first_seq);
  FUZZ_CHECK(hit.scan.damage.has_value(), "byte %zu changed, no damage found", pos);
  if (pos < kSegmentHeaderSize) {
    FUZZ_CHECK(!hit.scan.header_ok && hit.mutations.empty(), "header byte %zu changed unnoticed",
               pos);
    return;
  }
  size_t victim = 0;
  while (ends[victim] <= pos) ++victim;
  const size_t victim_offset = victim == 0 ? kSegmentHeaderSize : ends[victim - 1];
  FUZZ_CHECK(hit.mutations.size() == victim, "byte %zu of record %zu changed: %zu records read",
             pos, victim, hit.mutations.size());
  for (size_t i = 0; i < victim; ++i) {
    FUZZ_CHECK(Same(hit.mutations[i], mutations[i]), "corruption: record %zu differs", i);
  }
  FUZZ_CHECK(hit.scan.damage->offset == victim_offset, "damage at %llu, changed record at %zu",
             static_cast<unsigned long long>(hit.scan.damage->offset), victim_offset);
  if (victim + 1 < mutations.size()) {
    FUZZ_CHECK(
        hit.scan.damage->valid_records_follow && hit.scan.damage->next_valid_offset <= ends[victim],
        "mid-log corruption in record %zu of %zu looks like a torn tail", victim, mutations.size());
  }
}

}  // namespace
}  // namespace walkv::log

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  walkv::log::Run(in);
  return 0;
}
