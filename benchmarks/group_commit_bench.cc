// Group commit micro benchmark (see benchmarks/README.md).
//
//   BM_GroupCommit/threads:N   a real Engine (Env::Posix(), a fresh data dir under $TMPDIR,
//                              FsyncMode::kAlways) with N writer threads, each doing blocking
//                              Engine::Set of distinct keys with 100-byte values. Reports ops/s
//                              (items_per_second, summed over threads, wall-clock time) and, from
//                              Engine::Stats() deltas over the timed region, fsyncs_per_op
//                              (fsync_count / mutations_committed) and avg_batch (mutations per
//                              group-commit batch). With working group commit, fsyncs_per_op falls
//                              towards 1/N and ops/s grows with N.
//   BM_GroupCommitNoSync/...   the same with FsyncMode::kNever: the engine's overhead without the
//                              disk (queue hand-off, encode, write(2), apply, callback).
//
// Open (recovery, first segment) and Close happen outside the timed region: thread 0 opens the
// engine before the benchmark loop's start barrier and closes it after the end barrier.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/bench_util.h"
#include "engine/engine.h"

namespace walkv::bench {
namespace {

constexpr size_t kValueBytes = 100;
constexpr uint64_t kKeysPerThread = 1024;

// Shared by the threads of one run; written by thread 0 only outside the timed region.
struct Shared {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<Engine> engine;
  EngineStats before;
};
Shared g_shared;

void RunWriters(benchmark::State& state, FsyncMode mode) {
  if (state.thread_index() == 0) {
    g_shared.dir = std::make_unique<TempDir>();
    g_shared.engine = OpenOrDie(BenchOptions(g_shared.dir->Sub("data"), mode));
    g_shared.before = g_shared.engine->Stats();
  }
  std::vector<std::string> keys;
  keys.reserve(kKeysPerThread);
  for (uint64_t i = 0; i < kKeysPerThread; ++i) {
    keys.push_back(Key(static_cast<uint64_t>(state.thread_index()) * kKeysPerThread + i));
  }
  const std::string value = RandomValue(kValueBytes, state.thread_index());
  uint64_t i = 0;
  for (auto _ : state) {
    Status s = g_shared.engine->Set(keys[i++ % kKeysPerThread], value);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Every thread has passed the end barrier, so every Set has returned (and was counted).
    EngineStats after = g_shared.engine->Stats();
    const double ops =
        static_cast<double>(after.mutations_committed - g_shared.before.mutations_committed);
    const double fsyncs = static_cast<double>(after.fsync_count - g_shared.before.fsync_count);
    const double batches =
        static_cast<double>(after.commit_batches - g_shared.before.commit_batches);
    // Thread counters are summed over threads; only thread 0 sets these, so they come out as is.
    state.counters["fsyncs_per_op"] = ops > 0 ? fsyncs / ops : 0;
    state.counters["avg_batch"] = batches > 0 ? ops / batches : 0;
    state.counters["fsync_p50_us"] = static_cast<double>(after.fsync_p50_micros);
    CheckOk(g_shared.engine->Close(), "Engine::Close");
    g_shared.engine.reset();
    g_shared.dir.reset();
  }
}

void BM_GroupCommit(benchmark::State& state) { RunWriters(state, FsyncMode::kAlways); }
void BM_GroupCommitNoSync(benchmark::State& state) { RunWriters(state, FsyncMode::kNever); }

BENCHMARK(BM_GroupCommit)->ThreadRange(1, 64)->UseRealTime();
BENCHMARK(BM_GroupCommitNoSync)->ThreadRange(1, 64)->UseRealTime();

}  // namespace
}  // namespace walkv::bench
