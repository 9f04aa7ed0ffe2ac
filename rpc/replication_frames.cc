#include "rpc/replication_frames.h"

#include "engine/coding.h"

namespace walkv::rpc::replication_frames {

namespace {

void AppendHeader(std::string* out, FrameKind kind, size_t length) {
  out->push_back(static_cast<char>(kind));
  PutFixed32(out, static_cast<uint32_t>(length));
}

}  // namespace

void AppendRecordsFrame(std::string* out, std::string_view records) {
  AppendHeader(out, FrameKind::kRecords, records.size());
  out->append(records);
}

void AppendHeartbeatFrame(std::string* out, const Heartbeat& heartbeat) {
  AppendHeader(out, FrameKind::kHeartbeat,
               heartbeat.epoch ? kHeartbeatWithEpochBodyBytes : kHeartbeatBodyBytes);
  PutFixed64(out, heartbeat.primary_last_seq);
  PutFixed64(out, heartbeat.digest_seq);
  PutFixed64(out, heartbeat.digest);
  PutFixed64(out, heartbeat.unix_ms);
  if (heartbeat.epoch) PutFixed64(out, *heartbeat.epoch);
}

void AppendAckFrame(std::string* out, uint64_t durable_seq) {
  AppendHeader(out, FrameKind::kAck, kAckBodyBytes);
  PutFixed64(out, durable_seq);
}

void AppendSnapshotBeginFrame(std::string* out, const SnapshotBegin& begin) {
  AppendHeader(out, FrameKind::kSnapshotBegin, kSnapshotBeginBodyBytes);
  PutFixed64(out, begin.seq);
  PutFixed64(out, begin.total_bytes);
}

void AppendSnapshotDataFrame(std::string* out, std::string_view bytes) {
  AppendHeader(out, FrameKind::kSnapshotData, bytes.size());
  out->append(bytes);
}

SnapshotBegin DecodeSnapshotBegin(std::string_view body) {
  return SnapshotBegin{DecodeFixed64(body.data()), DecodeFixed64(body.data() + 8)};
}

DecodeResult DecodeFrame(std::string_view buffer, Frame* frame, size_t* consumed) {
  if (buffer.size() < kFrameHeaderBytes) return DecodeResult::kNeedMore;
  const auto kind = static_cast<uint8_t>(buffer[0]);
  const uint32_t length = DecodeFixed32(buffer.data() + 1);
  if (kind != static_cast<uint8_t>(FrameKind::kRecords) &&
      kind != static_cast<uint8_t>(FrameKind::kHeartbeat) &&
      kind != static_cast<uint8_t>(FrameKind::kAck) &&
      kind != static_cast<uint8_t>(FrameKind::kSnapshotBegin) &&
      kind != static_cast<uint8_t>(FrameKind::kSnapshotData)) {
    return DecodeResult::kMalformed;
  }
  if ((kind == static_cast<uint8_t>(FrameKind::kSnapshotBegin) &&
       length != kSnapshotBeginBodyBytes) ||
      (kind == static_cast<uint8_t>(FrameKind::kSnapshotData) && length > kMaxSnapshotDataBytes)) {
    return DecodeResult::kMalformed;
  }
  if (length > kMaxFrameBodyBytes) return DecodeResult::kMalformed;
  if (kind == static_cast<uint8_t>(FrameKind::kHeartbeat) && length != kHeartbeatBodyBytes &&
      length != kHeartbeatWithEpochBodyBytes) {
    return DecodeResult::kMalformed;
  }
  if (kind == static_cast<uint8_t>(FrameKind::kAck) && length != kAckBodyBytes) {
    return DecodeResult::kMalformed;
  }
  if (buffer.size() - kFrameHeaderBytes < length) return DecodeResult::kNeedMore;
  frame->kind = static_cast<FrameKind>(kind);
  frame->body = buffer.substr(kFrameHeaderBytes, length);
  *consumed = kFrameHeaderBytes + length;
  return DecodeResult::kFrame;
}

Heartbeat DecodeHeartbeat(std::string_view body) {
  const char* p = body.data();
  Heartbeat hb{DecodeFixed64(p), DecodeFixed64(p + 8), DecodeFixed64(p + 16),
               DecodeFixed64(p + 24), std::nullopt};
  if (body.size() >= kHeartbeatWithEpochBodyBytes) hb.epoch = DecodeFixed64(p + 32);
  return hb;
}

uint64_t DecodeAck(std::string_view body) { return DecodeFixed64(body.data()); }

}  // namespace walkv::rpc::replication_frames
