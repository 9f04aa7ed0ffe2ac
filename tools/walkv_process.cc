#include "tools/walkv_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace walkv::tools {
namespace {

std::string ReadFrom(const std::string& path, uint64_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// The port of a complete "listening on HOST:PORT" line in `text`, or 0.
uint16_t ParsePort(const std::string& text) {
  static constexpr std::string_view kMarker = "listening on ";
  size_t at = text.find(kMarker);
  if (at == std::string::npos) return 0;
  size_t eol = text.find('\n', at);
  if (eol == std::string::npos) return 0;
  size_t end = text.find_first_of(" \n", at + kMarker.size());
  std::string address = text.substr(at + kMarker.size(), end - at - kMarker.size());
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return 0;
  unsigned long port = std::strtoul(address.c_str() + colon + 1, nullptr, 10);
  return port > 0 && port <= 65535 ? static_cast<uint16_t>(port) : 0;
}

// Waits for `pid` until the deadline; the exit code, -signal, or nullopt.
std::optional<int> WaitUntil(pid_t pid, Clock::time_point deadline) {
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
            int stderr_fd, bool search_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const std::string& e : extra_env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (std::string& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (stderr_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 1);
  }
  pid_t pid = -1;
  int rc = search_path ? posix_spawnp(&pid, argp[0], &actions, nullptr, argp.data(), envp.data())
                       : posix_spawn(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace

std::string Tail(const std::string& text, size_t max_bytes) {
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

std::unique_ptr<WalkvProcess> WalkvProcess::Start(
    const std::string& binary, const std::string& data_dir, const std::vector<std::string>& flags,
    const std::vector<std::string>& env, const std::string& log_path,
    std::chrono::milliseconds timeout, std::string* error) {
  std::unique_ptr<WalkvProcess> p(new WalkvProcess());
  p->log_path_ = log_path;
  p->log_offset_ = FileSize(log_path);
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot open " + log_path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::vector<std::string> argv = {binary, "serve", "--data-dir", data_dir, "--port", "0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  p->pid_ = Spawn(argv, env, fd, /*search_path=*/false);
  ::close(fd);
  if (p->pid_ < 0) {
    *error = "cannot start " + binary;
    return nullptr;
  }
  Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    std::string text = p->LogSinceStart();
    p->port_ = ParsePort(text);
    if (p->port_ != 0) return p;
    std::optional<int> exited = WaitUntil(p->pid_, Clock::now());
    if (exited.has_value()) {
      p->pid_ = -1;
      *error = "walkv serve exited with " + std::to_string(*exited) +
               " before listening; its log:\n" + Tail(text);
      return nullptr;
    }
    if (Clock::now() >= deadline) {
      *error = "walkv serve did not report 'listening on' in time; its log:\n" + Tail(text);
      return nullptr;  // the destructor kills it
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

WalkvProcess::~WalkvProcess() {
  if (pid_ > 0) Kill();
}

void WalkvProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  (void)WaitUntil(pid_, Clock::now() + std::chrono::seconds(60));
  pid_ = -1;
}

std::optional<int> WalkvProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  ::kill(pid_, SIGTERM);
  std::optional<int> code = WaitUntil(pid_, Clock::now() + timeout);
  if (code.has_value()) {
    pid_ = -1;
  } else {
    Kill();
  }
  return code;
}

std::string WalkvProcess::LogSinceStart() const { return ReadFrom(log_path_, log_offset_); }

int RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  pid_t pid = Spawn(argv, {}, -1, /*search_path=*/true);
  if (pid < 0) return -1;
  std::optional<int> code = WaitUntil(pid, Clock::now() + timeout);
  if (!code.has_value()) {
    ::kill(pid, SIGKILL);
    (void)WaitUntil(pid, Clock::now() + std::chrono::seconds(10));
    return -1;
  }
  return *code;
}

}  // namespace walkv::tools
