// The snapshot format (engine/snapshot_format.h, docs/format.md): SnapshotWriter publishes a file
// atomically, ParseSnapshot gets back exactly what was written, and any damage is reported with
// its offset before a single entry is handed out.
#include "engine/snapshot_format.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/coding.h"
#include "engine/env.h"
#include "engine/file_names.h"
#include "engine/hash.h"
#include "engine/snapshot_reader.h"
#include "engine/snapshot_writer.h"
#include "engine/str_cat.h"
#include "tests/engine/snapshot_edit.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/temp_dir.h"

namespace walkv::snapshot {
namespace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct Parsed {
  SnapshotCheck check;
  KeyValues entries;
};

Parsed Parse(std::string_view bytes, std::optional<uint64_t> expected_seq) {
  Parsed out;
  out.check = ParseSnapshot(bytes, expected_seq, [&](std::string_view k, std::string_view v) {
    out.entries.emplace_back(std::string(k), std::string(v));
  });
  return out;
}

// Writes `kvs` as snapshot `seq` into `dir` and returns the file's bytes.
std::string WriteSnapshot(const walkv::testing::TempDir& dir, uint64_t seq, const KeyValues& kvs,
                          WrittenSnapshot* written = nullptr) {
  Env* env = Env::Posix();
  StatusOr<std::unique_ptr<SnapshotWriter>> writer = SnapshotWriter::Create(env, dir.path(), seq);
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  if (!writer.ok()) return "";
  for (const auto& [k, v] : kvs) {
    Status s = (*writer)->Add(k, v);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  StatusOr<WrittenSnapshot> done = (*writer)->Finish();
  EXPECT_TRUE(done.ok()) << done.status().ToString();
  if (done.ok() && written != nullptr) *written = *done;
  std::string bytes;
  EXPECT_TRUE(ReadFileToString(env, dir.Sub(SnapshotFileName(seq)), &bytes).ok());
  return bytes;
}

KeyValues SmallState() {
  return {{"a", "1"}, {"", "empty key"}, {"empty value", ""}, {std::string("\0b", 2), "x\0y"}};
}

TEST(SnapshotFormatTest, HeaderAndFooterMatchTheDocumentedLayout) {
  walkv::testing::TempDir dir;
  const std::string bytes = WriteSnapshot(dir, 12345, SmallState());
  ASSERT_GE(bytes.size(), kHeaderSize + kBlockHeaderSize + kDigestFooterSize);
  EXPECT_EQ(bytes.substr(0, 8), "WALKVSNP");
  EXPECT_EQ(DecodeFixed32(bytes.data() + 8), kSnapshotFormatVersion);
  EXPECT_EQ(DecodeFixed32(bytes.data() + 12), 0u);
  EXPECT_EQ(DecodeFixed64(bytes.data() + 16), 12345u);
  EXPECT_EQ(DecodeFixed64(bytes.data() + 24), Xxh64(std::string_view(bytes).substr(0, 24)));
  const char* b = bytes.data() + kHeaderSize;
  EXPECT_EQ(DecodeFixed32(b + 8), 4u);                             // entries in the one block
  EXPECT_EQ(static_cast<uint8_t>(b[kBlockHeaderSize]) & 0x0f, 8);  // zlib: CM = 8 (deflate)
  const size_t footer = bytes.size() - kDigestFooterSize;
  EXPECT_EQ(bytes.substr(footer, 8), "WALKVEND");
  EXPECT_EQ(DecodeFixed64(bytes.data() + footer + 8), 1u);
  EXPECT_EQ(DecodeFixed64(bytes.data() + footer + 16), 4u);
  // No SetHistoryDigest: the chain starts at this snapshot.
  EXPECT_EQ(DecodeFixed64(bytes.data() + footer + 24), 12345u);  // digest_base_seq
  EXPECT_EQ(DecodeFixed64(bytes.data() + footer + 32), 0u);      // digest
  EXPECT_EQ(DecodeFixed64(bytes.data() + footer + 40),
            Xxh64(std::string_view(bytes).substr(0, bytes.size() - 8)));
}

TEST(SnapshotFormatTest, SmallSnapshotRoundTrips) {
  walkv::testing::TempDir dir;
  WrittenSnapshot written;
  const std::string bytes = WriteSnapshot(dir, 7, SmallState(), &written);
  EXPECT_EQ(written.file_name, SnapshotFileName(7));
  EXPECT_EQ(written.seq, 7u);
  EXPECT_EQ(written.bytes, bytes.size());
  EXPECT_EQ(written.entries, 4u);
  const Parsed p = Parse(bytes, 7);
  ASSERT_FALSE(p.check.problem.has_value()) << p.check.problem->reason;
  EXPECT_EQ(p.check.seq, 7u);
  EXPECT_EQ(p.check.blocks, 1u);
  EXPECT_EQ(p.check.entries, 4u);
  EXPECT_EQ(p.check.bytes, bytes.size());
  EXPECT_EQ(p.entries, SmallState());
}

TEST(SnapshotFormatTest, EmptySnapshotRoundTrips) {
  walkv::testing::TempDir dir;
  const std::string bytes = WriteSnapshot(dir, 0, {});
  EXPECT_EQ(bytes.size(), kHeaderSize + kDigestFooterSize);
  const Parsed p = Parse(bytes, 0);
  EXPECT_FALSE(p.check.problem.has_value());
  EXPECT_EQ(p.check.blocks, 0u);
  EXPECT_EQ(p.check.entries, 0u);
  EXPECT_TRUE(p.entries.empty());
}

TEST(SnapshotFormatTest, RoundTripsManyBlocksAndLargeValues) {
  std::mt19937_64 rng(42);
  KeyValues kvs;
  for (int i = 0; i < 20000; ++i) {
    std::string value(rng() % 200, '\0');
    for (char& c : value) c = static_cast<char>(rng());  // incompressible: many blocks
    kvs.emplace_back(StrCat("key-", i), std::move(value));
  }
  kvs.emplace_back("one-mib", std::string(1 << 20, 'm'));
  kvs.emplace_back("just-over-target", std::string(kTargetBlockRawBytes + 1, 't'));
  kvs.emplace_back("exactly-target", std::string(kTargetBlockRawBytes, 'e'));
  kvs.emplace_back(std::string(70000, 'K'), "long key");
  for (int i = 0; i < 100; ++i) kvs.emplace_back(StrCat("after-", i), "small");

  walkv::testing::TempDir dir;
  const std::string bytes = WriteSnapshot(dir, 99, kvs);
  const Parsed p = Parse(bytes, 99);
  ASSERT_FALSE(p.check.problem.has_value()) << p.check.problem->reason;
  EXPECT_GT(p.check.blocks, 10u);
  EXPECT_EQ(p.check.entries, kvs.size());
  EXPECT_EQ(p.entries, kvs);  // file order is Add order

  // Blocks stay near the target size; only a single entry may make one bigger.
  for (uint64_t off : BlockOffsets(bytes)) {
    const uint32_t raw_len = DecodeFixed32(bytes.data() + off);
    const uint32_t entries = DecodeFixed32(bytes.data() + off + 8);
    EXPECT_GE(entries, 1u);
    if (raw_len > kTargetBlockRawBytes) {
      EXPECT_EQ(entries, 1u) << "block at " << off;
    }
  }
}

TEST(SnapshotFormatTest, FlippedBitAnywhereIsDetected) {
  walkv::testing::TempDir dir;
  KeyValues kvs = SmallState();
  const std::string bytes = WriteSnapshot(dir, 5, kvs);
  const std::vector<uint64_t> blocks = BlockOffsets(bytes);
  ASSERT_EQ(blocks.size(), 1u);
  const uint64_t block_end = bytes.size() - kDigestFooterSize;
  for (size_t byte = 0; byte < bytes.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      SCOPED_TRACE(StrCat("byte ", byte) + StrCat(" bit ", bit));
      std::string bad = bytes;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      const Parsed p = Parse(bad, 5);
      ASSERT_TRUE(p.check.problem.has_value());
      EXPECT_TRUE(p.entries.empty()) << "on_entry called although a checksum failed";
      const uint64_t at = p.check.problem->offset;
      if (byte < kHeaderSize) {
        EXPECT_LT(at, kHeaderSize);
      } else if (byte < block_end) {
        EXPECT_EQ(at, blocks[0]) << p.check.problem->reason;
      } else {
        EXPECT_GE(at, block_end) << p.check.problem->reason;
      }
    }
  }
}

TEST(SnapshotFormatTest, FlippedBitInSecondBlockNamesThatBlock) {
  KeyValues kvs;
  for (int i = 0; i < 3; ++i) kvs.emplace_back(StrCat("k", i), std::string(200000, 'a'));
  walkv::testing::TempDir dir;
  const std::string bytes = WriteSnapshot(dir, 3, kvs);
  const std::vector<uint64_t> blocks = BlockOffsets(bytes);
  ASSERT_EQ(blocks.size(), 3u);
  std::string bad = bytes;
  bad[blocks[1] + kBlockHeaderSize + 3] ^= 0x20;
  const Parsed p = Parse(bad, 3);
  ASSERT_TRUE(p.check.problem.has_value());
  EXPECT_EQ(p.check.problem->offset, blocks[1]);
  EXPECT_EQ(p.check.problem->reason, "block checksum mismatch");
  EXPECT_TRUE(p.entries.empty());
}

TEST(SnapshotFormatTest, TruncatedFileIsDetected) {
  KeyValues kvs;
  for (int i = 0; i < 50; ++i) kvs.emplace_back(StrCat("key", i), "value");
  walkv::testing::TempDir dir;
  const std::string bytes = WriteSnapshot(dir, 8, kvs);
  for (size_t len = 0; len < bytes.size(); ++len) {
    const Parsed p = Parse(std::string_view(bytes).substr(0, len), 8);
    ASSERT_TRUE(p.check.problem.has_value()) << len;
    EXPECT_TRUE(p.entries.empty());
  }
  // Zeros appended after the footer (a file system that extended the file) are damage too.
  const Parsed p = Parse(bytes + std::string(32, '\0'), 8);
  EXPECT_TRUE(p.check.problem.has_value());
}

TEST(SnapshotFormatTest, WrongSeqIsDetected) {
  walkv::testing::TempDir dir;
  const std::string bytes = WriteSnapshot(dir, 1000, SmallState());
  const Parsed p = Parse(bytes, 999);
  ASSERT_TRUE(p.check.problem.has_value());
  EXPECT_EQ(p.check.problem->offset, 16u);
  EXPECT_EQ(p.check.seq, 1000u);
  EXPECT_TRUE(p.entries.empty());
  EXPECT_FALSE(Parse(bytes, std::nullopt).check.problem.has_value());
}

TEST(SnapshotFormatTest, UnsupportedVersionIsReportedAsSuch) {
  walkv::testing::TempDir dir;
  std::string bytes = WriteSnapshot(dir, 1, SmallState());
  EncodeFixed32(bytes.data() + 8, kSnapshotFormatVersion + 1);
  RehashEverything(&bytes);
  const Parsed p = Parse(bytes, 1);
  ASSERT_TRUE(p.check.problem.has_value());
  EXPECT_EQ(p.check.problem->offset, 8u);
  EXPECT_NE(p.check.problem->reason.find("version"), std::string::npos);
}

TEST(SnapshotFormatTest, BlockThatInflatesWrongIsDetectedAfterHashesPass) {
  // What a writer bug would look like: every hash is right but the raw length lies.
  walkv::testing::TempDir dir;
  for (int delta : {-1, +1, +1000000}) {
    std::string bytes = WriteSnapshot(dir, 2, SmallState());
    const uint64_t block = BlockOffsets(bytes)[0];
    EncodeFixed32(bytes.data() + block,
                  static_cast<uint32_t>(DecodeFixed32(bytes.data() + block) + delta));
    RehashEverything(&bytes);
    const Parsed p = Parse(bytes, 2);
    ASSERT_TRUE(p.check.problem.has_value()) << delta;
    EXPECT_EQ(p.check.problem->offset, block);
  }
  // And an entry count that disagrees with the block's contents (footer kept consistent).
  std::string bytes = WriteSnapshot(dir, 2, SmallState());
  const uint64_t block = BlockOffsets(bytes)[0];
  EncodeFixed32(bytes.data() + block + 8, 5);
  EncodeFixed64(bytes.data() + bytes.size() - kDigestFooterSize + 16, 5);  // footer entries
  RehashEverything(&bytes);
  const Parsed p = Parse(bytes, 2);
  ASSERT_TRUE(p.check.problem.has_value());
  EXPECT_EQ(p.check.problem->offset, block);
}

TEST(SnapshotFormatTest, ArbitraryBytesNeverCrashTheReader) {
  std::mt19937_64 rng(7);
  walkv::testing::TempDir dir;
  const std::string good = WriteSnapshot(dir, 4, SmallState());
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (iter % 4 == 0) bytes.resize(rng() % (bytes.size() + 1));
    if (iter % 2 == 0) RehashEverything(&bytes);  // reach the inflate and decode stages
    const Parsed p = Parse(bytes, 4);
    if (!p.check.problem) {
      EXPECT_EQ(p.entries.size(), p.check.entries);
    }
  }
}

TEST(SnapshotWriterTest, FinishPublishesAtomically) {
  walkv::testing::TempDir dir;
  Env* env = Env::Posix();
  const std::string final_path = dir.Sub(SnapshotFileName(31));
  const std::string temp_path = dir.Sub(TempFileName(SnapshotFileName(31)));
  StatusOr<std::unique_ptr<SnapshotWriter>> writer = SnapshotWriter::Create(env, dir.path(), 31);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE((*writer)->Add(StrCat("k", i), std::string(1000, 'v')).ok());
    ASSERT_FALSE(env->FileExists(final_path));
  }
  EXPECT_TRUE(env->FileExists(temp_path));
  StatusOr<WrittenSnapshot> done = (*writer)->Finish();
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(env->FileExists(final_path));
  EXPECT_FALSE(env->FileExists(temp_path));
  EXPECT_EQ(done->entries, 1000u);
  StatusOr<uint64_t> size = env->GetFileSize(final_path);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(done->bytes, *size);

  // Destroying a finished writer leaves the published file alone; a second Finish is refused.
  EXPECT_FALSE((*writer)->Finish().ok());
  EXPECT_FALSE((*writer)->Add("late", "entry").ok());
  writer->reset();
  EXPECT_TRUE(env->FileExists(final_path));

  std::string bytes;
  ASSERT_TRUE(ReadFileToString(env, final_path, &bytes).ok());
  const Parsed p = Parse(bytes, 31);
  EXPECT_FALSE(p.check.problem.has_value());
  EXPECT_EQ(p.entries.size(), 1000u);
}

TEST(SnapshotWriterTest, AbandonedWriterLeavesNoTempFile) {
  walkv::testing::TempDir dir;
  Env* env = Env::Posix();
  {
    StatusOr<std::unique_ptr<SnapshotWriter>> writer = SnapshotWriter::Create(env, dir.path(), 6);
    ASSERT_TRUE(writer.ok());
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE((*writer)->Add(StrCat("k", i), std::string(2000, 'x')).ok());
    }
    EXPECT_TRUE(env->FileExists(dir.Sub(TempFileName(SnapshotFileName(6)))));
  }
  StatusOr<std::vector<std::string>> children = env->GetChildren(dir.path());
  ASSERT_TRUE(children.ok());
  EXPECT_TRUE(children->empty());
}

TEST(SnapshotWriterTest, LeftoverTempFileIsReplaced) {
  walkv::testing::TempDir dir;
  Env* env = Env::Posix();
  ASSERT_TRUE(WriteFileAtomically(env, dir.path(), TempFileName(SnapshotFileName(9)),
                                  std::string(100000, 'g'))
                  .ok());
  const std::string bytes = WriteSnapshot(dir, 9, SmallState());
  const Parsed p = Parse(bytes, 9);
  EXPECT_FALSE(p.check.problem.has_value());
  EXPECT_EQ(p.entries, SmallState());
}

TEST(SnapshotWriterTest, FailedBlockWriteNeverPublishesASnapshot) {
  for (int err : {EIO, ENOSPC}) {
    FaultInjectionEnv env;
    ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
    // Append #1 is the header, #2 the first block.
    env.FailNthWrite(2, err, ".snap.tmp", /*bytes_written_before_failure=*/100);
    StatusOr<std::unique_ptr<SnapshotWriter>> writer = SnapshotWriter::Create(&env, "/db", 3);
    ASSERT_TRUE(writer.ok());
    Status s;
    for (int i = 0; i < 1000 && s.ok(); ++i) s = (*writer)->Add(StrCat("k", i), "v");
    ASSERT_TRUE(s.ok());
    s = (*writer)->Add("big", std::string(kTargetBlockRawBytes, 'x'));  // forces a block out
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(s.IsStorageFailure()) << s.ToString();
    // The file's tail is unknown now: the writer refuses to go on.
    EXPECT_FALSE((*writer)->Add("more", "data").ok());
    EXPECT_FALSE((*writer)->Finish().ok());
    EXPECT_FALSE(env.FileExists("/db/" + SnapshotFileName(3)));
    writer->reset();
    StatusOr<std::vector<std::string>> children = env.GetChildren("/db");
    ASSERT_TRUE(children.ok());
    EXPECT_TRUE(children->empty());
  }
}

TEST(SnapshotWriterTest, FailedSyncNeverPublishesASnapshot) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
  env.FailNthSync(1, EIO, ".snap.tmp");
  StatusOr<std::unique_ptr<SnapshotWriter>> writer = SnapshotWriter::Create(&env, "/db", 3);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Add("k", "v").ok());
  StatusOr<WrittenSnapshot> done = (*writer)->Finish();
  ASSERT_FALSE(done.ok());
  EXPECT_TRUE(done.status().IsStorageFailure());
  EXPECT_FALSE(env.FileExists("/db/" + SnapshotFileName(3)));
  writer->reset();
  EXPECT_FALSE(env.FileExists("/db/" + TempFileName(SnapshotFileName(3))));
}

TEST(SnapshotWriterTest, PowerLossAtAnyStepLeavesNoSnapshotOrAWholeOne) {
  KeyValues kvs;
  for (int i = 0; i < 300; ++i) kvs.emplace_back(StrCat("key", i), std::string(2000, 'v'));
  // Count the mutating operations of one complete run.
  uint64_t total_ops = 0;
  {
    FaultInjectionEnv env;
    ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
    const uint64_t before = env.mutating_ops();
    auto writer = SnapshotWriter::Create(&env, "/db", 9);
    ASSERT_TRUE(writer.ok());
    for (const auto& [k, v] : kvs) ASSERT_TRUE((*writer)->Add(k, v).ok());
    ASSERT_TRUE((*writer)->Finish().ok());
    total_ops = env.mutating_ops() - before;
  }
  ASSERT_GT(total_ops, 5u);
  for (uint64_t cut = 1; cut <= total_ops + 1; ++cut) {
    for (uint64_t seed = 0; seed < 3; ++seed) {
      SCOPED_TRACE(StrCat("power cut at op ", cut) + StrCat(" seed ", seed));
      FaultInjectionEnv env(seed);
      ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
      env.PowerOffAfterMutatingOps(cut);
      bool finished = false;
      {
        auto writer = SnapshotWriter::Create(&env, "/db", 9);
        if (writer.ok()) {
          Status s;
          for (const auto& [k, v] : kvs) {
            if (s.ok()) s = (*writer)->Add(k, v);
          }
          finished = s.ok() && (*writer)->Finish().ok();
        }
      }
      env.RestartAfterPowerLoss(FaultInjectionEnv::kKeepRandomUnsynced, seed);
      StatusOr<std::string> bytes = env.ReadWholeFile("/db/" + SnapshotFileName(9));
      if (finished) {
        ASSERT_TRUE(bytes.ok()) << "Finish() returned OK but the snapshot is gone";
      }
      if (bytes.ok()) {
        // Whatever exists under the final name is a whole, valid snapshot.
        const Parsed p = Parse(*bytes, 9);
        ASSERT_FALSE(p.check.problem.has_value()) << p.check.problem->reason;
        EXPECT_EQ(p.entries, kvs);
      }
    }
  }
}

}  // namespace
}  // namespace walkv::snapshot
