#include "tests/e2e/resp_helpers.h"
#include "engine/str_cat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

namespace walkv::e2e {

std::optional<uint16_t> ParseRespPort(const std::string& stderr_text) {
  static constexpr std::string_view kMarker = "RESP on ";
  const size_t at = stderr_text.find(kMarker);
  if (at == std::string::npos) return std::nullopt;
  const size_t end = stderr_text.find_first_of(",)\n", at);
  const std::string address = stderr_text.substr(at + kMarker.size(), end - at - kMarker.size());
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  const unsigned long port = std::stoul(address.substr(colon + 1));
  if (port == 0 || port > 65535) return std::nullopt;
  return static_cast<uint16_t>(port);
}

RespServer StartRespServer(const std::string& data_dir,
                           const std::vector<std::string>& extra_flags) {
  std::vector<std::string> flags = {"--resp-port", "0"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  RespServer s;
  s.server = ServerProcess::Start(data_dir, flags);
  if (s.server == nullptr) return s;
  const std::optional<uint16_t> port = ParseRespPort(s.server->stderr_text());
  if (!port) {
    ADD_FAILURE() << "no 'RESP on HOST:PORT' in the startup line:\n" << s.server->stderr_text();
    s.server.reset();
    return s;
  }
  s.resp_port = *port;
  return s;
}

bool RequireTool(const std::string& path, const std::string& package) {
  if (access(path.c_str(), X_OK) == 0) return true;
  ADD_FAILURE() << path << " is missing: the RESP tests need the Debian package " << package
                << ", which scripts/setup installs (run scripts/setup)";
  return false;
}

ProcessResult RedisCli(uint16_t port, const std::vector<std::string>& args, std::string_view input,
                       std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {"/usr/bin/redis-cli", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, input, timeout);
}

ProcessResult RunRedisPy(uint16_t port, std::string_view body, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout) {
  if (!RequireTool("/usr/bin/python3", "python3")) return ProcessResult{};
  std::string script =
      "import sys\n"
      "try:\n"
      "    import redis\n"
      "except ImportError:\n"
      "    sys.exit('python3-redis is missing: scripts/setup installs it')\n";
  script += body;
  std::vector<std::string> argv = {"/usr/bin/python3", "-c", script, std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, "", timeout);
}

std::string RespCommand(const std::vector<std::string>& args) {
  std::string out = StrCat("*", args.size()) + "\r\n";
  for (const std::string& a : args) {
    out += StrCat("$", a.size()) + "\r\n" + a + "\r\n";
  }
  return out;
}

}  // namespace walkv::e2e
