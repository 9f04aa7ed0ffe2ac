// Cursor scans (Store::Scan, EntryTable::AppendBucket) and the bounded key listing
// (Store::KeysUpTo): Redis SCAN's guarantee — every key present for the whole scan is returned at
// least once — while the shards' tables grow, entries shift back after deletions, the map is
// changed between steps or by a concurrent applier; `count` and the pattern are honoured.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/entry_table.h"
#include "engine/store.h"

namespace walkv {
namespace {

void Set(Store& store, const std::string& key) {
  MutationResult r;
  store.Apply(MutationType::kSet, key, "v", &r);
}
void Delete(Store& store, const std::string& key) {
  MutationResult r;
  store.Apply(MutationType::kDelete, key, "", &r);
}

// Runs a whole scan, calling between_steps(step) after each call; returns every key seen.
template <typename F>
std::multiset<std::string> FullScan(const Store& store, size_t count, std::string_view pattern,
                                    F&& between_steps) {
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  size_t step = 0;
  do {
    std::vector<std::string> keys;
    cursor = store.Scan(cursor, count, pattern, &keys);
    seen.insert(keys.begin(), keys.end());
    between_steps(step++);
  } while (cursor != 0);
  return seen;
}

std::vector<std::string> Names(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// A bucket is a home position, not a slot: at a load factor near 7/8 probe runs are long, and a
// delete shifts later run members back by a slot — possibly across the cursor. Visiting buckets
// one by one while keys are deleted and re-inserted (size constant, so no growth) must still
// return every key that stays.
TEST(EntryTableScanTest, BucketsKeepTheirEntriesWhileDeletesShiftSlots) {
  EntryTable table;
  table.Reserve(896);
  ASSERT_EQ(table.capacity(), 1024u);
  auto insert = [&](const std::string& k) {
    auto [slot, inserted] = table.FindOrClaim(k, HashKey(k));
    ASSERT_TRUE(inserted);
    *slot = StoreEntry::New(k, "");
  };
  auto remove = [&](const std::string& k) {
    StoreEntry* e = table.Remove(k, HashKey(k));
    ASSERT_NE(e, nullptr);
    StoreEntry::Free(e);
  };
  const std::vector<std::string> stable = Names("stable-", 600);
  std::vector<std::string> churn = Names("churn-", 296);
  // Churn keys first, so that in a probe run they tend to sit before stable ones: deleting them
  // shifts stable entries back.
  for (const std::string& k : churn) insert(k);
  for (const std::string& k : stable) insert(k);
  ASSERT_EQ(table.capacity(), 1024u);
  std::set<std::string> seen;
  std::vector<const StoreEntry*> bucket;
  int generation = 0;
  for (size_t b = 0; b < table.capacity(); ++b) {
    bucket.clear();
    table.AppendBucket(b, &bucket);
    for (const StoreEntry* e : bucket) seen.emplace(e->key());
    // Replace every churn key: deletes shift run members back, inserts fill the holes.
    ++generation;
    for (size_t i = 0; i < churn.size(); ++i) {
      remove(churn[i]);
      churn[i] = "churn-" + std::to_string(generation) + "-" + std::to_string(i);
      insert(churn[i]);
    }
    ASSERT_EQ(table.capacity(), 1024u);
  }
  size_t missing = 0;
  for (const std::string& k : stable) missing += seen.contains(k) ? 0 : 1;
  EXPECT_EQ(missing, 0u);
}

TEST(StoreScanTest, UnchangedStoreIsScannedExactlyOnce) {
  Store store;
  for (const std::string& k : Names("k", 3000)) Set(store, k);
  std::multiset<std::string> seen = FullScan(store, 7, "*", [](size_t) {});
  EXPECT_EQ(seen.size(), 3000u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 3000u);
}

TEST(StoreScanTest, EmptyStoreEndsAtOnce) {
  Store store;
  std::vector<std::string> keys;
  EXPECT_EQ(store.Scan(0, 10, "*", &keys), 0u);
  EXPECT_TRUE(keys.empty());
}

TEST(StoreScanTest, KeysPresentThroughoutSurviveGrowthAndDeletionsBetweenSteps) {
  Store store;
  const std::vector<std::string> stable = Names("stable-", 2000);
  const std::vector<std::string> churn = Names("churn-", 2000);
  for (const std::string& k : stable) Set(store, k);
  for (const std::string& k : churn) Set(store, k);
  const std::vector<std::string> added = Names("added-", 40000);
  size_t next_added = 0, next_deleted = 0;
  // Between steps: grow every table many times over (forcing rehashes mid-scan) and delete the
  // churn keys (backward shifts move entries between slots).
  std::multiset<std::string> seen = FullScan(store, 5, "*", [&](size_t) {
    for (int i = 0; i < 200 && next_added < added.size(); ++i) Set(store, added[next_added++]);
    for (int i = 0; i < 5 && next_deleted < churn.size(); ++i) Delete(store, churn[next_deleted++]);
  });
  ASSERT_GT(next_added, 20000u) << "the tables should have grown during the scan";
  size_t missing = 0;
  for (const std::string& k : stable) missing += seen.contains(k) ? 0 : 1;
  EXPECT_EQ(missing, 0u);
}

TEST(StoreScanTest, KeysPresentThroughoutSurviveAConcurrentApplier) {
  Store store;
  const std::vector<std::string> stable = Names("stable-", 5000);
  for (const std::string& k : stable) Set(store, k);
  std::atomic<bool> stop{false};
  std::thread applier([&] {
    // The single applier: inserts (growing the tables) and deletes keys other than the stable
    // ones until the scans are done.
    for (int round = 0; !stop.load(); ++round) {
      const std::string prefix = "temp-" + std::to_string(round) + "-";
      for (int i = 0; i < 3000; ++i) Set(store, prefix + std::to_string(i));
      for (int i = 0; i < 3000; i += 2) Delete(store, prefix + std::to_string(i));
    }
  });
  for (int scan = 0; scan < 5; ++scan) {
    std::multiset<std::string> seen = FullScan(store, 10, "stable-*", [](size_t) {});
    size_t missing = 0;
    for (const std::string& k : stable) missing += seen.contains(k) ? 0 : 1;
    EXPECT_EQ(missing, 0u) << "scan " << scan;
    for (const std::string& k : seen) EXPECT_EQ(k.rfind("stable-", 0), 0u) << k;
  }
  stop = true;
  applier.join();
}

TEST(StoreScanTest, CountIsTheWorkPerStep) {
  Store store;
  for (const std::string& k : Names("k", 1000)) Set(store, k);
  size_t steps = 0;
  FullScan(store, 100, "*", [&](size_t) { ++steps; });
  size_t steps_one = 0;
  FullScan(store, 1, "*", [&](size_t) { ++steps_one; });
  // Each step visits at least `count` entries unless it ends the scan, so 1000 keys take at most
  // 10 full steps of 100 (plus the one that ends the scan); with count 1 many more steps.
  EXPECT_LE(steps, 11u);
  EXPECT_GT(steps_one, 100u);
}

TEST(StoreScanTest, PatternFiltersTheKeysReturned) {
  Store store;
  for (const std::string& k : Names("user:", 300)) Set(store, k);
  for (const std::string& k : Names("order:", 300)) Set(store, k);
  std::multiset<std::string> seen = FullScan(store, 50, "user:1?", [](size_t) {});
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()),
            std::set<std::string>({"user:10", "user:11", "user:12", "user:13", "user:14", "user:15",
                                   "user:16", "user:17", "user:18", "user:19"}));
}

TEST(StoreScanTest, AnyCursorTerminates) {
  Store store;
  for (const std::string& k : Names("k", 500)) Set(store, k);
  for (uint64_t start : {uint64_t{63}, ~uint64_t{0}, uint64_t{12345678901234567}}) {
    uint64_t cursor = start;
    size_t steps = 0;
    do {
      std::vector<std::string> keys;
      cursor = store.Scan(cursor, 10, "*", &keys);
    } while (cursor != 0 && ++steps < 10000);
    EXPECT_EQ(cursor, 0u) << start;
  }
}

TEST(StoreKeysUpToTest, RefusesPastTheBound) {
  Store store;
  for (const std::string& k : Names("k", 100)) Set(store, k);
  EXPECT_EQ(store.KeysUpTo("*", 100)->size(), 100u);
  EXPECT_FALSE(store.KeysUpTo("*", 99).has_value());
  EXPECT_EQ(store.KeysUpTo("k1?", 10)->size(), 10u);
  EXPECT_EQ(store.KeysUpTo("k7", 1)->size(), 1u);
  EXPECT_FALSE(store.KeysUpTo("k7", 0).has_value());
}

}  // namespace
}  // namespace walkv
