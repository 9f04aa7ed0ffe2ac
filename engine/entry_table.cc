#include "engine/entry_table.h"

#include <cstring>

namespace walkv {

size_t EntryTable::CapacityFor(size_t n) {
  size_t capacity = 16;
  while (capacity - capacity / 8 < n) capacity *= 2;  // keep the load factor <= 7/8
  return capacity;
}

size_t EntryTable::IndexOf(std::string_view key, uint64_t hash) const {
  if (capacity_ == 0) return capacity_;
  const uint8_t tag = TagOf(hash);
  const size_t mask = capacity_ - 1;
  for (size_t i = HomeOf(hash);; i = (i + 1) & mask) {
    uint8_t t = tags_[i];
    if (t == kEmpty) return capacity_;  // the load factor guarantees an empty slot ends every run
    if (t == tag && slots_[i]->key() == key) return i;
  }
}

const StoreEntry* EntryTable::Find(std::string_view key, uint64_t hash) const {
  size_t i = IndexOf(key, hash);
  return i == capacity_ ? nullptr : slots_[i];
}

std::pair<StoreEntry**, bool> EntryTable::FindOrClaim(std::string_view key, uint64_t hash) {
  if (size_ + 1 > capacity_ - capacity_ / 8) Rehash(CapacityFor(size_ + 1));
  const uint8_t tag = TagOf(hash);
  const size_t mask = capacity_ - 1;
  for (size_t i = HomeOf(hash);; i = (i + 1) & mask) {
    uint8_t t = tags_[i];
    if (t == kEmpty) {
      tags_[i] = tag;
      slots_[i] = nullptr;
      ++size_;
      return {&slots_[i], true};
    }
    if (t == tag && slots_[i]->key() == key) return {&slots_[i], false};
  }
}

StoreEntry* EntryTable::Remove(std::string_view key, uint64_t hash) {
  size_t hole = IndexOf(key, hash);
  if (hole == capacity_) return nullptr;
  StoreEntry* removed = slots_[hole];
  tags_[hole] = kEmpty;
  slots_[hole] = nullptr;
  --size_;
  // Backward-shift deletion: walk the rest of the probe run and move back every entry whose home
  // is not between the hole and its current slot, so that every entry stays reachable from its
  // home without crossing an empty slot.
  const size_t mask = capacity_ - 1;
  for (size_t i = (hole + 1) & mask; tags_[i] != kEmpty; i = (i + 1) & mask) {
    size_t home = HomeOf(HashKey(slots_[i]->key()));
    size_t distance_from_home = (i - home) & mask;
    size_t distance_from_hole = (i - hole) & mask;
    if (distance_from_home >= distance_from_hole) {
      tags_[hole] = tags_[i];
      slots_[hole] = slots_[i];
      tags_[i] = kEmpty;
      slots_[i] = nullptr;
      hole = i;
    }
  }
  return removed;
}

void EntryTable::AppendBucket(size_t bucket, std::vector<const StoreEntry*>* out) const {
  if (capacity_ == 0) return;
  const size_t mask = capacity_ - 1;
  // Every entry is reachable from its home without crossing an empty slot, so the bucket's
  // entries all lie in this run.
  for (size_t i = bucket & mask; tags_[i] != kEmpty; i = (i + 1) & mask) {
    if (HomeOf(HashKey(slots_[i]->key())) == (bucket & mask)) out->push_back(slots_[i]);
  }
}

void EntryTable::Reserve(size_t n) {
  size_t wanted = CapacityFor(n);
  if (wanted > capacity_) Rehash(wanted);
}

void EntryTable::Rehash(size_t new_capacity) {
  auto tags = std::make_unique<uint8_t[]>(new_capacity);  // value-initialised: all kEmpty
  auto slots = std::make_unique<StoreEntry*[]>(new_capacity);
  const size_t mask = new_capacity - 1;
  for (size_t i = 0; i < capacity_; ++i) {
    if (tags_[i] == kEmpty) continue;
    uint64_t hash = HashKey(slots_[i]->key());
    size_t j = static_cast<size_t>(hash >> 8) & mask;
    while (tags[j] != kEmpty) j = (j + 1) & mask;
    tags[j] = tags_[i];
    slots[j] = slots_[i];
  }
  tags_ = std::move(tags);
  slots_ = std::move(slots);
  capacity_ = new_capacity;
}

void EntryTable::Clear() {
  for (size_t i = 0; i < capacity_; ++i) {
    if (tags_[i] != kEmpty) StoreEntry::Free(slots_[i]);
  }
  tags_.reset();
  slots_.reset();
  capacity_ = 0;
  size_ = 0;
}

}  // namespace walkv
