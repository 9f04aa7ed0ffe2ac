// Expiry: the rules every part of walkv applies to keys with a deadline.
//
// A key's deadline is an absolute unix time in milliseconds (0 = the key does not expire). It is
// logged and snapshotted as that absolute number, so replay and snapshot loading rebuild exactly
// the deadlines that were in force, whatever the clock says while replaying. Whether a key is
// expired is a question asked of the clock at read time: a key whose deadline is <= now is
// treated as absent by every read (get, mget, exists, strlen, keys, ttl) and by every request
// the commit thread resolves (NX/XX, counters, append, expire, persist), even before the active
// sweep (engine/expiry_sweeper.h) deletes it with a logged DELETE. Because the in-memory state
// is a function of the log alone, a clock that jumps backwards can make an expired key that was
// not yet deleted visible again (as in Redis), but never one whose DELETE was logged.
//
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>

#include "engine/env.h"

namespace walkv {

// True if a key with `deadline_ms` (0: none) counts as absent at `now_ms`.
inline bool IsExpired(uint64_t deadline_ms, uint64_t now_ms) {
  return deadline_ms != 0 && deadline_ms <= now_ms;
}

// The clock expiry is judged by: the Env's wall clock in unix milliseconds.
inline uint64_t NowUnixMillis(Env* env) { return env->NowMicros() / 1000; }

// A key's raw state as stored: its value and deadline (0: none), expired or not.
struct KeyState {
  std::string value;
  uint64_t deadline_ms = 0;
};

// What ttl/pttl report, from a key's logical state.
struct KeyExpiry {
  bool exists = false;       // false: absent or expired
  uint64_t deadline_ms = 0;  // 0: no deadline
};

// Redis's PTTL number: -2 absent, -1 no deadline, else the remaining milliseconds.
int64_t PttlOf(const KeyExpiry& e, uint64_t now_ms);
// Redis's TTL from a PTTL number: -2 and -1 unchanged, else rounded to the nearest second like
// Redis 7's.
int64_t TtlFromPttl(int64_t pttl);

}  // namespace walkv
