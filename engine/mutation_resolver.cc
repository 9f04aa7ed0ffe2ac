#include "engine/mutation_resolver.h"

#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "engine/counter.h"
#include "engine/expiry.h"
#include "engine/log_format.h"
#include "engine/record_payload.h"

namespace walkv {
namespace {

// The key's state if it exists and is not expired at now_ms.
std::optional<KeyState> LiveState(const BatchOverlay& overlay, std::string_view key,
                                  uint64_t now_ms) {
  std::optional<KeyState> state = overlay.StateOf(key);
  if (state && IsExpired(state->deadline_ms, now_ms)) return std::nullopt;
  return state;
}

// The absolute deadline an expiry request names, or nullopt if it overflows. For kRelative and
// kAbsolute only. A result <= now_ms (a non-positive relative time, a past absolute one) is
// returned as is: the caller decides what that means.
std::optional<int64_t> DeadlineOf(const ExpiryRequest& e, uint64_t now_ms) {
  if (e.kind == ExpiryRequest::Kind::kAbsolute) return e.ms;
  int64_t deadline = 0;
  if (__builtin_add_overflow(static_cast<int64_t>(now_ms), e.ms, &deadline)) return std::nullopt;
  return deadline;
}

Status InvalidExpireTime() { return Status::InvalidArgument("invalid expire time"); }

void BecomeSet(Mutation* m, uint64_t deadline_ms) {
  m->type = deadline_ms == 0 ? MutationType::kSet : MutationType::kSetWithDeadline;
  m->deadline_ms = deadline_ms;
  m->request = MutationRequest::kAsIs;
}

}  // namespace

uint64_t PayloadSizeBound(const Mutation& m) {
  uint64_t bytes = 5 + 8 + m.key.size() + m.value.size();
  for (const Mutation& part : m.batch) bytes += 1 + 5 + PayloadSizeBound(part);
  return bytes;
}

Status CheckSubmittable(const Mutation& m) {
  if (m.request == MutationRequest::kInvalid) return Status::InvalidArgument(m.value);
  if (m.type == MutationType::kBatch) {
    if (m.batch.empty()) return Status::InvalidArgument("a batch needs at least one mutation");
    for (const Mutation& part : m.batch) {
      if (!IsBatchPartType(part.type) || part.request != MutationRequest::kAsIs ||
          (part.type == MutationType::kSetWithDeadline && part.deadline_ms == 0)) {
        return Status::InvalidArgument("a batch holds only plain sets and deletes");
      }
    }
  }
  if (PayloadSizeBound(m) > log::kMaxRecordPayload) {
    return Status::InvalidArgument("key and value together exceed the 1 GiB record limit");
  }
  return Status::Ok();
}

bool NeedsResolution(const Mutation& m, bool deadlines_possible) {
  if (m.request != MutationRequest::kAsIs) return true;
  return deadlines_possible && m.type == MutationType::kAppend;
}

Resolution ResolveMutation(Mutation* m, const BatchOverlay& overlay, uint64_t now_ms,
                           MutationResult* result, Status* refused) {
  switch (m->request) {
    case MutationRequest::kAsIs: {
      if (m->type == MutationType::kAppend) {
        std::optional<KeyState> state = overlay.StateOf(m->key);
        if (state && IsExpired(state->deadline_ms, now_ms)) {
          BecomeSet(m, 0);
          result->new_length = m->value.size();  // APPEND's answer, though logged as a SET
        }
      }
      return Resolution::kLog;
    }
    case MutationRequest::kIncrBy:
    case MutationRequest::kDecrBy: {
      std::optional<KeyState> live = LiveState(overlay, m->key, now_ms);
      std::optional<std::string_view> current;
      if (live) current = live->value;
      StatusOr<int64_t> value = ApplyCounter(current, m->request, m->value);
      if (!value.ok()) {
        *refused = value.status();
        return Resolution::kRefused;
      }
      result->counter = *value;
      m->value = std::to_string(*value);
      BecomeSet(m, live ? live->deadline_ms : 0);
      return Resolution::kLog;
    }
    case MutationRequest::kSetWithOptions: {
      const SetOptions& o = m->set_options;
      // Only these look at the key's current state (a plain EX/PX does not: no lookup).
      const bool needs_state = o.only_if_absent || o.only_if_present || o.return_old ||
                               m->expiry.kind == ExpiryRequest::Kind::kKeep;
      std::optional<KeyState> live;
      if (needs_state) live = LiveState(overlay, m->key, now_ms);
      result->return_old = o.return_old;
      if (o.return_old && live) result->old_value = live->value;
      if ((o.only_if_absent && live) || (o.only_if_present && !live)) {
        result->applied = false;
        return Resolution::kNoRecord;
      }
      uint64_t deadline = 0;
      switch (m->expiry.kind) {
        case ExpiryRequest::Kind::kNone:
          break;
        case ExpiryRequest::Kind::kKeep:
          deadline = live ? live->deadline_ms : 0;
          break;
        case ExpiryRequest::Kind::kRelative:
        case ExpiryRequest::Kind::kAbsolute: {
          std::optional<int64_t> d = DeadlineOf(m->expiry, now_ms);
          if (m->expiry.ms <= 0 || !d || *d <= 0) {
            *refused = InvalidExpireTime();
            return Resolution::kRefused;
          }
          deadline = static_cast<uint64_t>(*d);
          break;
        }
      }
      BecomeSet(m, deadline);
      return Resolution::kLog;
    }
    case MutationRequest::kExpire: {
      std::optional<KeyState> live = LiveState(overlay, m->key, now_ms);
      std::optional<int64_t> d = DeadlineOf(m->expiry, now_ms);
      if (!d) {
        *refused = InvalidExpireTime();
        return Resolution::kRefused;
      }
      if (!live) {
        result->existed = false;
        return Resolution::kNoRecord;
      }
      result->existed = true;
      m->request = MutationRequest::kAsIs;
      if (*d <= static_cast<int64_t>(now_ms)) {  // a deadline already passed deletes the key
        m->type = MutationType::kDelete;
        m->deadline_ms = 0;
      } else {
        m->type = MutationType::kExpireAt;
        m->deadline_ms = static_cast<uint64_t>(*d);
      }
      return Resolution::kLog;
    }
    case MutationRequest::kPersist: {
      std::optional<KeyState> live = LiveState(overlay, m->key, now_ms);
      if (!live || live->deadline_ms == 0) {
        result->existed = false;
        return Resolution::kNoRecord;
      }
      m->type = MutationType::kPersist;
      m->request = MutationRequest::kAsIs;
      return Resolution::kLog;
    }
    case MutationRequest::kDeleteIfExpired: {
      std::optional<KeyState> state = overlay.StateOf(m->key);
      if (!state || !IsExpired(state->deadline_ms, now_ms)) return Resolution::kNoRecord;
      m->type = MutationType::kDelete;
      m->request = MutationRequest::kAsIs;
      return Resolution::kLog;
    }
    case MutationRequest::kBatchIfNoneExist: {
      for (const Mutation& part : m->batch) {
        if (LiveState(overlay, part.key, now_ms)) {
          result->applied = false;
          return Resolution::kNoRecord;
        }
      }
      m->request = MutationRequest::kAsIs;
      return Resolution::kLog;
    }
    case MutationRequest::kCompareAndSet: {
      std::optional<KeyState> live = LiveState(overlay, m->key, now_ms);
      const bool holds = m->expected.has_value()
                             ? (live.has_value() && live->value == *m->expected)
                             : !live.has_value();
      result->applied = holds;
      if (!holds) return Resolution::kNoRecord;
      m->expected.reset();
      BecomeSet(m, 0);
      return Resolution::kLog;
    }
    case MutationRequest::kInvalid:
      *refused = Status::InvalidArgument(m->value);
      return Resolution::kRefused;
  }
  *refused = Status::InvalidArgument("unknown request");
  return Resolution::kRefused;
}

}  // namespace walkv
