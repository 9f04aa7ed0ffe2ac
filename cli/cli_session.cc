#include "cli/cli_session.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "cli/aliases.h"
#include "cli/scan_keywords.h"
#include "rpc/methods.h"

namespace walkv::cli {

CliSession::CliSession(std::string host, uint16_t port, OutputMode mode)
    : host_(std::move(host)), port_(port), mode_(mode) {}

std::string CliSession::address() const {
  if (host_.find(':') != std::string::npos) return "[" + host_ + "]:" + std::to_string(port_);
  return host_ + ":" + std::to_string(port_);
}

Status CliSession::Connect() {
  if (client_ != nullptr) return Status::Ok();
  StatusOr<std::unique_ptr<rpc::Client>> client = rpc::Client::Connect(host_, port_);
  if (!client.ok()) return client.status();
  client_ = std::move(client).value();
  client_->set_binary(true);  // any bytes, e.g. typed as "\xff", round-trip
  return Status::Ok();
}

CommandOutcome CliSession::Execute(const std::vector<std::string>& words) {
  using Kind = CommandOutcome::Kind;
  if (Status connected = Connect(); !connected.ok()) {
    return {Kind::kTransportError, "walkv: " + connected.message() + "\n"};
  }
  const std::string_view method = ResolveAlias(words[0]);
  std::vector<std::string> sent = words;
  sent[0] = std::string(method);
  sent = RewriteScanKeywords(std::move(sent));  // redis-cli's SCAN cursor MATCH p COUNT n
  nlohmann::json args = nlohmann::json::array();
  for (size_t i = 1; i < sent.size(); ++i) args.push_back(sent[i]);

  StatusOr<nlohmann::json> response = client_->Call(method, std::move(args));
  if (!response.ok()) {
    client_.reset();  // the stream is in an unknown state; reconnect next time
    return {Kind::kTransportError,
            "walkv: " + address() + ": " + response.status().message() + "\n"};
  }
  if (auto error = response->find("error"); error != response->end()) {
    return {Kind::kServerError, FormatError(*error, mode_)};
  }
  nlohmann::json result = nullptr;
  if (auto it = response->find("result"); it != response->end()) result = *it;
  const rpc::MethodSpec* spec = rpc::FindMethod(method);
  return {Kind::kResult,
          FormatResult(result, mode_, spec != nullptr && rpc::ResultMeansDone(*spec))};
}

}  // namespace walkv::cli
