// `walkv serve --sync-replicas N` through the real binary (docs/replication.md §6): a primary and
// a replica on loopback. A write acknowledged OK is already on the replica (read there right after
// the reply); without a replica, or with a replica that stopped (SIGSTOP: connected, no ACKs), a
// write is answered REPLICA_TIMEOUT and stays on the primary (not rolled back); `downgrade`
// answers OK; concurrent clients over JSON and RESP (single, batch and pipelined writes) all get
// correct answers; a server shut down with a parked write answers it with an error, never OK.
// Polls are bounded (60 s); no timing is asserted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "rpc/client.h"
#include "tests/e2e/resp_helpers.h"
#include "tests/e2e/replica_helpers.h"
#include "tests/e2e/server_process.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

std::vector<std::string> Flags(std::vector<std::string> extra) {
  std::vector<std::string> flags = {"--snapshot-interval", "0"};
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

std::vector<std::string> SyncFlags(const std::string& timeout_ms,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> flags = {"--sync-replicas", "1", "--sync-timeout-ms", timeout_ms};
  flags.insert(flags.end(), extra.begin(), extra.end());
  return Flags(flags);
}

std::vector<std::string> ReplicaOf(const ServerProcess& primary) {
  return Flags({"--replica-of", Address(primary)});
}

// A primary with semi-sync and a replica whose stream the primary counts.
struct Pair {
  testing::TempDir dir;
  std::unique_ptr<ServerProcess> primary;
  std::unique_ptr<ServerProcess> replica;
  std::unique_ptr<rpc::Client> p;
  std::unique_ptr<rpc::Client> r;
};

void StartPair(Pair* pair, const std::vector<std::string>& primary_flags) {
  pair->primary = ServerProcess::Start(pair->dir.Sub("primary"), primary_flags);
  ASSERT_NE(pair->primary, nullptr);
  pair->replica = ServerProcess::Start(pair->dir.Sub("replica"), ReplicaOf(*pair->primary));
  ASSERT_NE(pair->replica, nullptr);
  pair->p = ConnectTo(*pair->primary);
  pair->r = ConnectTo(*pair->replica);
  ASSERT_NE(pair->p, nullptr);
  ASSERT_NE(pair->r, nullptr);
  ASSERT_TRUE(Eventually([&] { return Replication(pair->p.get())["connected_replicas"] == 1; }));
}

uint64_t LastSeq(rpc::Client* client) {
  auto info = client->Call("info", json::array({"persistence"}));
  if (!info.ok() || !info->contains("result")) return 0;
  return (*info)["result"]["persistence"]["last_seq"].get<uint64_t>();
}

TEST(SemiSyncTest, AnAcknowledgedWriteIsOnTheReplicaWhenTheReplyArrives) {
  Pair pair;
  // A long timeout: every write here must be confirmed, none may time out.
  StartPair(&pair, SyncFlags("30000"));
  if (HasFailure()) return;
  for (int i = 0; i < 200; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_TRUE(pair.p->Set(key, "v" + std::to_string(i)).ok()) << i;
    const uint64_t seq = LastSeq(pair.p.get());  // one writer: the write's own seq
    // Read on the replica right after the reply: no waiting.
    auto got = pair.r->Get(key);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value()) << key << " not on the replica when the primary answered OK";
    EXPECT_EQ(**got, "v" + std::to_string(i));
    EXPECT_GE(Replication(pair.r.get())["applied_seq"].get<uint64_t>(), seq);
  }
  // A batch and a txn wait the same way; a write that logs nothing (deleting a missing key) is
  // answered at once.
  auto batch = pair.p->Call("batch", json::array({json::array({json::array({"set", "b1", "x"}),
                                                               json::array({"incr", "n"})})}));
  ASSERT_TRUE(batch.ok() && batch->contains("result")) << batch->dump();
  auto b1 = pair.r->Get("b1");
  ASSERT_TRUE(b1.ok() && b1->has_value());
  auto deleted = pair.p->Delete("missing");
  ASSERT_TRUE(deleted.ok());
  EXPECT_FALSE(*deleted);

  const json info = Replication(pair.p.get());
  EXPECT_EQ(info["sync_replicas"], 1);
  EXPECT_EQ(info["sync_timeouts"], 0);
  EXPECT_EQ(info["sync_waiting_writes"], 0);
  EXPECT_GE(info["sync_confirmed_writes"].get<uint64_t>(), 201u);
  EXPECT_EQ(info["sync_confirmed_seq"], info["digest_seq"]);
}

// A replica with --fsync interval ACKs only what its interval sync covered (it ACKs again at the
// next heartbeat): writes are still confirmed, later.
TEST(SemiSyncTest, AnIntervalSyncReplicaConfirmsOnceItHasSynced) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), SyncFlags("30000"));
  ASSERT_NE(primary, nullptr);
  std::vector<std::string> flags = ReplicaOf(*primary);
  flags.insert(flags.end(), {"--fsync", "interval", "--fsync-interval-ms", "50"});
  auto replica = ServerProcess::Start(dir.Sub("replica"), flags);
  ASSERT_NE(replica, nullptr);
  auto p = ConnectTo(*primary);
  auto r = ConnectTo(*replica);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return Replication(p.get())["connected_replicas"] == 1; }));
  for (int i = 0; i < 5; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_TRUE(p->Set(key, "v").ok()) << i;
    auto got = r->Get(key);
    ASSERT_TRUE(got.ok() && got->has_value()) << key;
  }
  EXPECT_EQ(Replication(p.get())["sync_timeouts"], 0);
}

// A replica with --fsync never has applied the write but not synced it: it does not ACK it, so
// the write is not confirmed (an OK would claim a second durable copy that does not exist).
TEST(SemiSyncTest, AReplicaThatHasNotSyncedDoesNotConfirm) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), SyncFlags("300"));
  ASSERT_NE(primary, nullptr);
  std::vector<std::string> flags = ReplicaOf(*primary);
  flags.insert(flags.end(), {"--fsync", "never"});
  auto replica = ServerProcess::Start(dir.Sub("replica"), flags);
  ASSERT_NE(replica, nullptr);
  auto p = ConnectTo(*primary);
  auto r = ConnectTo(*replica);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return Replication(p.get())["connected_replicas"] == 1; }));
  auto reply = p->Call("set", json::array({"k", "v"}));
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply->contains("error")) << reply->dump();
  EXPECT_EQ((*reply)["error"]["code"], "REPLICA_TIMEOUT");
  ASSERT_TRUE(Eventually([&] {  // applied there all the same
    auto got = r->Get("k");
    return got.ok() && got->has_value();
  }));
  EXPECT_EQ(Replication(p.get())["replicas"][0]["acked_seq"], 0);
}

TEST(SemiSyncTest, WithoutAReplicaAWriteIsAnsweredReplicaTimeoutAndStays) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), SyncFlags("200"));
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  auto reply = p->Call("set", json::array({"k", "v"}));
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply->contains("error")) << reply->dump();
  EXPECT_EQ((*reply)["error"]["code"], "REPLICA_TIMEOUT");
  EXPECT_EQ((*reply)["error"]["message"],
            "durable on the primary, not confirmed by 1 replica(s) within 200 ms");
  // Not rolled back: the primary holds it (and a restart keeps it).
  auto got = p->Get("k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "v");
  const json info = Replication(p.get());
  EXPECT_EQ(info["sync_timeouts"], 1);
  EXPECT_EQ(info["sync_timeout_action"], "error");
  auto errors = p->Call("info", json::array({"stats"}));
  ASSERT_TRUE(errors.ok());
  EXPECT_EQ((*errors)["result"]["stats"]["errors"]["REPLICA_TIMEOUT"], 1) << errors->dump();
  p.reset();
  auto exit = primary->Terminate();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(*exit, 0);
  auto again = ServerProcess::Start(dir.Sub("primary"), Flags({}));
  ASSERT_NE(again, nullptr);
  auto c = ConnectTo(*again);
  ASSERT_NE(c, nullptr);
  auto kept = c->Get("k");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ(**kept, "v");
}

TEST(SemiSyncTest, DowngradeAnswersOkAndLogsIt) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(
      dir.Sub("primary"), SyncFlags("100", {"--sync-timeout-action", "downgrade"}));
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Set("k", "v").ok());
  const json info = Replication(p.get());
  EXPECT_EQ(info["sync_timeouts"], 1);
  EXPECT_EQ(info["sync_downgraded"], 1);
  EXPECT_EQ(info["sync_timeout_action"], "downgrade");
  ASSERT_TRUE(Eventually([&] {
    return primary->stderr_text().find("semi-sync: 1 write(s) not confirmed") != std::string::npos;
  })) << primary->stderr_text();
}

TEST(SemiSyncTest, AReplicaThatStopsAckingMakesWritesTimeOut) {
  Pair pair;
  StartPair(&pair, SyncFlags("300"));
  if (HasFailure()) return;
  ASSERT_TRUE(pair.p->Set("before", "1").ok());
  pair.replica->process().Signal(SIGSTOP);  // still connected, but no ACK comes
  auto reply = pair.p->Call("set", json::array({"during", "2"}));
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply->contains("error")) << reply->dump();
  EXPECT_EQ((*reply)["error"]["code"], "REPLICA_TIMEOUT");
  pair.replica->process().Signal(SIGCONT);
  // Once it ACKs again, writes are confirmed again (and "during" reaches it too).
  ASSERT_TRUE(Eventually([&] {
    auto r = pair.p->Call("set", json::array({"after", "3"}));
    return r.ok() && r->contains("result");
  }));
  auto during = pair.r->Get("during");
  ASSERT_TRUE(during.ok() && during->has_value());
  auto after = pair.r->Get("after");
  ASSERT_TRUE(after.ok() && after->has_value());
}

TEST(SemiSyncTest, ConcurrentClientsAllGetConfirmedAnswers) {
  Pair pair;
  StartPair(&pair, SyncFlags("30000"));
  if (HasFailure()) return;
  constexpr int kClients = 8;
  constexpr int kWrites = 200;
  std::atomic<int> ok{0};
  std::atomic<int> missing_on_replica{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      auto p = ConnectTo(*pair.primary);
      auto r = ConnectTo(*pair.replica);
      if (p == nullptr || r == nullptr) {
        failed.fetch_add(kWrites);
        return;
      }
      for (int i = 0; i < kWrites; ++i) {
        const std::string key = "c" + std::to_string(c) + "-" + std::to_string(i);
        if (!p->Set(key, key).ok()) {
          failed.fetch_add(1);
          continue;
        }
        ok.fetch_add(1);
        auto got = r->Get(key);
        if (!got.ok() || !got->has_value() || **got != key) missing_on_replica.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kWrites);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(missing_on_replica.load(), 0);
  EXPECT_EQ(Replication(pair.p.get())["sync_timeouts"], 0);
}

TEST(SemiSyncTest, RespWritesWaitForTheReplicaAndTimeOutWithoutOne) {
  testing::TempDir dir;
  RespServer primary = StartRespServer(dir.Sub("primary"), SyncFlags("200"));
  ASSERT_NE(primary.server, nullptr);
  const ProcessResult timed_out = RedisCli(primary.resp_port, {"SET", "lonely", "1"});
  EXPECT_THAT(timed_out.out,
              HasSubstr("REPLICA_TIMEOUT durable on the primary, not confirmed by 1 replica(s)"));

  auto replica = ServerProcess::Start(dir.Sub("replica"), ReplicaOf(*primary.server));
  ASSERT_NE(replica, nullptr);
  auto p = ConnectTo(*primary.server);
  auto r = ConnectTo(*replica);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return Replication(p.get())["connected_replicas"] == 1; }));
  // Pipelined: every command of the input is sent before the answers are read.
  std::string input;
  for (int i = 0; i < 50; ++i) {
    input += "SET p" + std::to_string(i) + " v" + std::to_string(i) + "\n";
  }
  input += "MSET m1 a m2 b\nDEL p0 p1\nINCR n\n";
  const ProcessResult piped = RedisCli(primary.resp_port, {}, input);
  EXPECT_EQ(piped.out.find("REPLICA_TIMEOUT"), std::string::npos) << piped.out;
  EXPECT_THAT(piped.out, HasSubstr("OK\n"));
  EXPECT_THAT(piped.out, ::testing::EndsWith("OK\n2\n1\n"));
  // Every answered write is on the replica.
  for (int i = 2; i < 50; ++i) {
    auto got = r->Get("p" + std::to_string(i));
    ASSERT_TRUE(got.ok() && got->has_value()) << i;
  }
  auto m2 = r->Get("m2");
  ASSERT_TRUE(m2.ok() && m2->has_value());
  auto p0 = r->Get("p0");
  ASSERT_TRUE(p0.ok());
  EXPECT_FALSE(p0->has_value());
  auto n = r->Get("n");
  ASSERT_TRUE(n.ok() && n->has_value());
  EXPECT_EQ(**n, "1");
}

TEST(SemiSyncTest, AServerStoppedWithAParkedWriteAnswersItWithAnErrorNeverOk) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), SyncFlags("2000"));
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  auto id = p->Send("set", json::array({"k", "v"}));
  ASSERT_TRUE(id.ok());
  // The write is parked once it is durable: last_seq shows it.
  auto watcher = ConnectTo(*primary);
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(Eventually([&] { return LastSeq(watcher.get()) == 1; }));
  watcher.reset();
  primary->process().Signal(SIGTERM);
  auto reply = p->Receive();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_TRUE(reply->contains("error")) << reply->dump();
  EXPECT_EQ((*reply)["error"]["code"], "REPLICA_TIMEOUT");
  auto exit = primary->process().Wait(Clock::now() + std::chrono::seconds(60));
  ASSERT_TRUE(exit.has_value());
}

}  // namespace
}  // namespace walkv::e2e
