// ServerProcess: a real `walkv serve` for end-to-end tests, on port 0 (the kernel picks a free
// port; it is learned from the startup line "listening on HOST:PORT" on stderr, read with a
// deadline). Destroying it SIGKILLs a server that is still running.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/e2e/subprocess.h"

namespace walkv::e2e {

class ServerProcess {
 public:
  // Runs `walkv serve --data-dir DIR --port 0 EXTRA...` (no --port 0 if EXTRA has --port) and waits
  // up to `timeout` for the startup line. Returns nullptr (with a gtest failure naming the stderr
  // seen) otherwise.
  static std::unique_ptr<ServerProcess> Start(
      const std::string& data_dir, const std::vector<std::string>& extra_flags = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // The "HOST:PORT" of "listening on HOST:PORT" in `stderr_text`, split; nullopt if absent or the
  // line is not complete yet.
  static std::optional<std::pair<std::string, uint16_t>> ParseListeningLine(
      const std::string& stderr_text);

  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  Subprocess& process() { return *process_; }

  // SIGTERM and wait for the exit (nullopt if it does not exit in time).
  std::optional<ExitStatus> Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // SIGKILL and reap: a crash (the OS keeps what was written; there is no power loss).
  std::optional<ExitStatus> Kill();

  // Everything the server wrote to stderr so far (a background thread keeps reading it).
  std::string stderr_text() const { return process_->err(); }

 private:
  std::unique_ptr<Subprocess> process_;
  std::string host_;
  uint16_t port_ = 0;
};

}  // namespace walkv::e2e
