#include "engine/expiry_sweeper.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/expiry.h"

namespace walkv {
namespace {

Mutation DeleteIfExpired(std::string key) {
  Mutation m;
  m.type = MutationType::kDelete;
  m.key = std::move(key);
  m.request = MutationRequest::kDeleteIfExpired;
  return m;
}

}  // namespace

ExpirySweeper::ExpirySweeper(const Store* store, Env* clock, SubmitFn submit)
    : store_(store), clock_(clock), submit_(std::move(submit)) {}

ExpirySweeper::~ExpirySweeper() { Stop(); }

void ExpirySweeper::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ExpirySweeper::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void ExpirySweeper::Loop() {
  for (;;) {
    size_t submitted = 0;
    if (store_->KeysWithDeadline() > 0) submitted = Step();
    MutexLock lock(&mu_);
    if (stop_) return;
    // Many expired keys: go on at once (the next step waits for these deletes anyway).
    if (submitted < kVisitsPerStep / 4) cv_.WaitFor(kStepMicros);
    if (stop_) return;
  }
}

size_t ExpirySweeper::Step() {
  if (in_flight_.load() > 0) return 0;
  const uint64_t now = NowUnixMillis(clock_);
  std::vector<std::string> expired;
  size_t visited_shards = 0;
  size_t visits = 0;
  // Stops once it has visited kVisitsPerStep keys or gone round every shard.
  while (visits < kVisitsPerStep && visited_shards < Store::kShardCount) {
    visits += store_->CollectExpired(shard_, kVisitsPerStep - visits, now, &cursor_, &expired);
    if (cursor_ == 0) {
      shard_ = (shard_ + 1) % Store::kShardCount;
      ++visited_shards;
    } else {
      break;  // the visit budget ran out inside this shard
    }
  }
  in_flight_.fetch_add(expired.size());
  for (std::string& key : expired) {
    submit_(DeleteIfExpired(std::move(key)),
            [this](StatusOr<MutationResult>) { in_flight_.fetch_sub(1); });
  }
  return expired.size();
}

StatusOr<uint64_t> ExpirySweeper::SweepAll() {
  const uint64_t now = NowUnixMillis(clock_);
  std::vector<std::string> expired;
  for (size_t shard = 0; shard < Store::kShardCount; ++shard) {
    size_t cursor = 0;
    do {
      store_->CollectExpired(shard, static_cast<size_t>(-1), now, &cursor, &expired);
    } while (cursor != 0);
  }
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    size_t left = 0;
    uint64_t deleted = 0;
    Status failure;
  };
  auto waiter = std::make_shared<Waiter>();
  waiter->left = expired.size();
  for (std::string& key : expired) {
    submit_(DeleteIfExpired(std::move(key)), [waiter](StatusOr<MutationResult> r) {
      std::lock_guard<std::mutex> lock(waiter->mu);
      if (!r.ok()) {
        if (waiter->failure.ok()) waiter->failure = r.status();
      } else if (r->seq != 0) {
        ++waiter->deleted;
      }
      if (--waiter->left == 0) waiter->cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(waiter->mu);
  waiter->cv.wait(lock, [&] { return waiter->left == 0; });
  if (!waiter->failure.ok()) return waiter->failure;
  return waiter->deleted;
}

}  // namespace walkv
