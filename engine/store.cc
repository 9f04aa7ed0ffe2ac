#include "engine/store.h"

#include <xxhash.h>

#include "engine/glob.h"

namespace walkv {
namespace {

// Rough bytes one map entry costs beyond its strings' characters: the hash node (next pointer,
// cached hash, two std::string headers), its bucket slot and malloc's bookkeeping; strings longer
// than the small-string buffer add a heap block of their own.
constexpr int64_t kEntryOverhead = 104;
constexpr size_t kSmallString = 15;

int64_t StringCost(size_t n) { return n > kSmallString ? static_cast<int64_t>(n) + 17 : 0; }
int64_t EntryCost(size_t key, size_t value) {
  return kEntryOverhead + StringCost(key) + StringCost(value);
}

}  // namespace

Store::Store() : shards_(new Shard[kShardCount]) {}

Store::Shard& Store::ShardFor(std::string_view key) {
  return shards_[XXH3_64bits(key.data(), key.size()) % kShardCount];
}
const Store::Shard& Store::ShardFor(std::string_view key) const {
  return shards_[XXH3_64bits(key.data(), key.size()) % kShardCount];
}

void Store::AddAccounting(int64_t entries, int64_t bytes) {
  size_.fetch_add(static_cast<uint64_t>(entries), std::memory_order_relaxed);
  memory_.fetch_add(static_cast<uint64_t>(bytes), std::memory_order_relaxed);
}

std::optional<std::string> Store::Get(std::string_view key) const {
  const Shard& shard = ShardFor(key);
  ReaderLock lock(&shard.mu);
  auto it = shard.map.find(key);
  if (it == shard.map.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Store::Keys(std::string_view pattern) const {
  std::vector<std::string> out;
  if (GlobIsLiteral(pattern)) {
    const Shard& shard = ShardFor(pattern);
    ReaderLock lock(&shard.mu);
    if (shard.map.contains(pattern)) out.emplace_back(pattern);
    return out;
  }
  for (size_t i = 0; i < kShardCount; ++i) {
    const Shard& shard = shards_[i];
    ReaderLock lock(&shard.mu);
    for (const auto& [key, value] : shard.map) {
      if (GlobMatch(pattern, key)) out.push_back(key);
    }
  }
  return out;
}

void Store::SavePreImage(Shard& shard, std::string_view key) {
  if (!shard.tracking) return;
  if (shard.pre_images.contains(key)) return;
  auto it = shard.map.find(key);
  if (it == shard.map.end()) {
    shard.pre_images.emplace(std::string(key), std::nullopt);
  } else {
    shard.pre_images.emplace(std::string(key), it->second);
  }
}

void Store::Apply(const Mutation& m, MutationResult* result) {
  Apply(m.type, m.key, m.value, result);
}

void Store::Apply(MutationType type, std::string_view key, std::string_view value,
                  MutationResult* result) {
  if (type == MutationType::kFlushAll) {
    int64_t entries = 0, bytes = 0;
    for (size_t i = 0; i < kShardCount; ++i) {
      Shard& shard = shards_[i];
      WriterLock lock(&shard.mu);
      for (const auto& [k, v] : shard.map) {
        SavePreImage(shard, k);
        --entries;
        bytes -= EntryCost(k.size(), v.size());
      }
      shard.map.clear();
    }
    AddAccounting(entries, bytes);
    return;
  }

  Shard& shard = ShardFor(key);
  WriterLock lock(&shard.mu);
  SavePreImage(shard, key);
  switch (type) {
    case MutationType::kSet: {
      auto [it, inserted] = shard.map.try_emplace(std::string(key));
      int64_t before = inserted ? 0 : EntryCost(it->first.size(), it->second.size());
      it->second.assign(value);
      AddAccounting(inserted ? 1 : 0, EntryCost(it->first.size(), value.size()) - before);
      result->existed = !inserted;
      break;
    }
    case MutationType::kAppend: {
      auto [it, inserted] = shard.map.try_emplace(std::string(key));
      int64_t before = inserted ? 0 : EntryCost(it->first.size(), it->second.size());
      it->second.append(value);
      AddAccounting(inserted ? 1 : 0, EntryCost(it->first.size(), it->second.size()) - before);
      result->existed = !inserted;
      result->new_length = it->second.size();
      break;
    }
    case MutationType::kDelete: {
      auto it = shard.map.find(key);
      result->existed = it != shard.map.end();
      if (result->existed) {
        AddAccounting(-1, -EntryCost(it->first.size(), it->second.size()));
        shard.map.erase(it);
      }
      break;
    }
    case MutationType::kFlushAll:
      break;  // handled above
  }
}

void Store::Load(std::string_view key, std::string_view value) {
  Shard& shard = ShardFor(key);
  WriterLock lock(&shard.mu);
  auto [it, inserted] = shard.map.try_emplace(std::string(key), value);
  if (inserted) {
    AddAccounting(1, EntryCost(key.size(), value.size()));
  } else {
    int64_t before = EntryCost(it->first.size(), it->second.size());
    it->second.assign(value);
    AddAccounting(0, EntryCost(key.size(), value.size()) - before);
  }
}

void Store::Clear() {
  for (size_t i = 0; i < kShardCount; ++i) {
    WriterLock lock(&shards_[i].mu);
    shards_[i].map.clear();
    shards_[i].pre_images.clear();
    shards_[i].tracking = false;
  }
  size_.store(0, std::memory_order_relaxed);
  memory_.store(0, std::memory_order_relaxed);
}

void Store::BeginSnapshot() {
  for (size_t i = 0; i < kShardCount; ++i) {
    WriterLock lock(&shards_[i].mu);
    shards_[i].tracking = true;
    shards_[i].pre_images.clear();
  }
}

void Store::CollectShardForSnapshot(size_t shard_index,
                                    std::vector<std::pair<std::string, std::string>>* out) {
  Shard& shard = shards_[shard_index];
  WriterLock lock(&shard.mu);
  out->reserve(out->size() + shard.map.size() + shard.pre_images.size());
  for (const auto& [key, value] : shard.map) {
    if (shard.pre_images.contains(key)) continue;  // changed since the snapshot point
    out->emplace_back(key, value);
  }
  for (auto& [key, old_value] : shard.pre_images) {
    if (old_value.has_value()) out->emplace_back(key, std::move(*old_value));
  }
  shard.pre_images.clear();
  shard.tracking = false;
}

void Store::EndSnapshot() {
  for (size_t i = 0; i < kShardCount; ++i) {
    WriterLock lock(&shards_[i].mu);
    shards_[i].tracking = false;
    shards_[i].pre_images.clear();
  }
}

}  // namespace walkv
