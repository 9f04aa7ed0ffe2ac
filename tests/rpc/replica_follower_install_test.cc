// ReplicaFollower's SNAPSHOT fallback against a scripted primary (a loopback socket this test
// answers byte by byte), for what a real primary rarely shows: divergence found by a HEARTBEAT
// (not at the handshake) sets `link: diverged`, and the follower's next subscription starts from
// scratch (from_seq 1, digest D(0), accept_snapshot); the SNAPSHOT answer's frames are installed
// and the replica ends with the primary's state and digest, one install counted. Malformed
// snapshot frames (sizes that do not add up) install nothing.
#include "rpc/replica_follower.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "engine/file_names.h"
#include "engine/replaceable_engine.h"
#include "engine/snapshot_install.h"
#include "rpc/replication_frames.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv::rpc {
namespace {

namespace frames = replication_frames;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr char kPrimaryDir[] = "/primary";
constexpr char kReplicaDir[] = "/replica";

// A listening loopback socket; each Accept() is one connection of the follower.
class ScriptedPrimary {
 public:
  ScriptedPrimary() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 4), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~ScriptedPrimary() {
    Close();
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }

  // Accepts the next connection and returns its `replicate` request's kwargs (nullopt: none
  // within 30 s).
  std::optional<json> AcceptSubscription() {
    Close();
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 30000) != 1) return std::nullopt;
    fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd_ < 0) return std::nullopt;
    std::string line;
    char c;
    while (::recv(fd_, &c, 1, 0) == 1 && c != '\n') line += c;
    json request = json::parse(line, nullptr, false);
    if (!request.is_object() || !request.contains("kwargs")) return std::nullopt;
    return request["kwargs"];
  }
  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  void Answer(const json& result) { Send(json{{"id", 1}, {"result", result}}.dump() + "\n"); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int listen_fd_ = -1;
  int fd_ = -1;
  uint16_t port_ = 0;
};

template <typename Pred>
bool Eventually(Pred done) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// The primary's side, made by a real engine: records 1..8 and a snapshot at seq 8.
struct PrimaryData {
  std::string records;
  std::string snapshot;
  HistoryDigest digest;
};

PrimaryData MakePrimary(FaultInjectionEnv* env) {
  PrimaryData out;
  auto db = Engine::Open(testing::QuietEngineOptions(env, kPrimaryDir));
  EXPECT_TRUE(db.ok());
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE((*db)->Set("k" + std::to_string(i % 3), "v" + std::to_string(i)).ok());
  }
  EXPECT_TRUE((*db)->ReadCommittedRecords(1, 1 << 20, &out.records).ok());
  auto snap = (*db)->Snapshot();
  EXPECT_TRUE(snap.ok());
  out.digest = (*db)->Stats().digest;
  EXPECT_TRUE((*db)->Close().ok());
  out.snapshot = *env->ReadWholeFile(JoinPath(kPrimaryDir, SnapshotFileName(8)));
  return out;
}

std::unique_ptr<ReplaceableEngine> OpenReplica(FaultInjectionEnv* env) {
  EngineOptions o = testing::QuietEngineOptions(env, kReplicaDir);
  o.replica = true;
  auto db = Engine::Open(o);
  EXPECT_TRUE(db.ok());
  return std::make_unique<ReplaceableEngine>(std::move(*db));
}

std::string Heartbeat(uint64_t seq, uint64_t digest) {
  std::string out;
  frames::AppendHeartbeatFrame(&out, {seq, seq, digest, 1});
  return out;
}

json SnapshotAnswer(const PrimaryData& primary) {
  return json{{"mode", "SNAPSHOT"},       {"snapshot_seq", 8},
              {"snapshot_bytes", primary.snapshot.size()},
              {"from_seq", 9},            {"primary_seq", 8},
              {"digest", primary.digest.Hex()},
              {"digest_seq", 8},          {"digest_base_seq", 0},
              {"reason", "scripted"}};
}

TEST(ReplicaFollowerInstallTest, HeartbeatDivergenceResubscribesFromScratchAndInstalls) {
  FaultInjectionEnv env;
  const PrimaryData primary = MakePrimary(&env);
  auto engine = OpenReplica(&env);
  ScriptedPrimary scripted;
  ReplicaFollower follower(*engine, "127.0.0.1", scripted.port());
  follower.Start();

  // 1. A fresh replica subscribes from 1 with D(0), accepting a snapshot; it is sent records
  //    1..8 and then a heartbeat whose digest is not the one of those records.
  auto first = scripted.AcceptSubscription();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)["from_seq"], "1");
  EXPECT_EQ((*first)["digest"], "0000000000000000");
  EXPECT_EQ((*first)["accept_snapshot"], "true");
  scripted.Answer({{"mode", "CONTINUE"}, {"from_seq", 1}, {"primary_seq", 8}});
  std::string stream;
  frames::AppendRecordsFrame(&stream, primary.records);
  stream += Heartbeat(8, primary.digest.value ^ 0xff);
  scripted.Send(stream);
  ASSERT_TRUE(Eventually([&] { return follower.status().link == ReplicaLink::kDiverged; }));
  EXPECT_EQ(engine->Stats().last_seq, 8u);

  // 2. It comes back as a replica holding nothing, and installs the snapshot it is sent.
  auto second = scripted.AcceptSubscription();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ((*second)["from_seq"], "1");
  EXPECT_EQ((*second)["digest"], "0000000000000000");
  EXPECT_EQ((*second)["accept_snapshot"], "true");
  scripted.Answer(SnapshotAnswer(primary));
  stream.clear();
  frames::AppendSnapshotBeginFrame(&stream, {8, primary.snapshot.size()});
  const size_t half = primary.snapshot.size() / 2;
  frames::AppendSnapshotDataFrame(&stream, std::string_view(primary.snapshot).substr(0, half));
  frames::AppendSnapshotDataFrame(&stream, std::string_view(primary.snapshot).substr(half));
  stream += Heartbeat(8, primary.digest.value);
  scripted.Send(stream);
  ASSERT_TRUE(Eventually([&] {
    const ReplicaStatus s = follower.status();
    return s.snapshots_installed == 1 && s.link == ReplicaLink::kUp;
  }));
  EXPECT_EQ(follower.status().last_install_seq, 8u);
  const HistoryDigest now = engine->Stats().digest;
  EXPECT_EQ(now.seq, 8u);
  EXPECT_EQ(now.value, primary.digest.value);
  EXPECT_EQ(engine->Get("k1"), "v7");
  EXPECT_EQ(engine->reopens(), 1u);
  EXPECT_TRUE(env.FileExists(JoinPath(kReplicaDir, DroppedFileName(LogFileName(1)))));
  follower.Stop();
  ASSERT_TRUE(engine->Close().ok());
}

TEST(ReplicaFollowerInstallTest, SnapshotFramesThatDoNotAddUpInstallNothing) {
  FaultInjectionEnv env;
  const PrimaryData primary = MakePrimary(&env);
  auto engine = OpenReplica(&env);
  ScriptedPrimary scripted;
  ReplicaFollower follower(*engine, "127.0.0.1", scripted.port());
  follower.Start();
  ASSERT_TRUE(scripted.AcceptSubscription().has_value());
  scripted.Answer(SnapshotAnswer(primary));
  std::string stream;
  frames::AppendSnapshotBeginFrame(&stream, {8, primary.snapshot.size()});
  frames::AppendSnapshotDataFrame(&stream, primary.snapshot + "extra");
  scripted.Send(stream);
  ASSERT_TRUE(scripted.AcceptSubscription().has_value());  // it gave up and came back
  EXPECT_EQ(follower.status().snapshots_installed, 0u);
  EXPECT_NE(follower.status().last_error.find("do not add up"), std::string::npos)
      << follower.status().last_error;
  EXPECT_EQ(engine->Stats().last_seq, 0u);
  EXPECT_EQ(engine->reopens(), 0u);
  EXPECT_FALSE(env.FileExists(JoinPath(kReplicaDir, install::ReceivedSnapshotFileName(8))));
  follower.Stop();
  ASSERT_TRUE(engine->Close().ok());
}

}  // namespace
}  // namespace walkv::rpc
