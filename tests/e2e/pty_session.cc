#include "tests/e2e/pty_session.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace walkv::e2e {
namespace {

int PollMillis(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 3600000));
}

}  // namespace

std::unique_ptr<PtySession> PtySession::Start(const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env) {
  // Everything the child needs is prepared before fork(): after it, only exec.
  std::vector<std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    bool overridden = false;
    for (const std::string& o : env) {
      if (o.substr(0, o.find('=')) == entry.substr(0, entry.find('='))) overridden = true;
    }
    if (!overridden) vars.push_back(entry);
  }
  vars.insert(vars.end(), env.begin(), env.end());
  std::vector<std::string> args = argv;
  std::vector<char*> c_args, c_vars;
  for (std::string& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  for (std::string& v : vars) c_vars.push_back(v.data());
  c_vars.push_back(nullptr);

  winsize size{};
  size.ws_row = 40;
  size.ws_col = 200;
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) {
    ADD_FAILURE() << "forkpty: " << std::strerror(errno);
    return nullptr;
  }
  if (pid == 0) {
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, nullptr);
    signal(SIGPIPE, SIG_DFL);
    execve(c_args[0], c_args.data(), c_vars.data());
    _exit(127);
  }
  std::unique_ptr<PtySession> session(new PtySession());
  session->pid_ = pid;
  session->master_ = master;
  return session;
}

PtySession::~PtySession() {
  if (pid_ > 0 && !exit_) {
    kill(pid_, SIGKILL);
    WaitForExit(pid_, Within(std::chrono::seconds(30))).has_value();
  }
  if (master_ >= 0) close(master_);
}

bool PtySession::WaitForRawMode(Clock::time_point deadline) {
  // The termios of the slave side are readable through the master. There is no event for a mode
  // change, so between checks this waits for output (keeping it) for at most 2 ms; bounded by
  // the deadline.
  while (true) {
    termios mode{};
    if (tcgetattr(master_, &mode) != 0) return false;
    if ((mode.c_lflag & ICANON) == 0) return true;
    if (Clock::now() >= deadline) return false;
    pollfd p{master_, POLLIN, 0};
    if (poll(&p, 1, 2) > 0 && !ReadSome(Clock::now())) return false;
  }
}

bool PtySession::Type(std::string_view keys) {
  size_t done = 0;
  const auto deadline = Within(std::chrono::seconds(10));
  if (!WaitForRawMode(deadline)) return false;
  while (done < keys.size()) {
    pollfd p{master_, POLLOUT, 0};
    if (poll(&p, 1, PollMillis(deadline)) <= 0) return false;
    ssize_t n = write(master_, keys.data() + done, keys.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool PtySession::ReadSome(Clock::time_point deadline) {
  pollfd p{master_, POLLIN, 0};
  int ready;
  do {
    ready = poll(&p, 1, PollMillis(deadline));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return false;
  char buf[65536];
  ssize_t n = read(master_, buf, sizeof(buf));
  if (n <= 0) return false;  // EIO once the child side is closed
  output_.append(buf, static_cast<size_t>(n));
  return true;
}

std::optional<size_t> PtySession::ReadUntil(std::string_view needle, size_t from,
                                            Clock::time_point deadline) {
  while (true) {
    size_t at = output_.find(needle, std::min(from, output_.size()));
    if (at != std::string::npos) return at + needle.size();
    if (!ReadSome(deadline)) return std::nullopt;
  }
}

std::optional<ExitStatus> PtySession::Wait(Clock::time_point deadline) {
  if (exit_) return exit_;
  while (ReadSome(deadline)) {
  }
  exit_ = WaitForExit(pid_, deadline);
  return exit_;
}

}  // namespace walkv::e2e
