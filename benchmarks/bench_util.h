// Helpers shared by the micro benchmarks: scratch directories on the real disk, deterministic test
// data, and bulk loading of an engine. Header-only so that every *_bench.cc stays one executable.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "engine/status.h"

namespace walkv::bench {

// Aborts the benchmark binary with a message: setup failures make every number meaningless.
inline void CheckOk(const Status& s, std::string_view what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%.*s failed: %s\n", static_cast<int>(what.size()), what.data(),
               s.ToString().c_str());
  std::abort();
}

// The integer in environment variable `name`, or `default_value` if it is unset or not a positive
// number. Used at registration time so a data size can be changed without rebuilding, e.g.
// WALKV_BENCH_SNAPSHOT_KEYS=1000000 ./snapshot_bench (scripts/bench-smoke uses it to run small).
inline int64_t EnvArg(const char* name, int64_t default_value) {
  const char* text = std::getenv(name);
  if (text == nullptr) return default_value;
  char* end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  return end != text && *end == '\0' && v > 0 ? static_cast<int64_t>(v) : default_value;
}

// A fresh directory under $TMPDIR (or /tmp) on the real disk, removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/walkv-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "mkdtemp %s: %s (set TMPDIR to a writable directory)\n", tmpl.c_str(),
                   std::strerror(errno));
      std::abort();
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory that does not exist yet (for an engine's data dir).
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// `n` printable bytes from a fixed-seed generator: compressible roughly like text (zlib gets
// about 25% off), so snapshot sizes are neither best nor worst case.
inline std::string RandomValue(size_t n, uint64_t seed) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = kAlphabet[rng() % 64];
  return s;
}

// "key-<i>" zero-padded to a fixed width, so every key has the same length.
inline std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key-%012llu", static_cast<unsigned long long>(i));
  return buf;
}

// Sets Key(0..n-1) to 100-byte values (or `value_bytes`) through the engine's real write path,
// with up to 4,096 mutations in flight, and waits until all are committed.
inline void LoadKeys(Engine* engine, uint64_t n, size_t value_bytes = 100) {
  constexpr uint64_t kInFlight = 4096;
  std::mutex mu;
  std::condition_variable cv;
  uint64_t done = 0;
  Status first_error;
  for (uint64_t i = 0; i < n; ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return i - done < kInFlight; });
    }
    Mutation m{MutationType::kSet, Key(i), RandomValue(value_bytes, i)};
    engine->Submit(std::move(m), [&](StatusOr<MutationResult> r) {
      std::lock_guard<std::mutex> lock(mu);
      if (!r.ok() && first_error.ok()) first_error = r.status();
      ++done;
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done == n; });
  CheckOk(first_error, "loading keys");
}

// Engine options for benchmarks: Posix env, no timed or size-triggered snapshots (so nothing runs
// in the background unless the benchmark asks for it).
inline EngineOptions BenchOptions(const std::string& dir, FsyncMode mode) {
  EngineOptions options;
  options.data_dir = dir;
  options.fsync_mode = mode;
  options.snapshot_interval_seconds = 0;
  options.snapshot_wal_bytes = 0;
  return options;
}

inline std::unique_ptr<Engine> OpenOrDie(const EngineOptions& options) {
  auto engine = Engine::Open(options);
  CheckOk(engine.status(), "Engine::Open");
  return std::move(engine).value();
}

}  // namespace walkv::bench
