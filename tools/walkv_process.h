// WalkvProcess: one `walkv serve` child for the crash and disk-fault drivers (no GoogleTest, so the
// drivers run from scripts). Its stderr is appended to a log file; the port is learned from the
// startup line "listening on HOST:PORT", read from that file with a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace walkv::tools {

using Clock = std::chrono::steady_clock;

class WalkvProcess {
 public:
  // Runs `binary serve --data-dir DIR --port 0 FLAGS...` with `env` ("NAME=value") added to the
  // environment, stderr appended to `log_path`, and waits up to `timeout` for the startup line.
  // On failure returns nullptr and sets *error (with the tail of the log).
  static std::unique_ptr<WalkvProcess> Start(const std::string& binary, const std::string& data_dir,
                                             const std::vector<std::string>& flags,
                                             const std::vector<std::string>& env,
                                             const std::string& log_path,
                                             std::chrono::milliseconds timeout, std::string* error);
  ~WalkvProcess();  // SIGKILLs and reaps a server that still runs
  WalkvProcess(const WalkvProcess&) = delete;
  WalkvProcess& operator=(const WalkvProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // SIGKILL and reap: a process crash (the page cache survives).
  void Kill();
  // SIGTERM and wait; the exit code, -signal, or nullopt if it did not exit in time (then killed).
  std::optional<int> Terminate(std::chrono::milliseconds timeout);
  // What this server wrote to the log since it started.
  std::string LogSinceStart() const;

 private:
  WalkvProcess() = default;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
  uint64_t log_offset_ = 0;
};

// Runs argv (argv[0] looked up in PATH), waits up to `timeout`; the exit code, or -1 on failure
// (output goes to this process's stderr).
int RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// The last `max_bytes` of `text`, for error messages.
std::string Tail(const std::string& text, size_t max_bytes = 2000);

}  // namespace walkv::tools
