// Subprocess: runs a program with pipes on stdin, stdout and stderr, for end-to-end tests.
// Every wait takes a deadline (no sleeps); a process still running when its Subprocess is
// destroyed is SIGKILLed and reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace walkv::e2e {

using Clock = std::chrono::steady_clock;

// A deadline `timeout` from now.
inline Clock::time_point Within(std::chrono::milliseconds timeout) {
  return Clock::now() + timeout;
}

// The path of the `walkv` binary under test.
std::string WalkvBinary();

// How a process ended: the exit code, or -N if killed by signal N.
using ExitStatus = int;

// Waits until `pid` (a child of this process) exits or the deadline passes; reaps it.
std::optional<ExitStatus> WaitForExit(pid_t pid, Clock::time_point deadline);

class Subprocess {
 public:
  // Starts argv[0] (a path) with argv, the current environment plus `env` ("NAME=value" entries,
  // overriding). Returns nullptr (with a gtest failure added) if it cannot be started.
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Writes `data` to the child's stdin (while draining its output); false on error or deadline.
  bool WriteStdin(std::string_view data, Clock::time_point deadline);
  void CloseStdin();

  // Reads stdout and stderr until `done(out, err)` holds (true), or both reach EOF or the
  // deadline passes (false).
  bool ReadUntil(const std::function<bool(const std::string& out, const std::string& err)>& done,
                 Clock::time_point deadline);

  void Signal(int signo);

  // From now on a background thread keeps reading stdout and stderr (so a long-running child
  // never blocks on a full pipe). ReadUntil() and WriteStdin() must not be called afterwards.
  void StartDraining();

  // Reads stdout and stderr to EOF and waits for the exit; nullopt if the deadline passes first.
  std::optional<ExitStatus> Wait(Clock::time_point deadline);

  // What the child wrote so far.
  std::string out() const;
  std::string err() const;

 private:
  Subprocess() = default;
  // One poll() round over the open pipes; false once both are at EOF or nothing came in time.
  bool PumpOnce(Clock::time_point deadline);

  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_;
  std::thread drainer_;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  mutable std::mutex mu_;  // guards out_ and err_ (appended by the drainer thread)
  std::string out_;
  std::string err_;
};

struct ProcessResult {
  std::optional<ExitStatus> exit;  // nullopt: did not finish in time (it was killed)
  std::string out;
  std::string err;
};

// Runs argv to completion with `input` on stdin.
ProcessResult RunProcess(const std::vector<std::string>& argv, std::string_view input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(30),
                         const std::vector<std::string>& env = {});

}  // namespace walkv::e2e
