// StoreEntry: one key and its value in a single heap block.
//
// Layout: a 24-byte header (key size, value size, value capacity), the key's bytes, then room for
// `value_capacity` value bytes. One allocation per key instead of a hash node plus two string
// buffers: for a 12-byte key and a 100-byte value that is one 144-byte malloc chunk instead of
// three (docs/performance.md, "Memory").
//
// Entries are plain data owned by whoever holds the pointer (an EntryTable); they are never shared
// between threads without the owning shard's lock. Replacing or growing a value may move the entry:
// the With* functions return the pointer to use from then on and free the old block if they moved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace walkv {

class StoreEntry {
 public:
  // Allocates an entry holding `key` and `value`, with room for `capacity` (>= value.size()) value
  // bytes. Throws std::bad_alloc when memory is exhausted, like any container.
  static StoreEntry* New(std::string_view key, std::string_view value, size_t capacity);
  static StoreEntry* New(std::string_view key, std::string_view value) {
    return New(key, value, value.size());
  }
  static void Free(StoreEntry* entry);

  std::string_view key() const { return {bytes(), key_size_}; }
  std::string_view value() const { return {bytes() + key_size_, value_size_}; }
  size_t value_capacity() const { return value_capacity_; }
  // Bytes of the heap block (header + key + value capacity), before malloc's own overhead.
  size_t block_bytes() const { return sizeof(StoreEntry) + key_size_ + value_capacity_; }

  // Replaces the value. Writes in place when it fits and would not waste more than half the block;
  // otherwise allocates an exactly sized entry and frees this one.
  [[nodiscard]] StoreEntry* WithValue(std::string_view value);
  // Appends to the value, growing the capacity geometrically (x1.5) so that repeated appends cost
  // amortised O(1) copies.
  [[nodiscard]] StoreEntry* WithAppended(std::string_view suffix);

  StoreEntry(const StoreEntry&) = delete;
  StoreEntry& operator=(const StoreEntry&) = delete;

 private:
  StoreEntry(size_t key_size, size_t value_size, size_t value_capacity)
      : key_size_(static_cast<uint32_t>(key_size)),
        value_size_(value_size),
        value_capacity_(value_capacity) {}
  ~StoreEntry() = default;

  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }

  uint32_t key_size_;
  uint64_t value_size_;
  uint64_t value_capacity_;
};

static_assert(sizeof(StoreEntry) == 24);

}  // namespace walkv
