// ExpirySweeper: the active half of expiry — reclaims keys whose deadline has passed, with logged
// DELETEs, in bounded steps that never stall writers.
//
// Expired keys are already invisible to reads (engine/expiry.h); the sweep frees their memory and
// makes their removal durable, so a clock that later jumps backwards cannot bring them back.
// Each step visits at most kVisitsPerStep keys that carry a deadline (the Store's per-shard
// deadline maps, round robin; keys without a deadline cost nothing), under one shard's shared
// lock at a time, and submits a kDeleteIfExpired request for each expired key it found through
// the engine's normal commit path: the commit thread re-checks the key against the state and
// clock of its batch (a key set again in between is left alone) and logs a plain DELETE, in log
// order like any client's DELETE, sharing the group commit. A step is not started while the
// previous step's deletes are still in flight, so the sweep never has more than kVisitsPerStep
// mutations queued.
//
// Threads: Start() runs steps on a thread of its own every kStepMicros (sooner while steps keep
// finding many expired keys); Stop() joins it. SweepAll() may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>

#include "engine/env.h"
#include "engine/mutation.h"
#include "engine/mutex.h"
#include "engine/status.h"
#include "engine/store.h"

namespace walkv {

class ExpirySweeper {
 public:
  static constexpr size_t kVisitsPerStep = 1000;
  static constexpr uint64_t kStepMicros = 100'000;

  // Enqueues `m` for commit and calls `done` once it is durable and applied (or failed):
  // Engine::Submit.
  using SubmitFn =
      std::function<void(Mutation m, std::function<void(StatusOr<MutationResult>)> done)>;

  ExpirySweeper(const Store* store, Env* clock, SubmitFn submit);
  ~ExpirySweeper();

  void Start();
  // Stops and joins the thread. Deletes already submitted still complete (the commit thread
  // drains its queue before it exits). Idempotent.
  void Stop();

  // One bounded step: visits up to kVisitsPerStep keys with a deadline and submits a delete for
  // each expired one, unless the previous step's deletes are still in flight. Returns how many it
  // submitted.
  size_t Step();

  // Visits every key with a deadline, deletes each expired one and returns once those deletes
  // are durable (or failed): the number of keys deleted. For tests and maintenance.
  StatusOr<uint64_t> SweepAll();

 private:
  void Loop();

  const Store* const store_;
  Env* const clock_;
  const SubmitFn submit_;

  // Step()'s position: shard and bucket in that shard's deadline map. Step() is called by the
  // sweeper thread only (and by tests when it is not running).
  size_t shard_ = 0;
  size_t cursor_ = 0;
  std::atomic<uint64_t> in_flight_{0};

  Mutex mu_;
  CondVar cv_{&mu_};
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace walkv
