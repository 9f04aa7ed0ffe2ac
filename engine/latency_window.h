// LatencyWindow: the most recent latency samples (a ring of fixed capacity) and their percentiles,
// for the fsync figures of Engine::Stats().
//
// Thread safety: every method may be called from any thread. mu_ guards the ring. Record (the
// commit thread, after every log sync) holds it only to store one sample; Summarize holds it only
// to copy the samples and sorts the copy after releasing it, so a Stats() caller never delays a
// sync by the cost of a sort.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/mutex.h"
#include "engine/thread_annotations.h"

namespace walkv {

class LatencyWindow {
 public:
  struct Summary {
    uint64_t p50 = 0;  // all zero while no sample was recorded
    uint64_t p99 = 0;
    uint64_t max = 0;
  };

  // capacity >= 1.
  explicit LatencyWindow(size_t capacity) : capacity_(capacity) {}

  // Adds a sample; once `capacity` samples are held, it replaces the oldest.
  void Record(uint64_t micros) EXCLUDES(mu_);
  // Of the samples held, sorted ascending into s[0..n): p50 = s[n/2], p99 = s[min(n-1, n*99/100)],
  // max = s[n-1].
  Summary Summarize() const EXCLUDES(mu_);

 private:
  const size_t capacity_;
  mutable Mutex mu_;
  std::vector<uint64_t> samples_ GUARDED_BY(mu_);
  size_t next_ GUARDED_BY(mu_) = 0;  // where the next sample goes once the ring is full
};

}  // namespace walkv
