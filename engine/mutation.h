// A mutation: one logical change to the key-value map, and the unit the log records.
#pragma once

#include <cstdint>
#include <string>

namespace walkv {

// The numeric values are written to disk (docs/format.md): never renumber.
enum class MutationType : uint8_t {
  kSet = 1,       // key := value
  kDelete = 2,    // remove key (a no-op if absent)
  kAppend = 3,    // key := key + value (key created if absent)
  kFlushAll = 4,  // remove every key
};

struct Mutation {
  MutationType type = MutationType::kSet;
  std::string key;    // empty for kFlushAll
  std::string value;  // empty for kDelete / kFlushAll
};

// What applying a mutation produced; filled in after it is durable and applied, in log order.
struct MutationResult {
  uint64_t seq = 0;         // the log sequence number the mutation was given
  bool existed = false;     // kDelete: the key was present before
  uint64_t new_length = 0;  // kAppend: length in bytes of the value after appending
};

}  // namespace walkv
