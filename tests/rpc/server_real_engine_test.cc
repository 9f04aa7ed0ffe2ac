// The RPC server in front of the real engine (Engine::Open on a TempDir): what a client sees is
// what the data directory holds, across a restart, and a storage failure is STORAGE_ERROR.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "tests/util/fault_injection_env.h"
#include "tests/util/temp_dir.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Opens an engine on `options`, serves it on an ephemeral port until destroyed.
class Served {
 public:
  explicit Served(const EngineOptions& options) {
    auto engine = Engine::Open(options);
    EXPECT_TRUE(engine.ok()) << engine.status().ToString();
    if (!engine.ok()) return;
    engine_ = std::move(*engine);
    ServerOptions server_options;
    server_options.port = 0;
    server_options.threads = 2;
    server_ = std::make_unique<Server>(*engine_, server_options);
    Status s = server_->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~Served() {
    if (server_) server_->Shutdown();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    if (engine_) {
      Status s = engine_->Close();
      if (expect_clean_close_) {
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    }
  }
  // After a storage failure Close() reports it.
  void AllowFailedClose() { expect_clean_close_ = false; }
  bool ok() const { return server_ != nullptr; }
  std::unique_ptr<Client> Connect() {
    auto c = Client::Connect("127.0.0.1", server_->port());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return nullptr;
    (*c)->set_timeout(60s);
    return std::move(*c);
  }

 private:
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  bool expect_clean_close_ = true;
};

TEST(ServerRealEngineTest, AcknowledgedWritesSurviveRestart) {
  walkv::testing::TempDir dir;
  EngineOptions options;
  options.data_dir = dir.Sub("data");
  const std::string nul_key("k\0\xc3\xa9", 4);
  {
    Served served(options);
    ASSERT_TRUE(served.ok());
    auto c = served.Connect();
    ASSERT_TRUE(c->Ping().ok());
    ASSERT_TRUE(c->Set("a", "1").ok());
    ASSERT_TRUE(c->Set(nul_key, std::string("v\0", 2)).ok());
    EXPECT_EQ(*c->Append("a", "23"), 3u);
    EXPECT_EQ(*c->Append("b", "x"), 1u);
    EXPECT_EQ(*c->Delete("b"), true);
    EXPECT_EQ(*c->Delete("b"), false);
    EXPECT_EQ(*c->Keys(), (std::vector<std::string>{"a", nul_key}));
    auto snap = c->Snapshot();
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_EQ((*snap)["keys"], 2);
    EXPECT_GT((*snap)["bytes"].get<uint64_t>(), 0u);
    ASSERT_TRUE(c->Set("after_snapshot", "yes").ok());
    auto info = c->Info();
    ASSERT_TRUE(info.ok());
    EXPECT_EQ((*info)["keyspace"]["keys"], 3);
    EXPECT_GE((*info)["persistence"]["fsync_count"].get<uint64_t>(), 1u);
    EXPECT_EQ((*info)["persistence"]["last_snapshot"]["seq"], (*snap)["seq"]);
  }
  Served served(options);
  ASSERT_TRUE(served.ok());
  auto c = served.Connect();
  EXPECT_EQ(*c->Get("a"), std::optional<std::string>("123"));
  EXPECT_EQ(*c->Get(nul_key), std::optional<std::string>(std::string("v\0", 2)));
  EXPECT_EQ(*c->Get("after_snapshot"), std::optional<std::string>("yes"));
  EXPECT_EQ(*c->Get("b"), std::nullopt);
  auto info = c->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ((*info)["persistence"]["recovery"]["keys"], 3);
}

TEST(ServerRealEngineTest, ConcurrentClientsAppendExactly) {
  walkv::testing::TempDir dir;
  EngineOptions options;
  options.data_dir = dir.Sub("data");
  Served served(options);
  ASSERT_TRUE(served.ok());
  constexpr int kClients = 8;
  constexpr int kOps = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      auto c = served.Connect();
      if (!c) return ++failures, void();
      for (int i = 0; i < kOps; ++i) {
        if (!c->Append("shared", "x").ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ((*served.Connect()->Get("shared"))->size(), static_cast<size_t>(kClients * kOps));
}

TEST(ServerRealEngineTest, CountersAndMultiKeyReads) {
  walkv::testing::TempDir dir;
  EngineOptions options;
  options.data_dir = dir.Sub("data");
  Served served(options);
  ASSERT_TRUE(served.ok());
  auto c = served.Connect();
  auto result = [&](std::string_view method, json args) {
    auto r = c->Call(method, std::move(args));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : json();
  };
  EXPECT_EQ(result("incr", {"n"})["result"], 1);
  EXPECT_EQ(result("INCRBY", {"n", "41"})["result"], 42);
  EXPECT_EQ(result("decr", {"n"})["result"], 41);
  EXPECT_EQ(result("decrby", {"n", "-9"})["result"], 50);
  EXPECT_EQ(result("get", {"n"})["result"], "50");
  ASSERT_TRUE(c->Set("s", "hello").ok());
  EXPECT_EQ(result("incr", {"s"})["error"],
            json({{"code", "INVALID_ARGUMENT"},
                  {"message", "value is not an integer or out of range"}}));
  EXPECT_EQ(result("incrby", {"n", "1.5"})["error"]["message"],
            "increment is not an integer or out of range");
  ASSERT_TRUE(c->Set("max", "9223372036854775807").ok());
  EXPECT_EQ(result("incr", {"max"})["error"]["message"], "increment or decrement would overflow");
  EXPECT_EQ(result("get", {"s"})["result"], "hello");

  EXPECT_EQ(result("exists", {"n", "s", "n", "missing"})["result"], 3);
  EXPECT_EQ(result("dbsize", json::array())["result"], 3);
  EXPECT_EQ(result("strlen", {"s"})["result"], 5);
  EXPECT_EQ(result("strlen", {"missing"})["result"], 0);
  EXPECT_EQ(result("mget", {"s", "missing", "n", "s", "a", "b"})["result"],
            json({"hello", nullptr, "50", "hello", nullptr, nullptr}));
}

TEST(ServerRealEngineTest, FailedSyncIsStorageErrorAndReadsKeepWorking) {
  FaultInjectionEnv env;
  EngineOptions options;
  options.data_dir = "/db";
  options.env = &env;
  Served served(options);
  ASSERT_TRUE(served.ok());
  auto c = served.Connect();
  ASSERT_TRUE(c->Set("k", "v").ok());
  env.PowerOff();
  served.AllowFailedClose();
  Status s = c->Set("k", "w");
  EXPECT_EQ(s.code(), StatusCode::kIOError) << s.ToString();
  EXPECT_EQ(s.message().rfind("STORAGE_ERROR: ", 0), 0u) << s.message();
  EXPECT_EQ(c->Set("other", "x").code(), StatusCode::kIOError);
  EXPECT_EQ(*c->Get("k"), std::optional<std::string>("v"));
  EXPECT_TRUE(c->Ping().ok());
}

}  // namespace
}  // namespace walkv::rpc
