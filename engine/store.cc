#include "engine/store.h"

#include <algorithm>
#include <limits>

#include "engine/glob.h"
#include "engine/record_payload.h"

namespace walkv {
namespace {

// Approximate bytes one key costs: its entry block (header, key, value capacity), malloc's chunk
// header and rounding (~16), and its share of the table's slot arrays (9 bytes per slot at a load
// factor between 7/16 and 7/8: ~14 on average).
constexpr int64_t kEntryOverhead = 30;
int64_t EntryCost(const StoreEntry& e) {
  return static_cast<int64_t>(e.block_bytes()) + kEntryOverhead;
}
// Approximate bytes a deadline costs: a hash node with a copy of the key and its bucket share.
int64_t DeadlineCost(std::string_view key) { return static_cast<int64_t>(key.size()) + 64; }

uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
  v = ((v >> 8) & 0x00ff00ff00ff00ffull) | ((v & 0x00ff00ff00ff00ffull) << 8);
  v = ((v >> 16) & 0x0000ffff0000ffffull) | ((v & 0x0000ffff0000ffffull) << 16);
  return (v >> 32) | (v << 32);
}

// Redis's reverse-binary increment (dictScan): increments the bucket index's bits from the most
// significant one down, so that the buckets already visited stay a prefix of the order whatever
// the capacity becomes. The result is below mask + 1; it is 0 once every bucket was visited.
uint64_t NextBucketCursor(uint64_t cursor, uint64_t mask) {
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  ++cursor;
  return ReverseBits(cursor);
}

}  // namespace

Store::Store() : shards_(new Shard[kShardCount]) {}

void Store::AddAccounting(int64_t entries, int64_t bytes) {
  size_.fetch_add(static_cast<uint64_t>(entries), std::memory_order_relaxed);
  memory_.fetch_add(static_cast<uint64_t>(bytes), std::memory_order_relaxed);
}

uint64_t Store::DeadlineIn(const Shard& shard, std::string_view key) {
  if (shard.deadlines.empty()) return 0;
  auto it = shard.deadlines.find(key);
  return it == shard.deadlines.end() ? 0 : it->second;
}

bool Store::ExpiredIn(const Shard& shard, std::string_view key) const {
  if (shard.deadlines.empty()) return false;  // the common case: no clock read
  const uint64_t deadline = DeadlineIn(shard, key);
  return deadline != 0 && IsExpired(deadline, NowMs());
}

void Store::SetDeadline(Shard& shard, std::string_view key, uint64_t deadline_ms) {
  if (deadline_ms == 0) {
    if (shard.deadlines.empty()) return;
    auto it = shard.deadlines.find(key);
    if (it == shard.deadlines.end()) return;
    shard.deadlines.erase(it);
    with_deadline_.fetch_sub(1, std::memory_order_relaxed);
    AddAccounting(0, -DeadlineCost(key));
    return;
  }
  auto [it, inserted] = shard.deadlines.try_emplace(std::string(key), deadline_ms);
  if (inserted) {
    with_deadline_.fetch_add(1, std::memory_order_relaxed);
    AddAccounting(0, DeadlineCost(key));
  } else {
    it->second = deadline_ms;
  }
}

std::optional<std::string> Store::Get(std::string_view key) const {
  uint64_t hash = HashKey(key);
  const Shard& shard = shards_[ShardIndex(hash)];
  ReaderLock lock(&shard.mu);
  const StoreEntry* e = shard.table.Find(key, hash);
  if (e == nullptr || ExpiredIn(shard, key)) return std::nullopt;
  return std::string(e->value());
}

std::optional<uint64_t> Store::ValueLength(std::string_view key) const {
  uint64_t hash = HashKey(key);
  const Shard& shard = shards_[ShardIndex(hash)];
  ReaderLock lock(&shard.mu);
  const StoreEntry* e = shard.table.Find(key, hash);
  if (e == nullptr || ExpiredIn(shard, key)) return std::nullopt;
  return e->value().size();
}

KeyExpiry Store::ExpiryOf(std::string_view key) const {
  uint64_t hash = HashKey(key);
  const Shard& shard = shards_[ShardIndex(hash)];
  ReaderLock lock(&shard.mu);
  if (shard.table.Find(key, hash) == nullptr) return {};
  const uint64_t deadline = DeadlineIn(shard, key);
  if (IsExpired(deadline, NowMs())) return {};
  return {true, deadline};
}

std::optional<KeyState> Store::Lookup(std::string_view key) const {
  uint64_t hash = HashKey(key);
  const Shard& shard = shards_[ShardIndex(hash)];
  ReaderLock lock(&shard.mu);
  const StoreEntry* e = shard.table.Find(key, hash);
  if (e == nullptr) return std::nullopt;
  return KeyState{std::string(e->value()), DeadlineIn(shard, key)};
}

size_t Store::CollectExpired(size_t shard_index, size_t max_visits, uint64_t now_ms, size_t* cursor,
                           std::vector<std::string>* expired) const {
  const Shard& shard = shards_[shard_index];
  ReaderLock lock(&shard.mu);
  const size_t buckets = shard.deadlines.bucket_count();
  size_t bucket = *cursor;
  size_t visits = 0;
  for (; bucket < buckets && visits < max_visits; ++bucket) {
    for (auto it = shard.deadlines.begin(bucket); it != shard.deadlines.end(bucket); ++it) {
      ++visits;
      if (IsExpired(it->second, now_ms)) expired->push_back(it->first);
    }
  }
  *cursor = bucket < buckets ? bucket : 0;
  return visits;
}

std::vector<std::string> Store::Keys(std::string_view pattern) const {
  return *KeysUpTo(pattern, std::numeric_limits<size_t>::max());
}

std::optional<std::vector<std::string>> Store::KeysUpTo(std::string_view pattern,
                                                        size_t max_keys) const {
  std::vector<std::string> out;
  if (GlobIsLiteral(pattern)) {
    uint64_t hash = HashKey(pattern);
    const Shard& shard = shards_[ShardIndex(hash)];
    ReaderLock lock(&shard.mu);
    if (shard.table.Find(pattern, hash) != nullptr && !ExpiredIn(shard, pattern)) {
      out.emplace_back(pattern);
    }
    if (out.size() > max_keys) return std::nullopt;
    return out;
  }
  const uint64_t now = NowMs();
  for (size_t i = 0; i < kShardCount; ++i) {
    const Shard& shard = shards_[i];
    ReaderLock lock(&shard.mu);
    for (size_t slot = 0; slot < shard.table.capacity(); ++slot) {
      const StoreEntry* e = shard.table.EntryAt(slot);
      if (e != nullptr && GlobMatch(pattern, e->key()) &&
          !IsExpired(DeadlineIn(shard, e->key()), now)) {
        if (out.size() == max_keys) return std::nullopt;
        out.emplace_back(e->key());
      }
    }
  }
  return out;
}

uint64_t Store::Scan(uint64_t cursor, size_t count, std::string_view pattern,
                     std::vector<std::string>* keys) const {
  static_assert(kShardCount == uint64_t{1} << kScanShardBits);
  size_t shard_index = static_cast<size_t>(cursor % kShardCount);
  uint64_t bucket_cursor = cursor >> kScanShardBits;
  count = std::max<size_t>(count, 1);
  size_t entries_seen = 0;
  // Like Redis: give up after this many buckets even if they held fewer than `count` entries, so
  // that a sparse table does not make one call walk all of it.
  size_t buckets_left = count > std::numeric_limits<size_t>::max() / 10 ? count : count * 10;
  std::vector<const StoreEntry*> bucket;
  const uint64_t now = NowMs();
  for (;;) {
    {
      const Shard& shard = shards_[shard_index];
      ReaderLock lock(&shard.mu);
      const size_t capacity = shard.table.capacity();
      if (capacity == 0) {
        // Nothing here now, so nothing that is present throughout. An empty shard costs one lock
        // and does not count against the bucket budget, so a scan of an empty store (or of the
        // empty shards of a small one) ends in one call.
        bucket_cursor = 0;
      } else {
        const uint64_t mask = capacity - 1;
        do {
          bucket.clear();
          shard.table.AppendBucket(static_cast<size_t>(bucket_cursor & mask), &bucket);
          for (const StoreEntry* e : bucket) {
            ++entries_seen;
            if (GlobMatch(pattern, e->key()) && !IsExpired(DeadlineIn(shard, e->key()), now)) {
              keys->emplace_back(e->key());
            }
          }
          bucket_cursor = NextBucketCursor(bucket_cursor, mask);
          --buckets_left;
        } while (bucket_cursor != 0 && entries_seen < count && buckets_left > 0);
      }
    }
    if (bucket_cursor == 0 && ++shard_index == kShardCount) return 0;
    if (entries_seen >= count || buckets_left == 0) {
      return (bucket_cursor << kScanShardBits) | shard_index;
    }
  }
}

void Store::SavePreImage(Shard& shard, std::string_view key, uint64_t hash) {
  if (!shard.tracking) return;
  if (shard.pre_images.contains(key)) return;
  const StoreEntry* entry = shard.table.Find(key, hash);
  if (entry == nullptr) {
    shard.pre_images.emplace(std::string(key), std::nullopt);
  } else {
    shard.pre_images.emplace(std::string(key),
                             KeyState{std::string(entry->value()), DeadlineIn(shard, key)});
  }
}

void Store::Apply(const Mutation& m, MutationResult* result) {
  if (m.type == MutationType::kBatch) {
    std::vector<MutationView> parts;
    parts.reserve(m.batch.size());
    for (const Mutation& p : m.batch) parts.push_back({p.type, p.key, p.value, p.deadline_ms});
    ApplyBatch(parts);
    return;
  }
  Apply(m.type, m.key, m.value, m.deadline_ms, result);
}

void Store::ApplyBatch(const std::vector<MutationView>& parts) {
  // Every shard the batch touches is locked, in index order, for the whole batch: a reader sees
  // each key either before the batch or after it.
  std::vector<size_t> shard_of(parts.size());
  std::vector<size_t> locked;
  for (size_t i = 0; i < parts.size(); ++i) {
    shard_of[i] = ShardIndex(HashKey(parts[i].key));
    locked.push_back(shard_of[i]);
  }
  std::sort(locked.begin(), locked.end());
  locked.erase(std::unique(locked.begin(), locked.end()), locked.end());
  for (size_t s : locked) shards_[s].mu.Lock();
  MutationResult ignored;
  for (size_t i = 0; i < parts.size(); ++i) {
    const MutationView& p = parts[i];
    ApplyToShard(shards_[shard_of[i]], p.type, p.key, HashKey(p.key), p.value, p.deadline_ms,
                 &ignored);
  }
  for (auto it = locked.rbegin(); it != locked.rend(); ++it) shards_[*it].mu.Unlock();
}

void Store::Apply(MutationType type, std::string_view key, std::string_view value,
                  uint64_t deadline_ms, MutationResult* result) {
  if (type == MutationType::kFlushAll) {
    int64_t entries = 0, bytes = 0;
    for (size_t i = 0; i < kShardCount; ++i) {
      Shard& shard = shards_[i];
      WriterLock lock(&shard.mu);
      for (size_t slot = 0; slot < shard.table.capacity(); ++slot) {
        const StoreEntry* e = shard.table.EntryAt(slot);
        if (e == nullptr) continue;
        if (shard.tracking) SavePreImage(shard, e->key(), HashKey(e->key()));
        --entries;
        bytes -= EntryCost(*e);
      }
      shard.table.Clear();
      for (const auto& [k, d] : shard.deadlines) bytes -= DeadlineCost(k);
      with_deadline_.fetch_sub(shard.deadlines.size(), std::memory_order_relaxed);
      shard.deadlines.clear();
    }
    AddAccounting(entries, bytes);
    return;
  }

  if (type == MutationType::kBatch) {
    std::vector<MutationView> parts;
    // The log reader checked the framing (a record that fails it is damage, never applied).
    if (DecodeBatchParts(value, &parts)) ApplyBatch(parts);
    return;
  }
  uint64_t hash = HashKey(key);
  Shard& shard = shards_[ShardIndex(hash)];
  WriterLock lock(&shard.mu);
  ApplyToShard(shard, type, key, hash, value, deadline_ms, result);
}

void Store::ApplyToShard(Shard& shard, MutationType type, std::string_view key, uint64_t hash,
                         std::string_view value, uint64_t deadline_ms, MutationResult* result) {
  SavePreImage(shard, key, hash);
  switch (type) {
    case MutationType::kSet:
    case MutationType::kSetWithDeadline:
    case MutationType::kAppend: {
      const bool was_expired = ExpiredIn(shard, key);
      auto [slot, inserted] = shard.table.FindOrClaim(key, hash);
      int64_t before = 0;
      if (inserted) {
        *slot = StoreEntry::New(key, value);
      } else {
        before = EntryCost(**slot);
        *slot = type == MutationType::kAppend ? (*slot)->WithAppended(value)
                                              : (*slot)->WithValue(value);
      }
      AddAccounting(inserted ? 1 : 0, EntryCost(**slot) - before);
      result->existed = !inserted && !was_expired;
      if (type == MutationType::kAppend) {
        result->new_length = (*slot)->value().size();
      } else {  // SET replaces the deadline too; APPEND keeps it
        SetDeadline(shard, key, type == MutationType::kSetWithDeadline ? deadline_ms : 0);
      }
      break;
    }
    case MutationType::kDelete: {
      const bool was_expired = ExpiredIn(shard, key);
      StoreEntry* removed = shard.table.Remove(key, hash);
      result->existed = removed != nullptr && !was_expired;
      if (removed != nullptr) {
        SetDeadline(shard, key, 0);
        AddAccounting(-1, -EntryCost(*removed));
        StoreEntry::Free(removed);
      }
      break;
    }
    case MutationType::kExpireAt:
    case MutationType::kPersist: {
      if (shard.table.Find(key, hash) == nullptr) break;
      result->existed = type == MutationType::kExpireAt || DeadlineIn(shard, key) != 0;
      SetDeadline(shard, key, type == MutationType::kExpireAt ? deadline_ms : 0);
      break;
    }
    case MutationType::kFlushAll:
    case MutationType::kBatch:
      break;  // handled by Apply
  }
}

void Store::Load(std::string_view key, std::string_view value, uint64_t deadline_ms) {
  MutationResult ignored;
  Apply(deadline_ms == 0 ? MutationType::kSet : MutationType::kSetWithDeadline, key, value,
        deadline_ms, &ignored);
}

void Store::Reserve(uint64_t keys) {
  // Keys spread evenly over the shards by the hash; allow a little imbalance.
  uint64_t per_shard = keys / kShardCount + keys / kShardCount / 16 + 1;
  for (size_t i = 0; i < kShardCount; ++i) {
    WriterLock lock(&shards_[i].mu);
    shards_[i].table.Reserve(per_shard);
  }
}

void Store::Clear() {
  for (size_t i = 0; i < kShardCount; ++i) {
    WriterLock lock(&shards_[i].mu);
    shards_[i].table.Clear();
    shards_[i].deadlines.clear();
    shards_[i].pre_images.clear();
    shards_[i].tracking = false;
  }
  with_deadline_.store(0, std::memory_order_relaxed);
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

void Store::CollectShardForSnapshot(size_t shard_index, SnapshotChunk* out) {
  constexpr size_t kPrefetchSlots = 8;
  Shard& shard = shards_[shard_index];
  WriterLock lock(&shard.mu);
  // Every writer to this shard waits from here to the end: copy bytes only (no allocation per
  // entry, no pre-image lookup when nothing in the shard changed since the snapshot point).
  const bool any_changed = !shard.pre_images.empty();
  const size_t capacity = shard.table.capacity();
  for (size_t slot = 0; slot < capacity; ++slot) {
    // The entries are scattered over the heap: fetch a few slots ahead of the copy.
    if (slot + kPrefetchSlots < capacity) {
      if (const StoreEntry* ahead = shard.table.EntryAt(slot + kPrefetchSlots)) {
        __builtin_prefetch(ahead);
      }
    }
    const StoreEntry* e = shard.table.EntryAt(slot);
    if (e == nullptr) continue;
    if (any_changed && shard.pre_images.contains(e->key())) continue;  // changed since the point
    out->Add(e->key(), e->value(), DeadlineIn(shard, e->key()));
  }
  for (const auto& [key, old_state] : shard.pre_images) {
    if (old_state.has_value()) out->Add(key, old_state->value, old_state->deadline_ms);
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
