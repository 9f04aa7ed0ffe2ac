// CompletionQueue: carries write results from the engine's commit thread back to the I/O threads
// in batches, instead of one executor post (and possibly one futex wake-up) per response.
//
// A write call is a PendingWrite, owned by its connection until it is submitted, then travelling:
//   I/O thread (connection strand)  -- Engine::Submit -->  commit thread: the engine's callback
//   stores the result and calls Push()  -->  one Drain() on an I/O thread per burst of pushes,
//   which groups the PendingWrites by target  -->  each target's OnCompletionsReady(batch), which
//   takes the batch onto the target's strand.
//
// Push() is one compare-and-swap onto a lock-free stack, and posts a Drain() only when it finds
// the stack empty, so a group commit of N writes from C connections costs the commit thread N
// CASes and one post; the draining I/O thread then dispatches C batches (run inline when a
// strand is idle), and each connection answers its whole batch with one send.
//
// Threads: Push() and WaitForPushes() from any thread (Push normally from the commit thread; a
// mutation the engine rejects up front is pushed from inside Engine::Submit). Drain() runs on the
// queue's own strand, so drains never overlap, and it alone touches the targets' drain_* fields.
// A target must stay alive while any PendingWrite naming it is in flight or not yet handed to it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/mutation.h"
#include "engine/status.h"

namespace walkv::rpc {

struct MethodSpec;
class CompletionTarget;

// One write call in flight. The members the commit thread and the drain touch come first, so
// that handing a write from thread to thread moves as few cache lines as possible.
struct PendingWrite {
  PendingWrite* next = nullptr;        // link while queued or batched
  CompletionTarget* target = nullptr;  // must stay alive until it has been handed this write
  MutationResult result;               // set by the engine's callback ...
  Status status;                       // ... (result valid if status.ok())
  uint64_t seq = 0;                    // the connection's response slot
  const MethodSpec* method = nullptr;
  std::string id;         // JSON text to echo
  std::string exception;  // non-empty: the call threw before reaching the engine
  bool b64_results = false;  // Call::b64_results
  // Non-empty: durable on the primary but not confirmed by --sync-replicas replicas
  // (rpc/sync_replica_waiter.h); answered REPLICA_TIMEOUT with this message.
  std::string replica_failure;
};

// PendingWrites of one target, oldest first; owns them. Move-only.
class CompletionBatch {
 public:
  explicit CompletionBatch(PendingWrite* head = nullptr) : head_(head) {}
  CompletionBatch(CompletionBatch&& other) noexcept : head_(std::exchange(other.head_, nullptr)) {}
  CompletionBatch& operator=(CompletionBatch&&) = delete;
  ~CompletionBatch() {
    while (Pop() != nullptr) {
    }
  }
  // The oldest remaining PendingWrite, or nullptr.
  std::unique_ptr<PendingWrite> Pop() {
    PendingWrite* w = head_;
    if (w != nullptr) {
      head_ = w->next;
      w->next = nullptr;
    }
    return std::unique_ptr<PendingWrite>(w);
  }

 private:
  PendingWrite* head_;
};

// Implemented by Connection.
class CompletionTarget {
 public:
  // Called by Drain() (on an I/O thread, not the target's strand) with every PendingWrite of this
  // target that the drain found; must take `batch` onto the target's strand. Batches reach a
  // target in push order.
  virtual void OnCompletionsReady(CompletionBatch batch) = 0;

 protected:
  virtual ~CompletionTarget() = default;

 private:
  friend class CompletionQueue;
  PendingWrite* drain_head_ = nullptr;  // Drain() only: this target's writes in the current drain
};

class CompletionQueue {
 public:
  explicit CompletionQueue(asio::io_context& io) : strand_(asio::make_strand(io)) {}
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  // Any thread. Takes ownership of `w` (whose target must be set) until it is handed over.
  void Push(std::unique_ptr<PendingWrite> w);

  // Waits until no Push() is running. A Push() can still be inside asio::post (waking an I/O
  // thread) after the Drain() it posted has run and the server has drained; the server calls this
  // after its I/O threads have stopped, before the io_context can be destroyed.
  void WaitForPushes() const;

 private:
  void Drain();  // on strand_

  asio::strand<asio::io_context::executor_type> strand_;
  std::atomic<PendingWrite*> incoming_{nullptr};  // lock-free stack, newest first
  std::atomic<int> pushes_running_{0};
  std::vector<CompletionTarget*> drain_targets_;  // Drain() only: scratch, kept for its capacity
};

}  // namespace walkv::rpc
