// The primary's `replicate` method through the real binary (docs/replication.md §2): a raw
// stream client subscribes, parses every frame, checks each record's crc, that seqs are
// contiguous from from_seq, that the history digest it computes over the shipped bytes equals the
// heartbeats' and `info`'s, across writes made before and during the stream; refusals
// (TOO_FAR_BEHIND, DIVERGED, bad arguments) are answered as JSON errors; a server with an open
// stream still shuts down cleanly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/history_digest.h"
#include "rpc/client.h"
#include "rpc/replication_client.h"
#include "tests/e2e/line_socket.h"
#include "tests/e2e/replication_stream_checker.h"
#include "tests/e2e/server_process.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using nlohmann::json;
using rpc::ReplicationClient;
namespace frames = rpc::replication_frames;

const std::vector<std::string> kQuiet = {"--snapshot-interval", "0", "--snapshot-wal-bytes", "0"};

ReplicationClient::Clock::time_point Deadline() {
  return ReplicationClient::Clock::now() + std::chrono::seconds(60);
}

void Write(rpc::Client* client, int from, int to) {
  for (int i = from; i < to; ++i) {
    ASSERT_TRUE(client->Set("key" + std::to_string(i % 17), "value" + std::to_string(i)).ok());
    if (i % 5 == 0) {
      ASSERT_TRUE(client->Delete("key" + std::to_string(i % 3)).ok());
    }
  }
}

TEST(ReplicationStreamE2eTest, StreamsHistoryThenLiveWritesWithContiguousSeqsAndEqualDigest) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("p"), kQuiet);
  ASSERT_TRUE(primary);
  auto client = rpc::Client::Connect(primary->host(), primary->port());
  ASSERT_TRUE(client.ok());
  Write(client->get(), 0, 300);
  ASSERT_TRUE((*client)->Call("snapshot", json::array()).ok());  // history spans a snapshot
  Write(client->get(), 300, 400);

  auto stream = ReplicationClient::Connect(primary->host(), primary->port(), Deadline());
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  auto answer = (*stream)->Subscribe(1, std::nullopt, Deadline());
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  ASSERT_TRUE(answer->contains("result")) << answer->dump();
  EXPECT_EQ((*answer)["result"]["mode"], "CONTINUE");
  EXPECT_GE((*answer)["result"]["primary_seq"].get<uint64_t>(), 400u);

  {
    auto info = (*client)->Call("info", json::array({"replication"}));
    ASSERT_TRUE(info.ok());
    EXPECT_EQ((*info)["result"]["replication"]["connected_replicas"], 1) << info->dump();
  }
  // Live writes from another connection while the stream runs.
  std::thread writer([&] {
    auto live = rpc::Client::Connect(primary->host(), primary->port());
    ASSERT_TRUE(live.ok());
    Write(live->get(), 400, 700);
  });
  StreamChecker checker;
  HistoryDigest final_digest;
  bool writer_joined = false;
  while (true) {
    auto frame = (*stream)->NextFrame(Deadline());
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    checker.OnFrame(*frame);
    if (::testing::Test::HasFatalFailure()) break;
    if (frame->kind != frames::FrameKind::kHeartbeat) continue;
    if (!writer_joined) {
      writer.join();
      writer_joined = true;
      final_digest = InfoDigest(client->get());
    }
    if (checker.last_heartbeat.digest_seq == final_digest.seq) break;
  }
  if (!writer_joined) writer.join();
  // 700 sets + 140 deletes, every one of them shipped exactly once, in order.
  EXPECT_EQ(final_digest.seq, 840u);
  EXPECT_EQ(checker.next_seq - 1, final_digest.seq);
  EXPECT_EQ(final_digest.base_seq, 0u);
  EXPECT_EQ(checker.digest.value, final_digest.value);
  EXPECT_EQ(checker.last_heartbeat.digest, final_digest.value);
  EXPECT_EQ(checker.last_heartbeat.primary_last_seq, final_digest.seq);
  EXPECT_GT(checker.last_heartbeat.unix_ms, 0u);

  // The stream does not keep the server from stopping cleanly.
  EXPECT_EQ(primary->Terminate(), 0) << primary->stderr_text();
}

TEST(ReplicationStreamE2eTest, SubscribingAtThePrimarysEndWithItsDigestGetsOnlyNewRecords) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("p"), kQuiet);
  ASSERT_TRUE(primary);
  auto client = rpc::Client::Connect(primary->host(), primary->port());
  ASSERT_TRUE(client.ok());
  Write(client->get(), 0, 50);  // seqs 1..60
  const HistoryDigest at = InfoDigest(client->get());
  ASSERT_EQ(at.seq, 60u);

  auto stream = ReplicationClient::Connect(primary->host(), primary->port(), Deadline());
  ASSERT_TRUE(stream.ok());
  auto answer = (*stream)->Subscribe(at.seq + 1, at.value, Deadline());
  ASSERT_TRUE(answer.ok() && answer->contains("result")) << (answer.ok() ? answer->dump() : "");
  ASSERT_TRUE((*client)->Set("after", "x").ok());
  StreamChecker checker;
  checker.next_seq = at.seq + 1;
  checker.digest = at;
  while (checker.next_seq <= at.seq + 1) {
    auto frame = (*stream)->NextFrame(Deadline());
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    checker.OnFrame(*frame);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
  }
  EXPECT_EQ(checker.digest, InfoDigest(client->get()));
}

std::string ErrorCodeOf(const json& answer) {
  if (!answer.contains("error")) return "no error in " + answer.dump();
  return answer["error"]["code"].get<std::string>();
}

TEST(ReplicationStreamE2eTest, RefusesReplicasAheadDivergedOrTooFarBehindWithJsonErrors) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("p"), kQuiet);
  ASSERT_TRUE(primary);
  auto client = rpc::Client::Connect(primary->host(), primary->port());
  ASSERT_TRUE(client.ok());
  Write(client->get(), 0, 10);  // seqs 1..12
  const HistoryDigest at = InfoDigest(client->get());

  auto subscribe = [&](uint64_t from_seq, std::optional<uint64_t> digest) -> json {
    auto stream = ReplicationClient::Connect(primary->host(), primary->port(), Deadline());
    EXPECT_TRUE(stream.ok());
    if (!stream.ok()) return json();
    auto answer = (*stream)->Subscribe(from_seq, digest, Deadline());
    EXPECT_TRUE(answer.ok()) << answer.status().ToString();
    // After a refusal the primary closes the connection.
    EXPECT_FALSE((*stream)->NextFrame(Deadline()).ok());
    return answer.ok() ? *answer : json();
  };
  EXPECT_EQ(ErrorCodeOf(subscribe(at.seq + 2, std::nullopt)), "DIVERGED");
  EXPECT_EQ(ErrorCodeOf(subscribe(at.seq + 1, at.value ^ 1)), "DIVERGED");

  // Two snapshots with writes between: the segments holding seq 1 are removed.
  ASSERT_TRUE((*client)->Call("snapshot", json::array()).ok());
  Write(client->get(), 10, 20);
  ASSERT_TRUE((*client)->Call("snapshot", json::array()).ok());
  Write(client->get(), 20, 30);
  ASSERT_TRUE((*client)->Call("snapshot", json::array()).ok());
  EXPECT_EQ(ErrorCodeOf(subscribe(1, std::nullopt)), "TOO_FAR_BEHIND");

  // Bad arguments are ordinary errors on a connection that stays a JSON connection.
  auto socket = LineSocket::Connect(primary->host(), primary->port());
  ASSERT_TRUE(socket);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  ASSERT_TRUE(socket->SendAll(
      "{\"id\":1,\"method\":\"replicate\",\"args\":[\"0\"]}\n"
      "{\"id\":2,\"method\":\"replicate\",\"args\":[\"x1\"]}\n"
      "{\"id\":3,\"method\":\"replicate\",\"args\":[\"1\",\"nothex\"]}\n"
      "{\"id\":4,\"method\":\"ping\"}\n",
      deadline));
  for (int id = 1; id <= 3; ++id) {
    auto line = socket->ReadLine(deadline);
    ASSERT_TRUE(line);
    json parsed = json::parse(*line);
    EXPECT_EQ(parsed["id"], id);
    EXPECT_EQ(ErrorCodeOf(parsed), "INVALID_ARGUMENT") << *line;
  }
  auto pong = socket->ReadLine(deadline);
  ASSERT_TRUE(pong);
  EXPECT_EQ(json::parse(*pong)["result"], "PONG");
}

}  // namespace
}  // namespace walkv::e2e
