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

#include "engine/coding.h"
#include "engine/history_digest.h"
#include "engine/log_format.h"
#include "engine/snapshot_reader.h"
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

// No replication backlog: snapshots remove every segment recovery does not need.
const std::vector<std::string> kQuiet = {"--snapshot-interval", "0", "--snapshot-wal-bytes", "0",
                                         "--replication-backlog-bytes", "0"};

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
  {
    // A digest at an older seq is checked too (the records from the chain base are hashed):
    // the right D(5) continues, a wrong one is DIVERGED.
    auto stream = ReplicationClient::Connect(primary->host(), primary->port(), Deadline());
    ASSERT_TRUE(stream.ok());
    ASSERT_TRUE((*stream)->Subscribe(1, std::nullopt, Deadline()).ok());
    StreamChecker checker;
    while (checker.next_seq <= 5) {
      auto frame = (*stream)->NextFrame(Deadline());
      ASSERT_TRUE(frame.ok());
      if (frame->kind != frames::FrameKind::kRecords) continue;
      // Only the first five records.
      std::string_view body = frame->body;
      std::string five;
      for (size_t at5 = 0; at5 < body.size() && checker.next_seq + five.size() * 0 <= 5;) {
        const size_t size = log::kRecordHeaderSize + DecodeFixed32(body.data() + at5 + 4);
        if (DecodeFixed64(body.data() + at5 + 8) > 5) break;
        five.append(body.substr(at5, size));
        at5 += size;
      }
      frames::Frame cut{frames::FrameKind::kRecords, five};
      checker.OnFrame(cut);
    }
    ASSERT_EQ(checker.digest.seq, 5u);
    auto good = ReplicationClient::Connect(primary->host(), primary->port(), Deadline());
    ASSERT_TRUE(good.ok());
    auto answer = (*good)->Subscribe(6, checker.digest.value, Deadline());
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ((*answer)["result"]["mode"], "CONTINUE") << answer->dump();
    EXPECT_EQ(ErrorCodeOf(subscribe(6, checker.digest.value ^ 1)), "DIVERGED");
  }

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

// replication.md §4: with accept_snapshot, a replica whose records are gone gets the primary's
// newest snapshot byte for byte, then every record after it; the digest it computes from the
// snapshot's footer and those records equals the primary's.
TEST(ReplicationStreamE2eTest, AReplicaTooFarBehindGetsTheSnapshotThenContiguousRecords) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("p"), kQuiet);
  ASSERT_TRUE(primary);
  auto client = rpc::Client::Connect(primary->host(), primary->port());
  ASSERT_TRUE(client.ok());
  Write(client->get(), 0, 100);
  ASSERT_TRUE((*client)->Call("snapshot", json::array()).ok());
  Write(client->get(), 100, 120);
  ASSERT_TRUE((*client)->Call("snapshot", json::array()).ok());  // seq 1 is gone now
  const HistoryDigest at_snapshot = InfoDigest(client->get());
  Write(client->get(), 120, 150);

  // Without accept_snapshot: today's refusal.
  {
    auto stream = ReplicationClient::Connect(primary->host(), primary->port(), Deadline());
    ASSERT_TRUE(stream.ok());
    auto answer = (*stream)->Subscribe(1, 0, Deadline());
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(ErrorCodeOf(*answer), "TOO_FAR_BEHIND");
  }
  auto stream = ReplicationClient::Connect(primary->host(), primary->port(), Deadline());
  ASSERT_TRUE(stream.ok());
  auto answer = (*stream)->Subscribe(1, 0, Deadline(), /*accept_snapshot=*/true);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  ASSERT_TRUE(answer->contains("result")) << answer->dump();
  const json& result = (*answer)["result"];
  EXPECT_EQ(result["mode"], "SNAPSHOT") << answer->dump();
  const uint64_t snapshot_seq = result["snapshot_seq"].get<uint64_t>();
  EXPECT_EQ(snapshot_seq, at_snapshot.seq);
  EXPECT_EQ(result["from_seq"].get<uint64_t>(), snapshot_seq + 1);

  auto frame = (*stream)->NextFrame(Deadline());
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  ASSERT_EQ(frame->kind, frames::FrameKind::kSnapshotBegin);
  const frames::SnapshotBegin begin = frames::DecodeSnapshotBegin(frame->body);
  EXPECT_EQ(begin.seq, snapshot_seq);
  EXPECT_EQ(begin.total_bytes, result["snapshot_bytes"].get<uint64_t>());
  std::string file;
  while (file.size() < begin.total_bytes) {
    frame = (*stream)->NextFrame(Deadline());
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    ASSERT_EQ(frame->kind, frames::FrameKind::kSnapshotData);
    file.append(frame->body);
  }
  ASSERT_EQ(file.size(), begin.total_bytes);
  uint64_t entries = 0;
  const snapshot::SnapshotCheck check = snapshot::ParseSnapshot(
      file, snapshot_seq, [&](std::string_view, std::string_view) { ++entries; });
  ASSERT_FALSE(check.problem) << check.problem->reason;
  ASSERT_TRUE(check.digest);
  EXPECT_EQ(*check.digest, at_snapshot);
  EXPECT_EQ(result["digest"], at_snapshot.Hex());
  EXPECT_GT(entries, 10u);  // 17 keys written, some of key0..key2 deleted

  ASSERT_TRUE((*client)->Set("live", "after the snapshot").ok());
  const HistoryDigest final_digest = InfoDigest(client->get());
  StreamChecker checker;
  checker.next_seq = snapshot_seq + 1;
  checker.digest = *check.digest;
  while (checker.digest.seq < final_digest.seq ||
         checker.last_heartbeat.digest_seq != final_digest.seq) {
    frame = (*stream)->NextFrame(Deadline());
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    ASSERT_NE(frame->kind, frames::FrameKind::kSnapshotData);
    checker.OnFrame(*frame);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
  }
  EXPECT_EQ(checker.digest, final_digest);
  EXPECT_EQ(checker.last_heartbeat.digest, final_digest.value);
}

TEST(ReplicationStreamE2eTest, WithoutASnapshotADivergedReplicaContinuesFromSeqOne) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("p"), kQuiet);
  ASSERT_TRUE(primary);
  auto client = rpc::Client::Connect(primary->host(), primary->port());
  ASSERT_TRUE(client.ok());
  Write(client->get(), 0, 10);
  const HistoryDigest at = InfoDigest(client->get());
  auto stream = ReplicationClient::Connect(primary->host(), primary->port(), Deadline());
  ASSERT_TRUE(stream.ok());
  auto answer = (*stream)->Subscribe(at.seq + 1, at.value ^ 1, Deadline(), true);
  ASSERT_TRUE(answer.ok() && answer->contains("result")) << (answer.ok() ? answer->dump() : "");
  EXPECT_EQ((*answer)["result"]["mode"], "CONTINUE");
  EXPECT_EQ((*answer)["result"]["from_seq"], 1);
  StreamChecker checker;
  while (checker.next_seq <= at.seq) {
    auto frame = (*stream)->NextFrame(Deadline());
    ASSERT_TRUE(frame.ok());
    checker.OnFrame(*frame);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
  }
  EXPECT_EQ(checker.digest, at);
}

}  // namespace
}  // namespace walkv::e2e
