// CompletionQueue (rpc/completion_queue.h): write results pushed from other threads reach their
// target's strand in push order, nothing is lost, and a burst of pushes reaches each target as
// one batch rather than one hand-off per push.
#include <gtest/gtest.h>

#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "rpc/completion_queue.h"

namespace walkv::rpc {
namespace {

class FakeTarget : public CompletionTarget {
 public:
  explicit FakeTarget(asio::io_context& io) : strand_(asio::make_strand(io)) {}

  void OnCompletionsReady(CompletionBatch batch) override {
    ready_calls_.fetch_add(1);
    asio::dispatch(strand_, [this, batch = std::move(batch)]() mutable {
      while (std::unique_ptr<PendingWrite> w = batch.Pop()) {
        seen_.push_back(w->seq);
        taken_.fetch_add(1);
      }
    });
  }

  std::unique_ptr<PendingWrite> Write(uint64_t seq) {
    auto w = std::make_unique<PendingWrite>();
    w->target = this;
    w->seq = seq;
    return w;
  }

  int ready_calls() const { return ready_calls_.load(); }
  uint64_t taken() const { return taken_.load(); }
  const std::vector<uint64_t>& seen() const { return seen_; }  // after the io_context stopped

 private:
  asio::strand<asio::io_context::executor_type> strand_;
  std::vector<uint64_t> seen_;  // on strand_
  std::atomic<int> ready_calls_{0};
  std::atomic<uint64_t> taken_{0};
};

TEST(CompletionQueueTest, BurstReachesEachTargetInOrderWithOneDrain) {
  asio::io_context io;
  CompletionQueue queue(io);
  std::vector<std::unique_ptr<FakeTarget>> targets;
  for (int i = 0; i < 3; ++i) targets.push_back(std::make_unique<FakeTarget>(io));
  for (uint64_t seq = 0; seq < 100; ++seq) {
    for (auto& t : targets) queue.Push(t->Write(seq));
  }
  io.run();
  queue.WaitForPushes();
  for (auto& t : targets) {
    EXPECT_EQ(t->ready_calls(), 1);  // one batch for the whole burst
    ASSERT_EQ(t->seen().size(), 100u);
    for (uint64_t seq = 0; seq < 100; ++seq) EXPECT_EQ(t->seen()[seq], seq);
  }
}

TEST(CompletionQueueTest, ConcurrentPushersLoseNothingAndKeepOrder) {
  constexpr int kPushers = 4;
  constexpr uint64_t kPerPusher = 20000;
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  CompletionQueue queue(io);
  std::vector<std::unique_ptr<FakeTarget>> targets;
  for (int i = 0; i < kPushers; ++i) targets.push_back(std::make_unique<FakeTarget>(io));
  std::vector<std::thread> io_threads;
  for (int i = 0; i < 2; ++i) io_threads.emplace_back([&] { io.run(); });
  std::vector<std::thread> pushers;
  for (int i = 0; i < kPushers; ++i) {
    pushers.emplace_back([&, i] {
      for (uint64_t seq = 0; seq < kPerPusher; ++seq) queue.Push(targets[i]->Write(seq));
    });
  }
  for (auto& t : pushers) t.join();
  for (auto& t : targets) {
    while (t->taken() < kPerPusher) std::this_thread::yield();
  }
  guard.reset();
  for (auto& t : io_threads) t.join();
  queue.WaitForPushes();
  for (auto& t : targets) {
    ASSERT_EQ(t->seen().size(), kPerPusher);
    for (uint64_t seq = 0; seq < kPerPusher; ++seq) ASSERT_EQ(t->seen()[seq], seq);
    EXPECT_LE(t->ready_calls(), static_cast<int>(kPerPusher));
  }
}

}  // namespace
}  // namespace walkv::rpc
