// ManualClockServerTest: a gtest fixture serving the real engine, on the in-memory
// FaultInjectionEnv with a manual clock (starting at kManualClockStartMs), behind a real Server on
// an ephemeral port, with one connected client — for the methods whose answers depend on time or
// on the log (expiry, cas, batch, txn). Reopen() closes the engine and opens it again from its log
// (the server stays stopped), so a test can check what replay gives.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>

#include "engine/engine.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv::rpc {

// 2026-01-01T00:00:00Z in unix milliseconds.
inline constexpr uint64_t kManualClockStartMs = 1'767'225'600'000;

class ManualClockServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.SetManualClock(kManualClockStartMs * 1000);
    OpenEngine();
    ServerOptions server_options;
    server_options.port = 0;
    server_options.threads = 2;
    server_ = std::make_unique<Server>(*engine_, server_options);
    ASSERT_TRUE(server_->Start().ok());
    thread_ = std::thread([this] { server_->Run(); });
    auto c = Client::Connect("127.0.0.1", server_->port());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
    client_->set_timeout(std::chrono::seconds(60));
  }
  void TearDown() override {
    StopServer();
    if (engine_) {
      EXPECT_TRUE(engine_->Close().ok());
    }
  }
  void OpenEngine() {
    auto engine = Engine::Open(walkv::testing::QuietEngineOptions(&env_, "/db"));
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }
  void StopServer() {
    client_.reset();
    if (server_) server_->Shutdown();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }
  // Stops the server, closes the engine and opens it again: the state replayed from the log.
  void Reopen() {
    StopServer();
    ASSERT_TRUE(engine_->Close().ok());
    engine_.reset();
    OpenEngine();
  }
  // The response's "result", or its "error" under the key "error".
  nlohmann::json Result(std::string_view method, nlohmann::json args,
                        nlohmann::json kwargs = nlohmann::json::object()) {
    auto r = client_->Call(method, std::move(args), std::move(kwargs));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return nullptr;
    if (r->contains("error")) return nlohmann::json{{"error", (*r)["error"]}};
    return (*r)["result"];
  }
  uint64_t LastSeq() { return engine_->Stats().last_seq; }

  FaultInjectionEnv env_{5};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::unique_ptr<Client> client_;
};

}  // namespace walkv::rpc
