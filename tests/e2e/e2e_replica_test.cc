// `walkv serve --replica-of HOST:PORT` through the real binary (docs/replication.md §3): a primary
// and a replica on loopback. Writes of every kind on the primary (expiring keys, batch, txn,
// counters, flushall) appear on the replica with an equal history digest at an equal seq; the
// replica answers writes READONLY over JSON and RESP and serves reads; kill -9 of the replica
// while the primary keeps writing, then a restart: it catches up from its own last seq, digest
// equal and every acknowledged write present; a primary restarted on the same port is followed
// again; a replica feeds a replica of its own. (A replica whose history differs from the
// primary's has it replaced: tests/e2e/e2e_replica_install_test.cc.) Everything is observed
// through `info` and reads, polled with a deadline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "rpc/client.h"
#include "tests/e2e/line_socket.h"
#include "tests/e2e/resp_helpers.h"
#include "tests/e2e/replica_helpers.h"
#include "tests/e2e/server_process.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::vector<std::string> kQuiet = {"--snapshot-interval", "0"};

// True once the replica has applied the primary's last seq with an equal digest.
std::vector<std::string> ReplicaOf(const ServerProcess& primary,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> flags = kQuiet;
  flags.push_back("--replica-of");
  flags.push_back(Address(primary));
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

TEST(ReplicaTest, EveryKindOfWriteReachesTheReplicaWhichIsReadOnly) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), kQuiet);
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Set("before", "the replica existed").ok());

  RespServer replica = StartRespServer(dir.Sub("replica"), ReplicaOf(*primary));
  ASSERT_NE(replica.server, nullptr);
  auto r = ConnectTo(*replica.server);
  ASSERT_NE(r, nullptr);

  ASSERT_TRUE(p->Set("a", "1").ok());
  ASSERT_TRUE(p->Append("a", "+2").ok());
  ASSERT_TRUE(p->Set("gone", "x").ok());
  ASSERT_TRUE(p->Delete("gone").ok());
  ASSERT_TRUE(p->Call("set", json::array({"short", "lived", "PX", "200"})).ok());
  ASSERT_TRUE(p->Call("set", json::array({"long", "lived", "EX", "3600"})).ok());
  ASSERT_TRUE(p->Call("incrby", json::array({"n", "41"})).ok());
  ASSERT_TRUE(p->Call("mset", json::array({"m1", "v1", "m2", "v2"})).ok());
  auto batch = p->Call("batch", json::array({json::array({json::array({"set", "b1", "x"}),
                                                          json::array({"incr", "n"}),
                                                          json::array({"delete", "m2"})})}));
  ASSERT_TRUE(batch.ok() && batch->contains("result")) << batch->dump();
  auto txn = p->Call("txn", json::array({json::array({json::array({"exists", "a"})}),
                                         json::array({json::array({"set", "t", "yes"})})}));
  ASSERT_TRUE(txn.ok() && txn->contains("result")) << txn->dump();

  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }))
      << Replication(p.get()).dump() << "\n" << Replication(r.get()).dump();
  EXPECT_EQ(State(r.get()), State(p.get()));
  auto ttl = r->Call("pttl", json::array({"long"}));
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT((*ttl)["result"].get<int64_t>(), 3'000'000);

  // The short-lived key expires on both; only the primary's sweep deletes it (a logged DELETE
  // the replica receives like any other record).
  ASSERT_TRUE(Eventually([&] {
    auto v = r->Get("short");
    return v.ok() && !v->has_value() && State(r.get()) == State(p.get());
  }));
  ASSERT_TRUE(p->FlushAll().ok());
  ASSERT_TRUE(p->Set("after", "flushall").ok());
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }));
  EXPECT_EQ(State(r.get()), (std::map<std::string, std::string>{{"after", "flushall"}}));

  // Writes are refused with the primary's address; reads work.
  const std::string primary_address = primary->host() + ":" + std::to_string(primary->port());
  for (const auto& [method, args] :
       std::vector<std::pair<std::string, json>>{{"set", json::array({"x", "y"})},
                                                 {"delete", json::array({"after"})},
                                                 {"flushall", json::array()},
                                                 {"incr", json::array({"n"})}}) {
    auto refused = r->Call(method, args);
    ASSERT_TRUE(refused.ok());
    ASSERT_TRUE(refused->contains("error")) << method << ": " << refused->dump();
    EXPECT_EQ((*refused)["error"]["code"], "READONLY");
    EXPECT_EQ((*refused)["error"]["message"],
              "this server is a replica of " + primary_address + "; write there");
  }
  auto got = r->Get("after");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "flushall");
  const ProcessResult resp_set = RedisCli(replica.resp_port, {"SET", "x", "y"});
  EXPECT_THAT(resp_set.out, HasSubstr("READONLY this server is a replica of " + primary_address));
  EXPECT_EQ(RedisCli(replica.resp_port, {"GET", "after"}).out, "flushall\n");
  const std::string resp_info = RedisCli(replica.resp_port, {"INFO", "replication"}).out;
  EXPECT_THAT(resp_info, HasSubstr("role:slave\r\nmaster_host:" + primary->host() +
                                   "\r\nmaster_port:" + std::to_string(primary->port()) +
                                   "\r\nmaster_link_status:up\r\n"));

  // `info replication` on both sides.
  const json ri = Replication(r.get());
  EXPECT_EQ(ri["role"], "replica");
  EXPECT_EQ(ri["primary"], primary_address);
  EXPECT_EQ(ri["applied_seq"], ri["digest_seq"]);
  EXPECT_EQ(ri["lag_records"], 0);
  ASSERT_TRUE(Eventually([&] {
    const json pi = Replication(p.get());
    return pi["replicas"].size() == 1 && pi["replicas"][0]["acked_seq"] == pi["digest_seq"] &&
           pi["replicas"][0]["lag_records"] == 0;
  })) << Replication(p.get()).dump();
  EXPECT_EQ(Replication(p.get())["role"], "primary");

  // Both stop cleanly; `verify` on both data directories prints the same digest line.
  auto r_exit = replica.server->Terminate();
  ASSERT_TRUE(r_exit.has_value());
  EXPECT_EQ(*r_exit, 0);
  auto p_exit = primary->Terminate();
  ASSERT_TRUE(p_exit.has_value());
  EXPECT_EQ(*p_exit, 0);
  auto digest_line = [](const std::string& data_dir) {
    const ProcessResult v = RunProcess({WALKV_BINARY, "verify", "--data-dir", data_dir});
    const size_t at = v.out.find("digest at seq");
    return at == std::string::npos ? v.out : v.out.substr(at, v.out.find('\n', at) - at);
  };
  const std::string primary_line = digest_line(dir.Sub("primary"));
  EXPECT_THAT(primary_line, ::testing::StartsWith("digest at seq"));
  EXPECT_EQ(digest_line(dir.Sub("replica")), primary_line);
}

TEST(ReplicaTest, AKilledReplicaCatchesUpFromItsOwnLastSeq) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), kQuiet);
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  auto replica = ServerProcess::Start(dir.Sub("replica"), ReplicaOf(*primary));
  ASSERT_NE(replica, nullptr);

  // A writer keeps writing on the primary the whole time; it records what was acknowledged.
  std::atomic<bool> stop{false};
  std::map<std::string, std::string> acked;
  std::thread writer([&] {
    auto w = ConnectTo(*primary);
    if (w == nullptr) return;
    for (int i = 0; !stop.load() || i < 300; ++i) {
      const std::string key = "k" + std::to_string(i % 50);
      const std::string value = "v" + std::to_string(i);
      if (w->Set(key, value).ok()) acked[key] = value;
    }
  });

  auto r = ConnectTo(*replica);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return Replication(r.get()).value("applied_seq", 0) > 50; }));
  replica->Kill();  // kill -9 while records stream in
  const uint64_t seq_at_kill = Replication(p.get()).value("digest_seq", 0);
  ASSERT_TRUE(Eventually([&] {
    return Replication(p.get()).value("digest_seq", uint64_t{0}) > seq_at_kill + 100;
  }));

  replica = ServerProcess::Start(dir.Sub("replica"), ReplicaOf(*primary));
  ASSERT_NE(replica, nullptr);
  // It resumed from its own log: recovery found records, and it subscribed after them.
  EXPECT_THAT(replica->stderr_text(), ::testing::Not(HasSubstr("from seq 1 ")));
  r = ConnectTo(*replica);
  ASSERT_NE(r, nullptr);
  stop.store(true);
  writer.join();
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }))
      << Replication(p.get()).dump() << "\n" << Replication(r.get()).dump();
  for (const auto& [key, value] : acked) {
    auto v = r->Get(key);
    ASSERT_TRUE(v.ok() && v->has_value()) << key;
    EXPECT_EQ(**v, value) << key;
  }
  EXPECT_EQ(State(r.get()), State(p.get()));
  // Inside the backlog: caught up from the log, no snapshot installed.
  EXPECT_EQ(Replication(r.get())["snapshots_installed"], 0);
}

TEST(ReplicaTest, TheReplicaFollowsAPrimaryRestartedOnTheSamePort) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), kQuiet);
  ASSERT_NE(primary, nullptr);
  const uint16_t port = primary->port();
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Set("first", "1").ok());
  auto replica = ServerProcess::Start(dir.Sub("replica"), ReplicaOf(*primary));
  ASSERT_NE(replica, nullptr);
  auto r = ConnectTo(*replica);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }));

  p.reset();
  ASSERT_TRUE(primary->Terminate().has_value());
  ASSERT_TRUE(Eventually([&] { return Replication(r.get()).value("link", "") == "connecting"; }));
  auto read = r->Get("first");  // reads go on while the primary is away
  ASSERT_TRUE(read.ok() && read->has_value());

  std::vector<std::string> flags = kQuiet;
  flags.insert(flags.end(), {"--port", std::to_string(port)});
  primary = ServerProcess::Start(dir.Sub("primary"), flags);
  ASSERT_NE(primary, nullptr);
  p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Set("second", "2").ok());
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }))
      << Replication(p.get()).dump() << "\n" << Replication(r.get()).dump();
  EXPECT_GE(Replication(r.get()).value("connects", 0), 2);
  EXPECT_EQ(State(r.get()), State(p.get()));
}

TEST(ReplicaTest, AReplicaFeedsAReplicaOfItsOwn) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), kQuiet);
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Set("a", "1").ok());
  auto middle = ServerProcess::Start(dir.Sub("middle"), ReplicaOf(*primary));
  ASSERT_NE(middle, nullptr);
  auto last = ServerProcess::Start(dir.Sub("last"), ReplicaOf(*middle));
  ASSERT_NE(last, nullptr);
  auto m = ConnectTo(*middle);
  auto l = ConnectTo(*last);
  ASSERT_TRUE(m != nullptr && l != nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(p->Set("k" + std::to_string(i % 7), "v").ok());
  ASSERT_TRUE(p->Call("set", json::array({"ttl", "x", "EX", "100"})).ok());
  // The records the middle one appends reach its commit listeners, hence its own stream.
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), l.get()); }))
      << Replication(p.get()).dump() << "\n" << Replication(l.get()).dump();
  EXPECT_EQ(State(l.get()), State(p.get()));
  EXPECT_EQ(Replication(l.get())["primary"],
            middle->host() + ":" + std::to_string(middle->port()));
}

}  // namespace
}  // namespace walkv::e2e
