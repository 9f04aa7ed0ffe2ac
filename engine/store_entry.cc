#include "engine/store_entry.h"

#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

namespace walkv {

StoreEntry* StoreEntry::New(std::string_view key, std::string_view value, size_t capacity) {
  if (key.size() > std::numeric_limits<uint32_t>::max()) {
    throw std::length_error("walkv: key longer than 4 GiB");
  }
  if (capacity < value.size()) capacity = value.size();
  void* block = ::operator new(sizeof(StoreEntry) + key.size() + capacity);
  auto* entry = new (block) StoreEntry(key.size(), value.size(), capacity);
  if (!key.empty()) std::memcpy(entry->bytes(), key.data(), key.size());
  if (!value.empty()) std::memcpy(entry->bytes() + key.size(), value.data(), value.size());
  return entry;
}

void StoreEntry::Free(StoreEntry* entry) {
  if (entry == nullptr) return;
  entry->~StoreEntry();
  ::operator delete(static_cast<void*>(entry));
}

StoreEntry* StoreEntry::WithValue(std::string_view value) {
  bool fits = value.size() <= value_capacity_;
  bool wasteful = value_capacity_ > 64 && value.size() < value_capacity_ / 2;
  if (fits && !wasteful) {
    // memmove: `value` may be a view of this entry's own bytes.
    if (!value.empty()) std::memmove(bytes() + key_size_, value.data(), value.size());
    value_size_ = value.size();
    return this;
  }
  StoreEntry* moved = New(key(), value);
  Free(this);
  return moved;
}

StoreEntry* StoreEntry::WithAppended(std::string_view suffix) {
  size_t needed = value_size_ + suffix.size();
  if (needed <= value_capacity_) {
    if (!suffix.empty()) {
      std::memmove(bytes() + key_size_ + value_size_, suffix.data(), suffix.size());
    }
    value_size_ = needed;
    return this;
  }
  StoreEntry* grown = New(key(), value(), needed + needed / 2);
  std::memcpy(grown->bytes() + grown->key_size_ + grown->value_size_, suffix.data(), suffix.size());
  grown->value_size_ = needed;
  Free(this);
  return grown;
}

}  // namespace walkv
