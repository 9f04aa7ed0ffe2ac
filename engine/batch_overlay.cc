#include "engine/batch_overlay.h"

namespace walkv {

void BatchOverlay::Clear() {
  pending_.clear();
  flushed_ = false;
}

void BatchOverlay::Add(const Mutation& m) {
  switch (m.type) {
    case MutationType::kSet:
      pending_.insert_or_assign(m.key, m.value);
      break;
    case MutationType::kAppend:
      pending_.insert_or_assign(m.key, ValueOf(m.key).value_or("") + m.value);
      break;
    case MutationType::kDelete:
      pending_.insert_or_assign(m.key, std::nullopt);
      break;
    case MutationType::kFlushAll:
      pending_.clear();
      flushed_ = true;
      break;
  }
}

std::optional<std::string> BatchOverlay::ValueOf(std::string_view key) const {
  if (auto it = pending_.find(key); it != pending_.end()) return it->second;
  if (flushed_) return std::nullopt;
  return store_->Get(key);
}

}  // namespace walkv
