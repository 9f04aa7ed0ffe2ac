// PtySession: runs a program on a pseudo-terminal (forkpty), as a user at a terminal would, so
// the interactive `walkv cli` prompt (libedit) can be driven and its rendered output read.
// Every read takes a deadline; the child is SIGKILLed and reaped on destruction.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/subprocess.h"

namespace walkv::e2e {

class PtySession {
 public:
  // Starts argv[0] with argv on a new pty, environment = current plus `env` overrides.
  static std::unique_ptr<PtySession> Start(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& env = {});
  ~PtySession();
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  // Types `keys` (as if on the keyboard: end a line with "\r"), once the program reads the
  // terminal in raw mode: libedit writes its prompt a moment before it leaves canonical mode, and
  // keys typed in between are echoed twice or, for Ctrl-D, lost. False if the terminal is not in
  // raw mode within 10 s (a program not waiting at a prompt) or the write fails.
  bool Type(std::string_view keys);
  // Reads until everything output after `from` contains `needle`; returns the position just after
  // it, or nullopt at EOF or the deadline.
  std::optional<size_t> ReadUntil(std::string_view needle, size_t from, Clock::time_point deadline);
  // Everything the program wrote to the terminal so far (with echo and escape sequences).
  const std::string& output() const { return output_; }
  // Reads to EOF and waits for the exit.
  std::optional<ExitStatus> Wait(Clock::time_point deadline);

 private:
  PtySession() = default;
  bool ReadSome(Clock::time_point deadline);  // false at EOF or deadline
  bool WaitForRawMode(Clock::time_point deadline);

  pid_t pid_ = -1;
  int master_ = -1;
  std::optional<ExitStatus> exit_;
  std::string output_;
};

}  // namespace walkv::e2e
