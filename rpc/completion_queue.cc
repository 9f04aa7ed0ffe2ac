#include "rpc/completion_queue.h"

#include <asio/post.hpp>
#include <thread>

namespace walkv::rpc {

void CompletionQueue::Push(std::unique_ptr<PendingWrite> w) {
  pushes_running_.fetch_add(1);  // before `w` becomes visible to Drain()
  PendingWrite* raw = w.release();
  PendingWrite* head = incoming_.load(std::memory_order_relaxed);
  do {
    raw->next = head;
  } while (!incoming_.compare_exchange_weak(head, raw, std::memory_order_release,
                                            std::memory_order_relaxed));
  // Only the push that finds the stack empty schedules a drain; the drain takes everything
  // pushed until it runs.
  if (head == nullptr) asio::post(strand_, [this] { Drain(); });
  pushes_running_.fetch_sub(1);
}

void CompletionQueue::WaitForPushes() const {
  while (pushes_running_.load() != 0) std::this_thread::yield();
}

void CompletionQueue::Drain() {
  // The stack is newest first: prepending each write to its target's list leaves every list
  // oldest first, in one pass.
  PendingWrite* w = incoming_.exchange(nullptr, std::memory_order_acquire);
  while (w != nullptr) {
    PendingWrite* older = w->next;
    CompletionTarget* t = w->target;
    if (t->drain_head_ == nullptr) drain_targets_.push_back(t);
    w->next = t->drain_head_;
    t->drain_head_ = w;
    w = older;
  }
  // Each target is alive: it has writes in flight until its batch has been handled. A target may
  // be released as soon as it has its batch, so it is not touched after OnCompletionsReady().
  for (CompletionTarget* t : drain_targets_) {
    CompletionBatch batch(t->drain_head_);
    t->drain_head_ = nullptr;
    t->OnCompletionsReady(std::move(batch));
  }
  drain_targets_.clear();
}

}  // namespace walkv::rpc
