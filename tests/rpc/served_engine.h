// Served: the real engine (Engine::Open, fsync never: these tests are not about durability) on a
// TempDir behind a real Server on an ephemeral port, for method tests over the protocol.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "rpc/client.h"
#include "rpc/server.h"

namespace walkv::testing {

struct ServedOptions {
  size_t max_keys_reply = rpc::ServerOptions{}.max_keys_reply;
};

class Served {
 public:
  explicit Served(const std::string& data_dir, ServedOptions served = {}) {
    EngineOptions options;
    options.data_dir = data_dir;
    options.fsync_mode = FsyncMode::kNever;
    auto engine = Engine::Open(options);
    EXPECT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    rpc::ServerOptions server_options;
    server_options.port = 0;
    server_options.threads = 2;
    server_options.max_keys_reply = served.max_keys_reply;
    server_ = std::make_unique<rpc::Server>(*engine_, server_options);
    EXPECT_TRUE(server_->Start().ok());
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~Served() {
    server_->Shutdown();
    thread_.join();
    server_.reset();
    EXPECT_TRUE(engine_->Close().ok());
  }
  uint16_t port() const { return server_->port(); }
  std::unique_ptr<rpc::Client> Connect() {
    auto c = rpc::Client::Connect("127.0.0.1", server_->port());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    (*c)->set_timeout(std::chrono::seconds(60));
    return std::move(*c);
  }

 private:
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<rpc::Server> server_;
  std::thread thread_;
};

}  // namespace walkv::testing
