#include "tests/e2e/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace walkv::e2e {
namespace {

// poll()'s timeout for `deadline`: -1 (forever) for Clock::time_point::max().
int MillisUntil(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() < 0) return 0;
  return left.count() > 3600000 ? 3600000 : static_cast<int>(left.count());
}

ExitStatus DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1000;
}

std::vector<std::string> MergedEnvironment(const std::vector<std::string>& overrides) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    vars[entry.substr(0, entry.find('='))] = entry;
  }
  for (const std::string& entry : overrides) vars[entry.substr(0, entry.find('='))] = entry;
  std::vector<std::string> merged;
  for (auto& [name, entry] : vars) merged.push_back(entry);
  return merged;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

std::string WalkvBinary() { return WALKV_BINARY; }

std::optional<ExitStatus> WaitForExit(pid_t pid, Clock::time_point deadline) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int ready;
    do {
      ready = poll(&p, 1, MillisUntil(deadline));
    } while (ready < 0 && errno == EINTR);
    close(pidfd);
    if (ready <= 0) return std::nullopt;
  }
  int status = 0;
  // Blocks only if pidfd_open failed (then the process is already gone or we wait for it).
  pid_t got = waitpid(pid, &status, pidfd >= 0 ? WNOHANG : 0);
  if (got != pid) return std::nullopt;
  return DecodeWaitStatus(status);
}

std::unique_ptr<Subprocess> Subprocess::Start(const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> args = argv;
  std::vector<std::string> vars = MergedEnvironment(env);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_vars = CStrings(vars);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, c_args[0], &actions, &attr, c_args.data(), c_vars.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << std::strerror(rc);
    return nullptr;
  }
  std::unique_ptr<Subprocess> p(new Subprocess());
  p->pid_ = pid;
  p->stdin_fd_ = in[1];
  p->stdout_fd_ = out[0];
  p->stderr_fd_ = err[0];
  return p;
}

Subprocess::~Subprocess() {
  CloseFd(stdin_fd_);
  if (pid_ > 0 && !exit_) {
    kill(pid_, SIGKILL);
    exit_ = WaitForExit(pid_, Within(std::chrono::seconds(30)));
  }
  if (drainer_.joinable()) drainer_.join();  // the pipes reach EOF once the child is gone
  CloseFd(stdout_fd_);
  CloseFd(stderr_fd_);
}

std::string Subprocess::out() const {
  std::lock_guard<std::mutex> lock(mu_);
  return out_;
}

std::string Subprocess::err() const {
  std::lock_guard<std::mutex> lock(mu_);
  return err_;
}

void Subprocess::StartDraining() {
  drainer_ = std::thread([this] {
    // Ends at EOF on both pipes, i.e. when the child (which alone holds the write ends) exits.
    while (PumpOnce(Clock::time_point::max())) {
    }
  });
}

bool Subprocess::PumpOnce(Clock::time_point deadline) {
  pollfd fds[2];
  int n = 0;
  if (stdout_fd_ >= 0) fds[n++] = {stdout_fd_, POLLIN, 0};
  if (stderr_fd_ >= 0) fds[n++] = {stderr_fd_, POLLIN, 0};
  if (n == 0) return false;
  int ready = poll(fds, n, MillisUntil(deadline));
  if (ready < 0 && errno == EINTR) return true;
  if (ready <= 0) return false;
  for (int i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    char buf[65536];
    ssize_t got = read(fds[i].fd, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    bool is_out = fds[i].fd == stdout_fd_;
    if (got <= 0) {
      CloseFd(is_out ? stdout_fd_ : stderr_fd_);
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      (is_out ? out_ : err_).append(buf, static_cast<size_t>(got));
    }
  }
  return true;
}

bool Subprocess::WriteStdin(std::string_view data, Clock::time_point deadline) {
  size_t done = 0;
  while (done < data.size()) {
    if (Clock::now() >= deadline || stdin_fd_ < 0) return false;
    pollfd fds[3];
    int n = 0;
    fds[n++] = {stdin_fd_, POLLOUT, 0};
    if (stdout_fd_ >= 0) fds[n++] = {stdout_fd_, POLLIN, 0};
    if (stderr_fd_ >= 0) fds[n++] = {stderr_fd_, POLLIN, 0};
    if (poll(fds, n, MillisUntil(deadline)) <= 0) continue;
    if (fds[0].revents & (POLLERR | POLLHUP)) return false;
    if (fds[0].revents & POLLOUT) {
      ssize_t wrote = write(stdin_fd_, data.data() + done, data.size() - done);
      if (wrote < 0 && errno != EINTR && errno != EAGAIN) return false;
      if (wrote > 0) done += static_cast<size_t>(wrote);
    }
    if (n > 1) PumpOnce(Clock::now());  // drain without waiting
  }
  return true;
}

void Subprocess::CloseStdin() { CloseFd(stdin_fd_); }

bool Subprocess::ReadUntil(
    const std::function<bool(const std::string& out, const std::string& err)>& done,
    Clock::time_point deadline) {
  // Only this thread appends before StartDraining(), so reading without the lock is safe.
  while (!done(out_, err_)) {
    if (Clock::now() >= deadline || !PumpOnce(deadline)) return done(out_, err_);
  }
  return true;
}

void Subprocess::Signal(int signo) {
  if (pid_ > 0 && !exit_) kill(pid_, signo);
}

std::optional<ExitStatus> Subprocess::Wait(Clock::time_point deadline) {
  if (exit_) return exit_;
  if (drainer_.joinable()) {
    exit_ = WaitForExit(pid_, deadline);
    if (exit_) drainer_.join();
    return exit_;
  }
  while ((stdout_fd_ >= 0 || stderr_fd_ >= 0) && Clock::now() < deadline) PumpOnce(deadline);
  exit_ = WaitForExit(pid_, deadline);
  return exit_;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, std::string_view input,
                         std::chrono::milliseconds timeout, const std::vector<std::string>& env) {
  ProcessResult result;
  std::unique_ptr<Subprocess> p = Subprocess::Start(argv, env);
  if (p == nullptr) return result;
  const auto deadline = Within(timeout);
  if (!input.empty()) p->WriteStdin(input, deadline);
  p->CloseStdin();
  result.exit = p->Wait(deadline);
  result.out = p->out();
  result.err = p->err();
  return result;
}

}  // namespace walkv::e2e
