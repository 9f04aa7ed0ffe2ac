// BatchOverlay: the value each key will have once the earlier mutations of the batch being encoded
// are applied.
//
// The commit thread encodes a whole batch before it applies any of it to the Store (readers never
// see a value that is not yet durable), so while it encodes, the Store still holds the state
// before the batch. A counter request must start from the value left by the mutations ahead of it
// in the same batch: the overlay records those (key -> pending value, or deleted; a FLUSHALL
// hides every key not set since) and falls back to the Store for every other key.
//
// Commit thread only; reads the Store through its shared (reader) locks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/mutation.h"
#include "engine/store.h"

namespace walkv {

class BatchOverlay {
 public:
  explicit BatchOverlay(const Store* store) : store_(store) {}

  // Forgets every pending mutation: the next batch starts from the Store.
  void Clear();
  // Records the effect of `m`, a plain mutation (request kAsIs) encoded into the batch.
  void Add(const Mutation& m);
  // The value `key` has after every mutation added so far (nullopt: absent).
  std::optional<std::string> ValueOf(std::string_view key) const;

 private:
  const Store* const store_;
  std::unordered_map<std::string, std::optional<std::string>, TransparentStringHash,
                     std::equal_to<>>
      pending_;
  bool flushed_ = false;  // a FLUSHALL is in the batch: keys not in pending_ are absent
};

}  // namespace walkv
