// ReplicationClient: the replica's end of a replication stream (docs/replication.md §2), over a
// blocking TCP socket: connects to the primary's JSON port, sends `replicate`, returns the
// handshake answer, then decodes frames (rpc/replication_frames.h). Also what tests use to
// watch a stream byte for byte.
//
// Every read takes a deadline. Not thread-safe: one thread uses it, except Abort(), which any
// thread may call to make a blocked read return (the socket is shut down).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/status.h"
#include "rpc/replication_frames.h"

namespace walkv::rpc {

class ReplicationClient {
 public:
  using Clock = std::chrono::steady_clock;

  // Connects to host:port (a name or numeric address); kIOError on failure.
  static StatusOr<std::unique_ptr<ReplicationClient>> Connect(const std::string& host,
                                                              uint16_t port,
                                                              Clock::time_point deadline);
  ~ReplicationClient();
  ReplicationClient(const ReplicationClient&) = delete;
  ReplicationClient& operator=(const ReplicationClient&) = delete;

  // Sends `replicate` and returns the whole answer object ({"id","result"} or {"id","error"}).
  // accept_snapshot (sent only when true; needs a digest): the primary may answer SNAPSHOT
  // (docs/replication.md §4): SNAPSHOT_BEGIN and SNAPSHOT_DATA frames come first.
  // epoch (docs/replication.md §7; sent only with a digest): the replica's replication epoch; a
  // primary at a lower one answers STALE_EPOCH, and heartbeats then carry the primary's epoch.
  StatusOr<nlohmann::json> Subscribe(uint64_t from_seq, std::optional<uint64_t> digest,
                                     Clock::time_point deadline, bool accept_snapshot = false,
                                     std::optional<uint64_t> epoch = std::nullopt);

  // The next frame; its body stays valid until the next call. kIOError at EOF, on a socket error
  // or at the deadline (message "timed out"); kCorruption for a malformed frame.
  StatusOr<replication_frames::Frame> NextFrame(Clock::time_point deadline);

  // Sends an ACK frame (docs/replication.md §2): every record up to durable_seq is durable and
  // applied here. kIOError if the socket fails or does not take it by the deadline.
  Status SendAck(uint64_t durable_seq, Clock::time_point deadline);

  void Abort();

 private:
  explicit ReplicationClient(int fd) : fd_(fd) {}
  Status Fill(Clock::time_point deadline);  // reads more into buffer_
  Status SendAll(std::string_view bytes, Clock::time_point deadline);

  int fd_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ returned as frames already
};

}  // namespace walkv::rpc
