#include "tests/e2e/server_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>

namespace walkv::e2e {

std::optional<std::pair<std::string, uint16_t>> ServerProcess::ParseListeningLine(
    const std::string& stderr_text) {
  static constexpr std::string_view kMarker = "listening on ";
  size_t at = stderr_text.find(kMarker);
  if (at == std::string::npos) return std::nullopt;
  size_t end_of_line = stderr_text.find('\n', at);
  if (end_of_line == std::string::npos) return std::nullopt;  // wait for the whole line
  size_t start = at + kMarker.size();
  size_t end = stderr_text.find_first_of(" \n", start);
  std::string address = stderr_text.substr(start, end - start);
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  unsigned long port = std::stoul(address.substr(colon + 1));
  if (port == 0 || port > 65535) return std::nullopt;
  return std::make_pair(host, static_cast<uint16_t>(port));
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::string& data_dir,
                                                    const std::vector<std::string>& extra_flags,
                                                    std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {WalkvBinary(), "serve", "--data-dir", data_dir};
  if (std::find(extra_flags.begin(), extra_flags.end(), "--port") == extra_flags.end()) {
    argv.insert(argv.end(), {"--port", "0"});
  }
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->process_ = Subprocess::Start(argv);
  if (server->process_ == nullptr) return nullptr;
  bool listening = server->process_->ReadUntil(
      [](const std::string&, const std::string& err) {
        return ParseListeningLine(err).has_value();
      },
      Within(timeout));
  if (!listening) {
    ADD_FAILURE() << "walkv serve did not report 'listening on' in time; stderr:\n"
                  << server->process_->err();
    return nullptr;
  }
  auto [host, port] = *ParseListeningLine(server->process_->err());
  server->host_ = host;
  server->port_ = port;
  server->process_->StartDraining();
  return server;
}

std::optional<ExitStatus> ServerProcess::Terminate(std::chrono::milliseconds timeout) {
  process_->Signal(SIGTERM);
  return process_->Wait(Within(timeout));
}

std::optional<ExitStatus> ServerProcess::Kill() {
  process_->Signal(SIGKILL);
  return process_->Wait(Within(std::chrono::seconds(30)));
}

}  // namespace walkv::e2e
