#include "engine/batch_overlay.h"

namespace walkv {

void BatchOverlay::Clear() {
  pending_.clear();
  flushed_ = false;
}

void BatchOverlay::Add(const Mutation& m) {
  switch (m.type) {
    case MutationType::kSet:
      pending_.insert_or_assign(m.key, KeyState{m.value, 0});
      break;
    case MutationType::kSetWithDeadline:
      pending_.insert_or_assign(m.key, KeyState{m.value, m.deadline_ms});
      break;
    case MutationType::kAppend: {
      std::optional<KeyState> state = StateOf(m.key);
      if (!state) state = KeyState{};
      state->value += m.value;
      pending_.insert_or_assign(m.key, std::move(state));
      break;
    }
    case MutationType::kDelete:
      pending_.insert_or_assign(m.key, std::nullopt);
      break;
    case MutationType::kExpireAt:
    case MutationType::kPersist: {
      std::optional<KeyState> state = StateOf(m.key);
      if (!state) break;  // a no-op on an absent key
      state->deadline_ms = m.type == MutationType::kExpireAt ? m.deadline_ms : 0;
      pending_.insert_or_assign(m.key, std::move(state));
      break;
    }
    case MutationType::kFlushAll:
      pending_.clear();
      flushed_ = true;
      break;
    case MutationType::kBatch:
      for (const Mutation& part : m.batch) Add(part);
      break;
  }
}

std::optional<KeyState> BatchOverlay::StateOf(std::string_view key) const {
  if (auto it = pending_.find(key); it != pending_.end()) return it->second;
  if (flushed_) return std::nullopt;
  if (parent_ != nullptr) return parent_->StateOf(key);
  return store_->Lookup(key);
}

std::optional<std::string> BatchOverlay::ValueOf(std::string_view key) const {
  std::optional<KeyState> state = StateOf(key);
  if (!state) return std::nullopt;
  return std::move(state->value);
}

}  // namespace walkv
