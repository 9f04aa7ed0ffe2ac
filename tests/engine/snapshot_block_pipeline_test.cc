// The parallel load pass (engine/snapshot_block_pipeline.h): blocks inflated on helper threads come
// back in file order, byte for byte what the serial path (no helpers) gives, with every read
// failure and inflate failure at the same block; reading ahead stays within its memory bound; and
// through ReadSnapshot, damage in a later block, met while earlier blocks are being handed out, is
// reported with the same offset and reason as before, after exactly the earlier blocks' entries.
#include "engine/snapshot_block_pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/byte_source.h"
#include "engine/coding.h"
#include "engine/file_names.h"
#include "engine/snapshot_format.h"
#include "engine/snapshot_reader.h"
#include "engine/snapshot_writer.h"
#include "engine/string_file.h"
#include "tests/engine/snapshot_edit.h"
#include "tests/util/fault_injection_env.h"

namespace walkv::snapshot {
namespace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

constexpr char kDir[] = "/db";
constexpr uint64_t kSeq = 5;

// `n` keys with `value_bytes`-byte values, incompressible like real data, one block per ~256 KiB.
KeyValues RandomEntries(int n, size_t value_bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  KeyValues kvs;
  for (int i = 0; i < n; ++i) {
    std::string value(value_bytes, '\0');
    for (char& c : value) c = static_cast<char>(rng());
    kvs.emplace_back("key-" + std::to_string(i), std::move(value));
  }
  return kvs;
}

std::string WriteSnapshot(const KeyValues& kvs) {
  FaultInjectionEnv env;
  EXPECT_TRUE(env.CreateDirIfMissing(kDir).ok());
  StatusOr<std::unique_ptr<SnapshotWriter>> writer = SnapshotWriter::Create(&env, kDir, kSeq);
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  if (!writer.ok()) return "";
  for (const auto& [k, v] : kvs) EXPECT_TRUE((*writer)->Add(k, v).ok());
  EXPECT_TRUE((*writer)->Finish().ok());
  StatusOr<std::string> bytes = env.ReadWholeFile(JoinPath(kDir, SnapshotFileName(kSeq)));
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : "";
}

// What the caller of the pipeline sees of one block.
struct SeenBlock {
  bool ok = false;
  uint64_t offset = 0;
  bool inflated = false;
  std::string raw;
  bool operator==(const SeenBlock&) const = default;
};

// Runs the load pass's blocks of `bytes` (a snapshot whose first `blocks` blocks are framed)
// through a pipeline with `workers` helpers, stopping after the first block whose read fails.
// `claimed_size`, when given, is the size the ByteSource is told (more than `bytes` holds: the
// file "shrank").
std::vector<SeenBlock> RunPipeline(std::string_view bytes, uint64_t blocks, int workers,
                                   uint64_t claimed_size = 0) {
  StringFile file(bytes);
  const uint64_t size = claimed_size != 0
                            ? claimed_size
                            : bytes.size() - FooterSize(DecodeFixed32(bytes.data() + 8));
  ByteSource src(&file, size, "test");
  std::string_view header;
  EXPECT_TRUE(src.Read(kHeaderSize, &header).ok());
  SnapshotBlockPipeline pipeline(&src, blocks, workers);
  std::vector<SeenBlock> seen;
  for (uint64_t i = 0; i < blocks; ++i) {
    const InflatedBlock& b = pipeline.Next();
    seen.push_back({b.status.ok(), b.header.offset, b.inflated, b.inflated ? b.raw : ""});
    if (!b.status.ok()) break;
  }
  return seen;  // the pipeline is destroyed with blocks still in flight: it must join cleanly
}

TEST(SnapshotBlockPipelineTest, HelpersGiveTheSerialPathsBlocksByteForByteInFileOrder) {
  const std::string bytes = WriteSnapshot(RandomEntries(20000, 100, 1));
  const std::vector<uint64_t> offsets = BlockOffsets(bytes);
  ASSERT_GE(offsets.size(), 8u);
  const std::vector<SeenBlock> serial = RunPipeline(bytes, offsets.size(), 0);
  ASSERT_EQ(serial.size(), offsets.size());
  for (size_t i = 0; i < serial.size(); ++i) {
    EXPECT_TRUE(serial[i].ok && serial[i].inflated);
    EXPECT_EQ(serial[i].offset, offsets[i]);
    EXPECT_EQ(serial[i].raw.size(), DecodeFixed32(bytes.data() + offsets[i]));
  }
  for (int workers : {1, 2, 3}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    EXPECT_EQ(RunPipeline(bytes, offsets.size(), workers), serial);
  }
}

TEST(SnapshotBlockPipelineTest, AnInflateFailureOnAHelperIsReportedAtItsBlockAndTheRestStillFlow) {
  std::string bytes = WriteSnapshot(RandomEntries(20000, 100, 2));
  const std::vector<uint64_t> offsets = BlockOffsets(bytes);
  ASSERT_GE(offsets.size(), 8u);
  // Break the zlib header of one block in the middle (compression method 8 -> 0), hashes fixed up.
  const size_t broken = offsets.size() / 2;
  bytes[offsets[broken] + kBlockHeaderSize] = 0;
  RehashEverything(&bytes);
  const std::vector<SeenBlock> serial = RunPipeline(bytes, offsets.size(), 0);
  ASSERT_EQ(serial.size(), offsets.size());
  for (size_t i = 0; i < serial.size(); ++i) EXPECT_EQ(serial[i].inflated, i != broken) << i;
  for (int workers : {1, 2, 3}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    EXPECT_EQ(RunPipeline(bytes, offsets.size(), workers), serial);
  }
}

TEST(SnapshotBlockPipelineTest, AReadFailureAheadIsHandedBackInOrderAndNothingIsReadAfterIt) {
  const std::string bytes = WriteSnapshot(RandomEntries(20000, 100, 3));
  const std::vector<uint64_t> offsets = BlockOffsets(bytes);
  ASSERT_GE(offsets.size(), 8u);
  // The file ends inside block 5 although the source expects all of it: reading fails at the
  // block whose read meets the end (block 5, or the one before when a read chunk spans both).
  const std::string_view cut = std::string_view(bytes).substr(0, offsets[5] + 30);
  const std::vector<SeenBlock> serial = RunPipeline(cut, offsets.size(), 0, bytes.size());
  ASSERT_GE(serial.size(), 2u);
  ASSERT_LE(serial.size(), 6u);
  EXPECT_FALSE(serial.back().ok);
  for (size_t i = 0; i + 1 < serial.size(); ++i) {
    EXPECT_TRUE(serial[i].ok && serial[i].inflated) << i;
    EXPECT_EQ(serial[i].offset, offsets[i]);
  }
  for (int workers : {1, 2, 3}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    EXPECT_EQ(RunPipeline(cut, offsets.size(), workers, bytes.size()), serial);
  }
}

// A SequentialFile over memory that counts the bytes handed out.
class CountingFile final : public SequentialFile {
 public:
  explicit CountingFile(std::string_view bytes) : file_(bytes) {}
  Status Read(size_t n, std::string* out) override {
    WALKV_RETURN_IF_ERROR(file_.Read(n, out));
    read_ += out->size();
    return Status::Ok();
  }
  uint64_t read() const { return read_; }

 private:
  StringFile file_;
  uint64_t read_ = 0;
};

TEST(SnapshotBlockPipelineTest, LargeBlocksAreReadAtMostOneAheadOfTheOneHandedOut) {
  // Six entries of 3 MiB: one block each, every block over the read-ahead budget on its own.
  const std::string bytes = WriteSnapshot(RandomEntries(6, 3 << 20, 4));
  const std::vector<uint64_t> offsets = BlockOffsets(bytes);
  ASSERT_EQ(offsets.size(), 6u);
  CountingFile file(bytes);
  ByteSource src(&file, bytes.size(), "big");
  std::string_view header;
  ASSERT_TRUE(src.Read(kHeaderSize, &header).ok());
  SnapshotBlockPipeline pipeline(&src, offsets.size(), 2);
  for (size_t i = 0; i < offsets.size(); ++i) {
    const InflatedBlock& b = pipeline.Next();
    ASSERT_TRUE(b.status.ok() && b.inflated) << i;
    // Read so far: up to the end of block i+1, plus at most one read chunk beyond it.
    const uint64_t end_of_next = i + 2 < offsets.size() ? offsets[i + 2] : bytes.size();
    EXPECT_LE(file.read(), end_of_next + ByteSource::kChunkBytes) << i;
  }
}

// Through ReadSnapshot: damage that only inflating finds, in each of several later blocks, is
// reported at that block's offset with the serial reader's reason, after exactly the entries of
// the blocks before it, in order.
TEST(SnapshotBlockPipelineTest, DamageInALaterBlockIsReportedAtItsOffsetAfterTheEarlierEntries) {
  const KeyValues kvs = RandomEntries(20000, 100, 5);
  const std::string good = WriteSnapshot(kvs);
  const std::vector<uint64_t> offsets = BlockOffsets(good);
  ASSERT_GE(offsets.size(), 8u);
  for (size_t broken : {size_t{1}, offsets.size() / 2, offsets.size() - 1}) {
    for (bool raw_len_lies : {false, true}) {
      SCOPED_TRACE("block " + std::to_string(broken) + (raw_len_lies ? " raw_len" : " header"));
      std::string bad = good;
      if (raw_len_lies) {
        const char* at = bad.data() + offsets[broken];
        EncodeFixed32(bad.data() + offsets[broken], DecodeFixed32(at) + 1);
      } else {
        bad[offsets[broken] + kBlockHeaderSize] = 0;  // zlib header: compression method 0
      }
      RehashEverything(&bad);
      KeyValues delivered;
      const SnapshotCheck check =
          ParseSnapshot(bad, kSeq, [&](std::string_view k, std::string_view v) {
            delivered.emplace_back(k, v);
          });
      ASSERT_TRUE(check.problem.has_value());
      EXPECT_EQ(check.problem->offset, offsets[broken]);
      EXPECT_EQ(check.problem->reason,
                "block does not inflate to its raw length " +
                    std::to_string(DecodeFixed32(bad.data() + offsets[broken])));
      uint64_t entries_before = 0;
      for (size_t i = 0; i < broken; ++i) entries_before += DecodeFixed32(good.data() + offsets[i] + 8);
      ASSERT_EQ(delivered.size(), entries_before);
      EXPECT_TRUE(std::equal(delivered.begin(), delivered.end(), kvs.begin()));
    }
  }
}

}  // namespace
}  // namespace walkv::snapshot
