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

Resolution ResolvePart(Mutation* part, const BatchOverlay& overlay, uint64_t now_ms,
                       MutationResult* result, Status* refused);

std::string PartName(std::string_view branch, size_t index) {
  return std::string(branch) + "[" + std::to_string(index) + "]";
}

// The parts of a `batch` / `txn` branch, resolved in order on an overlay of their own over
// `overlay`, into *logged: the plain parts of the one BATCH record (empty: nothing to log).
// `branch` names the list in a refusal ("ops[2]: value is not an integer").
Resolution ResolveParts(std::vector<Mutation>* parts, std::string_view branch,
                        const BatchOverlay& overlay, uint64_t now_ms,
                        std::vector<MutationResult>* results, std::vector<Mutation>* logged,
                        Status* refused) {
  BatchOverlay local(&overlay);
  results->assign(parts->size(), MutationResult{});
  logged->clear();
  for (size_t i = 0; i < parts->size(); ++i) {
    Mutation& part = (*parts)[i];
    MutationResult& r = (*results)[i];
    r.label = part.label;
    Status why;
    const Resolution res = ResolvePart(&part, local, now_ms, &r, &why);
    if (res == Resolution::kRefused) {
      *refused = Status::InvalidArgument(PartName(branch, i) + ": " + why.message());
      return Resolution::kRefused;
    }
    if (res == Resolution::kNoRecord) continue;
    local.Add(part);
    logged->push_back(std::move(part));
  }
  return logged->empty() ? Resolution::kNoRecord : Resolution::kLog;
}

// One part of a batch: resolved like a request of its own, then turned into a part a BATCH
// record may hold (SET, DELETE, SET_WITH_DEADLINE). The state-dependent ones are logged as the
// state they produce — APPEND as the SET of the whole new value, EXPIRE_AT and PERSIST as the
// SET of the key's value with its new deadline — so replay never looks at earlier state.
Resolution ResolvePart(Mutation* part, const BatchOverlay& overlay, uint64_t now_ms,
                       MutationResult* result, Status* refused) {
  if (part->request == MutationRequest::kRead) {
    std::optional<KeyState> live = LiveState(overlay, part->key, now_ms);
    result->return_old = true;
    if (live) result->old_value = std::move(live->value);
    return Resolution::kNoRecord;
  }
  if (part->request == MutationRequest::kAsIs && part->type == MutationType::kAppend) {
    std::optional<KeyState> live = LiveState(overlay, part->key, now_ms);
    std::string value = live ? std::move(live->value) : std::string();
    value += part->value;
    result->new_length = value.size();
    part->value = std::move(value);
    BecomeSet(part, live ? live->deadline_ms : 0);
    return Resolution::kLog;
  }
  if (part->request == MutationRequest::kAsIs && part->type == MutationType::kDelete) {
    result->existed = LiveState(overlay, part->key, now_ms).has_value();
    return Resolution::kLog;
  }
  const Resolution r = ResolveMutation(part, overlay, now_ms, result, refused);
  if (r != Resolution::kLog) return r;
  if (part->type == MutationType::kExpireAt || part->type == MutationType::kPersist) {
    std::optional<KeyState> live = LiveState(overlay, part->key, now_ms);
    if (!live) return Resolution::kNoRecord;  // not reached: resolution found the key live
    result->existed = true;
    part->value = std::move(live->value);
    BecomeSet(part, part->type == MutationType::kExpireAt ? part->deadline_ms : 0);
  }
  if (!IsBatchPartType(part->type)) {
    *refused = Status::InvalidArgument("this operation cannot be part of a batch");
    return Resolution::kRefused;
  }
  return Resolution::kLog;
}

bool HoldsAll(const std::vector<KeyCompare>& compares, const BatchOverlay& overlay,
              uint64_t now_ms) {
  for (const KeyCompare& c : compares) {
    std::optional<KeyState> live = LiveState(overlay, c.key, now_ms);
    switch (c.kind) {
      case KeyCompare::Kind::kValueEquals:
        if (!live || live->value != c.value) return false;
        break;
      case KeyCompare::Kind::kExists:
        if (!live) return false;
        break;
      case KeyCompare::Kind::kAbsent:
        if (live) return false;
        break;
    }
  }
  return true;
}

// A batch request resolved into *m: the kBatch record of `logged`, or no record.
Resolution BecomeBatch(Mutation* m, Resolution parts, std::vector<Mutation> logged,
                       Status* refused) {
  if (parts != Resolution::kLog) return parts;
  Mutation record;
  record.type = MutationType::kBatch;
  record.batch = std::move(logged);
  if (PayloadSizeBound(record) > log::kMaxRecordPayload) {
    *refused = Status::InvalidArgument("the batch's record would exceed the 1 GiB record limit");
    return Resolution::kRefused;
  }
  *m = std::move(record);
  return Resolution::kLog;
}

bool IsPartRequest(const Mutation& part) {
  switch (part.request) {
    case MutationRequest::kAsIs:
      return part.type == MutationType::kSet || part.type == MutationType::kDelete ||
             part.type == MutationType::kAppend || part.type == MutationType::kSetWithDeadline;
    case MutationRequest::kIncrBy:
    case MutationRequest::kDecrBy:
    case MutationRequest::kSetWithOptions:
    case MutationRequest::kExpire:
    case MutationRequest::kPersist:
    case MutationRequest::kCompareAndSet:
    case MutationRequest::kRead:
    case MutationRequest::kInvalid:  // refused with its reason when resolved
      return true;
    default:
      return false;
  }
}

Status CheckParts(const std::vector<Mutation>& parts, std::string_view branch) {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!IsPartRequest(parts[i])) {
      return Status::InvalidArgument(PartName(branch, i) +
                                     ": this operation cannot be part of a batch");
    }
  }
  return Status::Ok();
}

}  // namespace

uint64_t PayloadSizeBound(const Mutation& m) {
  uint64_t bytes = 5 + 8 + m.key.size() + m.value.size();
  for (const Mutation& part : m.batch) bytes += 1 + 5 + PayloadSizeBound(part);
  for (const Mutation& part : m.otherwise) bytes += 1 + 5 + PayloadSizeBound(part);
  return bytes;
}

Status CheckSubmittable(const Mutation& m) {
  if (m.request == MutationRequest::kInvalid) return Status::InvalidArgument(m.value);
  if (m.request == MutationRequest::kRead) {
    return Status::InvalidArgument("a read is only a part of a batch or transaction");
  }
  if (m.request == MutationRequest::kAtomicBatch) {
    if (m.batch.empty()) return Status::InvalidArgument("a batch needs at least one operation");
    WALKV_RETURN_IF_ERROR(CheckParts(m.batch, "ops"));
  } else if (m.request == MutationRequest::kTransaction) {
    WALKV_RETURN_IF_ERROR(CheckParts(m.batch, "success"));
    WALKV_RETURN_IF_ERROR(CheckParts(m.otherwise, "failure"));
  } else if (m.type == MutationType::kBatch) {
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
    case MutationRequest::kAtomicBatch: {
      std::vector<Mutation> logged;
      const Resolution parts =
          ResolveParts(&m->batch, "ops", overlay, now_ms, &result->parts, &logged, refused);
      return BecomeBatch(m, parts, std::move(logged), refused);
    }
    case MutationRequest::kTransaction: {
      const bool holds = HoldsAll(m->compares, overlay, now_ms);
      result->applied = holds;
      std::vector<Mutation> logged;
      const Resolution parts =
          ResolveParts(holds ? &m->batch : &m->otherwise, holds ? "success" : "failure", overlay,
                       now_ms, &result->parts, &logged, refused);
      return BecomeBatch(m, parts, std::move(logged), refused);
    }
    case MutationRequest::kRead:
      *refused = Status::InvalidArgument("a read is only a part of a batch or transaction");
      return Resolution::kRefused;
    case MutationRequest::kInvalid:
      *refused = Status::InvalidArgument(m->value);
      return Resolution::kRefused;
  }
  *refused = Status::InvalidArgument("unknown request");
  return Resolution::kRefused;
}

}  // namespace walkv
