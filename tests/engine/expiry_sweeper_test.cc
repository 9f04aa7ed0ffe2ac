// The active expiry sweep (engine/expiry_sweeper.h), driven step by step over a Store with a fake
// submit: each step visits a bounded number of keys with a deadline and asks to delete only the
// expired ones, no step starts while the previous step's deletes are in flight, and repeated
// steps reach every expired key.
#include "engine/expiry_sweeper.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/store.h"
#include "engine/str_cat.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr uint64_t kNowMs = 1'000'000;

struct Submitted {
  Mutation m;
  std::function<void(StatusOr<MutationResult>)> done;
};

class ExpirySweeperTest : public ::testing::Test {
 protected:
  ExpirySweeperTest() {
    clock_.SetManualClock(kNowMs * 1000);
    store_.SetClock(&clock_);
  }
  void Put(const std::string& key, uint64_t deadline_ms) {
    MutationResult ignored;
    store_.Apply(deadline_ms == 0 ? MutationType::kSet : MutationType::kSetWithDeadline, key, "v",
                 deadline_ms, &ignored);
  }
  // Applies and completes every submitted delete, as the commit thread would.
  void Complete() {
    for (Submitted& s : submitted_) {
      MutationResult r;
      store_.Apply(MutationType::kDelete, s.m.key, "", 0, &r);
      s.done(r);
    }
    submitted_.clear();
  }

  FaultInjectionEnv clock_;
  Store store_;
  std::vector<Submitted> submitted_;
  ExpirySweeper sweeper_{&store_, &clock_, [this](Mutation m, auto done) {
                           submitted_.push_back({std::move(m), std::move(done)});
                         }};
};

TEST_F(ExpirySweeperTest, StepsAreBoundedWaitForTheirDeletesAndReachEveryExpiredKey) {
  constexpr int kExpired = 2500;
  for (int i = 0; i < kExpired; ++i) Put(StrCat("x", i), kNowMs - 1);
  for (int i = 0; i < 400; ++i) Put(StrCat("future", i), kNowMs + 1);
  for (int i = 0; i < 400; ++i) Put(StrCat("plain", i), 0);

  std::set<std::string> deleted;
  int steps = 0;
  while (store_.KeysWithDeadline() > 400 && steps < 100) {
    const size_t n = sweeper_.Step();
    ++steps;
    EXPECT_LE(n, ExpirySweeper::kVisitsPerStep);
    EXPECT_EQ(n, submitted_.size());
    if (n > 0) {
      EXPECT_EQ(sweeper_.Step(), 0u) << "a step started while deletes were in flight";
    }
    for (const Submitted& s : submitted_) {
      EXPECT_EQ(s.m.request, MutationRequest::kDeleteIfExpired);
      EXPECT_EQ(s.m.key.substr(0, 1), "x") << s.m.key;
      EXPECT_TRUE(deleted.insert(s.m.key).second) << "asked twice: " << s.m.key;
    }
    Complete();
  }
  EXPECT_EQ(deleted.size(), static_cast<size_t>(kExpired));
  EXPECT_GE(steps, 3);  // 2900 keys with a deadline, at most 1000 visits a step
  EXPECT_EQ(store_.Size(), 800u);
}

}  // namespace
}  // namespace walkv
