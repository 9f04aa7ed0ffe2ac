// Snapshot and recovery micro benchmarks (see benchmarks/README.md). Argument: keys (default
// 100,000; WALKV_BENCH_SNAPSHOT_KEYS overrides it), each Key(i) -> a 100-byte pseudo-random
// printable value. Every data dir is a fresh directory under $TMPDIR on the real disk, filled
// through the engine's real write path (FsyncMode::kNever, to load fast) outside the timed region.
//
//   BM_SnapshotWrite     Engine::Snapshot(): cut, copy the store shard by shard, compress, write,
//                        fdatasync, rename, sync the dir, remove obsolete files. One SET before
//                        each snapshot (untimed) so every iteration writes a new file.
//   BM_SnapshotParse     snapshot::ParseSnapshot over the file's bytes already in memory: header,
//                        footer and every XXH64 checksum, inflate, entry decoding.
//   BM_SnapshotRead      snapshot::ReadSnapshot of the file (in the page cache after the first
//                        iteration): the same, streamed in two passes as recovery reads it.
//   BM_SnapshotRecover   Engine::Open of a dir holding that snapshot and an empty log: read,
//                        verify and load into the store, open a new segment (Close is untimed).
//   BM_LogParse          log::ParseSegment over a segment's bytes in memory (framing, CRC-32).
//   BM_LogReplay         Engine::Open of a dir holding only the log of `keys` SETs: read the
//                        segments, verify, apply every record to the store (Close is untimed).
// Rates: bytes_per_second counts file bytes, items_per_second counts keys or records.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "benchmarks/bench_util.h"
#include "engine/engine.h"
#include "engine/env.h"
#include "engine/file_names.h"
#include "engine/log_reader.h"
#include "engine/snapshot_reader.h"

namespace walkv::bench {
namespace {

// A data dir with Key(0..keys-1) set, closed. With `snapshot`, it holds one snapshot of that
// state (and an empty log after it); without, only log segments. Built once per (keys, snapshot)
// and kept until exit: the benchmarks using it only open it, which leaves the state unchanged, and
// Google Benchmark calls a benchmark function several times while it sizes the iteration count.
const std::string& DataDir(uint64_t keys, bool snapshot) {
  // Destroyed (and so removed from the disk) at exit.
  static std::map<std::pair<uint64_t, bool>, std::unique_ptr<TempDir>> dirs;
  std::unique_ptr<TempDir>& dir = dirs[{keys, snapshot}];
  if (dir == nullptr) {
    dir = std::make_unique<TempDir>();
    auto engine = OpenOrDie(BenchOptions(dir->path(), FsyncMode::kNever));
    LoadKeys(engine.get(), keys);
    if (snapshot) CheckOk(engine->Snapshot().status(), "Engine::Snapshot");
    CheckOk(engine->Close(), "Engine::Close");
  }
  return dir->path();
}

// Names (not paths) of the files of `kind` in `dir`, ascending by sequence number.
std::vector<std::string> FilesOfKind(const std::string& dir, FileKind kind) {
  auto children = Env::Posix()->GetChildren(dir);
  CheckOk(children.status(), "GetChildren");
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const std::string& name : *children) {
    ParsedFileName parsed = ParseFileName(name);
    if (parsed.kind == kind) found.emplace_back(parsed.seq, name);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (auto& [seq, name] : found) names.push_back(std::move(name));
  return names;
}

std::string ReadFile(const std::string& path) {
  std::string bytes;
  CheckOk(ReadFileToString(Env::Posix(), path, &bytes), "ReadFileToString");
  return bytes;
}

void BM_SnapshotWrite(benchmark::State& state) {
  const uint64_t keys = static_cast<uint64_t>(state.range(0));
  TempDir dir;
  auto engine = OpenOrDie(BenchOptions(dir.path(), FsyncMode::kNever));
  LoadKeys(engine.get(), keys);
  uint64_t bytes = 0;
  uint64_t entries = 0;
  uint64_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Snapshot() of an unchanged state returns the previous snapshot without writing.
    ++i;
    CheckOk(engine->Set(Key(i % keys), RandomValue(100, i)), "Engine::Set");
    state.ResumeTiming();
    auto info = engine->Snapshot();
    if (!info.ok()) {
      state.SkipWithError(info.status().ToString().c_str());
      break;
    }
    bytes += info->bytes;
    entries += info->keys;
  }
  CheckOk(engine->Close(), "Engine::Close");
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(entries));
  if (state.iterations() > 0) {
    state.counters["file_bytes"] = static_cast<double>(bytes / state.iterations());
  }
}

// The path of the one snapshot in a DataDir(keys, true), or "" after SkipWithError.
std::string OnlySnapshot(benchmark::State& state) {
  const std::string& dir = DataDir(static_cast<uint64_t>(state.range(0)), /*snapshot=*/true);
  std::vector<std::string> snaps = FilesOfKind(dir, FileKind::kSnapshot);
  if (snaps.size() != 1) {
    state.SkipWithError("expected exactly one snapshot");
    return "";
  }
  return JoinPath(dir, snaps[0]);
}

// Calls `read` (one whole pass over a snapshot of `file_bytes`, handing every entry to the
// callback it is given) once per iteration.
void ReadRepeatedly(
    benchmark::State& state, uint64_t file_bytes,
    const std::function<StatusOr<snapshot::SnapshotCheck>(const snapshot::EntryCallback&)>& read) {
  uint64_t entries = 0;
  for (auto _ : state) {
    uint64_t key_bytes = 0;
    StatusOr<snapshot::SnapshotCheck> check =
        read([&](std::string_view key, std::string_view value) {
          key_bytes += key.size() + value.size();
        });
    if (!check.ok() || check->problem.has_value()) {
      state.SkipWithError(check.ok() ? check->problem->reason.c_str()
                                     : check.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(key_bytes);
    entries += check->entries;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(file_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(entries));
  state.counters["file_bytes"] = static_cast<double>(file_bytes);
}

void BM_SnapshotParse(benchmark::State& state) {
  const std::string path = OnlySnapshot(state);
  if (path.empty()) return;
  const std::string bytes = ReadFile(path);
  ReadRepeatedly(state, bytes.size(), [&](const snapshot::EntryCallback& on_entry) {
    return snapshot::ParseSnapshot(bytes, std::nullopt, on_entry);
  });
}

void BM_SnapshotRead(benchmark::State& state) {
  const std::string path = OnlySnapshot(state);
  if (path.empty()) return;
  auto size = Env::Posix()->GetFileSize(path);
  CheckOk(size.status(), "GetFileSize");
  ReadRepeatedly(state, *size, [&](const snapshot::EntryCallback& on_entry) {
    return snapshot::ReadSnapshot(Env::Posix(), path, std::nullopt, on_entry);
  });
}

// Opens (timed) and closes (untimed) an engine on `dir` once per iteration; reports the rates of
// what recovery loaded.
void OpenRepeatedly(benchmark::State& state, const std::string& dir, bool count_snapshot) {
  uint64_t bytes = 0;
  uint64_t items = 0;
  for (auto _ : state) {
    auto engine = Engine::Open(BenchOptions(dir, FsyncMode::kNever));
    if (!engine.ok()) {
      state.SkipWithError(engine.status().ToString().c_str());
      break;
    }
    state.PauseTiming();
    const RecoverySummary& summary = (*engine)->recovery_summary();
    if (count_snapshot) {
      items += summary.snapshot_keys;
      auto size = Env::Posix()->GetFileSize(JoinPath(dir, summary.snapshot_file));
      CheckOk(size.status(), "GetFileSize");
      bytes += *size;
    } else {
      items += summary.records_replayed;
      bytes += summary.bytes_replayed;
    }
    CheckOk((*engine)->Close(), "Engine::Close");
    engine = Status::ShuttingDown("closed");  // destroy it untimed too
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(items));
}

void BM_SnapshotRecover(benchmark::State& state) {
  const std::string& dir = DataDir(static_cast<uint64_t>(state.range(0)), /*snapshot=*/true);
  OpenRepeatedly(state, dir, /*count_snapshot=*/true);
}

void BM_LogParse(benchmark::State& state) {
  const std::string& dir = DataDir(static_cast<uint64_t>(state.range(0)), /*snapshot=*/false);
  std::vector<std::string> segments;
  for (const std::string& name : FilesOfKind(dir, FileKind::kLogSegment)) {
    segments.push_back(ReadFile(JoinPath(dir, name)));
  }
  uint64_t records = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& segment : segments) {
      uint64_t payload = 0;
      log::SegmentScan scan = log::ParseSegment(
          segment, std::nullopt, [&](const log::RecordView& r) { payload += r.value.size(); });
      if (scan.damage.has_value()) {
        state.SkipWithError(scan.damage->reason.c_str());
        break;
      }
      benchmark::DoNotOptimize(payload);
      records += scan.records;
      bytes += segment.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(records));
}

void BM_LogReplay(benchmark::State& state) {
  const std::string& dir = DataDir(static_cast<uint64_t>(state.range(0)), /*snapshot=*/false);
  OpenRepeatedly(state, dir, /*count_snapshot=*/false);
}

const int64_t kKeys = EnvArg("WALKV_BENCH_SNAPSHOT_KEYS", 100'000);

BENCHMARK(BM_SnapshotWrite)
    ->ArgName("keys")
    ->Arg(kKeys)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// Real time: the snapshot reader inflates on a helper thread, whose CPU the main thread's clock
// misses.
BENCHMARK(BM_SnapshotParse)
    ->ArgName("keys")
    ->Arg(kKeys)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SnapshotRead)
    ->ArgName("keys")
    ->Arg(kKeys)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SnapshotRecover)
    ->ArgName("keys")
    ->Arg(kKeys)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LogParse)->ArgName("keys")->Arg(kKeys)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LogReplay)->ArgName("keys")->Arg(kKeys)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace walkv::bench
