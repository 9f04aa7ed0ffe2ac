// The binary frames of a replication stream (docs/replication.md §2), after the `replicate`
// method's one JSON answer line:
//
//   frame := u8 kind, u32 length (little endian), body[length]
//   kind 1 RECORDS    body: one or more log records byte for byte as in a segment (format.md §3.2)
//   kind 2 HEARTBEAT  body: u64 primary_last_seq, u64 digest_seq, u64 digest, u64 unix_ms
//                     (digest_seq 0: the primary does not know a digest to offer yet)
//                     [, u64 epoch] — the primary's replication epoch (§7), appended (40 bytes)
//                     only for a replica whose `replicate` carried an epoch, so a replica
//                     built before epochs still reads 32-byte heartbeats
//   kind 3 ACK        body: u64 durable_seq — the only frame a replica sends: every record up to
//                     durable_seq is in its log (synced per its --fsync) and applied
//   kind 4 SNAPSHOT_BEGIN  body: u64 snapshot_seq, u64 total_bytes (SNAPSHOT mode, §4)
//   kind 5 SNAPSHOT_DATA   body: the next bytes of the snapshot file (at most 1 MiB), until
//                          total_bytes were sent; then RECORDS from snapshot_seq + 1
//
// Encoding and incremental decoding only; no I/O. Plain functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace walkv::rpc::replication_frames {

enum class FrameKind : uint8_t {
  kRecords = 1,
  kHeartbeat = 2,
  kAck = 3,
  kSnapshotBegin = 4,
  kSnapshotData = 5,
};

inline constexpr size_t kFrameHeaderBytes = 5;
inline constexpr size_t kHeartbeatBodyBytes = 32;
inline constexpr size_t kHeartbeatWithEpochBodyBytes = 40;
inline constexpr size_t kAckBodyBytes = 8;
inline constexpr size_t kSnapshotBeginBodyBytes = 16;
inline constexpr size_t kMaxSnapshotDataBytes = 1u << 20;
// A frame body larger than this is a protocol error (the primary sends about 1 MiB of records).
inline constexpr size_t kMaxFrameBodyBytes = 64u << 20;

struct Heartbeat {
  uint64_t primary_last_seq = 0;
  uint64_t digest_seq = 0;
  uint64_t digest = 0;
  uint64_t unix_ms = 0;
  std::optional<uint64_t> epoch;  // the primary's replication epoch, when the frame carries it
};

// Appends one frame.
void AppendRecordsFrame(std::string* out, std::string_view records);
void AppendHeartbeatFrame(std::string* out, const Heartbeat& heartbeat);
void AppendAckFrame(std::string* out, uint64_t durable_seq);

struct SnapshotBegin {
  uint64_t seq = 0;
  uint64_t total_bytes = 0;
};
void AppendSnapshotBeginFrame(std::string* out, const SnapshotBegin& begin);
void AppendSnapshotDataFrame(std::string* out, std::string_view bytes);  // <= 1 MiB
// A SNAPSHOT_BEGIN frame's body (kSnapshotBeginBodyBytes long: DecodeFrame checked).
SnapshotBegin DecodeSnapshotBegin(std::string_view body);

struct Frame {
  FrameKind kind = FrameKind::kRecords;
  std::string_view body;  // points into the decoded buffer
};

enum class DecodeResult { kFrame, kNeedMore, kMalformed };

// Decodes the frame at the start of `buffer`: on kFrame fills *frame and *consumed (header +
// body). kMalformed: an unknown kind, a body over kMaxFrameBodyBytes, a heartbeat, ACK or
// SNAPSHOT_BEGIN of the wrong size or SNAPSHOT_DATA over kMaxSnapshotDataBytes.
DecodeResult DecodeFrame(std::string_view buffer, Frame* frame, size_t* consumed);

// A heartbeat frame's body (kHeartbeatBodyBytes or kHeartbeatWithEpochBodyBytes long:
// DecodeFrame checked).
Heartbeat DecodeHeartbeat(std::string_view body);
// An ACK frame's body (kAckBodyBytes long: DecodeFrame checked): the replica's durable seq.
uint64_t DecodeAck(std::string_view body);

}  // namespace walkv::rpc::replication_frames
