// Helpers shared by the end-to-end replication tests (e2e_replica_test, e2e_replica_install_test,
// e2e_promote_test, e2e_semisync_test): connecting to a ServerProcess, reading `info
// replication`, and waiting for a condition with a bounded deadline (a poll, never a sleep used as
// synchronisation: every wait ends as soon as its condition holds, or fails after 60 s).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "rpc/client.h"
#include "tests/e2e/server_process.h"

namespace walkv::e2e {

// A client connected to `server`; nullptr (and a test failure) if it cannot connect.
inline std::unique_ptr<rpc::Client> ConnectTo(const ServerProcess& server) {
  auto client = rpc::Client::Connect(server.host(), server.port());
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(*client) : nullptr;
}

// HOST:PORT of the server's JSON port, as --replica-of takes it.
inline std::string Address(const ServerProcess& server) {
  return server.host() + ":" + std::to_string(server.port());
}

// The `replication` section of `info`; an empty object if the call failed.
inline nlohmann::json Replication(rpc::Client* client) {
  auto info = client->Call("info", nlohmann::json::array({"replication"}));
  if (!info.ok() || !info->contains("result")) return nlohmann::json::object();
  return (*info)["result"]["replication"];
}

// Polls until `done` holds or 60 s pass; false (the caller reports) if it never did.
template <typename Pred>
bool Eventually(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// The replica's link is up and its history digest equals the primary's at the same seq.
inline bool CaughtUp(rpc::Client* primary, rpc::Client* replica) {
  const nlohmann::json p = Replication(primary);
  const nlohmann::json r = Replication(replica);
  return p.contains("digest_seq") && r.contains("digest_seq") &&
         p["digest_seq"] == r["digest_seq"] && p["digest"] == r["digest"] &&
         r.value("link", "") == "up";
}

// Every key and its value, read through `client`.
inline std::map<std::string, std::string> State(rpc::Client* client) {
  std::map<std::string, std::string> out;
  auto keys = client->Keys("*");
  EXPECT_TRUE(keys.ok());
  if (!keys.ok()) return out;
  for (const std::string& k : *keys) {
    auto v = client->Get(k);
    if (v.ok() && v->has_value()) out[k] = **v;
  }
  return out;
}

}  // namespace walkv::e2e
