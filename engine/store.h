// Store: the in-memory key-value map, sharded for concurrency.
//
// Threading contract:
//  - Readers (Get, Keys, Size, ApproxMemoryBytes) may run on any thread at any time; each takes a
//    shard's lock in shared mode only, so readers never wait for I/O and only briefly for an apply.
//  - Appliers (Apply*, Load, BeginSnapshot) are called by ONE thread at a time — the engine's
//    commit thread (or recovery before it starts) — in log order. Each takes one shard's lock
//    exclusively for the duration of one key's change (FlushAll takes them all in index order).
//  - CollectShardForSnapshot / EndSnapshot are called by the snapshot thread, concurrently with
//    appliers and readers.
//
// Snapshots without a stop-the-world copy: BeginSnapshot() (called by the applier when the map is
// exactly the state after sequence number S) switches every shard into tracking mode. While
// tracking, the first change to a key in a shard saves the key's value as of S (its pre-image;
// "absent" for keys created after S). CollectShardForSnapshot(i) then copies shard i as of S —
// current entries with pre-images put back — and ends tracking for that shard. Each shard is locked
// only while it is copied, so writers to other shards never wait.
//
// Expiry (engine/expiry.h): a key may carry a deadline (unix ms), kept in its shard's deadline map
// (only keys that have one are in it). Appliers set and clear deadlines exactly as the log says,
// without looking at the clock, so the map is a function of the log alone. Readers look at the
// clock (SetClock's Env; the clock is read only when the key's shard holds a deadline at all)
// and treat an expired key as absent. Size() counts every key held, expired-but-not-yet-swept
// ones included (like Redis's DBSIZE).
#pragma once

#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/entry_table.h"
#include "engine/env.h"
#include "engine/expiry.h"
#include "engine/mutation.h"
#include "engine/mutex.h"
#include "engine/record_payload.h"
#include "engine/snapshot_chunk.h"
#include "engine/thread_annotations.h"

namespace walkv {

// Lets an unordered_map keyed by std::string find/contains a string_view without building a
// std::string (with std::equal_to<>).
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class Store {
 public:
  // 1,024 rather than fewer: a snapshot holds one shard's lock while it copies the shard, and the
  // commit thread's apply waits for it (docs/performance.md, "Snapshot priority"); at 1M keys a
  // shard is ~1,000 entries. Readers and the applier take one shard per key; whole-store
  // operations (Keys, Scan, FlushAll, Reserve, Begin/EndSnapshot) visit all 1,024 in index order,
  // which costs microseconds of locking.
  static constexpr size_t kShardCount = 1024;
  static constexpr unsigned kScanShardBits = 10;  // log2(kShardCount): the cursor's shard field

  Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The clock readers judge expiry by (default Env::Posix()). Call before any reader runs.
  void SetClock(Env* clock) { clock_ = clock; }

  // --- readers: an expired key is absent ---
  std::optional<std::string> Get(std::string_view key) const;
  // The length in bytes of key's value (nullopt: absent), without copying the value.
  std::optional<uint64_t> ValueLength(std::string_view key) const;
  std::vector<std::string> Keys(std::string_view pattern) const;
  // Like Keys, but stops and returns nullopt as soon as more than `max_keys` keys match, so a
  // bounded `keys` never builds a huge answer.
  std::optional<std::vector<std::string>> KeysUpTo(std::string_view pattern, size_t max_keys) const;
  // One step of a cursor scan (Redis SCAN's guarantee): starting with cursor 0 and passing each
  // returned cursor back until 0 comes back, every key present for the whole scan is returned at
  // least once, however the shards' tables grow or shrink in between; a key may be returned more
  // than once, and keys added or removed during the scan may or may not be. Appends the keys
  // matching `pattern` among the entries of the buckets visited — at least `count` entries
  // (before the pattern filter) unless the scan ends, and at most count * 10 buckets — and
  // returns the next cursor (0: done). The cursor is the shard in its low 6 bits and the
  // position inside the shard's table, a reverse-binary bucket counter (EntryTable::AppendBucket),
  // above them; every uint64 is a valid cursor. Takes one shard lock at a time, shared.
  uint64_t Scan(uint64_t cursor, size_t count, std::string_view pattern,
                std::vector<std::string>* keys) const;
  // Whether key exists (not expired) and its deadline.
  KeyExpiry ExpiryOf(std::string_view key) const;
  // Every key held, expired or not.
  uint64_t Size() const { return size_.load(std::memory_order_relaxed); }
  // Keys that have a deadline (expired or not).
  uint64_t KeysWithDeadline() const { return with_deadline_.load(std::memory_order_relaxed); }
  // The raw state of key (value and deadline), expired or not: what the commit thread resolves
  // requests against (it judges expiry itself, with the clock reading of its batch).
  std::optional<KeyState> Lookup(std::string_view key) const;
  // The active sweep's step: visits up to `max_visits` keys with a deadline in shard `shard`,
  // starting at bucket `*cursor` of its deadline map, appends those expired at `now_ms` to
  // *expired and advances *cursor (0 once the shard's map is done). Returns the keys visited.
  // Takes the shard's lock in shared mode for the visit only.
  size_t CollectExpired(size_t shard, size_t max_visits, uint64_t now_ms, size_t* cursor,
                      std::vector<std::string>* expired) const;
  // Keys, values and a per-entry overhead estimate; not malloc-exact.
  uint64_t ApproxMemoryBytes() const { return memory_.load(std::memory_order_relaxed); }

  // --- the single applier ---
  // Applies one mutation and fills the parts of *result that depend on the prior state
  // (existed, new_length).
  void Apply(const Mutation& m, MutationResult* result);
  // Same, with key/value given as views (recovery replays straight from the read buffer).
  void Apply(MutationType type, std::string_view key, std::string_view value,
             MutationResult* result) {
    Apply(type, key, value, 0, result);
  }
  // `deadline_ms`: for kSetWithDeadline and kExpireAt (the record's deadline); otherwise 0.
  void Apply(MutationType type, std::string_view key, std::string_view value,
             uint64_t deadline_ms, MutationResult* result);
  // (kBatch: `value` is the record's payload, engine/record_payload.h; its parts are applied
  // with every shard they touch locked at once, so no reader sees part of a batch.)
  // Inserts an entry during snapshot load (the key must not repeat). deadline_ms 0: none.
  void Load(std::string_view key, std::string_view value, uint64_t deadline_ms = 0);
  // Sizes every shard's table for `keys` keys in total (spread evenly by the hash), so a load or
  // replay of that many keys does not rehash. Called by the applier.
  void Reserve(uint64_t keys);
  void Clear();

  // --- snapshots ---
  // Starts tracking pre-images in every shard. Must be called by the applier between applies.
  void BeginSnapshot();
  // Appends shard `shard`'s entries as of the BeginSnapshot() point to *out and stops tracking in
  // that shard. Holds the shard's lock exclusively for the copy (writers to it wait), so it only
  // copies bytes; the caller compresses them after it returns.
  void CollectShardForSnapshot(size_t shard, SnapshotChunk* out);
  // Stops tracking in every shard (used when a snapshot is abandoned half way).
  void EndSnapshot();

 private:
  using PreImageMap = std::unordered_map<std::string, std::optional<KeyState>,
                                         TransparentStringHash, std::equal_to<>>;
  using DeadlineMap =
      std::unordered_map<std::string, uint64_t, TransparentStringHash, std::equal_to<>>;

  struct Shard {
    mutable SharedMutex mu;
    EntryTable table GUARDED_BY(mu);
    // key -> deadline (unix ms) for every key of `table` that has one.
    DeadlineMap deadlines GUARDED_BY(mu);
    bool tracking GUARDED_BY(mu) = false;
    // key -> value and deadline as of the snapshot point (nullopt: the key did not exist then).
    // Only written while a snapshot is being collected, so an ordinary node map is fine here.
    PreImageMap pre_images GUARDED_BY(mu);
  };

  uint64_t NowMs() const { return NowUnixMillis(clock_); }
  // Applies one single-key mutation (not kFlushAll / kBatch). Caller holds shard.mu exclusively.
  void ApplyToShard(Shard& shard, MutationType type, std::string_view key, uint64_t hash,
                    std::string_view value, uint64_t deadline_ms, MutationResult* result)
      REQUIRES(shard.mu);
  // Applies a batch's parts with all their shards locked (in index order).
  void ApplyBatch(const std::vector<MutationView>& parts) NO_THREAD_SAFETY_ANALYSIS;
  // The deadline of key in `shard` (0: none). Caller holds shard.mu.
  static uint64_t DeadlineIn(const Shard& shard, std::string_view key) REQUIRES_SHARED(shard.mu);
  // True if key (present in shard) is expired now; reads the clock only if the shard has any
  // deadline. Caller holds shard.mu.
  bool ExpiredIn(const Shard& shard, std::string_view key) const REQUIRES_SHARED(shard.mu);
  // Sets (deadline_ms > 0) or clears (0) key's deadline. Caller holds shard.mu exclusively.
  void SetDeadline(Shard& shard, std::string_view key, uint64_t deadline_ms) REQUIRES(shard.mu);

  // The shard is chosen by the hash's low bits; the shard's table uses its high bits.
  static size_t ShardIndex(uint64_t hash) { return hash % kShardCount; }
  // Records the pre-image of `key` if tracking and not yet recorded. Caller holds shard.mu.
  static void SavePreImage(Shard& shard, std::string_view key, uint64_t hash) REQUIRES(shard.mu);
  void AddAccounting(int64_t entries, int64_t bytes);

  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> size_{0};
  std::atomic<uint64_t> memory_{0};
  std::atomic<uint64_t> with_deadline_{0};
  Env* clock_ = Env::Posix();
};

}  // namespace walkv
