// The streaming snapshot reader (engine/snapshot_reader.h): ReadSnapshot reads a file through a
// bounded buffer and finds exactly what ParseSnapshot finds in the same bytes in memory; a file
// that cannot be read is a Status, never damage.
#include "engine/snapshot_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/byte_source.h"
#include "engine/file_names.h"
#include "engine/snapshot_format.h"
#include "engine/snapshot_writer.h"
#include "engine/str_cat.h"
#include "tests/engine/snapshot_edit.h"
#include "tests/util/fault_injection_env.h"

namespace walkv::snapshot {
namespace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct Read {
  Status status;
  SnapshotCheck check;
  KeyValues entries;
};

// A SequentialFile that hands out what its base reads, but fails every Read once `fail_at`
// bytes have been handed out, and records the largest Read asked of it.
class FaultySequentialFile final : public SequentialFile {
 public:
  FaultySequentialFile(std::unique_ptr<SequentialFile> base, uint64_t fail_at, size_t* max_read)
      : base_(std::move(base)), fail_at_(fail_at), max_read_(max_read) {}

  Status Read(size_t n, std::string* out) override {
    *max_read_ = std::max(*max_read_, n);
    if (handed_out_ + n > fail_at_) return Status::IOError("injected read error");
    WALKV_RETURN_IF_ERROR(base_->Read(n, out));
    handed_out_ += out->size();
    return Status::Ok();
  }

 private:
  std::unique_ptr<SequentialFile> base_;
  const uint64_t fail_at_;
  size_t* const max_read_;
  uint64_t handed_out_ = 0;
};

// An in-memory Env whose n-th NewSequentialFile (counting from 0) fails a Read once `fail_at`
// bytes of it were read. Everything else is FaultInjectionEnv's.
class ReadFaultEnv final : public Env {
 public:
  void FailReads(int open_index, uint64_t fail_at) {
    fail_open_ = open_index;
    fail_at_ = fail_at;
  }
  size_t max_read() const { return max_read_; }
  int opens_so_far() const { return opens_; }
  FaultInjectionEnv* base() { return &base_; }

  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    StatusOr<std::unique_ptr<SequentialFile>> file = base_.NewSequentialFile(path);
    if (!file.ok()) return file;
    const uint64_t fail_at = opens_++ == fail_open_ ? fail_at_ : UINT64_MAX;
    return std::unique_ptr<SequentialFile>(
        new FaultySequentialFile(std::move(*file), fail_at, &max_read_));
  }
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return base_.NewWritableFile(path);
  }
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return base_.NewAppendableFile(path);
  }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_.GetChildren(dir);
  }
  bool FileExists(const std::string& path) override { return base_.FileExists(path); }
  StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return base_.GetFileSize(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return base_.RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override { return base_.RemoveFile(path); }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_.TruncateFile(path, size);
  }
  Status CreateDirIfMissing(const std::string& dir) override {
    return base_.CreateDirIfMissing(dir);
  }
  Status SyncDir(const std::string& dir) override { return base_.SyncDir(dir); }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_.LockFile(path);
  }
  StatusOr<bool> IsLocked(const std::string& path) override { return base_.IsLocked(path); }
  uint64_t NowMicros() override { return base_.NowMicros(); }
  uint64_t MonotonicMicros() override { return base_.MonotonicMicros(); }

 private:
  FaultInjectionEnv base_;
  int opens_ = 0;
  int fail_open_ = -1;
  uint64_t fail_at_ = UINT64_MAX;
  size_t max_read_ = 0;
};

class SnapshotReaderTest : public ::testing::Test {
 protected:
  static constexpr const char* kDir = "/db";

  void SetUp() override { ASSERT_TRUE(env_.CreateDirIfMissing(kDir).ok()); }

  std::string Path(uint64_t seq) const { return std::string(kDir) + "/" + SnapshotFileName(seq); }

  // Writes `kvs` as snapshot `seq` and returns the file's bytes.
  std::string Write(uint64_t seq, const KeyValues& kvs) {
    StatusOr<std::unique_ptr<SnapshotWriter>> writer = SnapshotWriter::Create(&env_, kDir, seq);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    if (!writer.ok()) return "";
    for (const auto& [k, v] : kvs) EXPECT_TRUE((*writer)->Add(k, v).ok());
    EXPECT_TRUE((*writer)->Finish().ok());
    StatusOr<std::string> bytes = env_.base()->ReadWholeFile(Path(seq));
    EXPECT_TRUE(bytes.ok());
    return bytes.ok() ? *bytes : "";
  }

  Read ReadFile(uint64_t seq) {
    Read out;
    StatusOr<SnapshotCheck> check = ReadSnapshot(
        &env_, Path(seq), seq,
        [&](std::string_view k, std::string_view v) { out.entries.emplace_back(k, v); });
    out.status = check.status();
    if (check.ok()) out.check = *check;
    return out;
  }

  // Stores `bytes` as snapshot `seq`, reads it from the file and parses it in memory; the two
  // must agree on everything.
  void ExpectSameFindings(uint64_t seq, std::string_view bytes) {
    ASSERT_TRUE(env_.base()->WriteWholeFile(Path(seq), bytes).ok());
    const Read streamed = ReadFile(seq);
    ASSERT_TRUE(streamed.status.ok()) << streamed.status.ToString();
    KeyValues parsed_entries;
    const SnapshotCheck parsed = ParseSnapshot(
        bytes, seq,
        [&](std::string_view k, std::string_view v) { parsed_entries.emplace_back(k, v); });
    EXPECT_EQ(streamed.check.problem.has_value(), parsed.problem.has_value());
    if (streamed.check.problem && parsed.problem) {
      EXPECT_EQ(streamed.check.problem->offset, parsed.problem->offset);
      EXPECT_EQ(streamed.check.problem->reason, parsed.problem->reason);
    }
    EXPECT_EQ(streamed.check.seq, parsed.seq);
    EXPECT_EQ(streamed.check.blocks, parsed.blocks);
    EXPECT_EQ(streamed.check.entries, parsed.entries);
    EXPECT_EQ(streamed.check.bytes, parsed.bytes);
    EXPECT_EQ(streamed.entries, parsed_entries);
  }

  ReadFaultEnv env_;
};

// Three blocks (each a 200,000-byte value, which compresses to little), then a few small entries.
KeyValues ThreeBlocks() {
  KeyValues kvs;
  for (int i = 0; i < 3; ++i) kvs.emplace_back(StrCat("k", i), std::string(200000, 'a'));
  kvs.emplace_back("", "empty key");
  kvs.emplace_back(std::string("\0b", 2), "");
  return kvs;
}

TEST_F(SnapshotReaderTest, EveryCorruptedByteIsFoundAsInMemory) {
  const std::string good = Write(9, ThreeBlocks());
  ASSERT_EQ(BlockOffsets(good).size(), 3u);
  ExpectSameFindings(9, good);
  for (size_t byte = 0; byte < good.size(); ++byte) {
    SCOPED_TRACE(StrCat("byte ", byte));
    std::string bad = good;
    bad[byte] = static_cast<char>(bad[byte] ^ 0x5a);
    ExpectSameFindings(9, bad);
    // The same edit with every block and file hash fixed up reaches inflating and decoding.
    if (byte >= kHeaderSize && byte < good.size() - kDigestFooterSize) {
      RehashEverything(&bad);
      ExpectSameFindings(9, bad);
    }
  }
}

TEST_F(SnapshotReaderTest, EveryTruncationIsFoundAsInMemory) {
  const std::string good = Write(9, ThreeBlocks());
  for (size_t len = 0; len <= good.size(); ++len) {
    SCOPED_TRACE(StrCat("length ", len));
    ExpectSameFindings(9, std::string_view(good).substr(0, len));
  }
  ExpectSameFindings(9, good + std::string(40, '\0'));
}

TEST_F(SnapshotReaderTest, SnapshotManyTimesTheReadBufferRoundTripsInBoundedReads) {
  std::mt19937_64 rng(1);
  KeyValues kvs;
  for (int i = 0; i < 30000; ++i) {
    std::string value(100, '\0');
    for (char& c : value) c = static_cast<char>(rng());  // incompressible, like real data
    kvs.emplace_back(StrCat("key-", i), std::move(value));
  }
  std::string big(3 * ByteSource::kChunkBytes + 17, '\0');  // one block spanning 4+ reads
  for (char& c : big) c = static_cast<char>(rng());
  kvs.emplace_back("big", std::move(big));
  const std::string bytes = Write(4, kvs);
  ASSERT_GT(bytes.size(), 40 * ByteSource::kChunkBytes);

  const Read r = ReadFile(4);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_FALSE(r.check.problem.has_value()) << r.check.problem->reason;
  EXPECT_EQ(r.check.entries, kvs.size());
  EXPECT_EQ(r.check.bytes, bytes.size());
  EXPECT_EQ(r.entries, kvs);
  EXPECT_LE(env_.max_read(), ByteSource::kChunkBytes);
}

TEST_F(SnapshotReaderTest, ReadErrorIsAStatusNotDamage) {
  const std::string bytes = Write(6, ThreeBlocks());
  // Open 0 is the checking pass (no entry may be delivered before it ends), open 1 the loading
  // pass; fail each at the start, inside the first and inside the last block, and at the footer.
  for (int open : {0, 1}) {
    for (uint64_t fail_at : {uint64_t{0}, uint64_t{kHeaderSize + 5}, uint64_t{bytes.size() - 40},
                             uint64_t{bytes.size() - 1}}) {
      if (open == 1 && fail_at >= bytes.size() - kDigestFooterSize) continue;  // never read again
      SCOPED_TRACE(StrCat("open ", open) + StrCat(" fails at ", fail_at));
      env_.FailReads(env_.opens_so_far() + open, fail_at);
      const Read r = ReadFile(6);
      EXPECT_EQ(r.status.code(), StatusCode::kIOError) << r.status.ToString();
      EXPECT_NE(r.status.message().find("injected read error"), std::string::npos);
      if (open == 0) {
        EXPECT_TRUE(r.entries.empty());
      }
    }
  }
}

TEST_F(SnapshotReaderTest, FileChangedBetweenThePassesIsAStatus) {
  const std::string bytes = Write(6, ThreeBlocks());
  const uint64_t second_block = BlockOffsets(bytes)[1];
  uint64_t delivered = 0;
  StatusOr<SnapshotCheck> check = ReadSnapshot(
      &env_, Path(6), 6, [&](std::string_view, std::string_view) { ++delivered; },
      [&](uint64_t) {  // runs between the passes: edit the file in place
        ASSERT_TRUE(env_.base()->CorruptByte(Path(6), second_block + kBlockHeaderSize + 2, 1).ok());
      });
  EXPECT_EQ(check.status().code(), StatusCode::kIOError);
  EXPECT_NE(check.status().message().find("changed"), std::string::npos)
      << check.status().ToString();
  EXPECT_EQ(delivered, 1u);  // the first block's one entry; the caller discards it
}

TEST_F(SnapshotReaderTest, MissingFileIsNotFound) {
  const Read r = ReadFile(123);
  EXPECT_TRUE(r.status.IsNotFound()) << r.status.ToString();
}

}  // namespace
}  // namespace walkv::snapshot
