#include "cli/shutdown_signals.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <string.h>

#include <cstdlib>

namespace walkv::cli {
namespace {

sigset_t ShutdownSignalSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignalSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

ShutdownSignalWatcher::ShutdownSignalWatcher(std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)), thread_([this] { Loop(); }) {}

ShutdownSignalWatcher::~ShutdownSignalWatcher() {
  stopping_.store(true);
  // The signal is blocked in every thread, so this only wakes the watcher's sigwait().
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

void ShutdownSignalWatcher::Loop() {
  const sigset_t set = ShutdownSignalSet();
  bool signalled = false;
  // Bounded: at most two signals are acted on; the second ends the process.
  while (!stopping_.load()) {
    int signo = 0;
    if (sigwait(&set, &signo) != 0 || stopping_.load()) break;
    if (!signalled) {
      signalled = true;
      spdlog::info("received SIG{}, shutting down (send it again to exit at once)",
                   sigabbrev_np(signo));
      on_signal_(signo);
    } else {
      spdlog::warn("received SIG{} again, exiting without a clean shutdown", sigabbrev_np(signo));
      std::_Exit(1);
    }
  }
}

}  // namespace walkv::cli
