// A mutation: one logical change to the key-value map, and the unit the log records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace walkv {

// The numeric values are written to disk (docs/format.md): never renumber, and nothing else goes
// into a record's type byte. Deadlines are absolute: unix time in milliseconds, so replaying a
// record gives the same state whenever it is replayed.
enum class MutationType : uint8_t {
  kSet = 1,       // key := value, without a deadline (a deadline the key had is cleared)
  kDelete = 2,    // remove key (a no-op if absent)
  kAppend = 3,    // key := key + value (key created if absent); the key's deadline is kept
  kFlushAll = 4,  // remove every key
  // Log format version 2 (docs/format.md):
  kSetWithDeadline = 5,  // key := value, expiring at deadline_ms
  kExpireAt = 6,         // key's deadline := deadline_ms (a no-op if absent)
  kPersist = 7,          // key's deadline is removed (a no-op if absent or without one)
  kBatch = 8,            // `batch` (SETs, DELETEs, SET_WITH_DEADLINEs) applied all-or-nothing
};

// The highest MutationType a record may carry.
inline constexpr MutationType kLastMutationType = MutationType::kBatch;

// What a submitted Mutation asks the commit thread to do. In memory only: never encoded. A
// request is resolved by the commit thread, in log order, against the state the earlier
// mutations leave (engine/mutation_resolver.h), into a plain mutation (kAsIs) that is what the
// log records — or into no record at all (a condition that does not hold) — so replay is exact
// and idempotent. log::EncodeRecord refuses anything but kAsIs.
enum class MutationRequest : uint8_t {
  kAsIs,    // log and apply `type`, key and value as they are (an expired key counts as absent)
  kIncrBy,  // key := its integer value (missing = 0) + value, a decimal integer (engine/counter.h)
  kDecrBy,  // key := its integer value (missing = 0) - value
  // Expiry (engine/expiry.h):
  kSetWithOptions,  // SET with `set_options` and `expiry` (NX/XX/GET/KEEPTTL, EX/PX/EXAT/PXAT)
  kExpire,          // key's deadline := `expiry` if the key exists (a past deadline deletes it)
  kPersist,         // remove key's deadline if it has one
  kDeleteIfExpired, // the active sweep: delete key if its deadline has passed
  kBatchIfNoneExist, // MSETNX: the kBatch of SETs, only if none of its keys exists
  kCompareAndSet,   // CAS: key := value (deadline cleared) only if key's live value is `expected`
                    // (nullopt: only if key is absent); logged as that SET, or no record
  // Atomic batches and transactions (the `batch` and `txn` methods):
  kAtomicBatch,  // `batch`: the requests in `batch`, resolved in order, each against the state the
                 // parts before it leave; logged as ONE kBatch record of the plain SETs, DELETEs
                 // and SET_WITH_DEADLINEs they mean (or no record if none writes); one part
                 // refused refuses the whole request, nothing logged
  kTransaction,  // `txn`: if every `compares` holds, the kAtomicBatch of `batch`, else that of
                 // `otherwise`; result.applied says which branch ran
  kRead,         // a read of key inside a kAtomicBatch / kTransaction: no record; the live value
                 // at that point in log order goes to result.old_value
  kInvalid,         // refused at Submit with kInvalidArgument; `value` says why
};

// When a key expires, as a request gives it. Resolved against the clock by the commit thread.
struct ExpiryRequest {
  enum class Kind : uint8_t {
    kNone,      // no deadline (SET clears the key's deadline)
    kRelative,  // ms from now (EX, PX, EXPIRE, PEXPIRE)
    kAbsolute,  // unix ms (EXAT, PXAT, EXPIREAT, PEXPIREAT)
    kKeep,      // the key's current deadline (SET ... KEEPTTL)
  };
  Kind kind = Kind::kNone;
  int64_t ms = 0;
};

// SET's conditions and what it returns.
struct SetOptions {
  bool only_if_absent = false;   // NX
  bool only_if_present = false;  // XX
  bool return_old = false;       // GET
};

// A condition of a kTransaction, evaluated against the key's live state in log order.
struct KeyCompare {
  enum class Kind : uint8_t {
    kValueEquals,  // key exists and its value is `value`
    kExists,       // key exists
    kAbsent,       // key does not exist
  };
  Kind kind = Kind::kExists;
  std::string key;
  std::string value;  // kValueEquals only
};

struct Mutation {
  MutationType type = MutationType::kSet;
  std::string key;    // empty for kFlushAll
  std::string value;  // empty for kDelete / kFlushAll; the delta for kIncrBy / kDecrBy
  MutationRequest request = MutationRequest::kAsIs;  // counters: type is kSet
  uint64_t deadline_ms = 0;  // kSetWithDeadline / kExpireAt: unix ms, > 0; otherwise 0
  ExpiryRequest expiry = {};    // kSetWithOptions / kExpire
  SetOptions set_options = {};  // kSetWithOptions
  std::optional<std::string> expected = {};  // kCompareAndSet: the value required (nullopt: absent)
  // kBatch: its parts, in order (types kSet, kDelete, kSetWithDeadline; no nested batch).
  std::vector<Mutation> batch = {};
  // kTransaction: the conditions, and the parts to run when one of them does not hold (the
  // parts in `batch` run when all hold). Requests, as in a kAtomicBatch.
  std::vector<KeyCompare> compares = {};
  std::vector<Mutation> otherwise = {};
  // The submitter's name for what this part of a kAtomicBatch / kTransaction is (the RPC layer:
  // its method's index), copied to the part's MutationResult. Never logged.
  uint32_t label = 0;
};

// What applying a mutation produced; filled in after it is durable and applied, in log order.
struct MutationResult {
  uint64_t seq = 0;         // the log sequence number the mutation was given (0: no record)
  bool existed = false;     // kDelete, kExpire, kPersist: the key was present (and, for kPersist,
                            // had a deadline) before
  uint64_t new_length = 0;  // kAppend: length in bytes of the value after appending
  int64_t counter = 0;      // kIncrBy / kDecrBy: the key's value after the change
  bool applied = true;      // kSetWithOptions, kBatchIfNoneExist, kCompareAndSet: false when NX / XX / "none
                            // exists" did not hold (nothing written)
  bool return_old = false;  // kSetWithOptions with GET: the result is old_value
  std::optional<std::string> old_value = {};  // kSetWithOptions with GET: the value before;
                                              // kRead: the value read
  // kAtomicBatch / kTransaction: one result per part of the branch that ran, in order (their
  // seq is 0). For kTransaction, `applied` says whether the compares held.
  std::vector<MutationResult> parts = {};
  uint32_t label = 0;  // a part's Mutation::label
};

}  // namespace walkv
