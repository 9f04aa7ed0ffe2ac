// StreamChecker: consumes the frames of a replication stream (docs/replication.md §2) as a
// replica would and checks every record as recovery does: its crc, consecutive seqs from
// next_seq, and the history digest over the shipped bytes against each heartbeat that names the
// seq reached. Failures are gtest assertions; callers check HasFatalFailure() after OnFrame.
// InfoDigest: the history digest a server reports in `info replication`.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/history_digest.h"
#include "engine/log_format.h"
#include "rpc/client.h"
#include "rpc/replication_frames.h"

namespace walkv::e2e {

struct StreamChecker {
  uint64_t next_seq = 1;
  HistoryDigest digest;  // over the records received
  rpc::replication_frames::Heartbeat last_heartbeat;
  int records_frames = 0;
  int heartbeats = 0;

  void OnFrame(const rpc::replication_frames::Frame& frame) {
    namespace frames = rpc::replication_frames;
    if (frame.kind == frames::FrameKind::kHeartbeat) {
      last_heartbeat = frames::DecodeHeartbeat(frame.body);
      ++heartbeats;
      if (last_heartbeat.digest_seq != 0) {
        ASSERT_LE(last_heartbeat.digest_seq, next_seq - 1) << "a digest for a seq not sent yet";
        if (last_heartbeat.digest_seq == next_seq - 1) {
          EXPECT_EQ(last_heartbeat.digest, digest.value) << "at seq " << digest.seq;
        }
      }
      return;
    }
    ++records_frames;
    std::string_view body = frame.body;
    ASSERT_FALSE(body.empty());
    while (!body.empty()) {
      ASSERT_GE(body.size(), log::kRecordHeaderSize);
      const uint32_t length = DecodeFixed32(body.data() + 4);
      ASSERT_GE(body.size(), log::kRecordHeaderSize + length);
      std::string_view record = body.substr(0, log::kRecordHeaderSize + length);
      EXPECT_EQ(DecodeFixed32(record.data()), Crc32(record.substr(4))) << "seq " << next_seq;
      ASSERT_EQ(DecodeFixed64(record.data() + 8), next_seq);
      digest.AdvanceRecord(record);
      ++next_seq;
      body.remove_prefix(record.size());
    }
  }
};

inline HistoryDigest InfoDigest(rpc::Client* client) {
  auto info = client->Call("info", nlohmann::json::array({"replication"}));
  EXPECT_TRUE(info.ok() && info->contains("result")) << (info.ok() ? info->dump() : "");
  if (!info.ok() || !info->contains("result")) return {};
  const nlohmann::json& r = (*info)["result"]["replication"];
  HistoryDigest d;
  d.base_seq = r["digest_base_seq"].get<uint64_t>();
  d.seq = r["digest_seq"].get<uint64_t>();
  EXPECT_TRUE(ParseDigestHex(r["digest"].get<std::string>(), &d.value));
  return d;
}

}  // namespace walkv::e2e
