#include "engine/latency_window.h"

#include <algorithm>

namespace walkv {

void LatencyWindow::Record(uint64_t micros) {
  MutexLock lock(&mu_);
  if (samples_.size() < capacity_) {
    samples_.push_back(micros);
  } else {
    samples_[next_] = micros;
    next_ = (next_ + 1) % capacity_;
  }
}

LatencyWindow::Summary LatencyWindow::Summarize() const {
  std::vector<uint64_t> sorted;
  {
    MutexLock lock(&mu_);
    sorted = samples_;
  }
  Summary summary;
  if (sorted.empty()) return summary;
  std::sort(sorted.begin(), sorted.end());
  summary.p50 = sorted[sorted.size() / 2];
  summary.p99 = sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
  summary.max = sorted.back();
  return summary;
}

}  // namespace walkv
