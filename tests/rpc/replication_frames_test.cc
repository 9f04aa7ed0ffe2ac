// The replication stream's frame codec (rpc/replication_frames.h, docs/replication.md §2): frames
// round-trip, every strict prefix asks for more bytes (a stream cut anywhere resumes cleanly),
// and malformed headers (unknown kind, oversized body, a heartbeat or ACK of the wrong size) are
// reported, never read past.
#include "rpc/replication_frames.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/coding.h"

namespace walkv::rpc::replication_frames {
namespace {

TEST(ReplicationFramesTest, RecordsAndHeartbeatRoundTripBackToBack) {
  std::string stream;
  AppendRecordsFrame(&stream, std::string("rec\0ords", 8));
  AppendHeartbeatFrame(&stream, Heartbeat{7, 6, 0xfedcba9876543210ull, 1700000000123ull});
  AppendRecordsFrame(&stream, "x");

  Frame frame;
  size_t used = 0;
  ASSERT_EQ(DecodeFrame(stream, &frame, &used), DecodeResult::kFrame);
  EXPECT_EQ(frame.kind, FrameKind::kRecords);
  EXPECT_EQ(frame.body, std::string_view("rec\0ords", 8));
  std::string_view rest = std::string_view(stream).substr(used);
  ASSERT_EQ(DecodeFrame(rest, &frame, &used), DecodeResult::kFrame);
  ASSERT_EQ(frame.kind, FrameKind::kHeartbeat);
  const Heartbeat hb = DecodeHeartbeat(frame.body);
  EXPECT_EQ(hb.primary_last_seq, 7u);
  EXPECT_EQ(hb.digest_seq, 6u);
  EXPECT_EQ(hb.digest, 0xfedcba9876543210ull);
  EXPECT_EQ(hb.unix_ms, 1700000000123ull);
  rest.remove_prefix(used);
  ASSERT_EQ(DecodeFrame(rest, &frame, &used), DecodeResult::kFrame);
  EXPECT_EQ(frame.body, "x");
  EXPECT_EQ(used, rest.size());
}

TEST(ReplicationFramesTest, AckRoundTripsAndEveryStrictPrefixNeedsMore) {
  std::string stream;
  AppendAckFrame(&stream, 0x0102030405060708ull);
  ASSERT_EQ(stream.size(), kFrameHeaderBytes + kAckBodyBytes);
  EXPECT_EQ(stream[0], 3);  // docs/replication.md §2: u8 3, u32 8, u64 durable_seq
  Frame frame;
  size_t used = 0;
  for (size_t n = 0; n < stream.size(); ++n) {
    EXPECT_EQ(DecodeFrame(std::string_view(stream).substr(0, n), &frame, &used),
              DecodeResult::kNeedMore)
        << n;
  }
  ASSERT_EQ(DecodeFrame(stream, &frame, &used), DecodeResult::kFrame);
  EXPECT_EQ(frame.kind, FrameKind::kAck);
  EXPECT_EQ(used, stream.size());
  EXPECT_EQ(DecodeAck(frame.body), 0x0102030405060708ull);
}

TEST(ReplicationFramesTest, EveryStrictPrefixNeedsMore) {
  std::string stream;
  AppendHeartbeatFrame(&stream, Heartbeat{1, 1, 2, 3});
  AppendRecordsFrame(&stream, std::string(100, 'r'));
  Frame frame;
  size_t used = 0;
  for (size_t n = 0; n < kFrameHeaderBytes + kHeartbeatBodyBytes; ++n) {
    EXPECT_EQ(DecodeFrame(std::string_view(stream).substr(0, n), &frame, &used),
              DecodeResult::kNeedMore)
        << n;
  }
  const std::string_view second =
      std::string_view(stream).substr(kFrameHeaderBytes + kHeartbeatBodyBytes);
  for (size_t n = 0; n < second.size(); ++n) {
    EXPECT_EQ(DecodeFrame(second.substr(0, n), &frame, &used), DecodeResult::kNeedMore) << n;
  }
  EXPECT_EQ(DecodeFrame(second, &frame, &used), DecodeResult::kFrame);
}

std::string Header(uint8_t kind, uint32_t length) {
  std::string h(1, static_cast<char>(kind));
  PutFixed32(&h, length);
  return h;
}

TEST(ReplicationFramesTest, MalformedHeadersAreReportedBeforeTheBodyArrives) {
  Frame frame;
  size_t used = 0;
  EXPECT_EQ(DecodeFrame(Header(0, 0), &frame, &used), DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(4, 8), &frame, &used), DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(3, kAckBodyBytes - 1), &frame, &used), DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(3, kAckBodyBytes + 1), &frame, &used), DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(0xff, 1), &frame, &used), DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(1, kMaxFrameBodyBytes + 1), &frame, &used),
            DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(2, kHeartbeatBodyBytes - 1), &frame, &used),
            DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(2, kHeartbeatBodyBytes + 1), &frame, &used),
            DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(1, kMaxFrameBodyBytes), &frame, &used), DecodeResult::kNeedMore);
}

TEST(ReplicationFramesTest, SnapshotFramesRoundTripAndAreSizeChecked) {
  std::string wire;
  AppendSnapshotBeginFrame(&wire, {12345, 3u << 20});
  const std::string data(kMaxSnapshotDataBytes, 'x');
  AppendSnapshotDataFrame(&wire, data);
  AppendSnapshotDataFrame(&wire, "tail");
  Frame frame;
  size_t used = 0;
  std::string_view rest = wire;
  ASSERT_EQ(DecodeFrame(rest, &frame, &used), DecodeResult::kFrame);
  EXPECT_EQ(frame.kind, FrameKind::kSnapshotBegin);
  const SnapshotBegin begin = DecodeSnapshotBegin(frame.body);
  EXPECT_EQ(begin.seq, 12345u);
  EXPECT_EQ(begin.total_bytes, 3u << 20);
  rest.remove_prefix(used);
  ASSERT_EQ(DecodeFrame(rest, &frame, &used), DecodeResult::kFrame);
  EXPECT_EQ(frame.kind, FrameKind::kSnapshotData);
  EXPECT_EQ(frame.body, data);
  rest.remove_prefix(used);
  ASSERT_EQ(DecodeFrame(rest, &frame, &used), DecodeResult::kFrame);
  EXPECT_EQ(frame.body, "tail");
  EXPECT_EQ(used, rest.size());

  EXPECT_EQ(DecodeFrame(Header(4, kSnapshotBeginBodyBytes - 1), &frame, &used),
            DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(4, kSnapshotBeginBodyBytes + 1), &frame, &used),
            DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(5, kMaxSnapshotDataBytes + 1), &frame, &used),
            DecodeResult::kMalformed);
  EXPECT_EQ(DecodeFrame(Header(5, 0), &frame, &used), DecodeResult::kFrame);
}

// docs/replication.md §7, format.md §9: the epoch is appended (40 bytes); a 32-byte heartbeat
// (a primary that sent none) still decodes, with no epoch; sizes in between are malformed.
TEST(ReplicationFramesTest, AHeartbeatCarriesAnAppendedEpochOnlyWhenGiven) {
  std::string with;
  AppendHeartbeatFrame(&with, Heartbeat{9, 8, 0x0123456789abcdefull, 1700000000999ull, 5});
  ASSERT_EQ(with.size(), kFrameHeaderBytes + kHeartbeatWithEpochBodyBytes);
  std::string without;
  AppendHeartbeatFrame(&without, Heartbeat{9, 8, 0x0123456789abcdefull, 1700000000999ull, {}});
  ASSERT_EQ(without.size(), kFrameHeaderBytes + kHeartbeatBodyBytes);
  EXPECT_EQ(with.substr(kFrameHeaderBytes, kHeartbeatBodyBytes),
            without.substr(kFrameHeaderBytes)) << "the first 32 bytes are unchanged";

  Frame frame;
  size_t used = 0;
  ASSERT_EQ(DecodeFrame(with, &frame, &used), DecodeResult::kFrame);
  Heartbeat hb = DecodeHeartbeat(frame.body);
  EXPECT_EQ(hb.primary_last_seq, 9u);
  EXPECT_EQ(hb.unix_ms, 1700000000999ull);
  EXPECT_EQ(hb.epoch, 5u);
  for (size_t n = 0; n < with.size(); ++n) {
    EXPECT_EQ(DecodeFrame(std::string_view(with).substr(0, n), &frame, &used),
              DecodeResult::kNeedMore)
        << n;
  }
  ASSERT_EQ(DecodeFrame(without, &frame, &used), DecodeResult::kFrame);
  hb = DecodeHeartbeat(frame.body);
  EXPECT_EQ(hb.digest, 0x0123456789abcdefull);
  EXPECT_FALSE(hb.epoch.has_value());

  for (size_t size = kHeartbeatBodyBytes + 1; size < kHeartbeatWithEpochBodyBytes + 2; ++size) {
    if (size == kHeartbeatWithEpochBodyBytes) continue;
    std::string header(1, static_cast<char>(FrameKind::kHeartbeat));
    PutFixed32(&header, static_cast<uint32_t>(size));
    EXPECT_EQ(DecodeFrame(header, &frame, &used), DecodeResult::kMalformed) << size;
  }
}

}  // namespace
}  // namespace walkv::rpc::replication_frames
