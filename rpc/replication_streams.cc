#include "rpc/replication_streams.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "engine/history_digest.h"
#include "engine/log_format.h"
#include "engine/coding.h"
#include "engine/replication_feed.h"
#include "engine/replication_log.h"
#include "engine/replication_snapshot_source.h"
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
    std::string address = "[";  // built by appending: g++ 12 warns -Wrestrict on "[" + string
    address.append(host).append("]:").append(std::to_string(port));
    return address;
  }
  return "?";
}

std::string HexOf(uint64_t value) { return HistoryDigest{0, 0, value}.Hex(); }

uint64_t CountRecords(std::string_view records) {
  uint64_t n = 0;
  for (size_t at = 0; at < records.size();
       at += log::kRecordHeaderSize + DecodeFixed32(records.data() + at + 4)) {
    ++n;
  }
  return n;
}

Env* EnvOf(Engine& engine) {
  return engine.options().env != nullptr ? engine.options().env : Env::Posix();
}

// The primary's D(seq) for a seq at or below its last one, as the handshake checks it (§2): the
// newest snapshot at or below seq holds D(S) in its footer, and the records S+1 .. seq are
// hashed from the log. nullopt when it cannot be known: seq is before the primary's chain base,
// or neither an anchor snapshot of this chain nor the records after it are on disk any more.
StatusOr<std::optional<uint64_t>> PrimaryDigestAt(Engine& engine, const HistoryDigest& primary,
                                                  uint64_t seq) {
  if (seq == primary.seq) return std::optional<uint64_t>(primary.value);
  if (seq == primary.base_seq) return std::optional<uint64_t>(0);
  if (seq < primary.base_seq) return std::optional<uint64_t>();
  auto anchor = replication::NewestSnapshotDigestAtOrBelow(EnvOf(engine),
                                                           engine.options().data_dir, seq);
  HistoryDigest digest = HistoryDigest::StartingAt(primary.base_seq);
  if (anchor.ok() && anchor->base_seq == primary.base_seq && anchor->seq >= primary.base_seq) {
    digest = *anchor;
  } else if (!anchor.ok() && !anchor.status().IsNotFound()) {
    return anchor.status();
  }
  replication::LogCursor cursor(digest.seq + 1);
  std::string records;
  while (digest.seq < seq) {
    records.clear();
    Status read = engine.ReadCommittedRecordsAt(&cursor, kRecordsPerFrame, &records);
    if (read.IsNotFound()) return std::optional<uint64_t>();
    WALKV_RETURN_IF_ERROR(read);
    if (records.empty()) return std::optional<uint64_t>();  // not shippable yet
    for (size_t at = 0; at < records.size() && digest.seq < seq;) {
      const size_t size = log::kRecordHeaderSize + DecodeFixed32(records.data() + at + 4);
      digest.AdvanceRecord(std::string_view(records).substr(at, size));
      at += size;
    }
  }
  return std::optional<uint64_t>(digest.value);
}

StatusOr<std::unique_ptr<replication::SnapshotSource>> OpenSnapshotToSend(Engine& engine) {
  return replication::OpenNewestSnapshot(EnvOf(engine), engine.options().data_dir);
}

// SNAPSHOT_BEGIN, then the file in SNAPSHOT_DATA frames of at most 1 MiB.
Status SendSnapshotFrames(replication::SnapshotSource* snapshot,
                          const std::function<bool(std::string_view)>& send) {
  std::string out;
  frames::AppendSnapshotBeginFrame(&out, {snapshot->seq(), snapshot->bytes()});
  std::string chunk;
  for (;;) {
    WALKV_RETURN_IF_ERROR(snapshot->Read(frames::kMaxSnapshotDataBytes, &chunk));
    if (chunk.empty()) break;
    frames::AppendSnapshotDataFrame(&out, chunk);
    if (!send(out)) return Status::IOError("the replica went away");
    out.clear();
  }
  if (!out.empty() && !send(out)) return Status::IOError("the replica went away");
  return Status::Ok();
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
    if (raw->ack_reader.joinable()) {
      ::shutdown(raw->fd, SHUT_RDWR);  // unblocks the reader's recv
      raw->ack_reader.join();
    }
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

void ReplicationStreams::ReadAcks(Stream* stream, int fd) {
  SyncReplicaWaiter* waiter = service_.sync_waiter();
  const uint64_t waiter_id = waiter != nullptr ? waiter->AddReplica() : 0;
  std::string buffer;  // bytes of an ACK frame not complete yet
  char chunk[4096];
  while (true) {
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF, an error, or shutdown(2) by the stream's thread
    buffer.append(chunk, static_cast<size_t>(n));
    frames::Frame frame;
    size_t used = 0;
    size_t consumed = 0;
    bool bad = false;
    uint64_t newest = 0;
    while (true) {
      const std::string_view rest = std::string_view(buffer).substr(consumed);
      const frames::DecodeResult r = frames::DecodeFrame(rest, &frame, &used);
      if (r == frames::DecodeResult::kNeedMore) break;
      if (r == frames::DecodeResult::kMalformed || frame.kind != frames::FrameKind::kAck) {
        bad = true;
        break;
      }
      newest = std::max(newest, frames::DecodeAck(frame.body));
      consumed += used;
    }
    if (newest > 0) {
      if (newest > stream->acked_seq.load()) stream->acked_seq.store(newest);
      if (waiter != nullptr) waiter->ReplicaAcked(waiter_id, newest);
    }
    if (bad) {
      spdlog::warn("replication: the replica at {} sent something other than an ACK frame",
                   stream->address);
      break;
    }
    buffer.erase(0, consumed);
  }
  if (waiter != nullptr) waiter->RemoveReplica(waiter_id);
  stream->reader_ended.store(true);
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

std::optional<std::string> ReplicationStreams::StaleEpochRefusal(
    const ReplicateRequest& request) {
  const uint64_t own = engine_.replication_state().epoch;
  if (!request.epoch || *request.epoch <= own) return std::nullopt;
  std::string message = "this primary has been superseded by epoch " +
                        std::to_string(*request.epoch) + " (its own epoch is " +
                        std::to_string(own) + "); it does not feed its history to a replica "
                        "of a newer epoch";
  spdlog::error("replication: STALE_EPOCH: a replica at epoch {} asked to follow this server "
                "at epoch {}: another server has been promoted since; this server's history "
                "after the failover is not the new primary's (docs/replication.md §7)",
                *request.epoch, own);
  return message;
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
  auto send = [fd](std::string_view bytes) { return SendAll(fd, bytes); };
  if (auto stale = StaleEpochRefusal(request)) {
    refuse(ErrorCode::kStaleEpoch, *stale);
    return;
  }
  const uint64_t epoch = engine_.replication_state().epoch;

  // The digest this stream can keep over what it sends: known when the replica starts at the
  // primary's chain base or at its last seq, or where the handshake computed D(replica_seq);
  // otherwise heartbeats carry the engine's digest whenever the stream has caught up with it.
  std::optional<HistoryDigest> streamed;
  // Why the replica cannot continue from from_seq, if it cannot.
  std::optional<std::pair<ErrorCode, std::string>> cannot_continue;
  if (replica_seq > primary.seq) {
    cannot_continue.emplace(ErrorCode::kDiverged,
                            "the replica is at seq " + std::to_string(replica_seq) +
                                ", past the primary's last seq " + std::to_string(primary.seq));
  } else if (request.digest.has_value() || replica_seq == primary.base_seq ||
             replica_seq == primary.seq) {
    // Computing D(replica_seq) at an older seq reads a snapshot and records: only for a replica
    // that sent a digest to compare with.
    auto known = PrimaryDigestAt(engine_, primary, replica_seq);
    if (!known.ok()) {
      refuse(ErrorCode::kInternalError, known.status().ToString());
      return;
    }
    if (known->has_value() && request.digest.has_value() && **known != *request.digest) {
      cannot_continue.emplace(ErrorCode::kDiverged,
                              "the replica's digest at seq " + std::to_string(replica_seq) +
                                  " differs from the primary's " + HexOf(**known));
    } else if (known->has_value()) {
      streamed = HistoryDigest{primary.base_seq, replica_seq, **known};
    }
  }

  std::optional<replication::ReplicationFeed> feed;
  std::string records;
  Status status;
  if (!cannot_continue) {
    feed.emplace(&engine_, request.from_seq);
    status = feed->Next(kRecordsPerFrame, 0, &records);
    if (status.IsNotFound()) {
      cannot_continue.emplace(ErrorCode::kTooFarBehind,
                              "the records from seq " + std::to_string(request.from_seq) +
                                  " are no longer on the primary's disk: " + status.message());
      feed.reset();
      records.clear();
    } else if (!status.ok()) {
      refuse(ErrorCode::kInternalError, status.ToString());
      return;
    }
  }
  std::string out;
  bool sent_snapshot = false;
  if (cannot_continue && !request.accept_snapshot) {
    refuse(cannot_continue->first, cannot_continue->second);
    return;
  }
  if (cannot_continue) {
    // SNAPSHOT (§4): the newest snapshot, then the records after it. Without a snapshot the whole
    // log from seq 1 is on disk (nothing was ever compacted away): CONTINUE from 1.
    auto snapshot = OpenSnapshotToSend(engine_);
    if (snapshot.ok()) {
      const replication::SnapshotSource& snap = **snapshot;
      AppendResult(out, request.id_json,
                   nlohmann::json{{"mode", "SNAPSHOT"},
                                  {"snapshot_seq", snap.seq()},
                                  {"snapshot_bytes", snap.bytes()},
                                  {"from_seq", snap.seq() + 1},
                                  {"primary_seq", stats.last_seq},
                                  {"digest", snap.digest().Hex()},
                                  {"digest_seq", snap.digest().seq},
                                  {"digest_base_seq", snap.digest().base_seq},
                                  {"epoch", epoch},
                                  {"reason", cannot_continue->second}});
      service_.CountAnswered();
      spdlog::info("replication: sending snapshot at seq {} ({} bytes) to a replica at seq {}: {}",
                   snap.seq(), snap.bytes(), replica_seq, cannot_continue->second);
      if (!send(out)) return;
      out.clear();
      status = SendSnapshotFrames(snapshot->get(), send);
      if (!status.ok()) {
        spdlog::info("replication: snapshot send stopped: {}", status.ToString());
        return;
      }
      sent_snapshot = true;
      streamed = snap.digest();
      feed.emplace(&engine_, snap.seq() + 1);
    } else if (snapshot.status().IsNotFound()) {
      feed.emplace(&engine_, 1);
      streamed = HistoryDigest::StartingAt(0);
      if (primary.base_seq != 0) streamed.reset();
    } else {
      refuse(ErrorCode::kInternalError, snapshot.status().ToString());
      return;
    }
    status = feed->Next(kRecordsPerFrame, 0, &records);
    if (!status.ok()) {
      if (!sent_snapshot && status.IsNotFound()) {
        refuse(ErrorCode::kTooFarBehind, "no snapshot and no log from seq 1: " + status.message());
      } else {
        spdlog::warn("replication: stream stopped at seq {}: {}", feed->next_seq(),
                     status.ToString());
      }
      return;
    }
  }
  if (!sent_snapshot) {
    const uint64_t first_seq = feed->next_seq() - CountRecords(records);
    AppendResult(out, request.id_json,
                 nlohmann::json{{"mode", "CONTINUE"},
                                {"from_seq", first_seq},
                                {"primary_seq", stats.last_seq},
                                {"digest", primary.Hex()},
                                {"digest_seq", primary.seq},
                                {"digest_base_seq", primary.base_seq},
                                {"epoch", epoch}});
    service_.CountAnswered();
    spdlog::info("replication: streaming to a replica from seq {}", first_seq);
  }
  stream->ack_reader = std::thread([this, stream, fd] { ReadAcks(stream, fd); });
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
      const uint64_t sent_seq = feed->next_seq() - 1;
      frames::Heartbeat hb{current.last_seq, 0, 0, UnixMillis(), std::nullopt};
      if (request.epoch) hb.epoch = engine_.replication_state().epoch;  // §7
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
    if (stream->reader_ended.load()) {
      spdlog::info("replication: the replica at seq {} went away", feed->next_seq() - 1);
      return;
    }
    if (!out.empty()) {
      if (!SendAll(fd, out)) {
        spdlog::info("replication: the replica at seq {} went away", feed->next_seq() - 1);
        return;
      }
      out.clear();
      stream->sent_seq.store(feed->next_seq() - 1);
    }
    records.clear();
    status = feed->Next(kRecordsPerFrame, kHeartbeatMicros, &records);
    if (!status.ok()) {
      spdlog::warn("replication: stream stopped at seq {}: {}", feed->next_seq(),
                   status.ToString());
      return;
    }
  }
}

}  // namespace walkv::rpc
