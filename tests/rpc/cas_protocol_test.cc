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
#include "tests/rpc/manual_clock_server.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

using CasProtocolTest = ManualClockServerTest;

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
  Reopen();
  EXPECT_EQ(engine_->Get("n"), std::to_string(kClients * kIncrementsEach));
}

}  // namespace
}  // namespace walkv::rpc
