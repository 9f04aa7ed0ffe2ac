// SnapshotChunk: store entries as of a snapshot point (one or more shards' worth), packed into
// one buffer.
//
// Store::CollectShardForSnapshot adds a shard to a chunk while it holds the shard's lock
// exclusively, so every writer to that shard waits for the copy. Packing keys and values into one
// growing buffer makes the copy one memcpy per entry, with no allocation per entry once the
// buffer has grown to the size of a chunk (chunks are cleared and reused; Clear keeps the
// capacity).
//
// Not thread-safe; the snapshot pipeline hands a whole chunk from one thread to another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walkv {

class SnapshotChunk {
 public:
  void Clear() {
    bytes_.clear();
    entries_.clear();
  }
  // Copies key and value in. deadline_ms: unix ms when the key expires, 0 for none.
  void Add(std::string_view key, std::string_view value, uint64_t deadline_ms) {
    entries_.push_back(Entry{bytes_.size(), key.size(), value.size(), deadline_ms});
    bytes_.append(key);
    bytes_.append(value);
  }

  size_t size() const { return entries_.size(); }
  // Key and value bytes held.
  size_t bytes() const { return bytes_.size(); }
  bool empty() const { return entries_.empty(); }
  // Valid until the next Add or Clear.
  std::string_view key(size_t i) const {
    return std::string_view(bytes_).substr(entries_[i].offset, entries_[i].key_size);
  }
  std::string_view value(size_t i) const {
    return std::string_view(bytes_).substr(entries_[i].offset + entries_[i].key_size,
                                           entries_[i].value_size);
  }
  uint64_t deadline_ms(size_t i) const { return entries_[i].deadline_ms; }

 private:
  struct Entry {
    size_t offset;      // of the key in bytes_; the value follows it
    size_t key_size;
    size_t value_size;
    uint64_t deadline_ms;
  };
  std::string bytes_;
  std::vector<Entry> entries_;
};

}  // namespace walkv
