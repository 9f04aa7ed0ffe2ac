#include "rpc/replica_follower.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "engine/history_digest.h"

namespace walkv::rpc {

namespace {

namespace frames = replication_frames;
using Clock = ReplicationClient::Clock;

constexpr auto kConnectTimeout = std::chrono::seconds(2);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);  // the primary reads disk first
constexpr auto kAckTimeout = std::chrono::seconds(5);

uint64_t JsonUint(const nlohmann::json& object, const char* field) {
  const auto it = object.find(field);
  return it != object.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

}  // namespace

std::string_view ReplicaLinkName(ReplicaLink link) {
  switch (link) {
    case ReplicaLink::kConnecting:
      return "connecting";
    case ReplicaLink::kUp:
      return "up";
    case ReplicaLink::kDiverged:
      return "diverged";
    case ReplicaLink::kStalePrimary:
      return "stale_primary";
  }
  return "connecting";
}

ReplicaFollower::ReplicaFollower(Engine& engine, std::string host, uint16_t port)
    : engine_(engine),
      host_(std::move(host)),
      port_(port),
      primary_(host_ + ":" + std::to_string(port_)),
      replaceable_(dynamic_cast<ReplaceableEngine*>(&engine)) {
  status_.primary = primary_;
}

ReplicaFollower::~ReplicaFollower() { Stop(); }

void ReplicaFollower::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ReplicaFollower::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    if (client_ != nullptr) client_->Abort();
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

ReplicaStatus ReplicaFollower::status() const {
  MutexLock lock(&mu_);
  return status_;
}

bool ReplicaFollower::Stopping() {
  MutexLock lock(&mu_);
  return stop_;
}

void ReplicaFollower::SetLink(ReplicaLink link) {
  MutexLock lock(&mu_);
  status_.link = link;
}

void ReplicaFollower::SleepUnlessStopped(uint64_t millis) {
  const auto until = Clock::now() + std::chrono::milliseconds(millis);
  MutexLock lock(&mu_);
  while (!stop_) {
    const auto now = Clock::now();
    if (now >= until) return;
    cv_.WaitFor(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(until - now).count() + 1));
  }
}

void ReplicaFollower::Loop() {
  spdlog::info("replica: following {} from seq {}", primary_, engine_.Stats().last_seq + 1);
  uint64_t backoff = kFirstBackoffMillis;
  while (!Stopping()) {
    const uint64_t connects_before = status().connects;
    Status ended = FollowOnce();
    if (Stopping()) break;
    {
      MutexLock lock(&mu_);
      status_.last_error = ended.ToString();
      status_.link = diverged_        ? ReplicaLink::kDiverged
                     : stale_primary_ ? ReplicaLink::kStalePrimary
                                      : ReplicaLink::kConnecting;
      if (status_.connects != connects_before) backoff = kFirstBackoffMillis;  // it was up
    }
    // Jittered: between half the backoff and all of it.
    const uint64_t wait = backoff / 2 + jitter_() % (backoff / 2 + 1);
    if (!diverged_ && !stale_primary_) {
      spdlog::warn("replica: link to {} down ({}); reconnecting in {} ms", primary_,
                   ended.ToString(), wait);
    }
    SleepUnlessStopped(wait);
    backoff = std::min(backoff * 2, kMaxBackoffMillis);
  }
  SetLink(ReplicaLink::kConnecting);
}

Status ReplicaFollower::FollowOnce() {
  auto connected = ReplicationClient::Connect(host_, port_, Clock::now() + kConnectTimeout);
  if (!connected.ok()) return connected.status();
  std::unique_ptr<ReplicationClient> client = std::move(connected).value();
  {
    MutexLock lock(&mu_);
    if (stop_) return Status::ShuttingDown("stopping");
    client_ = client.get();
  }
  // Stop() may abort the client until client_ is cleared again, below.
  struct Unregister {
    ReplicaFollower* self;
    ~Unregister() {
      MutexLock lock(&self->mu_);
      self->client_ = nullptr;
    }
  } unregister{this};

  if (reopen_needed_) {
    Status reopened = replaceable_->Reopen();
    if (!reopened.ok()) return reopened;
    reopen_needed_ = false;
  }
  HistoryDigest applied = engine_.Stats().digest;
  const bool was_stale = stale_primary_;
  stale_primary_ = false;
  // After divergence, subscribe as a replica that holds nothing (D(0) = 0): the primary answers
  // with its snapshot or with CONTINUE from seq 1, and the install drops this history.
  const bool from_scratch = resync_ && replaceable_ != nullptr;
  auto answer = client->Subscribe(from_scratch ? 1 : applied.seq + 1,
                                  from_scratch ? 0 : applied.value,
                                  Clock::now() + kHandshakeTimeout, replaceable_ != nullptr,
                                  engine_.replication_state().epoch);
  if (!answer.ok()) return answer.status();
  if (answer->contains("error")) {
    const nlohmann::json& error = (*answer)["error"];
    const std::string code = error.value("code", "");
    const std::string message = code + ": " + error.value("message", "");
    if (code == "DIVERGED") {
      if (!diverged_) {
        spdlog::error(
            "replica: DIVERGED: the primary {} says this replica's history differs from its "
            "own ({}); {}",
            primary_, message,
            replaceable_ != nullptr
                ? "subscribing again from scratch, to be repaired by the primary's snapshot"
                : "applying nothing more (restore this data directory from the primary)");
      }
      diverged_ = true;
      resync_ = replaceable_ != nullptr;  // an older primary without the SNAPSHOT fallback
    }
    if (code == "STALE_EPOCH") {
      stale_primary_ = was_stale;  // logged once per run of refusals
      NoteStalePrimary(message);
    }
    return Status::InvalidArgument(message);
  }
  const nlohmann::json result = answer->value("result", nlohmann::json::object());
  const std::string mode = result.value("mode", "");
  // A superseded primary feeds nothing, not even a snapshot (§7).
  stale_primary_ = was_stale;
  WALKV_RETURN_IF_ERROR(CheckPrimaryEpoch(JsonUint(result, "epoch")));
  if (mode == "SNAPSHOT" && replaceable_ != nullptr) {
    Status installed = InstallSnapshotFromStream(*client, result);
    if (!installed.ok()) return installed;
    applied = engine_.Stats().digest;
  } else if (mode != "CONTINUE") {
    return Status::NotSupported("the primary answered mode " + mode);
  } else if (replaceable_ != nullptr && JsonUint(result, "from_seq") == 1 && applied.seq > 0) {
    // The primary has no snapshot and streams its whole log: this replica's records go first.
    Status dropped = InstallEmptyState();
    if (!dropped.ok()) return dropped;
    applied = engine_.Stats().digest;
  } else if (from_scratch && applied.seq == 0) {
    diverged_ = false;  // nothing to drop: an empty replica follows from seq 1
    resync_ = false;
  }
  if (diverged_) {
    // Nothing can show a diverged history to be the primary's again; only report the link.
    return Status::InvalidArgument("this replica diverged from the primary; not applying");
  }
  {
    MutexLock lock(&mu_);
    ++status_.connects;
    status_.link = ReplicaLink::kUp;
    status_.primary_last_seq = JsonUint(result, "primary_seq");
  }
  spdlog::info("replica: streaming from {} at seq {} (the primary is at seq {})", primary_,
               applied.seq + 1, JsonUint(result, "primary_seq"));
  return Follow(*client, applied);
}

Status ReplicaFollower::AckSynced(ReplicationClient& client, uint64_t applied_seq,
                                  uint64_t* last_ack) {
  // The primary counts ACKs for --sync-replicas as "durable here": only synced seqs are ACKed.
  // With --fsync always that is every applied seq; with interval the last synced one; with never
  // what a segment roll, a snapshot cut or Close synced (docs/replication.md §6).
  const uint64_t synced = std::min(applied_seq, engine_.LastShippableSeq());
  if (synced <= *last_ack) return Status::Ok();
  *last_ack = synced;
  return client.SendAck(synced, Clock::now() + kAckTimeout);
}

Status ReplicaFollower::Follow(ReplicationClient& client, HistoryDigest applied) {
  uint64_t last_ack = 0;  // the newest seq ACKed on this connection
  while (true) {
    auto frame = client.NextFrame(Clock::now() + std::chrono::milliseconds(kLinkTimeoutMillis));
    if (!frame.ok()) return frame.status();
    switch (frame->kind) {
      case frames::FrameKind::kRecords: {
        Status appended = engine_.AppendReplicatedRecords(frame->body);
        if (!appended.ok()) {
          spdlog::error("replica: the primary's records after seq {} were refused: {}",
                        applied.seq, appended.ToString());
          return appended;
        }
        applied.AdvanceRecords(frame->body);
        Status acked = AckSynced(client, applied.seq, &last_ack);
        if (!acked.ok()) return acked;
        break;
      }
      case frames::FrameKind::kHeartbeat: {
        const frames::Heartbeat hb = frames::DecodeHeartbeat(frame->body);
        if (hb.epoch) WALKV_RETURN_IF_ERROR(CheckPrimaryEpoch(*hb.epoch));
        {
          MutexLock lock(&mu_);
          status_.primary_last_seq = hb.primary_last_seq;
          status_.heartbeat_unix_ms = hb.unix_ms;
          if (hb.primary_last_seq <= applied.seq) status_.caught_up_unix_ms = hb.unix_ms;
        }
        // With --fsync interval the synced seq moves after the records came: ACK it now.
        Status acked = AckSynced(client, applied.seq, &last_ack);
        if (!acked.ok()) return acked;
        if (hb.digest_seq != 0 && hb.digest_seq == applied.seq && hb.digest != applied.value) {
          diverged_ = true;
          char theirs[17];
          std::snprintf(theirs, sizeof(theirs), "%016llx",
                        static_cast<unsigned long long>(hb.digest));
          resync_ = replaceable_ != nullptr;
          spdlog::error(
              "replica: DIVERGED at seq {}: this replica's history digest {} differs from the "
              "primary {}'s {}; {}",
              applied.seq, applied.Hex(), primary_, theirs,
              resync_ ? "reconnecting to replace this history with the primary's snapshot (the "
                        "replica's files are kept as *.dropped)"
                      : "applying nothing more (restore this data directory from the primary)");
          return Status::Corruption("history digest differs from the primary's at seq " +
                                    std::to_string(applied.seq));
        }
        break;
      }
      case frames::FrameKind::kAck:
        return Status::Corruption("the primary sent an ACK frame");
      case frames::FrameKind::kSnapshotBegin:
      case frames::FrameKind::kSnapshotData:
        // Snapshot frames come only right after a SNAPSHOT answer (InstallSnapshotFromStream).
        return Status::Corruption("the primary sent snapshot frames in the middle of its records");
    }
  }
}

Status ReplicaFollower::CheckPrimaryEpoch(uint64_t primary_epoch) {
  const uint64_t own = engine_.replication_state().epoch;
  if (primary_epoch < own) {
    NoteStalePrimary("the primary is at replication epoch " + std::to_string(primary_epoch) +
                     ", older than this replica's " + std::to_string(own));
    return Status::InvalidArgument("stale primary: epoch " + std::to_string(primary_epoch) +
                                   " < " + std::to_string(own));
  }
  stale_primary_ = false;
  {
    MutexLock lock(&mu_);
    status_.primary_epoch = primary_epoch;
  }
  Status recorded = engine_.ObservePrimary(primary_, primary_epoch);
  if (!recorded.ok()) {
    spdlog::error("replica: could not record the primary's epoch {}: {}", primary_epoch,
                  recorded.ToString());
  }
  return recorded;
}

void ReplicaFollower::NoteStalePrimary(const std::string& message) {
  if (!stale_primary_) {
    spdlog::error(
        "replica: stale primary {}: {}; it was replaced by a promoted server, so this replica "
        "applies nothing from it (point --replica-of at the current primary)",
        primary_, message);
  }
  stale_primary_ = true;
}

}  // namespace walkv::rpc
