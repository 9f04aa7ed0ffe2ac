// Manual failover through the real binary (docs/replication.md §7): `walkv cli promote` on a
// caught-up replica of a primary killed with -9 (every write the primary acknowledged is on the
// promoted server, which is writable at epoch 1 and keeps that epoch across a restart); promote
// twice and promote on a primary answer ALREADY_PRIMARY with the same epoch; fencing in both
// directions: a replica that has seen epoch 1 pointed at the restarted old primary is refused
// with STALE_EPOCH by it (link stale_primary, nothing applied), and a replica refuses on its own
// a primary that answers or heartbeats an older epoch and records a newer one (stand-in
// primaries in the test that do not check epochs); a replica of the promoted replica keeps
// following it and learns the new epoch; the old primary restarted as a replica of the new one
// follows it if it has nothing the new one lacks, and if it took writes after the failover is
// repaired by exactly one install (its files kept as *.dropped, the write gone); a promote in the middle of a stream stops applying at the seq it answers;
// redis-cli REPLICAOF NO ONE; `walkv verify` shows the epoch and rejects a damaged REPLICATION
// file, which serve refuses to start on.
#include <arpa/inet.h>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/env.h"
#include "engine/file_names.h"
#include "engine/replication_state.h"
#include "rpc/client.h"
#include "rpc/replication_frames.h"
#include "tests/e2e/resp_helpers.h"
#include "tests/e2e/replica_helpers.h"
#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::vector<std::string> kQuiet = {"--snapshot-interval", "0", "--fsync", "always"};

std::vector<std::string> ReplicaOf(const std::string& address) {
  std::vector<std::string> flags = kQuiet;
  flags.insert(flags.end(), {"--replica-of", address});
  return flags;
}

std::string ErrorCode(const StatusOr<json>& answer) {
  if (!answer.ok() || !answer->contains("error")) return "";
  return (*answer)["error"].value("code", "");
}

ProcessResult Verify(const std::string& data_dir) {
  return RunProcess({WALKV_BINARY, "verify", "--data-dir", data_dir});
}

TEST(PromoteTest, FailoverToACaughtUpReplicaKeepsEveryAcknowledgedWriteAndFencesTheOldPrimary) {
  testing::TempDir dir;
  auto old_primary = ServerProcess::Start(dir.Sub("a"), kQuiet);
  ASSERT_NE(old_primary, nullptr);
  const std::string old_address = Address(*old_primary);
  auto a = ConnectTo(*old_primary);
  ASSERT_NE(a, nullptr);
  auto replica_b = ServerProcess::Start(dir.Sub("b"), ReplicaOf(old_address));
  ASSERT_NE(replica_b, nullptr);
  auto b = ConnectTo(*replica_b);
  ASSERT_NE(b, nullptr);

  constexpr int kWrites = 300;
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_TRUE(a->Set("k" + std::to_string(i), "v" + std::to_string(i)).ok()) << i;
  }
  ASSERT_TRUE(Eventually([&] { return CaughtUp(a.get(), b.get()); }))
      << Replication(a.get()).dump() << "\n" << Replication(b.get()).dump();
  EXPECT_EQ(Replication(a.get())["epoch"], 0);
  EXPECT_EQ(Replication(b.get())["epoch"], 0);
  EXPECT_EQ(Replication(b.get())["primary_epoch"], 0);

  // Promote on a primary is refused, naming its epoch.
  auto on_primary = a->Call("promote", json::array());
  ASSERT_TRUE(on_primary.ok());
  EXPECT_EQ(ErrorCode(on_primary), "ALREADY_PRIMARY") << on_primary->dump();

  a.reset();
  ASSERT_TRUE(old_primary->Kill().has_value());  // kill -9: the primary is lost
  old_primary.reset();

  const ProcessResult promoted = RunProcess(
      {WALKV_BINARY, "cli", "-p", std::to_string(replica_b->port()), "--json", "promote"});
  ASSERT_TRUE(promoted.exit.has_value());
  EXPECT_EQ(*promoted.exit, 0) << promoted.out << promoted.err;
  const json answer = json::parse(promoted.out, nullptr, false);
  ASSERT_TRUE(answer.is_object()) << promoted.out;
  EXPECT_EQ(answer["epoch"], 1) << promoted.out;
  EXPECT_EQ(answer["last_seq"], kWrites);
  EXPECT_EQ(answer["role"], "primary");
  EXPECT_EQ(answer["promoted_from"], old_address);

  // Writable at epoch 1, with every acknowledged write of the old primary.
  EXPECT_EQ(Replication(b.get())["role"], "primary");
  EXPECT_EQ(Replication(b.get())["epoch"], 1);
  for (int i = 0; i < kWrites; ++i) {
    auto v = b->Get("k" + std::to_string(i));
    ASSERT_TRUE(v.ok() && v->has_value()) << i;
    EXPECT_EQ(**v, "v" + std::to_string(i));
  }
  ASSERT_TRUE(b->Set("after", "failover").ok());
  auto again = b->Call("promote", json::array());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ErrorCode(again), "ALREADY_PRIMARY");
  EXPECT_THAT((*again)["error"].value("message", ""), HasSubstr("epoch 1 "));

  // A replica of the new primary learns epoch 1 ...
  auto replica_c = ServerProcess::Start(dir.Sub("c"), ReplicaOf(Address(*replica_b)));
  ASSERT_NE(replica_c, nullptr);
  auto c = ConnectTo(*replica_c);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(b.get(), c.get()); }));
  EXPECT_EQ(Replication(c.get())["epoch"], 1);
  c.reset();
  ASSERT_TRUE(replica_c->Terminate().has_value());

  // ... and, pointed at the old primary restarted with its old data (epoch 0), is refused by it
  // with STALE_EPOCH: it applies nothing the old primary has.
  old_primary = ServerProcess::Start(dir.Sub("a"), kQuiet);
  ASSERT_NE(old_primary, nullptr);
  a = ConnectTo(*old_primary);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->Set("lost", "written to the old primary after the failover").ok());
  replica_c = ServerProcess::Start(dir.Sub("c"), ReplicaOf(Address(*old_primary)));
  ASSERT_NE(replica_c, nullptr);
  c = ConnectTo(*replica_c);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(Eventually([&] { return Replication(c.get()).value("link", "") == "stale_primary"; }))
      << Replication(c.get()).dump();
  EXPECT_THAT(Replication(c.get()).value("last_error", ""), HasSubstr("STALE_EPOCH"));
  auto lost = c->Get("lost");
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(lost->has_value());
  EXPECT_EQ(Replication(c.get())["epoch"], 1);
  EXPECT_THAT(old_primary->stderr_text(), HasSubstr("STALE_EPOCH"));

  // The old primary, which took a write after the failover, restarted as a replica of the new
  // one: its history differs, so it is never merged: the new primary's history replaces it by
  // exactly one install (docs/replication.md §4), its own files kept aside as *.dropped.
  a.reset();
  ASSERT_TRUE(old_primary->Terminate().has_value());
  old_primary = ServerProcess::Start(dir.Sub("a"), ReplicaOf(Address(*replica_b)));
  ASSERT_NE(old_primary, nullptr);
  a = ConnectTo(*old_primary);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(b.get(), a.get()); }))
      << Replication(a.get()).dump();
  EXPECT_EQ(Replication(a.get())["snapshots_installed"], 1) << Replication(a.get()).dump();
  EXPECT_EQ(Replication(a.get())["epoch"], 1);
  auto lost_on_a = a->Get("lost");
  ASSERT_TRUE(lost_on_a.ok());
  EXPECT_FALSE(lost_on_a->has_value());
  bool kept_aside = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Sub("a"))) {
    kept_aside |= entry.path().filename().string().ends_with(".dropped");
  }
  EXPECT_TRUE(kept_aside);

  // The promoted server restarted without --replica-of is a primary at epoch 1.
  b.reset();
  ASSERT_TRUE(replica_b->Terminate().has_value());
  replica_b = ServerProcess::Start(dir.Sub("b"), kQuiet);
  ASSERT_NE(replica_b, nullptr);
  b = ConnectTo(*replica_b);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Replication(b.get())["role"], "primary");
  EXPECT_EQ(Replication(b.get())["epoch"], 1);
  auto after = b->Get("after");
  ASSERT_TRUE(after.ok() && after->has_value());
  b.reset();
  ASSERT_TRUE(replica_b->Terminate().has_value());
  const ProcessResult verified = Verify(dir.Sub("b"));
  EXPECT_THAT(verified.out, HasSubstr("replication: epoch 1, primary\n")) << verified.out;
  EXPECT_THAT(verified.out, HasSubstr("result: clean"));
}

TEST(PromoteTest, AChainedReplicaFollowsThroughThePromotionAndAnUntouchedOldPrimaryRejoins) {
  testing::TempDir dir;
  auto old_primary = ServerProcess::Start(dir.Sub("a"), kQuiet);
  ASSERT_NE(old_primary, nullptr);
  auto a = ConnectTo(*old_primary);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->Set("k", "1").ok());
  auto replica_b = ServerProcess::Start(dir.Sub("b"), ReplicaOf(Address(*old_primary)));
  ASSERT_NE(replica_b, nullptr);
  auto b = ConnectTo(*replica_b);
  ASSERT_NE(b, nullptr);
  // A replica of the replica (a chain): it keeps following B through the promotion.
  auto chained = ServerProcess::Start(dir.Sub("c"), ReplicaOf(Address(*replica_b)));
  ASSERT_NE(chained, nullptr);
  auto c = ConnectTo(*chained);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(a.get(), b.get()) && CaughtUp(b.get(), c.get()); }));
  a.reset();
  ASSERT_TRUE(old_primary->Terminate().has_value());

  auto promoted = b->Call("promote", json::array());
  ASSERT_TRUE(promoted.ok() && promoted->contains("result")) << promoted->dump();
  EXPECT_EQ((*promoted)["result"]["epoch"], 1);
  ASSERT_TRUE(b->Set("k", "2").ok());
  // The chained replica learns the new epoch from B's heartbeats and gets B's new writes.
  ASSERT_TRUE(Eventually([&] {
    return CaughtUp(b.get(), c.get()) && Replication(c.get()).value("epoch", 0) == 1;
  })) << Replication(c.get()).dump();
  EXPECT_EQ(Replication(c.get())["connects"], 1) << "it never had to reconnect";

  old_primary = ServerProcess::Start(dir.Sub("a"), ReplicaOf(Address(*replica_b)));
  ASSERT_NE(old_primary, nullptr);
  a = ConnectTo(*old_primary);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(b.get(), a.get()); }))
      << Replication(a.get()).dump();
  EXPECT_EQ(Replication(a.get())["epoch"], 1);
  EXPECT_EQ(Replication(a.get())["primary_epoch"], 1);
  auto k = a->Get("k");
  ASSERT_TRUE(k.ok() && k->has_value());
  EXPECT_EQ(**k, "2");
  a.reset();
  ASSERT_TRUE(old_primary->Terminate().has_value());
  const ProcessResult verified = Verify(dir.Sub("a"));
  EXPECT_THAT(verified.out, HasSubstr("replication: epoch 1, replica of " + Address(*replica_b)))
      << verified.out;
}

// Promote while the primary keeps writing and the replica keeps applying: the promote answers a
// last_seq S that is exactly the replica's history then; nothing of the primary's is applied after
// the answer (its history goes on past S while the promoted server's stays at S until its own
// first write, which is S + 1).
TEST(PromoteTest, PromoteInTheMiddleOfAStreamStopsApplyingAtTheAnsweredSeq) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("a"), kQuiet);
  ASSERT_NE(primary, nullptr);
  auto a = ConnectTo(*primary);
  ASSERT_NE(a, nullptr);
  auto replica = ServerProcess::Start(dir.Sub("b"), ReplicaOf(Address(*primary)));
  ASSERT_NE(replica, nullptr);
  auto b = ConnectTo(*replica);
  ASSERT_NE(b, nullptr);

  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    auto w = ConnectTo(*primary);
    if (w == nullptr) return;
    while (!stop.load()) {
      if (!w->Set("w" + std::to_string(written.load()), "x").ok()) return;
      ++written;
    }
  });
  ASSERT_TRUE(Eventually([&] { return Replication(b.get()).value("applied_seq", 0) >= 200; }))
      << Replication(b.get()).dump();
  auto promoted = b->Call("promote", json::array());
  ASSERT_TRUE(promoted.ok() && promoted->contains("result")) << promoted->dump();
  const uint64_t at = (*promoted)["result"]["last_seq"].get<uint64_t>();
  EXPECT_GE(at, 200u);
  const json after = Replication(b.get());
  EXPECT_EQ(after["role"], "primary");
  EXPECT_EQ(after["digest_seq"], at);
  // The primary moves on well past S ...
  ASSERT_TRUE(Eventually([&] {
    return Replication(a.get()).value("digest_seq", uint64_t{0}) >= at + 200;
  }));
  stop = true;
  writer.join();
  // ... the promoted server does not.
  EXPECT_EQ(Replication(b.get())["digest_seq"], at);
  ASSERT_TRUE(b->Set("mine", "1").ok());
  EXPECT_EQ(Replication(b.get())["digest_seq"], at + 1);
  for (uint64_t i = 0; i < at; ++i) {  // the primary's seqs 1..S are its writes w0 .. w(S-1)
    auto v = b->Get("w" + std::to_string(i));
    ASSERT_TRUE(v.ok() && v->has_value()) << i;
  }
  auto next = b->Get("w" + std::to_string(at));
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value()) << "record S + 1 of the old primary was applied after promote";
}

// RESP: redis-cli's REPLICAOF NO ONE is `promote`; INFO replication then says role:master.
TEST(PromoteTest, RedisCliReplicaOfNoOnePromotes) {
  if (!RequireTool("/usr/bin/redis-cli", "redis-tools")) return;
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("a"), kQuiet);
  ASSERT_NE(primary, nullptr);
  auto a = ConnectTo(*primary);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->Set("k", "v").ok());
  RespServer replica = StartRespServer(dir.Sub("b"), ReplicaOf(Address(*primary)));
  ASSERT_NE(replica.server, nullptr);
  auto b = ConnectTo(*replica.server);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(a.get(), b.get()); }));
  EXPECT_THAT(RedisCli(replica.resp_port, {"set", "x", "1"}).out, HasSubstr("READONLY"));
  EXPECT_EQ(RedisCli(replica.resp_port, {"REPLICAOF", "NO", "ONE"}).out, "OK\n");
  EXPECT_THAT(RedisCli(replica.resp_port, {"REPLICAOF", "NO", "ONE"}).out,
              HasSubstr("ALREADY_PRIMARY this server is already a primary at replication epoch 1"));
  EXPECT_EQ(RedisCli(replica.resp_port, {"set", "x", "1"}).out, "OK\n");
  EXPECT_THAT(RedisCli(replica.resp_port, {"info", "replication"}).out, HasSubstr("role:master"));
}

// A stand-in primary that does not check epochs: it answers every `replicate` with CONTINUE at
// `answer_epoch`, sends one heartbeat announcing `heartbeat_epoch` and closes, so the replica's
// own checks are what decide.
class StandInPrimary {
 public:
  StandInPrimary(uint64_t answer_epoch, uint64_t heartbeat_epoch)
      : answer_epoch_(answer_epoch), heartbeat_epoch_(heartbeat_epoch) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StandInPrimary() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int handshakes() const { return handshakes_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      std::string line;
      char ch;
      while (::recv(conn, &ch, 1, 0) == 1 && ch != '\n') line += ch;
      std::string out = json{{"id", 1},
                             {"result",
                              {{"mode", "CONTINUE"},
                               {"from_seq", 1},
                               {"primary_seq", 0},
                               {"digest", "0000000000000000"},
                               {"digest_seq", 0},
                               {"digest_base_seq", 0},
                               {"epoch", answer_epoch_}}}}
                            .dump() +
                        "\n";
      rpc::replication_frames::AppendHeartbeatFrame(&out, {0, 0, 0, 1, heartbeat_epoch_});
      ::send(conn, out.data(), out.size(), MSG_NOSIGNAL);
      ++handshakes_;
      ::shutdown(conn, SHUT_RDWR);
      ::close(conn);
    }
  }
  const uint64_t answer_epoch_;
  const uint64_t heartbeat_epoch_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

// A replica at epoch 2 (its REPLICATION file) started against stand-in primaries.
std::unique_ptr<ServerProcess> StartReplicaAtEpoch2(const testing::TempDir& dir,
                                                    const std::string& name,
                                                    const std::string& primary) {
  EXPECT_TRUE(Env::Posix()->CreateDirIfMissing(dir.Sub(name)).ok());
  EXPECT_TRUE(
      WriteReplicationState(Env::Posix(), dir.Sub(name), {2, ReplicationRole::kPrimary, ""}).ok());
  return ServerProcess::Start(dir.Sub(name), ReplicaOf(primary));
}

TEST(PromoteTest, AReplicaRefusesOnItsOwnAPrimaryOfAnOlderEpoch) {
  testing::TempDir dir;
  StandInPrimary at_handshake(/*answer_epoch=*/0, /*heartbeat_epoch=*/0);
  auto replica = StartReplicaAtEpoch2(dir, "r", at_handshake.address());
  ASSERT_NE(replica, nullptr);
  auto r = ConnectTo(*replica);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] {
    return at_handshake.handshakes() >= 2 &&
           Replication(r.get()).value("link", "") == "stale_primary";
  })) << Replication(r.get()).dump();
  EXPECT_EQ(Replication(r.get())["epoch"], 2);
  EXPECT_THAT(Replication(r.get()).value("last_error", ""), HasSubstr("stale primary"));
  EXPECT_EQ(Replication(r.get())["connects"], 0);

  // The answer is at the replica's epoch but a heartbeat announces an older one.
  StandInPrimary at_heartbeat(/*answer_epoch=*/2, /*heartbeat_epoch=*/1);
  auto second = StartReplicaAtEpoch2(dir, "s", at_heartbeat.address());
  ASSERT_NE(second, nullptr);
  auto s = ConnectTo(*second);
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(Eventually([&] {
    return at_heartbeat.handshakes() >= 2 &&
           Replication(s.get()).value("link", "") == "stale_primary";
  })) << Replication(s.get()).dump();
  EXPECT_EQ(Replication(s.get())["epoch"], 2);
}

TEST(PromoteTest, AReplicaRecordsAHigherEpochFromAHeartbeat) {
  testing::TempDir dir;
  StandInPrimary newer(/*answer_epoch=*/2, /*heartbeat_epoch=*/3);
  auto replica = StartReplicaAtEpoch2(dir, "r", newer.address());
  ASSERT_NE(replica, nullptr);
  auto r = ConnectTo(*replica);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return Replication(r.get()).value("epoch", 0) == 3; }))
      << Replication(r.get()).dump();
  EXPECT_EQ(Replication(r.get())["primary_epoch"], 3);
  r.reset();
  ASSERT_TRUE(replica->Terminate().has_value());
  const ProcessResult verified = Verify(dir.Sub("r"));
  EXPECT_THAT(verified.out, HasSubstr("replication: epoch 3, replica of " + newer.address()))
      << verified.out;
}

TEST(PromoteTest, ADamagedReplicationFileFailsVerifyAndKeepsServeFromStarting) {
  testing::TempDir dir;
  auto server = ServerProcess::Start(dir.Sub("d"), kQuiet);
  ASSERT_NE(server, nullptr);
  auto c = ConnectTo(*server);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Set("k", "v").ok());
  c.reset();
  ASSERT_TRUE(server->Terminate().has_value());
  ProcessResult verified = Verify(dir.Sub("d"));
  EXPECT_THAT(verified.out, HasSubstr("replication: epoch 0 (no REPLICATION file)"));

  ASSERT_TRUE(WriteReplicationState(Env::Posix(), dir.Sub("d"), {3, {}, ""}).ok());
  verified = Verify(dir.Sub("d"));
  EXPECT_THAT(verified.out, HasSubstr("replication: epoch 3, primary"));
  ASSERT_TRUE(verified.exit.has_value());
  EXPECT_EQ(*verified.exit, 0);

  std::string bytes;
  ASSERT_TRUE(ReadFileToString(Env::Posix(), JoinPath(dir.Sub("d"), "REPLICATION"), &bytes).ok());
  bytes[14] ^= 0x01;  // the epoch
  ASSERT_TRUE(WriteFileAtomically(Env::Posix(), dir.Sub("d"), "REPLICATION", bytes).ok());
  verified = Verify(dir.Sub("d"));
  ASSERT_TRUE(verified.exit.has_value());
  EXPECT_EQ(*verified.exit, 1) << verified.out;
  EXPECT_THAT(verified.out,
              HasSubstr("replication: REPLICATION is DAMAGED at byte 0: checksum mismatch"));
  EXPECT_THAT(verified.out, HasSubstr("result: DAMAGE FOUND"));
  const ProcessResult json_verified =
      RunProcess({WALKV_BINARY, "verify", "--json", "--data-dir", dir.Sub("d")});
  const json report = json::parse(json_verified.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << json_verified.out;
  EXPECT_EQ(report["clean"], false);
  EXPECT_EQ(report["replication"]["problem"], "checksum mismatch");

  const ProcessResult serve = RunProcess(
      {WALKV_BINARY, "serve", "--data-dir", dir.Sub("d"), "--port", "0"}, "",
      std::chrono::seconds(30));
  ASSERT_TRUE(serve.exit.has_value());
  EXPECT_NE(*serve.exit, 0);
  EXPECT_THAT(serve.err, HasSubstr("REPLICATION is damaged at byte 0: checksum mismatch"));
}

}  // namespace
}  // namespace walkv::e2e
