// BatchOverlay: the state each key will have once the earlier mutations of the batch being
// encoded are applied.
//
// The commit thread encodes a whole batch before it applies any of it to the Store (readers never
// see a value that is not yet durable), so while it encodes, the Store still holds the state
// before the batch. A request (counter, SET NX/XX/GET/KEEPTTL, EXPIRE, PERSIST, the sweep's
// delete, an APPEND to an expired key) must be resolved against the state left by the mutations
// ahead of it in the same batch: the overlay records those (key -> pending value and deadline, or
// deleted; a FLUSHALL hides every key not set since) and falls back to the Store for every other
// key (or to another overlay: see the second constructor). The overlay holds raw state: whether
// a key is expired is judged by the caller.
//
// Commit thread only; reads the Store through its shared (reader) locks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/expiry.h"
#include "engine/mutation.h"
#include "engine/store.h"

namespace walkv {

class BatchOverlay {
 public:
  explicit BatchOverlay(const Store* store) : store_(store), parent_(nullptr) {}
  // An overlay over another one: the parts of one `batch` / `txn` request, resolved on top of
  // the requests ahead of it, and dropped if the request is refused. `parent` outlives it.
  explicit BatchOverlay(const BatchOverlay* parent) : store_(nullptr), parent_(parent) {}

  // Forgets every pending mutation: the next batch starts from the Store.
  void Clear();
  // Records the effect of `m`, a plain mutation (request kAsIs) encoded into the batch.
  void Add(const Mutation& m);
  // The raw state of `key` after every mutation added so far (nullopt: absent), expired or not.
  std::optional<KeyState> StateOf(std::string_view key) const;
  // Its value only.
  std::optional<std::string> ValueOf(std::string_view key) const;

 private:
  const Store* const store_;          // the state below the overlay: a Store ...
  const BatchOverlay* const parent_;  // ... or another overlay (exactly one is set)
  std::unordered_map<std::string, std::optional<KeyState>, TransparentStringHash,
                     std::equal_to<>>
      pending_;
  bool flushed_ = false;  // a FLUSHALL is in the batch: keys not in pending_ are absent
};

}  // namespace walkv
