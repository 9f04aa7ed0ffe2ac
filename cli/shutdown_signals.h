// Graceful-shutdown signal handling for `walkv serve`.
//
// Contract: BlockShutdownSignals() must run on the main thread before any other thread starts, so
// that every thread inherits a mask blocking SIGTERM and SIGINT; no thread ever runs a signal
// handler. ShutdownSignalWatcher then waits for them with sigwait() on its own thread: the first
// signal calls `on_signal` (on that thread), a second one ends the process at once with exit 1
// (an impatient operator; every acknowledged write is already durable under --fsync always).
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace walkv::cli {

// Blocks SIGTERM and SIGINT in the calling thread (and threads it creates later) and ignores
// SIGPIPE process-wide.
void BlockShutdownSignals();

class ShutdownSignalWatcher {
 public:
  explicit ShutdownSignalWatcher(std::function<void(int signo)> on_signal);
  // Stops the watcher thread (if no signal arrived, it is woken up) and joins it.
  ~ShutdownSignalWatcher();
  ShutdownSignalWatcher(const ShutdownSignalWatcher&) = delete;
  ShutdownSignalWatcher& operator=(const ShutdownSignalWatcher&) = delete;

 private:
  void Loop();

  std::function<void(int)> on_signal_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace walkv::cli
