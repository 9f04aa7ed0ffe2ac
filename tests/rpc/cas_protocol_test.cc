// cas(key, expected, value) over the JSON protocol, served by the real engine on the in-memory
// FaultInjectionEnv: true/false answers, expected null = absent, non-string arguments refused,
// many clients cas-incrementing one key end with the exact count, and the result replays exactly
// after the engine is reopened (a cas is logged as the SET it resolved to).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr uint64_t kStartMs = 1'767'225'600'000;

class CasProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.SetManualClock(kStartMs * 1000);
    auto engine = Engine::Open(walkv::testing::QuietEngineOptions(&env_, "/db"));
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    ServerOptions server_options;
    server_options.port = 0;
    server_options.threads = 1;
    server_ = std::make_unique<Server>(*engine_, server_options);
    ASSERT_TRUE(server_->Start().ok());
    thread_ = std::thread([this] { server_->Run(); });
    auto c = Client::Connect("127.0.0.1", server_->port());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
    client_->set_timeout(60s);
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->Shutdown();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    if (engine_) {
      EXPECT_TRUE(engine_->Close().ok());
    }
  }
  // The whole response's "result", or its "error" under the key "error".
  json Result(std::string_view method, json args, json kwargs = json::object()) {
    auto r = client_->Call(method, std::move(args), std::move(kwargs));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return nullptr;
    if (r->contains("error")) return json{{"error", (*r)["error"]}};
    return (*r)["result"];
  }

  FaultInjectionEnv env_{5};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::unique_ptr<Client> client_;
};

TEST_F(CasProtocolTest, SetsOnlyWhenTheValueIsTheExpectedOne) {
  EXPECT_EQ(Result("cas", {"k", nullptr, "1"}), true);  // null: only if absent
  EXPECT_EQ(Result("cas", {"k", nullptr, "2"}), false);
  EXPECT_EQ(Result("get", {"k"}), "1");
  EXPECT_EQ(Result("cas", {"k", "0", "2"}), false);
  EXPECT_EQ(Result("cas", {"k", "1", "2"}), true);
  EXPECT_EQ(Result("get", {"k"}), "2");
  EXPECT_EQ(Result("cas", {"missing", "", "x"}), false);  // "" is a value, not absence
  EXPECT_EQ(Result("cas", json::array(), {{"key", "k"}, {"expected", "2"}, {"value", ""}}), true);
  EXPECT_EQ(Result("cas", {"k", "", "3"}), true);
  EXPECT_EQ(Result("set", {"t", "a", "EX", "100"}), true);
  EXPECT_EQ(Result("cas", {"t", "a", "b"}), true);
  EXPECT_EQ(Result("ttl", {"t"}), -1);  // like set: the expiry is cleared
  EXPECT_EQ(Result("set", {"e", "a", "PX", "10"}), true);
  env_.AdvanceClock(11'000);
  EXPECT_EQ(Result("cas", {"e", "a", "b"}), false);  // expired = absent
  EXPECT_EQ(Result("cas", {"e", nullptr, "b"}), true);
  EXPECT_EQ(Result("get", {"e"}), "b");
}

TEST_F(CasProtocolTest, OnlyExpectedMayBeNull) {
  json r = Result("cas", {"k", 1, "v"});
  EXPECT_EQ(r["error"]["message"], "cas: expected must be a string, got number");
  r = Result("cas", {nullptr, nullptr, "v"});
  EXPECT_EQ(r["error"]["message"], "cas: key must be a string, got null");
  r = Result("cas", {"k", nullptr, nullptr});
  EXPECT_EQ(r["error"]["message"], "cas: value must be a string, got null");
  r = Result("cas", {"k", nullptr});
  EXPECT_EQ(r["error"]["code"], "INVALID_ARGUMENT");
  r = Result("set", {"k", nullptr});
  EXPECT_EQ(r["error"]["message"], "set: value must be a string, got null");
  EXPECT_EQ(Result("exists", {"k"}), 0);
}

TEST_F(CasProtocolTest, ConcurrentCasIncrementsEndWithTheExactCountAndReplay) {
  constexpr int kClients = 4;
  constexpr int kIncrementsEach = 40;
  std::vector<std::thread> threads;
  std::vector<int> retries(kClients, 0);
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      auto client = Client::Connect("127.0.0.1", server_->port());
      ASSERT_TRUE(client.ok());
      (*client)->set_timeout(60s);
      for (int done = 0; done < kIncrementsEach;) {
        auto got = (*client)->Call("get", {"n"});
        ASSERT_TRUE(got.ok());
        json current = (*got)["result"];
        const int n = current.is_null() ? 0 : std::stoi(current.get<std::string>());
        auto r = (*client)->Call("cas", {"n", current, std::to_string(n + 1)});
        ASSERT_TRUE(r.ok());
        ASSERT_TRUE((*r)["result"].is_boolean()) << r->dump();
        if ((*r)["result"].get<bool>()) {
          ++done;
        } else {
          ++retries[c];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(Result("get", {"n"}), std::to_string(kClients * kIncrementsEach));

  // Replay: the log holds the SETs the cas calls resolved to.
  client_.reset();
  server_->Shutdown();
  thread_.join();
  server_.reset();
  ASSERT_TRUE(engine_->Close().ok());
  engine_.reset();
  auto reopened = Engine::Open(walkv::testing::QuietEngineOptions(&env_, "/db"));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Get("n"), std::to_string(kClients * kIncrementsEach));
  EXPECT_TRUE((*reopened)->Close().ok());
}

}  // namespace
}  // namespace walkv::rpc
