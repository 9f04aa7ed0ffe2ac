// Counters through the engine (Engine::IncrBy / DecrBy, Mutation requests kIncrBy / kDecrBy) on
// the in-memory FaultInjectionEnv: atomic in log order, computed from the batch's own earlier
// mutations, refused without a trace when the value is no integer or the result overflows,
// logged as plain SETs so replay and power loss give back exactly the acknowledged values.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";

class EngineCounterTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> Open() {
    auto e = Engine::Open(testing::QuietEngineOptions(&env_, kDir));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }

  FaultInjectionEnv env_{7};
};

Mutation Counter(std::string key, std::string delta, MutationRequest request) {
  return {MutationType::kSet, std::move(key), std::move(delta), request};
}

TEST_F(EngineCounterTest, IncrAndDecrStartFromZeroAndStoreDecimalText) {
  auto db = Open();
  EXPECT_EQ(*db->IncrBy("c", 1), 1);
  EXPECT_EQ(*db->IncrBy("c", 41), 42);
  EXPECT_EQ(*db->DecrBy("c", 50), -8);
  EXPECT_EQ(*db->DecrBy("d", -3), 3);
  EXPECT_EQ(db->Get("c"), "-8");
  EXPECT_EQ(db->Get("d"), "3");
  ASSERT_TRUE(db->Set("e", "100").ok());
  EXPECT_EQ(*db->IncrBy("e", 1), 101);
}

TEST_F(EngineCounterTest, ConcurrentIncrStreamsOnOneKeyAreExact) {
  auto db = Open();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::vector<int64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = db->IncrBy("hits", 1);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        seen[t].push_back(*r);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& s : seen) {
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));  // one client's increments in its order
    all.insert(s.begin(), s.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));  // every result distinct
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kPerThread);
  EXPECT_EQ(db->Get("hits"), std::to_string(kThreads * kPerThread));
}

// Mutations submitted from inside a callback (on the commit thread, which is busy running it)
// all wait in the queue and form the next batch together: each counter must see the values the
// earlier mutations of that same batch leave.
TEST_F(EngineCounterTest, IncrInOneBatchSeesTheBatchsEarlierMutations) {
  auto db = Open();
  ASSERT_TRUE(db->Set("e", "5").ok());
  const uint64_t batches_before = db->Stats().commit_batches;
  const std::vector<Mutation> batch = {
      {MutationType::kSet, "c", "10"},
      Counter("c", "1", MutationRequest::kIncrBy),
      Counter("c", "5", MutationRequest::kIncrBy),
      {MutationType::kDelete, "c", ""},
      Counter("c", "1", MutationRequest::kIncrBy),
      {MutationType::kSet, "d", "abc"},
      Counter("d", "1", MutationRequest::kIncrBy),
      {MutationType::kAppend, "e", "7"},
      Counter("e", "1", MutationRequest::kDecrBy),
      {MutationType::kFlushAll, "", ""},
      Counter("e", "2", MutationRequest::kIncrBy),
  };
  std::vector<std::promise<StatusOr<MutationResult>>> results(batch.size());
  std::promise<void> first_done;
  db->Submit({MutationType::kSet, "trigger", "1"}, [&](StatusOr<MutationResult>) {
    for (size_t i = 0; i < batch.size(); ++i) {
      db->Submit(batch[i], [&, i](StatusOr<MutationResult> r) { results[i].set_value(r); });
    }
    first_done.set_value();
  });
  first_done.get_future().wait();
  std::vector<StatusOr<MutationResult>> r;
  for (auto& p : results) r.push_back(p.get_future().get());
  EXPECT_EQ(db->Stats().commit_batches, batches_before + 2);  // the trigger's, then this one

  EXPECT_EQ(r[1]->counter, 11);
  EXPECT_EQ(r[2]->counter, 16);
  EXPECT_EQ(r[4]->counter, 1);  // after the delete: from 0
  ASSERT_FALSE(r[6].ok());
  EXPECT_EQ(r[6].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r[8]->counter, 56);  // "5" + "7" appended = 57, minus 1
  EXPECT_EQ(r[10]->counter, 2);  // after the flushall: from 0
  // Sequence numbers stay consecutive: the refused counter got none.
  EXPECT_EQ(r[7]->seq, r[5]->seq + 1);
  EXPECT_EQ(db->Get("e"), "2");
  EXPECT_EQ(db->Get("c"), std::nullopt);
  EXPECT_EQ(db->Stats().last_seq, r[10]->seq);
}

TEST_F(EngineCounterTest, NonIntegerValueFailsAndChangesNothing) {
  auto db = Open();
  for (const char* value : {"abc", "", "1.5", " 1", "+1", "007", "99999999999999999999"}) {
    ASSERT_TRUE(db->Set("k", value).ok());
    const uint64_t seq = db->Stats().last_seq;
    for (auto r : {db->IncrBy("k", 1), db->DecrBy("k", 1)}) {
      ASSERT_FALSE(r.ok()) << value;
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(r.status().message(), "value is not an integer or out of range");
    }
    EXPECT_EQ(db->Get("k"), value);
    EXPECT_EQ(db->Stats().last_seq, seq) << "a refused counter wrote a record";
  }
  auto bad_delta = db->Write(Counter("n", "x", MutationRequest::kIncrBy));
  ASSERT_FALSE(bad_delta.ok());
  EXPECT_EQ(bad_delta.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db->Get("n"), std::nullopt);
}

TEST_F(EngineCounterTest, OverflowFailsAndChangesNothing) {
  auto db = Open();
  ASSERT_TRUE(db->Set("max", "9223372036854775807").ok());
  ASSERT_TRUE(db->Set("min", "-9223372036854775808").ok());
  auto up = db->IncrBy("max", 1);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(up.status().message(), "increment or decrement would overflow");
  EXPECT_FALSE(db->DecrBy("min", 1).ok());
  EXPECT_EQ(db->Get("max"), "9223372036854775807");
  EXPECT_EQ(db->Get("min"), "-9223372036854775808");
  EXPECT_EQ(*db->DecrBy("max", 1), 9223372036854775806);
}

TEST_F(EngineCounterTest, ReplayAfterRestartGivesTheSameValues) {
  {
    auto db = Open();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(db->IncrBy("c", 3).ok());
    ASSERT_TRUE(db->Snapshot().ok());  // half before the snapshot, half replayed over it
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(db->DecrBy("c", 1).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  for (int restart = 0; restart < 2; ++restart) {
    auto db = Open();
    EXPECT_EQ(db->Get("c"), std::to_string(20 + restart));
    EXPECT_EQ(db->recovery_summary().records_replayed, 10u + restart);
    EXPECT_EQ(*db->IncrBy("c", 1), 21 + restart);
    ASSERT_TRUE(db->Close().ok());
  }
}

// Power is cut at every mutating file operation in turn while two clients increment one key and
// each its own; after recovery each key holds a value some client was (or would have been) told:
// at least the highest acknowledged result, at most one more per client whose increment was in
// flight, and always a well-formed counter.
TEST(EngineCounterPowerLossTest, AckedIncrSurvivesUnackedIsAllOrNothing) {
  constexpr int kClients = 2;
  constexpr int kIncrsPerClient = 25;
  for (uint64_t crash_after = 1; crash_after <= 150; ++crash_after) {
    FaultInjectionEnv env(crash_after);
    EngineOptions options = testing::QuietEngineOptions(&env, kDir);
    options.segment_bytes = 200;
    options.snapshot_wal_bytes = 800;
    int64_t max_acked_shared = 0;
    int in_flight_shared = 0;
    std::vector<int64_t> acked_own(kClients, 0);
    {
      auto db = Engine::Open(options);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      env.PowerOffAfterMutatingOps(crash_after);
      std::atomic<int64_t> max_shared{0};
      std::atomic<int> failed{0};
      std::vector<std::thread> clients;
      for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
          const std::string own = "own" + std::to_string(c);
          for (int i = 0; i < kIncrsPerClient; ++i) {
            auto shared = (*db)->IncrBy("shared", 1);
            if (!shared.ok()) {
              failed.fetch_add(1);
              return;
            }
            int64_t seen = max_shared.load();
            while (*shared > seen && !max_shared.compare_exchange_weak(seen, *shared)) {
            }
            auto mine = (*db)->IncrBy(own, 1);
            if (!mine.ok()) return;  // in flight: the own key may be one higher
            acked_own[c] = *mine;
          }
        });
      }
      for (auto& t : clients) t.join();
      max_acked_shared = max_shared.load();
      in_flight_shared = failed.load();
      ASSERT_TRUE(env.powered_off()) << "the workload ended before op " << crash_after;
      (*db)->Close().IgnoreError();
    }
    env.RestartAfterPowerLoss(FaultInjectionEnv::kKeepRandomUnsynced, crash_after);
    auto db = Engine::Open(options);
    ASSERT_TRUE(db.ok()) << "crash after op " << crash_after << ": " << db.status().ToString();
    const int64_t shared = std::stoll((*db)->Get("shared").value_or("0"));
    EXPECT_GE(shared, max_acked_shared) << "crash after op " << crash_after;
    EXPECT_LE(shared, max_acked_shared + in_flight_shared) << "crash after op " << crash_after;
    for (int c = 0; c < kClients; ++c) {
      const int64_t own = std::stoll((*db)->Get("own" + std::to_string(c)).value_or("0"));
      EXPECT_GE(own, acked_own[c]) << "crash after op " << crash_after;
      EXPECT_LE(own, acked_own[c] + 1) << "crash after op " << crash_after;
    }
    // Counting goes on from the recovered value.
    EXPECT_EQ(*(*db)->IncrBy("shared", 1), shared + 1);
  }
}

}  // namespace
}  // namespace walkv
