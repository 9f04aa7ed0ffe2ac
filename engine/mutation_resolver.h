// Mutation resolution: turns a submitted request into the plain mutation the log records, or into
// no record at all, from the state the earlier mutations leave and the clock.
//
// Every request the commit thread receives is resolved here, in log order, before it is encoded:
//  - counters (kIncrBy/kDecrBy) become the SET of their result, keeping the key's deadline (as
//    Redis's INCR does); an expired key counts as missing (0) and its deadline is dropped;
//  - SET with options becomes SET or SET_WITH_DEADLINE (EX/PX relative to `now_ms`, EXAT/PXAT as
//    given, KEEPTTL the key's current deadline), or no record when NX/XX does not hold;
//  - EXPIRE becomes EXPIRE_AT, or DELETE when the deadline is not in the future (like Redis), or
//    no record when the key is absent; PERSIST becomes PERSIST or no record;
//  - CAS becomes the SET of the new value (without a deadline) when the key's live value equals
//    `expected` (or the key is absent and `expected` is nullopt), else no record;
//  - a `batch` (kAtomicBatch) resolves its parts in order, each against the state the parts
//    before it leave (an overlay of its own, dropped if a part is refused), into ONE kBatch
//    record of SETs, DELETEs and SET_WITH_DEADLINEs: APPEND becomes the SET of the whole new
//    value, EXPIRE/PERSIST the SET of the value with its new deadline, a read (kRead) no part.
//    A refused part refuses the whole request ("ops[2]: ..."); no writing part: no record;
//  - a `txn` (kTransaction) evaluates its compares against the live state, then resolves the
//    branch that runs (`batch` or `otherwise`) as a kAtomicBatch;
//  - the sweep's kDeleteIfExpired becomes DELETE only if the key is (still) expired;
//  - a plain APPEND to an expired key becomes the SET of the appended bytes (the expired value is
//    gone, and the deadline with it), so that replay, which never looks at a clock, agrees.
// The records produced never depend on the clock at replay time: replay is exact.
//
// Pure function of its inputs, commit thread only (reads the overlay).
#pragma once

#include <cstdint>

#include "engine/batch_overlay.h"
#include "engine/mutation.h"
#include "engine/status.h"

namespace walkv {

enum class Resolution {
  kLog,       // *m is now a plain mutation (request kAsIs): log and apply it
  kNoRecord,  // nothing to log or apply; *result holds the answer
  kRefused,   // the request fails with *refused (kInvalidArgument); nothing logged
};

// Resolves *m in place. Fills the parts of *result known before applying (counter, applied,
// return_old, old_value, existed for kExpire/kPersist when there is no record).
Resolution ResolveMutation(Mutation* m, const BatchOverlay& overlay, uint64_t now_ms,
                           MutationResult* result, Status* refused);

// True if resolving `m` may need the overlay's view of other keys or of the same key: anything
// but a plain mutation, and — when some key may carry a deadline — plain APPENDs too.
bool NeedsResolution(const Mutation& m, bool deadlines_possible);

// An upper bound of the bytes m's record payload takes (a batch: all its parts).
uint64_t PayloadSizeBound(const Mutation& m);

// Whether `m` may be submitted at all, checked at Submit before it is queued: kInvalid requests,
// records over the 1 GiB limit, batches that are empty or hold a part that is not a plain
// SET / DELETE / SET_WITH_DEADLINE, a kAtomicBatch without parts, a kAtomicBatch or
// kTransaction with a part that is not one of set / delete / append / counters / expire /
// persist / cas / read, and a kRead on its own are kInvalidArgument.
Status CheckSubmittable(const Mutation& m);

// True if `m` (a plain mutation) may give a key a deadline.
inline bool SetsDeadline(const Mutation& m) {
  return m.type == MutationType::kSetWithDeadline || m.type == MutationType::kExpireAt;
}

}  // namespace walkv
