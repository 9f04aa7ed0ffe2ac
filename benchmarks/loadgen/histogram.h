// Histogram: a log-linear latency histogram in the style of HdrHistogram.
//
// Values (nanoseconds) below 128 have their own bucket; above, each power of two is split into 64
// linear sub-buckets, so a reported percentile is at most 1/64 (1.6 %) above the true value. The
// whole range of uint64_t fits in 3,776 buckets (30 KiB). Recording is one branch, one clz and an
// increment. Not thread-safe: each thread records into its own and Merge() combines them.
#pragma once

#include <array>
#include <cstdint>

namespace walkv::loadgen {

class Histogram {
 public:
  void Record(uint64_t value);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // The smallest bucket upper bound with at least `percentile` % of the values at or below it
  // (capped at max()); 0 when empty.
  uint64_t Percentile(double percentile) const;

 private:
  static constexpr int kSubBits = 6;  // 64 linear sub-buckets per power of two
  static constexpr int kLinear = 2 << kSubBits;
  static constexpr int kBuckets = kLinear + (63 - kSubBits - 1) * (1 << kSubBits) + (1 << kSubBits);

  static int BucketOf(uint64_t value);
  static uint64_t UpperBoundOf(int bucket);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace walkv::loadgen
