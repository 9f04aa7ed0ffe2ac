#include "benchmarks/loadgen/histogram.h"

#include <algorithm>
#include <cmath>

namespace walkv::loadgen {

int Histogram::BucketOf(uint64_t value) {
  if (value < static_cast<uint64_t>(kLinear)) return static_cast<int>(value);
  const int msb = 63 - __builtin_clzll(value);  // >= kSubBits + 1
  const int shift = msb - kSubBits;             // >= 1
  const uint64_t top = value >> shift;          // in [64, 128)
  return kLinear + (shift - 1) * (1 << kSubBits) + static_cast<int>(top - (1 << kSubBits));
}

uint64_t Histogram::UpperBoundOf(int bucket) {
  if (bucket < kLinear) return static_cast<uint64_t>(bucket);
  const int rel = bucket - kLinear;
  const int shift = rel / (1 << kSubBits) + 1;
  const uint64_t top = static_cast<uint64_t>(rel % (1 << kSubBits) + (1 << kSubBits));
  if (shift + kSubBits + 1 >= 64 && top + 1 == (uint64_t{2} << kSubBits)) return UINT64_MAX;
  return ((top + 1) << shift) - 1;
}

void Histogram::Record(uint64_t value) {
  ++counts_[BucketOf(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::Percentile(double percentile) const {
  if (count_ == 0) return 0;
  const double wanted = std::ceil(percentile / 100.0 * static_cast<double>(count_));
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(UpperBoundOf(i), max_);
  }
  return max_;
}

}  // namespace walkv::loadgen
