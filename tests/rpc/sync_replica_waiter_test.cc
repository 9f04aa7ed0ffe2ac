// SyncReplicaWaiter (rpc/sync_replica_waiter.h): a parked write is released exactly once, OK only
// when N replicas ACKed its seq, in seq order; timeouts and shutdown never answer OK.
#include "rpc/sync_replica_waiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace walkv::rpc {
namespace {

using std::chrono::milliseconds;

// A long timeout: tests that are not about timeouts must never see one.
SyncReplicaOptions Options(size_t replicas, milliseconds timeout = milliseconds(600000),
                           SyncTimeoutAction action = SyncTimeoutAction::kError) {
  return {replicas, timeout, action};
}

// Records releases in the order they happen.
struct Releases {
  std::mutex mu;
  std::vector<std::pair<uint64_t, SyncOutcome>> got;

  SyncReplicaWaiter::Release For(uint64_t seq) {
    return [this, seq](SyncOutcome outcome) {
      std::lock_guard<std::mutex> lock(mu);
      got.emplace_back(seq, outcome);
    };
  }
  std::vector<std::pair<uint64_t, SyncOutcome>> Snapshot() {
    std::lock_guard<std::mutex> lock(mu);
    return got;
  }
};

TEST(SyncReplicaWaiterTest, NothingIsReleasedWithoutAnAck) {
  SyncReplicaWaiter waiter(Options(1));
  Releases r;
  waiter.Park(1, r.For(1));
  waiter.Park(2, r.For(2));
  EXPECT_TRUE(r.Snapshot().empty());
  EXPECT_EQ(waiter.stats().waiting, 2u);
}

TEST(SyncReplicaWaiterTest, AnAckReleasesEveryWriteUpToItsSeqInSeqOrder) {
  SyncReplicaWaiter waiter(Options(1));
  Releases r;
  const uint64_t replica = waiter.AddReplica();
  waiter.Park(3, r.For(3));
  waiter.Park(1, r.For(1));
  waiter.Park(2, r.For(2));
  waiter.Park(5, r.For(5));
  waiter.ReplicaAcked(replica, 3);
  using P = std::pair<uint64_t, SyncOutcome>;
  EXPECT_EQ(r.Snapshot(), (std::vector<P>{{1, SyncOutcome::kConfirmed},
                                          {2, SyncOutcome::kConfirmed},
                                          {3, SyncOutcome::kConfirmed}}));
  EXPECT_EQ(waiter.stats().waiting, 1u);
  waiter.ReplicaAcked(replica, 2);  // an older ACK changes nothing
  EXPECT_EQ(r.Snapshot().size(), 3u);
  waiter.ReplicaAcked(replica, 9);
  EXPECT_EQ(r.Snapshot().back(), (P{5, SyncOutcome::kConfirmed}));
  EXPECT_EQ(waiter.stats().waiting, 0u);
  EXPECT_EQ(waiter.stats().confirmed, 4u);
  EXPECT_EQ(waiter.stats().timeouts, 0u);
}

TEST(SyncReplicaWaiterTest, AWriteParkedAfterItsAckIsReleasedAtOnce) {
  // The ACK can arrive before the commit thread runs the write's callback.
  SyncReplicaWaiter waiter(Options(1));
  Releases r;
  waiter.ReplicaAcked(waiter.AddReplica(), 10);
  waiter.Park(7, r.For(7));
  ASSERT_EQ(r.Snapshot().size(), 1u);
  EXPECT_EQ(r.Snapshot()[0].second, SyncOutcome::kConfirmed);
  EXPECT_EQ(waiter.stats().confirmed_seq, 10u);
}

TEST(SyncReplicaWaiterTest, NeedsNReplicasToHoldTheSeq) {
  SyncReplicaWaiter waiter(Options(2));
  Releases r;
  const uint64_t a = waiter.AddReplica();
  const uint64_t b = waiter.AddReplica();
  const uint64_t c = waiter.AddReplica();
  waiter.Park(5, r.For(5));
  waiter.Park(8, r.For(8));
  waiter.ReplicaAcked(a, 100);  // one replica holds everything: not enough
  EXPECT_TRUE(r.Snapshot().empty());
  waiter.ReplicaAcked(b, 6);  // the second-best holds 6: releases 5
  ASSERT_EQ(r.Snapshot().size(), 1u);
  EXPECT_EQ(r.Snapshot()[0].first, 5u);
  waiter.ReplicaAcked(c, 8);
  ASSERT_EQ(r.Snapshot().size(), 2u);
  EXPECT_EQ(r.Snapshot()[1].first, 8u);
}

TEST(SyncReplicaWaiterTest, AReplicaThatLeftNoLongerCounts) {
  SyncReplicaWaiter waiter(Options(2));
  Releases r;
  const uint64_t a = waiter.AddReplica();
  const uint64_t b = waiter.AddReplica();
  waiter.ReplicaAcked(a, 50);
  waiter.RemoveReplica(a);
  waiter.Park(10, r.For(10));
  waiter.ReplicaAcked(b, 50);  // only one replica left: 10 is not confirmed by 2
  EXPECT_TRUE(r.Snapshot().empty());
  const uint64_t a2 = waiter.AddReplica();  // it reconnects and ACKs again
  waiter.ReplicaAcked(a2, 10);
  ASSERT_EQ(r.Snapshot().size(), 1u);
  EXPECT_EQ(r.Snapshot()[0].second, SyncOutcome::kConfirmed);
}

TEST(SyncReplicaWaiterTest, AnAckFromAnUnknownReplicaIsIgnored) {
  SyncReplicaWaiter waiter(Options(1));
  Releases r;
  waiter.Park(1, r.For(1));
  waiter.ReplicaAcked(12345, 1);
  EXPECT_TRUE(r.Snapshot().empty());
}

TEST(SyncReplicaWaiterTest, WithoutReplicasAWriteTimesOutWithAnError) {
  SyncReplicaWaiter waiter(Options(1, milliseconds(20)));
  std::promise<SyncOutcome> outcome;
  waiter.Park(1, [&](SyncOutcome o) { outcome.set_value(o); });
  std::future<SyncOutcome> f = outcome.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(f.get(), SyncOutcome::kTimedOut);
  EXPECT_EQ(waiter.stats().timeouts, 1u);
  EXPECT_EQ(waiter.stats().waiting, 0u);
}

TEST(SyncReplicaWaiterTest, DowngradeAnswersTheTimedOutWriteAsDowngraded) {
  SyncReplicaWaiter waiter(Options(1, milliseconds(20), SyncTimeoutAction::kDowngrade));
  std::promise<SyncOutcome> outcome;
  waiter.Park(1, [&](SyncOutcome o) { outcome.set_value(o); });
  std::future<SyncOutcome> f = outcome.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(f.get(), SyncOutcome::kDowngraded);
  EXPECT_EQ(waiter.stats().downgraded, 1u);
}

TEST(SyncReplicaWaiterTest, ShutdownAnswersEveryParkedWriteAndEveryLaterOneNeverOk) {
  SyncReplicaWaiter waiter(Options(1));
  Releases r;
  for (uint64_t seq = 1; seq <= 100; ++seq) waiter.Park(seq, r.For(seq));
  waiter.Shutdown();
  waiter.Park(101, r.For(101));
  const auto got = r.Snapshot();
  ASSERT_EQ(got.size(), 101u);
  for (const auto& [seq, outcome] : got) EXPECT_EQ(outcome, SyncOutcome::kShutDown) << seq;
  waiter.ReplicaAcked(waiter.AddReplica(), 1000);  // nothing is released twice
  EXPECT_EQ(r.Snapshot().size(), 101u);
}

TEST(SyncReplicaWaiterTest, DestructionAnswersParkedWrites) {
  Releases r;
  {
    SyncReplicaWaiter waiter(Options(1));
    waiter.Park(1, r.For(1));
  }
  ASSERT_EQ(r.Snapshot().size(), 1u);
  EXPECT_EQ(r.Snapshot()[0].second, SyncOutcome::kShutDown);
}

// Many writers park while replicas ACK from other threads and the timer may expire some: every
// write is released exactly once, and never kConfirmed for a seq no replica ACKed.
TEST(SyncReplicaWaiterTest, ManySeqsFromManyThreadsAreEachReleasedOnce) {
  constexpr uint64_t kWriters = 4;
  constexpr uint64_t kPerWriter = 5000;
  constexpr uint64_t kAckedUpTo = kWriters * kPerWriter / 2;
  SyncReplicaWaiter waiter(Options(2, milliseconds(200)));
  std::vector<std::atomic<int>> released(kWriters * kPerWriter + 1);
  std::vector<std::atomic<int>> confirmed(kWriters * kPerWriter + 1);
  std::atomic<uint64_t> done{0};
  const uint64_t a = waiter.AddReplica();
  const uint64_t b = waiter.AddReplica();
  std::vector<std::thread> threads;
  for (uint64_t w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (uint64_t i = 1; i <= kPerWriter; ++i) {
        const uint64_t seq = (i - 1) * kWriters + w + 1;
        waiter.Park(seq, [&, seq](SyncOutcome o) {
          released[seq].fetch_add(1);
          if (o == SyncOutcome::kConfirmed) confirmed[seq].fetch_add(1);
          done.fetch_add(1);
        });
      }
    });
  }
  for (uint64_t id : {a, b}) {
    threads.emplace_back([&, id] {
      for (uint64_t s = 1; s <= kAckedUpTo; s += 7) waiter.ReplicaAcked(id, s);
      waiter.ReplicaAcked(id, kAckedUpTo);
    });
  }
  for (std::thread& t : threads) t.join();
  // What is not confirmed times out (200 ms); wait for every release, bounded.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (done.load() < kWriters * kPerWriter && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
  ASSERT_EQ(done.load(), kWriters * kPerWriter);
  for (uint64_t seq = 1; seq <= kWriters * kPerWriter; ++seq) {
    ASSERT_EQ(released[seq].load(), 1) << seq;
    if (seq > kAckedUpTo) {
      ASSERT_EQ(confirmed[seq].load(), 0) << seq;
    }
  }
  const SyncReplicaWaiter::Stats stats = waiter.stats();
  EXPECT_EQ(stats.confirmed + stats.timeouts, kWriters * kPerWriter);
  EXPECT_EQ(stats.waiting, 0u);
  EXPECT_EQ(stats.confirmed_seq, kAckedUpTo);
}

}  // namespace
}  // namespace walkv::rpc
