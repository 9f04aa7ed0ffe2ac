#include "engine/expiry.h"

namespace walkv {

int64_t PttlOf(const KeyExpiry& e, uint64_t now_ms) {
  if (!e.exists) return -2;
  if (e.deadline_ms == 0) return -1;
  return e.deadline_ms > now_ms ? static_cast<int64_t>(e.deadline_ms - now_ms) : 0;
}

int64_t TtlFromPttl(int64_t pttl) { return pttl < 0 ? pttl : (pttl + 500) / 1000; }

}  // namespace walkv
