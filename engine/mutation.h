// A mutation: one logical change to the key-value map, and the unit the log records.
#pragma once

#include <cstdint>
#include <string>

namespace walkv {

// The numeric values are written to disk (docs/format.md): never renumber, and nothing else goes
// into a record's type byte.
enum class MutationType : uint8_t {
  kSet = 1,       // key := value
  kDelete = 2,    // remove key (a no-op if absent)
  kAppend = 3,    // key := key + value (key created if absent)
  kFlushAll = 4,  // remove every key
};

// What a submitted Mutation asks the commit thread to do. In memory only: never encoded. A
// counter request is resolved by the commit thread, in log order, into the plain kSet of its
// resulting decimal value, and that kSet is what the log records (so replay is idempotent).
// log::EncodeRecord refuses anything but kAsIs.
enum class MutationRequest : uint8_t {
  kAsIs,    // log and apply `type`, key and value as they are
  kIncrBy,  // key := its integer value (missing = 0) + value, a decimal integer (engine/counter.h)
  kDecrBy,  // key := its integer value (missing = 0) - value
};

struct Mutation {
  MutationType type = MutationType::kSet;
  std::string key;    // empty for kFlushAll
  std::string value;  // empty for kDelete / kFlushAll; the delta for kIncrBy / kDecrBy
  MutationRequest request = MutationRequest::kAsIs;  // counters: type is kSet
};

// What applying a mutation produced; filled in after it is durable and applied, in log order.
struct MutationResult {
  uint64_t seq = 0;         // the log sequence number the mutation was given
  bool existed = false;     // kDelete: the key was present before
  uint64_t new_length = 0;  // kAppend: length in bytes of the value after appending
  int64_t counter = 0;      // kIncrBy / kDecrBy: the key's value after the change
};

}  // namespace walkv
