// A replication stream whose network is cut (docs/replication.md §2, issue 16 item 5): a proxy
// between a stream client and the real primary cuts the connection after a random number of
// bytes, inside the handshake answer, a frame header, a heartbeat or a record, 30 times while
// the primary takes writes (a round whose budget outlasts its bytes is cut once everything
// arrived). Each time the client keeps only the complete frames it received and
// subscribes again from its next seq with its digest: the primary must answer CONTINUE, and in
// the end the client has every record exactly once, in order, each crc intact, with the
// primary's digest. The proxy reports what the client received before each cut, so the test also
// proves that cuts landed inside records.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/coding.h"
#include "engine/history_digest.h"
#include "rpc/client.h"
#include "rpc/replication_client.h"
#include "tests/e2e/cutting_proxy.h"
#include "tests/e2e/replication_stream_checker.h"
#include "tests/e2e/server_process.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using rpc::ReplicationClient;
namespace frames = rpc::replication_frames;

ReplicationClient::Clock::time_point Deadline() {
  return ReplicationClient::Clock::now() + std::chrono::seconds(60);
}

enum class CutPlace {
  kAnswerLine, kFrameHeader, kHeartbeat, kRecords, kBetweenFrames,
  kAfterEverything,  // the budget outlasted the round: cut by CutAll
};

// Where a cut fell, from the bytes the client received before it: the answer line, then frames.
CutPlace PlaceOf(std::string_view received) {
  const size_t newline = received.find('\n');
  if (newline == std::string_view::npos) return CutPlace::kAnswerLine;
  received.remove_prefix(newline + 1);
  while (!received.empty()) {
    if (received.size() < frames::kFrameHeaderBytes) return CutPlace::kFrameHeader;
    const auto kind = static_cast<frames::FrameKind>(received[0]);
    const size_t frame_bytes = frames::kFrameHeaderBytes + DecodeFixed32(received.data() + 1);
    if (received.size() < frame_bytes) {
      return kind == frames::FrameKind::kRecords ? CutPlace::kRecords : CutPlace::kHeartbeat;
    }
    received.remove_prefix(frame_bytes);
  }
  return CutPlace::kBetweenFrames;
}

TEST(ReplicationCutE2eTest, StreamCutAtRandomBytesResumesExactlyFromTheLastCompleteRecord) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(
      dir.Sub("p"), {"--snapshot-interval", "0", "--snapshot-wal-bytes", "0"});
  ASSERT_TRUE(primary);
  auto client = rpc::Client::Connect(primary->host(), primary->port());
  ASSERT_TRUE(client.ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE((*client)->Set("k" + std::to_string(i % 7), "history" + std::to_string(i)).ok());
  }
  auto proxy = CuttingProxy::Start(primary->host(), primary->port());
  ASSERT_TRUE(proxy);

  StreamChecker checker;  // from the primary's end: later rounds resume from disk, then live
  checker.digest = InfoDigest(client->get());
  checker.next_seq = checker.digest.seq + 1;
  std::mt19937 rng(20261203);
  std::vector<int> places(6, 0);
  constexpr int kRounds = 30;
  constexpr int kWritesPerRound = 5;
  int written = 50;
  for (int round = 0; round < kRounds; ++round) {
    // The answer line is about 170 bytes, a record about 45 (from disk, the missing ones share
    // one frame; live, each comes in a frame of its own followed by a 37-byte heartbeat): the
    // budget is drawn from about the bytes this round carries, so cuts fall anywhere in them.
    const uint64_t missing = static_cast<uint64_t>(written) - (checker.next_seq - 1);
    proxy->CutDownstreamAfter(std::uniform_int_distribution<uint64_t>(
        1, 200 + 50 * missing + 90 * kWritesPerRound)(rng));
    const uint64_t cuts_before = proxy->budget_cuts();
    auto stream = ReplicationClient::Connect(proxy->host(), proxy->port(), Deadline());
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    auto answer =
        (*stream)->Subscribe(checker.next_seq, checker.digest.value, Deadline());
    if (answer.ok()) {
      ASSERT_TRUE(answer->contains("result")) << "round " << round << ": " << answer->dump();
      ASSERT_EQ((*answer)["result"]["mode"], "CONTINUE") << answer->dump();
      for (int w = 0; w < kWritesPerRound; ++w, ++written) {
        ASSERT_TRUE((*client)->Set("k" + std::to_string(written % 7),
                                   "round" + std::to_string(round) + "." + std::to_string(w))
                        .ok());
      }
      while (true) {  // complete frames until the cut
        auto frame = (*stream)->NextFrame(Deadline());
        if (!frame.ok()) break;
        checker.OnFrame(*frame);
        ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "round " << round;
        if (checker.next_seq - 1 == static_cast<uint64_t>(written)) {
          // Everything arrived within the budget: cut now rather than wait for heartbeats.
          proxy->Disarm();
          if (proxy->budget_cuts() == cuts_before) {
            proxy->CutAll();
            ++places[static_cast<int>(CutPlace::kAfterEverything)];
          }
          break;
        }
      }
    }
    if (proxy->budget_cuts() > cuts_before) {
      ++places[static_cast<int>(PlaceOf(proxy->last_cut_transcript()))];
    }
  }

  const uint64_t reached_while_cutting = checker.next_seq - 1;
  EXPECT_GT(reached_while_cutting, 50u + kRounds) << "the cut rounds made almost no progress";

  // Uncut: the client reaches the primary's last seq with the primary's digest.
  proxy->Disarm();
  const HistoryDigest final_digest = InfoDigest(client->get());
  ASSERT_EQ(final_digest.seq, static_cast<uint64_t>(written));
  auto stream = ReplicationClient::Connect(proxy->host(), proxy->port(), Deadline());
  ASSERT_TRUE(stream.ok());
  auto answer = (*stream)->Subscribe(checker.next_seq, checker.digest.value, Deadline());
  ASSERT_TRUE(answer.ok() && answer->contains("result")) << (answer.ok() ? answer->dump() : "");
  while (checker.next_seq <= final_digest.seq) {
    auto frame = (*stream)->NextFrame(Deadline());
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    checker.OnFrame(*frame);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
  }
  EXPECT_EQ(checker.next_seq - 1, final_digest.seq);
  EXPECT_EQ(checker.digest.value, final_digest.value);

  // With a fixed seed the places are the same from run to run up to the timing of heartbeats;
  // these bounds only fail if cuts stopped reaching records at all.
  EXPECT_GE(places[static_cast<int>(CutPlace::kRecords)], 3)
      << "answer " << places[0] << ", frame header " << places[1] << ", heartbeat " << places[2]
      << ", records " << places[3] << ", between frames " << places[4] << ", after everything "
      << places[5];
  EXPECT_GE(places[static_cast<int>(CutPlace::kAnswerLine)], 1);
}

}  // namespace
}  // namespace walkv::e2e
