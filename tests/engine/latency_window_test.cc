// LatencyWindow (engine/latency_window.h): the fsync percentiles of Engine::Stats().
#include "engine/latency_window.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace walkv {
namespace {

TEST(LatencyWindowTest, EmptyWindowSummarisesToZeros) {
  LatencyWindow window(8);
  LatencyWindow::Summary s = window.Summarize();
  EXPECT_EQ(s.p50, 0u);
  EXPECT_EQ(s.p99, 0u);
  EXPECT_EQ(s.max, 0u);
}

TEST(LatencyWindowTest, PercentilesOfTheSamplesInAnyOrder) {
  LatencyWindow window(1000);
  for (uint64_t i = 200; i >= 1; --i) window.Record(i);  // 1..200, recorded backwards
  LatencyWindow::Summary s = window.Summarize();
  EXPECT_EQ(s.p50, 101u);  // sorted[100]
  EXPECT_EQ(s.p99, 199u);  // sorted[198]
  EXPECT_EQ(s.max, 200u);
}

TEST(LatencyWindowTest, KeepsOnlyTheMostRecentSamples) {
  LatencyWindow window(4);
  for (uint64_t micros : {1000, 900, 5, 6, 7, 8}) window.Record(micros);
  LatencyWindow::Summary s = window.Summarize();  // holds 5, 6, 7, 8
  EXPECT_EQ(s.p50, 7u);
  EXPECT_EQ(s.max, 8u);
  for (uint64_t micros : {1, 2, 3, 4}) window.Record(micros);
  EXPECT_EQ(window.Summarize().max, 4u);
}

// A reader summarising while the commit thread records (what Stats() does beside group commit):
// every summary is consistent. Run under TSan (scripts/sanitize thread) this also checks the
// locking.
TEST(LatencyWindowTest, SummariesWhileRecordingAreConsistent) {
  LatencyWindow window(64);
  std::atomic<bool> done{false};
  std::thread recorder([&] {
    for (uint64_t i = 1; i <= 20000; ++i) window.Record(i % 1000 + 1);
    done.store(true);
  });
  int summaries = 0;
  while (!done.load() || summaries == 0) {
    LatencyWindow::Summary s = window.Summarize();
    EXPECT_LE(s.p50, s.p99);
    EXPECT_LE(s.p99, s.max);
    EXPECT_LE(s.max, 1000u);
    ++summaries;
  }
  recorder.join();
  EXPECT_EQ(window.Summarize().max, 1000u);
}

}  // namespace
}  // namespace walkv
