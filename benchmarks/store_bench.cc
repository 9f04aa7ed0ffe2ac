// In-memory map micro benchmarks (see benchmarks/README.md). Argument: keys (default 1,000,000;
// WALKV_BENCH_STORE_KEYS overrides it), each Key(i) -> a 100-byte value, loaded once per size with
// Store::Apply (untimed) and kept.
//
//   BM_StoreGet/threads:N        Store::Get of existing keys in a scattered order, N reader
//                                threads (shared shard locks), ops/s summed over threads.
//   BM_StoreGetMiss              Store::Get of absent keys.
//   BM_StoreSetExisting          Store::Apply(SET) overwriting existing keys with a 100-byte value
//                                — what the commit thread does per mutation (one applier thread, as
//                                the Store contract requires).
//   BM_StoreSetNew               Store::Apply(SET) of keys not yet present (map growth included).
//   BM_StoreGetWhileSet/threads:N  N reader threads doing Get while one more thread applies SETs
//                                non-stop: readers' ops/s (items_per_second) and the applier's
//                                (applier_sets_per_second) when they contend for shard locks.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/bench_util.h"
#include "engine/mutation.h"
#include "engine/store.h"

namespace walkv::bench {
namespace {

constexpr size_t kValueBytes = 100;
// Indices are visited as (i * kStride) mod n: consecutive operations hit unrelated keys (and
// shards), as independent clients would, without a random generator in the timed loop.
constexpr uint64_t kStride = 7'919;

struct LoadedStore {
  Store store;
  std::vector<std::string> keys;
};

// One store per size, built on first use and kept: Google Benchmark calls a benchmark function
// several times while it sizes the iteration count, and loading 1M keys takes about a second.
// Called by every thread of a multithreaded run, hence the mutex.
LoadedStore& StoreWithKeys(uint64_t n) {
  static std::mutex mu;
  static std::map<uint64_t, std::unique_ptr<LoadedStore>> stores;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<LoadedStore>& s = stores[n];
  if (s == nullptr) {
    s = std::make_unique<LoadedStore>();
    s->keys.reserve(n);
    const std::string value = RandomValue(kValueBytes, 1);
    MutationResult ignored;
    for (uint64_t i = 0; i < n; ++i) {
      s->keys.push_back(Key(i));
      s->store.Apply(MutationType::kSet, s->keys.back(), value, &ignored);
    }
  }
  return *s;
}

void BM_StoreGet(benchmark::State& state) {
  LoadedStore& s = StoreWithKeys(static_cast<uint64_t>(state.range(0)));
  const uint64_t n = s.keys.size();
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 104'729;
  for (auto _ : state) {
    std::optional<std::string> v = s.store.Get(s.keys[(i++ * kStride) % n]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_StoreGetMiss(benchmark::State& state) {
  LoadedStore& s = StoreWithKeys(static_cast<uint64_t>(state.range(0)));
  const uint64_t n = s.keys.size();
  std::vector<std::string> absent;
  for (uint64_t i = 0; i < 4096; ++i) absent.push_back(Key(n + i));
  uint64_t i = 0;
  for (auto _ : state) {
    std::optional<std::string> v = s.store.Get(absent[i++ % absent.size()]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_StoreSetExisting(benchmark::State& state) {
  LoadedStore& s = StoreWithKeys(static_cast<uint64_t>(state.range(0)));
  const uint64_t n = s.keys.size();
  const std::string value = RandomValue(kValueBytes, 2);
  MutationResult result;
  uint64_t i = 0;
  for (auto _ : state) {
    // Apply(const Mutation&), the commit thread's call, forwards to this overload.
    s.store.Apply(MutationType::kSet, s.keys[(i++ * kStride) % n], value, &result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_StoreSetNew(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const std::string value = RandomValue(kValueBytes, 3);
  std::vector<std::string> keys;
  keys.reserve(n);
  for (uint64_t i = 0; i < n; ++i) keys.push_back(Key(i));
  // Inserts Key(0), Key(1), ... into an empty store; after `n` inserts it starts over with a new
  // empty store (untimed), so the rate is the average over growing from 0 to n keys.
  auto store = std::make_unique<Store>();
  MutationResult result;
  uint64_t i = 0;
  for (auto _ : state) {
    if (i == n) {
      state.PauseTiming();
      store = std::make_unique<Store>();
      i = 0;
      state.ResumeTiming();
    }
    store->Apply(MutationType::kSet, keys[i++], value, &result);
  }
  store.reset();  // after the loop, so untimed
  state.SetItemsProcessed(state.iterations());
}

// Thread 0 starts one applier thread before the timed loop and stops it after; the benchmark's
// threads are all readers.
struct Applier {
  std::thread thread;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sets{0};
};
Applier* g_applier = nullptr;

void BM_StoreGetWhileSet(benchmark::State& state) {
  LoadedStore& s = StoreWithKeys(static_cast<uint64_t>(state.range(0)));
  const uint64_t n = s.keys.size();
  if (state.thread_index() == 0) {
    g_applier = new Applier;
    g_applier->thread = std::thread([&s, n] {
      const std::string value = RandomValue(kValueBytes, 4);
      MutationResult result;
      for (uint64_t i = 0; !g_applier->stop.load(std::memory_order_relaxed); ++i) {
        s.store.Apply(MutationType::kSet, s.keys[(i * kStride) % n], value, &result);
        g_applier->sets.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 104'729;
  uint64_t sets_at_start = 0;
  std::chrono::steady_clock::time_point start;
  bool first = true;
  for (auto _ : state) {
    if (first) {
      first = false;
      sets_at_start = g_applier->sets.load(std::memory_order_relaxed);
      start = std::chrono::steady_clock::now();
    }
    std::optional<std::string> v = s.store.Get(s.keys[(i++ * kStride) % n]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Every reader has passed the end barrier: stop the applier and report its rate while thread
    // 0 was reading.
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const uint64_t sets = g_applier->sets.load(std::memory_order_relaxed) - sets_at_start;
    g_applier->stop.store(true);
    g_applier->thread.join();
    delete g_applier;
    g_applier = nullptr;
    state.counters["applier_sets_per_second"] = seconds > 0 ? sets / seconds : 0;
  }
}

const int64_t kKeys = EnvArg("WALKV_BENCH_STORE_KEYS", 1'000'000);

BENCHMARK(BM_StoreGet)->ArgName("keys")->Arg(kKeys)->ThreadRange(1, 4)->UseRealTime();
BENCHMARK(BM_StoreGetMiss)->ArgName("keys")->Arg(kKeys);
BENCHMARK(BM_StoreSetExisting)->ArgName("keys")->Arg(kKeys);
BENCHMARK(BM_StoreSetNew)->ArgName("keys")->Arg(kKeys);
BENCHMARK(BM_StoreGetWhileSet)->ArgName("keys")->Arg(kKeys)->ThreadRange(1, 2)->UseRealTime();

}  // namespace
}  // namespace walkv::bench
