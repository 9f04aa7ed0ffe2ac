// SnapshotCompressor (engine/snapshot_compressor.h): every chunk handed over reaches the snapshot,
// in order; a failed write stops the collector instead of hanging it; the deflating runs on a
// thread of lowered CPU priority while the caller's own priority stays as it was.
#include "engine/snapshot_compressor.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "engine/snapshot_reader.h"
#include "engine/snapshot_writer.h"
#include "engine/str_cat.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/temp_dir.h"

namespace walkv {
namespace {

using Entries = std::vector<std::tuple<std::string, std::string, uint64_t>>;

Entries ReadBack(Env* env, const std::string& path) {
  Entries read;
  StatusOr<snapshot::SnapshotCheck> check = snapshot::ReadSnapshotWithDeadlines(
      env, path, std::nullopt, [&](std::string_view k, std::string_view v, uint64_t d) {
        read.emplace_back(std::string(k), std::string(v), d);
      });
  EXPECT_TRUE(check.ok()) << check.status().ToString();
  if (check.ok()) {
    EXPECT_FALSE(check->problem.has_value());
  }
  return read;
}

TEST(SnapshotCompressorTest, EveryChunkReachesTheSnapshotInOrder) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
  auto writer = snapshot::SnapshotWriter::Create(&env, "/db", 7);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  Entries expected;
  {
    SnapshotCompressor compressor(&env, writer->get());
    for (int c = 0; c < 9; ++c) {
      SnapshotChunk* chunk = compressor.Empty();
      ASSERT_NE(chunk, nullptr);
      ASSERT_TRUE(chunk->empty()) << "a reused chunk must come back cleared";
      const int n = c == 4 ? 0 : 1000 * c + 1;  // one empty shard among them
      for (int i = 0; i < n; ++i) {
        const std::string key = StrCat("c", c, "k", i);
        const std::string value(static_cast<size_t>(i % 300), static_cast<char>('a' + c));
        const uint64_t deadline = i % 7 == 0 ? 1'900'000'000'000 + static_cast<uint64_t>(i) : 0;
        chunk->Add(key, value, deadline);
        expected.emplace_back(key, value, deadline);
      }
      compressor.Submit(chunk);
    }
    Status finished = compressor.Finish();
    ASSERT_TRUE(finished.ok()) << finished.ToString();
  }
  auto written = (*writer)->Finish();
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->entries, expected.size());
  EXPECT_EQ(ReadBack(&env, StrCat("/db/", written->file_name)), expected);
}

TEST(SnapshotCompressorTest, AFailedWriteStopsTheCollectorAndIsReported) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDirIfMissing("/db").ok());
  auto writer = snapshot::SnapshotWriter::Create(&env, "/db", 3);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  env.FailNthWrite(2, ENOSPC, ".snap");  // the header was the first write; fail the first block
  SnapshotCompressor compressor(&env, writer->get());
  const std::string value(1000, 'v');
  int handed_over = 0;
  // Each chunk is several blocks' worth: the first one the thread writes fails. The collector
  // must then get nullptr instead of waiting for a chunk forever.
  for (; handed_over < 100; ++handed_over) {
    SnapshotChunk* chunk = compressor.Empty();
    if (chunk == nullptr) break;
    for (int i = 0; i < 1000; ++i) chunk->Add(StrCat("k", handed_over, "-", i), value, 0);
    compressor.Submit(chunk);
  }
  EXPECT_LT(handed_over, 100);
  Status finished = compressor.Finish();
  EXPECT_EQ(finished.code(), StatusCode::kNoSpace) << finished.ToString();
  EXPECT_EQ(compressor.Finish().code(), StatusCode::kNoSpace) << "Finish is idempotent";
}

// Nice values of this process's threads, from /proc/self/task/<tid>/stat (field 19).
std::vector<int> NiceOfEveryThread() {
  std::vector<int> nices;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t after_name = line.rfind(')');
    if (after_name == std::string::npos) continue;
    std::istringstream fields(line.substr(after_name + 2));  // from field 3 (state) on
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 19) nices.push_back(std::stoi(field));
    }
  }
  return nices;
}

TEST(SnapshotCompressorTest, DeflatesOnAThreadOfLowerPriorityThanTheCaller) {
  testing::TempDir dir;
  errno = 0;
  const int caller_nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  if (caller_nice >= 19) GTEST_SKIP() << "already at the lowest priority";
  auto writer = snapshot::SnapshotWriter::Create(Env::Posix(), dir.path(), 1);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  SnapshotCompressor compressor(Env::Posix(), writer->get());
  // Both chunks handed over, then a third asked for: it comes back only after the thread has
  // written one, so by then the thread has lowered its priority.
  for (int c = 0; c < 3; ++c) {
    SnapshotChunk* chunk = compressor.Empty();
    ASSERT_NE(chunk, nullptr);
    chunk->Add(StrCat("key", c), "value", 0);
    if (c < 2) compressor.Submit(chunk);
  }
  const std::vector<int> nices = NiceOfEveryThread();
  EXPECT_EQ(std::count(nices.begin(), nices.end(), std::min(caller_nice + 10, 19)), 1)
      << "exactly one thread (the compressor's) runs at the lowered priority";
  EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())), caller_nice);
  ASSERT_TRUE(compressor.Finish().ok());
}

}  // namespace
}  // namespace walkv
