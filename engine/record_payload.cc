#include "engine/record_payload.h"

#include <cassert>

#include "engine/coding.h"

namespace walkv {

bool IsBatchPartType(MutationType type) {
  return type == MutationType::kSet || type == MutationType::kDelete ||
         type == MutationType::kSetWithDeadline;
}

void EncodeRecordPayload(const Mutation& m, std::string* dst) {
  switch (m.type) {
    case MutationType::kSet:
    case MutationType::kAppend:
      assert(m.key.size() <= UINT32_MAX);
      PutVarint32(dst, static_cast<uint32_t>(m.key.size()));
      dst->append(m.key);
      dst->append(m.value);
      break;
    case MutationType::kDelete:
    case MutationType::kPersist:
      dst->append(m.key);
      break;
    case MutationType::kFlushAll:
      break;
    case MutationType::kSetWithDeadline:
      assert(m.key.size() <= UINT32_MAX && m.deadline_ms > 0);
      PutVarint32(dst, static_cast<uint32_t>(m.key.size()));
      dst->append(m.key);
      PutFixed64(dst, m.deadline_ms);
      dst->append(m.value);
      break;
    case MutationType::kExpireAt:
      assert(m.deadline_ms > 0);
      PutFixed64(dst, m.deadline_ms);
      dst->append(m.key);
      break;
    case MutationType::kBatch: {
      assert(!m.batch.empty());
      PutVarint32(dst, static_cast<uint32_t>(m.batch.size()));
      std::string part;
      for (const Mutation& p : m.batch) {
        assert(IsBatchPartType(p.type));
        part.clear();
        EncodeRecordPayload(p, &part);
        dst->push_back(static_cast<char>(p.type));
        PutVarint32(dst, static_cast<uint32_t>(part.size()));
        dst->append(part);
      }
      break;
    }
  }
}

bool DecodeRecordPayload(MutationType type, std::string_view payload, MutationView* out) {
  out->type = type;
  out->key = {};
  out->value = {};
  out->deadline_ms = 0;
  switch (type) {
    case MutationType::kSet:
    case MutationType::kAppend:
      if (!GetLengthPrefixed(&payload, &out->key)) return false;
      out->value = payload;
      return true;
    case MutationType::kDelete:
    case MutationType::kPersist:
      out->key = payload;
      return true;
    case MutationType::kFlushAll:
      return payload.empty();
    case MutationType::kSetWithDeadline:
      if (!GetLengthPrefixed(&payload, &out->key) || !GetFixed64(&payload, &out->deadline_ms)) {
        return false;
      }
      out->value = payload;
      return out->deadline_ms > 0;
    case MutationType::kExpireAt:
      if (!GetFixed64(&payload, &out->deadline_ms)) return false;
      out->key = payload;
      return out->deadline_ms > 0;
    case MutationType::kBatch: {
      out->value = payload;
      std::vector<MutationView> parts;
      return DecodeBatchParts(payload, &parts);
    }
  }
  return false;
}

bool DecodeBatchParts(std::string_view payload, std::vector<MutationView>* out) {
  out->clear();
  uint32_t count = 0;
  if (!GetVarint32(&payload, &count) || count == 0) return false;
  // Each part takes at least 2 bytes (type, length): a huge count cannot make us reserve much.
  if (count > payload.size() / 2) return false;
  out->reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (payload.empty()) return false;
    const auto type = static_cast<MutationType>(static_cast<uint8_t>(payload[0]));
    payload.remove_prefix(1);
    if (!IsBatchPartType(type)) return false;
    std::string_view part;
    if (!GetLengthPrefixed(&payload, &part)) return false;
    MutationView view;
    if (!DecodeRecordPayload(type, part, &view)) return false;
    out->push_back(view);
  }
  return payload.empty();
}

}  // namespace walkv
