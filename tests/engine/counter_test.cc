// Counter rules (engine/counter.h) and the per-batch overlay counters are computed from
// (engine/batch_overlay.h), without an engine.
#include "engine/counter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "engine/batch_overlay.h"
#include "engine/store.h"

namespace walkv {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(CounterTest, ParsesDecimalIntegersInInt64Range) {
  EXPECT_EQ(ParseCounter("0"), 0);
  EXPECT_EQ(ParseCounter("42"), 42);
  EXPECT_EQ(ParseCounter("-17"), -17);
  EXPECT_EQ(ParseCounter("9223372036854775807"), kMax);
  EXPECT_EQ(ParseCounter("-9223372036854775808"), kMin);
}

TEST(CounterTest, RefusesWhatRedisRefuses) {
  for (const char* text : {"", "-", "+1", " 1", "1 ", "007", "-0", "00", "1.5", "1e3", "0x10",
                           "abc", "12a", "9223372036854775808", "-9223372036854775809"}) {
    EXPECT_EQ(ParseCounter(text), std::nullopt) << '"' << text << '"';
  }
  EXPECT_EQ(ParseCounter(std::string("1\0", 2)), std::nullopt);
}

TEST(CounterTest, MissingKeyCountsAsZero) {
  EXPECT_EQ(*ApplyCounter(std::nullopt, MutationRequest::kIncrBy, "1"), 1);
  EXPECT_EQ(*ApplyCounter(std::nullopt, MutationRequest::kDecrBy, "1"), -1);
  EXPECT_EQ(*ApplyCounter("10", MutationRequest::kIncrBy, "-15"), -5);
  EXPECT_EQ(*ApplyCounter("10", MutationRequest::kDecrBy, "-15"), 25);
}

TEST(CounterTest, NonIntegerValueOrDeltaIsInvalidArgument) {
  auto value = ApplyCounter("abc", MutationRequest::kIncrBy, "1");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(value.status().message(), "value is not an integer or out of range");
  auto delta = ApplyCounter("1", MutationRequest::kIncrBy, "one");
  ASSERT_FALSE(delta.ok());
  EXPECT_EQ(delta.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(delta.status().message(), "increment is not an integer or out of range");
}

TEST(CounterTest, OverflowIsInvalidArgument) {
  for (auto [current, request, delta] :
       {std::tuple{"9223372036854775807", MutationRequest::kIncrBy, "1"},
        std::tuple{"-9223372036854775808", MutationRequest::kDecrBy, "1"},
        std::tuple{"0", MutationRequest::kDecrBy, "-9223372036854775808"},
        std::tuple{"-1", MutationRequest::kIncrBy, "-9223372036854775808"}}) {
    auto r = ApplyCounter(current, request, delta);
    ASSERT_FALSE(r.ok()) << current << " " << delta;
    EXPECT_EQ(r.status().message(), "increment or decrement would overflow");
  }
  // Exactly at the limits is fine, and subtracting INT64_MIN from -1 is INT64_MAX.
  EXPECT_EQ(*ApplyCounter("9223372036854775806", MutationRequest::kIncrBy, "1"), kMax);
  EXPECT_EQ(*ApplyCounter("-1", MutationRequest::kDecrBy, "-9223372036854775808"), kMax);
}

TEST(BatchOverlayTest, SeesTheBatchsPendingMutationsOverTheStore) {
  Store store;
  MutationResult ignored;
  store.Apply(MutationType::kSet, "a", "1", &ignored);
  store.Apply(MutationType::kSet, "b", "2", &ignored);
  BatchOverlay overlay(&store);
  EXPECT_EQ(overlay.ValueOf("a"), "1");
  overlay.Add({MutationType::kAppend, "a", "0"});
  overlay.Add({MutationType::kAppend, "a", "0"});
  EXPECT_EQ(overlay.ValueOf("a"), "100");
  overlay.Add({MutationType::kDelete, "b", ""});
  EXPECT_EQ(overlay.ValueOf("b"), std::nullopt);
  overlay.Add({MutationType::kSet, "c", "3"});
  overlay.Add({MutationType::kFlushAll, "", ""});
  overlay.Add({MutationType::kSet, "d", "4"});
  EXPECT_EQ(overlay.ValueOf("a"), std::nullopt);
  EXPECT_EQ(overlay.ValueOf("c"), std::nullopt);
  EXPECT_EQ(overlay.ValueOf("d"), "4");
  EXPECT_EQ(store.Get("a"), "1");  // the store itself is untouched
  overlay.Clear();
  EXPECT_EQ(overlay.ValueOf("a"), "1");
  EXPECT_EQ(overlay.ValueOf("d"), std::nullopt);
}

}  // namespace
}  // namespace walkv
