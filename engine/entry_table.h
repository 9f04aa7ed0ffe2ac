// EntryTable: an open-addressing hash table of StoreEntry pointers, keyed by the entry's key.
//
// Linear probing over two parallel arrays: one tag byte per slot (0 = empty, otherwise 0x80 | the
// top 7 bits of the key's hash) and one StoreEntry* per slot. A lookup scans tag bytes — 64 to a
// cache line — and dereferences an entry only when its tag matches, so a lookup costs about one
// cache miss (the entry itself, which holds the value the caller wants anyway). Deletion shifts
// later members of the probe run back (no tombstones), so probe runs never degrade. The load
// factor stays at most 7/8; capacity is a power of two.
//
// Hashes come from HashKey() and must be passed in by the caller (Store computes one hash per key
// and also uses its low bits to pick a shard; the table uses bits 8 and up for positions).
//
// Ownership: the table owns its entries and frees them in Clear() and the destructor. Not
// thread-safe: the owner (a Store shard) guards it with its lock.
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/store_entry.h"

namespace walkv {

inline uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

class EntryTable {
 public:
  EntryTable() = default;
  ~EntryTable() { Clear(); }
  EntryTable(const EntryTable&) = delete;
  EntryTable& operator=(const EntryTable&) = delete;

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // Bytes of the slot arrays (not of the entries).
  size_t slot_bytes() const { return capacity_ * (sizeof(StoreEntry*) + 1); }

  // The entry with this key, or nullptr. `hash` must be HashKey(key).
  const StoreEntry* Find(std::string_view key, uint64_t hash) const;

  // Looks the key up; if absent, claims an empty slot for it (growing the table first if needed)
  // and returns {slot, true} with *slot == nullptr: the caller must store a new entry for exactly
  // this key there before calling anything else on the table.
  std::pair<StoreEntry**, bool> FindOrClaim(std::string_view key, uint64_t hash);

  // Removes the entry with this key and returns it (the caller frees it), or nullptr if absent.
  [[nodiscard]] StoreEntry* Remove(std::string_view key, uint64_t hash);

  // Makes room for `n` entries in total without further growth.
  void Reserve(size_t n);
  // Frees every entry and the slot arrays.
  void Clear();

  // The entry in slot `i` (0 <= i < capacity()), or nullptr if the slot is empty: iterate with
  //   for (size_t i = 0; i < t.capacity(); ++i) if (const StoreEntry* e = t.EntryAt(i)) ...
  // (a plain loop rather than a callback, so clang's lock analysis sees the caller's lock).
  const StoreEntry* EntryAt(size_t i) const { return tags_[i] == kEmpty ? nullptr : slots_[i]; }

  // --- cursor scans (Store::Scan) ---
  // A bucket is a home position: bucket b (0 <= b < capacity()) holds the entries whose home slot
  // is b. Unlike a slot, an entry's bucket depends only on its hash and the capacity, never on
  // the inserts and deletes around it, which is what a reverse-binary cursor needs (bucket b of a
  // table twice the size holds a subset of bucket b mod capacity()'s entries of the smaller one).
  //
  // Appends to *out every entry of bucket `bucket`: the members of the probe run from slot
  // `bucket` to the next empty slot whose home is `bucket`.
  void AppendBucket(size_t bucket, std::vector<const StoreEntry*>* out) const;

 private:
  static constexpr uint8_t kEmpty = 0;
  static uint8_t TagOf(uint64_t hash) { return static_cast<uint8_t>(0x80 | (hash >> 57)); }
  size_t HomeOf(uint64_t hash) const { return static_cast<size_t>(hash >> 8) & (capacity_ - 1); }
  // Index of the key's slot, or capacity_ if absent.
  size_t IndexOf(std::string_view key, uint64_t hash) const;
  // Reallocates the arrays at `new_capacity` (a power of two) and re-inserts every entry.
  void Rehash(size_t new_capacity);
  static size_t CapacityFor(size_t n);

  std::unique_ptr<uint8_t[]> tags_;
  std::unique_ptr<StoreEntry*[]> slots_;
  size_t capacity_ = 0;  // 0 or a power of two >= 16
  size_t size_ = 0;
};

}  // namespace walkv
