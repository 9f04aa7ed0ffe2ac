// The in-memory map (engine/store.h, engine/entry_table.h, engine/store_entry.h): random
// mutations compared against a std::map model, table growth and backward-shift deletion across
// long probe runs, appends that grow in place, and snapshot pre-images.
#include "engine/store.h"
#include "engine/str_cat.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace walkv {
namespace {

std::map<std::string, std::string> Contents(const Store& store) {
  std::map<std::string, std::string> out;
  for (const std::string& key : store.Keys("*")) out[key] = *store.Get(key);
  return out;
}

MutationResult Do(Store& store, MutationType type, std::string_view key, std::string_view value) {
  MutationResult r;
  store.Apply(type, key, value, &r);
  return r;
}

TEST(EntryTableTest, EveryKeyStaysReachableThroughGrowthAndDeletion) {
  EntryTable table;
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back(StrCat("key-", i));
  for (const std::string& k : keys) {
    auto [slot, inserted] = table.FindOrClaim(k, HashKey(k));
    ASSERT_TRUE(inserted);
    *slot = StoreEntry::New(k, "v" + k);
  }
  ASSERT_EQ(table.size(), keys.size());
  EXPECT_LE(table.size() * 8, table.capacity() * 7);
  // Remove every third key: the backward shift must keep every other key findable.
  for (size_t i = 0; i < keys.size(); i += 3) {
    StoreEntry* removed = table.Remove(keys[i], HashKey(keys[i]));
    ASSERT_NE(removed, nullptr) << keys[i];
    EXPECT_EQ(removed->key(), keys[i]);
    StoreEntry::Free(removed);
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    const StoreEntry* e = table.Find(keys[i], HashKey(keys[i]));
    if (i % 3 == 0) {
      EXPECT_EQ(e, nullptr) << keys[i];
    } else {
      ASSERT_NE(e, nullptr) << keys[i];
      EXPECT_EQ(e->value(), "v" + keys[i]);
    }
  }
  EXPECT_EQ(table.Remove("absent", HashKey("absent")), nullptr);
}

TEST(EntryTableTest, ReserveAvoidsLaterGrowth) {
  EntryTable table;
  table.Reserve(1000);
  size_t capacity = table.capacity();
  EXPECT_GE(capacity - capacity / 8, 1000u);
  for (int i = 0; i < 1000; ++i) {
    std::string k = std::to_string(i);
    *table.FindOrClaim(k, HashKey(k)).first = StoreEntry::New(k, k);
  }
  EXPECT_EQ(table.capacity(), capacity);
}

TEST(StoreEntryTest, AppendsGrowGeometricallyAndKeepBytes) {
  StoreEntry* e = StoreEntry::New("k", "");
  std::string model;
  size_t moves = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string piece(static_cast<size_t>(i % 7) + 1, static_cast<char>('a' + i % 26));
    StoreEntry* next = e->WithAppended(piece);
    if (next != e) ++moves;
    e = next;
    model += piece;
  }
  EXPECT_EQ(e->key(), "k");
  EXPECT_EQ(e->value(), model);
  EXPECT_LT(moves, 30u) << "appends should not reallocate every time";
  // A shorter value is written in place; a much shorter one gets an exactly sized block.
  e = e->WithValue(std::string(4, '\0'));
  EXPECT_EQ(e->value(), std::string(4, '\0'));
  EXPECT_EQ(e->value_capacity(), 4u);
  StoreEntry::Free(e);
}

TEST(StoreTest, RandomMutationsMatchAModel) {
  Store store;
  std::map<std::string, std::string> model;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 40000; ++i) {
    std::string key = StrCat("k", rng() % 3000);
    std::string value(rng() % 200, static_cast<char>('A' + rng() % 26));
    switch (rng() % 10) {
      case 0: case 1: {
        MutationResult r = Do(store, MutationType::kDelete, key, "");
        ASSERT_EQ(r.existed, model.erase(key) == 1) << i;
        break;
      }
      case 2: case 3: {
        MutationResult r = Do(store, MutationType::kAppend, key, value);
        ASSERT_EQ(r.existed, model.contains(key)) << i;
        model[key] += value;
        ASSERT_EQ(r.new_length, model[key].size()) << i;
        break;
      }
      default: {
        MutationResult r = Do(store, MutationType::kSet, key, value);
        ASSERT_EQ(r.existed, model.contains(key)) << i;
        model[key] = value;
      }
    }
    if (i % 5000 == 4999) {
      ASSERT_EQ(Contents(store), model) << i;
    }
  }
  ASSERT_EQ(store.Size(), model.size());
  ASSERT_EQ(Contents(store), model);
  Do(store, MutationType::kFlushAll, "", "");
  EXPECT_EQ(store.Size(), 0u);
  EXPECT_TRUE(store.Keys("*").empty());
  EXPECT_EQ(store.Get("k1"), std::nullopt);
}

TEST(StoreTest, MemoryEstimateFollowsContents) {
  Store store;
  EXPECT_EQ(store.ApproxMemoryBytes(), 0u);
  for (int i = 0; i < 1000; ++i) {
    Do(store, MutationType::kSet, StrCat("key", i), std::string(100, 'x'));
  }
  uint64_t full = store.ApproxMemoryBytes();
  EXPECT_GE(full, 1000u * 100);
  EXPECT_LE(full, 1000u * 250);
  for (int i = 0; i < 1000; ++i) Do(store, MutationType::kDelete, StrCat("key", i), "");
  EXPECT_EQ(store.ApproxMemoryBytes(), 0u);
}

TEST(StoreTest, SnapshotSeesTheStateAtItsCutDespiteLaterChanges) {
  Store store;
  for (int i = 0; i < 500; ++i) Do(store, MutationType::kSet, StrCat("k", i), "old");
  std::map<std::string, std::string> at_cut = Contents(store);
  store.BeginSnapshot();
  Do(store, MutationType::kSet, "k1", "new");
  Do(store, MutationType::kAppend, "k2", "+more");
  Do(store, MutationType::kDelete, "k3", "");
  Do(store, MutationType::kSet, "fresh", "created after the cut");
  SnapshotChunk entries;
  for (size_t s = 0; s < Store::kShardCount; ++s) {
    store.CollectShardForSnapshot(s, &entries);
    if (s == 10) Do(store, MutationType::kFlushAll, "", "");  // later shards still see the cut
  }
  std::map<std::string, std::string> collected;
  for (size_t i = 0; i < entries.size(); ++i) {
    collected.emplace(std::string(entries.key(i)), std::string(entries.value(i)));
  }
  EXPECT_EQ(collected.size(), entries.size()) << "a key was collected twice";
  EXPECT_EQ(collected, at_cut);
  EXPECT_EQ(store.Size(), 0u);
}

}  // namespace
}  // namespace walkv
