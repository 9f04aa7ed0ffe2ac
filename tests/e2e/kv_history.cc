#include "tests/e2e/kv_history.h"

#include <signal.h>

#include <cstdio>
#include <sstream>

#include "tests/e2e/server_process.h"

namespace walkv::e2e {

::testing::AssertionResult KvHistory::Set(rpc::Client& client, const std::string& key,
                                          const std::string& value) {
  Status s = client.Set(key, value);
  if (!s.ok()) return ::testing::AssertionFailure() << "set " << key << ": " << s.ToString();
  KvState next = states_.back();
  next[key] = value;
  states_.push_back(std::move(next));
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult KvHistory::Append(rpc::Client& client, const std::string& key,
                                             const std::string& value) {
  auto length = client.Append(key, value);
  if (!length.ok()) {
    return ::testing::AssertionFailure() << "append " << key << ": " << length.status().ToString();
  }
  KvState next = states_.back();
  next[key] += value;
  if (*length != next[key].size()) {
    return ::testing::AssertionFailure() << "append " << key << " returned " << *length
                                         << ", the model says " << next[key].size();
  }
  states_.push_back(std::move(next));
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult KvHistory::Delete(rpc::Client& client, const std::string& key) {
  auto existed = client.Delete(key);
  if (!existed.ok()) {
    return ::testing::AssertionFailure() << "delete " << key << ": " << existed.status().ToString();
  }
  KvState next = states_.back();
  bool model_existed = next.erase(key) == 1;
  if (*existed != model_existed) {
    return ::testing::AssertionFailure() << "delete " << key << " returned " << *existed
                                         << ", the model says " << model_existed;
  }
  states_.push_back(std::move(next));
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult KvHistory::FlushAll(rpc::Client& client) {
  Status s = client.FlushAll();
  if (!s.ok()) return ::testing::AssertionFailure() << "flushall: " << s.ToString();
  states_.emplace_back();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult KvHistory::RandomMutation(rpc::Client& client, std::mt19937& rng,
                                                     int keys) {
  static constexpr char kHex[] = "0123456789abcdef";
  char key[16];
  std::snprintf(key, sizeof(key), "key%02d", static_cast<int>(rng() % static_cast<unsigned>(keys)));
  std::string value = std::to_string(mutations() + 1) + ":";
  size_t pad = 30 + rng() % 121;
  for (size_t i = 0; i < pad; ++i) value.push_back(kHex[rng() % 16]);
  unsigned dice = rng() % 100;
  if (dice < 55) return Set(client, key, value);
  if (dice < 85) return Append(client, key, "+" + value);
  return Delete(client, key);
}

std::optional<uint64_t> KvHistory::MatchPrefix(const KvState& served, uint64_t min_k) const {
  for (uint64_t k = mutations() + 1; k-- > min_k;) {
    if (states_[k] == served) return k;
  }
  return std::nullopt;
}

std::string DescribeDifference(const KvState& served, const KvState& expected) {
  std::ostringstream out;
  out << served.size() << " keys served, " << expected.size() << " expected";
  int shown = 0;
  for (const auto& [key, value] : expected) {
    auto it = served.find(key);
    if (it == served.end()) {
      out << "; " << key << " missing";
    } else if (it->second != value) {
      out << "; " << key << " = \"" << it->second.substr(0, 40) << "...\" expected \""
          << value.substr(0, 40) << "...\"";
    } else {
      continue;
    }
    if (++shown == 3) return out.str();
  }
  for (const auto& [key, value] : served) {
    if (expected.count(key) == 0) {
      out << "; unexpected key " << key;
      if (++shown == 3) break;
    }
  }
  return out.str();
}

std::unique_ptr<rpc::Client> ConnectClient(const std::string& host, uint16_t port) {
  auto client = rpc::Client::Connect(host, port);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  if (!client.ok()) return nullptr;
  (*client)->set_timeout(std::chrono::seconds(30));
  return std::move(client).value();
}

StatusOr<KvState> ReadServedState(rpc::Client& client) {
  auto keys = client.Keys("*");
  if (!keys.ok()) return keys.status();
  KvState state;
  for (const std::string& key : *keys) {
    auto value = client.Get(key);
    if (!value.ok()) return value.status();
    if (!value->has_value()) return Status::Corruption("keys * listed " + key + " but get is null");
    state[key] = **value;
  }
  return state;
}

std::optional<ExitStatus> ServeAttempt::Stop() {
  if (process == nullptr) return exit;
  process->Signal(SIGTERM);
  exit = process->Wait(Within(std::chrono::seconds(60)));
  err = process->err();
  return exit;
}

ServeAttempt TryServe(const std::string& data_dir, const std::vector<std::string>& extra_flags,
                      std::chrono::milliseconds timeout) {
  ServeAttempt attempt;
  std::vector<std::string> argv = {WalkvBinary(), "serve", "--data-dir", data_dir, "--port", "0"};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  attempt.process = Subprocess::Start(argv);
  if (attempt.process == nullptr) return attempt;
  // Ends when the startup line is complete, or when the process closes its pipes (it exited).
  bool listening = attempt.process->ReadUntil(
      [](const std::string&, const std::string& err) {
        return ServerProcess::ParseListeningLine(err).has_value();
      },
      Within(timeout));
  if (listening) {
    auto [host, port] = *ServerProcess::ParseListeningLine(attempt.process->err());
    attempt.host = host;
    attempt.port = port;
    attempt.process->StartDraining();
    return attempt;
  }
  attempt.exit = attempt.process->Wait(Within(timeout));
  attempt.err = attempt.process->err();
  if (!attempt.exit) ADD_FAILURE() << "walkv serve neither started nor exited; stderr:\n"
                                   << attempt.err;
  return attempt;
}

}  // namespace walkv::e2e
