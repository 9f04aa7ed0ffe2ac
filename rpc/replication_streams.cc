#include "rpc/replication_streams.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "engine/history_digest.h"
#include "engine/replication_feed.h"
#include "rpc/replication_frames.h"
#include "rpc/response.h"
#include "rpc/service.h"

namespace walkv::rpc {

namespace {

namespace frames = replication_frames;

constexpr size_t kRecordsPerFrame = 1u << 20;
constexpr uint64_t kHeartbeatMicros = 500 * 1000;
constexpr int kSendTimeoutSeconds = 10;

uint64_t UnixMillis() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Blocking send of every byte; false once the peer is gone, the send timed out or the stream is
// being stopped (shutdown(2) by the owner).
bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The socket came from a non-blocking asio socket: the stream uses plain blocking sends, bounded
// by SO_SNDTIMEO.
void MakeBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval timeout{};
  timeout.tv_sec = kSendTimeoutSeconds;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

// "host:port" of the connected peer, or "?".
std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "?";
}

}  // namespace

ReplicationStreams::ReplicationStreams(Engine& engine, Service& service)
    : engine_(engine), service_(service) {}

ReplicationStreams::~ReplicationStreams() {
  std::list<std::unique_ptr<Stream>> streams;
  {
    MutexLock lock(&mu_);
    stopping_.store(true);
    // Unblocks a send in progress; a stream that already ended closed its descriptor (fd -1).
    for (auto& s : streams_) {
      if (s->fd >= 0) ::shutdown(s->fd, SHUT_RDWR);
    }
    streams.swap(streams_);
  }
  for (auto& s : streams) s->thread.join();
}

void ReplicationStreams::Start(int fd, ReplicateRequest request) {
  MutexLock lock(&mu_);
  ReapDone();
  if (stopping_.load()) {
    ::close(fd);
    return;
  }
  auto stream = std::make_unique<Stream>();
  stream->fd = fd;
  stream->address = PeerAddress(fd);
  stream->acked_seq.store(request.from_seq - 1);
  stream->sent_seq.store(request.from_seq - 1);
  Stream* raw = stream.get();
  streams_.push_back(std::move(stream));
  raw->thread = std::thread([this, raw, request = std::move(request)]() mutable {
    Run(raw, std::move(request));
    MutexLock closing(&mu_);
    ::close(raw->fd);  // the replica sees EOF after whatever was sent
    raw->fd = -1;
    raw->done.store(true);
  });
}

size_t ReplicationStreams::active() const {
  MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& s : streams_) n += s->done.load() ? 0 : 1;
  return n;
}

std::vector<ReplicationStreams::ReplicaInfo> ReplicationStreams::replicas() const {
  MutexLock lock(&mu_);
  std::vector<ReplicaInfo> out;
  for (const auto& s : streams_) {
    if (s->done.load()) continue;
    out.push_back({s->address, s->acked_seq.load(), s->sent_seq.load()});
  }
  return out;
}

bool ReplicationStreams::DrainAcks(Stream* stream, int fd) {
  char chunk[4096];
  while (true) {
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    if (n == 0) return false;  // the replica closed its end
    stream->ack_buffer.append(chunk, static_cast<size_t>(n));
    frames::Frame frame;
    size_t used = 0;
    size_t consumed = 0;
    while (true) {
      const std::string_view rest = std::string_view(stream->ack_buffer).substr(consumed);
      const frames::DecodeResult r = frames::DecodeFrame(rest, &frame, &used);
      if (r == frames::DecodeResult::kNeedMore) break;
      if (r == frames::DecodeResult::kMalformed || frame.kind != frames::FrameKind::kAck) {
        return false;
      }
      stream->acked_seq.store(frames::DecodeAck(frame.body));
      consumed += used;
    }
    stream->ack_buffer.erase(0, consumed);
  }
}

void ReplicationStreams::ReapDone() {
  for (auto it = streams_.begin(); it != streams_.end();) {
    if ((*it)->done.load()) {
      (*it)->thread.join();  // it set done under mu_, which we hold: it is only returning
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

void ReplicationStreams::Run(Stream* stream, ReplicateRequest request) {
  const int fd = stream->fd;
  MakeBlocking(fd);
  const uint64_t replica_seq = request.from_seq - 1;  // the replica's last record
  const EngineStats stats = engine_.Stats();
  const HistoryDigest primary = stats.digest;
  auto refuse = [&](ErrorCode code, const std::string& message) {
    SendAll(fd, service_.Reject(request.id_json, code, message));
    spdlog::warn("replication: refused a replica at seq {}: {}", replica_seq, message);
  };
  if (replica_seq > primary.seq) {
    refuse(ErrorCode::kDiverged, "the replica is at seq " + std::to_string(replica_seq) +
                                     ", past the primary's last seq " +
                                     std::to_string(primary.seq));
    return;
  }
  if (request.digest.has_value() && replica_seq == primary.seq &&
      *request.digest != primary.value) {
    refuse(ErrorCode::kDiverged,
           "the replica's digest at seq " + std::to_string(replica_seq) +
               " differs from the primary's " + primary.Hex());
    return;
  }
  // The digest this stream can keep over what it sends: known when the replica starts at the
  // primary's chain base or at its last seq; otherwise heartbeats carry the engine's digest
  // whenever the stream has caught up with it.
  std::optional<HistoryDigest> streamed;
  if (replica_seq == primary.base_seq) {
    streamed = HistoryDigest::StartingAt(primary.base_seq);
  } else if (replica_seq == primary.seq) {
    streamed = primary;
  }

  replication::ReplicationFeed feed(&engine_, request.from_seq);
  std::string records;
  Status status = feed.Next(kRecordsPerFrame, 0, &records);
  if (status.IsNotFound()) {
    refuse(ErrorCode::kTooFarBehind, "the records from seq " + std::to_string(request.from_seq) +
                                         " are no longer on the primary's disk: " +
                                         status.message());
    return;
  }
  if (!status.ok()) {
    refuse(ErrorCode::kInternalError, status.ToString());
    return;
  }
  std::string out;
  AppendResult(out, request.id_json,
               nlohmann::json{{"mode", "CONTINUE"},
                              {"primary_seq", stats.last_seq},
                              {"digest", primary.Hex()},
                              {"digest_seq", primary.seq},
                              {"digest_base_seq", primary.base_seq}});
  service_.CountAnswered();
  spdlog::info("replication: streaming to a replica from seq {}", request.from_seq);

  auto last_heartbeat = std::chrono::steady_clock::now();
  while (!stopping_.load()) {
    const bool idle = records.empty();
    if (!idle) {
      frames::AppendRecordsFrame(&out, records);
      if (streamed) streamed->AdvanceRecords(records);
    }
    const bool drained = records.size() < kRecordsPerFrame / 2;
    const auto now = std::chrono::steady_clock::now();
    if (drained || now - last_heartbeat >= std::chrono::microseconds(kHeartbeatMicros)) {
      const EngineStats current = engine_.Stats();
      const uint64_t sent_seq = feed.next_seq() - 1;
      frames::Heartbeat hb{current.last_seq, 0, 0, UnixMillis()};
      if (current.digest.seq == sent_seq) {
        hb.digest_seq = current.digest.seq;
        hb.digest = current.digest.value;
      } else if (streamed) {
        hb.digest_seq = streamed->seq;
        hb.digest = streamed->value;
      }
      frames::AppendHeartbeatFrame(&out, hb);
      last_heartbeat = now;
    }
    if (!DrainAcks(stream, fd)) {
      spdlog::info("replication: the replica at seq {} went away", feed.next_seq() - 1);
      return;
    }
    if (!out.empty()) {
      if (!SendAll(fd, out)) {
        spdlog::info("replication: the replica at seq {} went away", feed.next_seq() - 1);
        return;
      }
      out.clear();
      stream->sent_seq.store(feed.next_seq() - 1);
    }
    records.clear();
    status = feed.Next(kRecordsPerFrame, kHeartbeatMicros, &records);
    if (!status.ok()) {
      spdlog::warn("replication: stream stopped at seq {}: {}", feed.next_seq(),
                   status.ToString());
      return;
    }
  }
}

}  // namespace walkv::rpc
