// ReplicaFollower's SNAPSHOT fallback (docs/replication.md §4): receiving the primary's snapshot
// into the data directory, committing its install (engine/snapshot_install.h) and reopening the
// engine (engine/replaceable_engine.h), whose recovery finishes the install.
#include <spdlog/spdlog.h>

#include <chrono>

#include "engine/file_names.h"
#include "engine/history_digest.h"
#include "engine/snapshot_install.h"
#include "rpc/replica_follower.h"

namespace walkv::rpc {

namespace {

namespace frames = replication_frames;
using Clock = ReplicationClient::Clock;

constexpr auto kAckTimeout = std::chrono::seconds(5);

uint64_t JsonUint(const nlohmann::json& object, const char* field) {
  const auto it = object.find(field);
  return it != object.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

}  // namespace

Env* ReplicaFollower::DataEnv() const {
  Env* env = engine_.options().env;
  return env != nullptr ? env : Env::Posix();
}

Status ReplicaFollower::InstallSnapshotFromStream(ReplicationClient& client,
                                                  const nlohmann::json& answer) {
  const uint64_t seq = JsonUint(answer, "snapshot_seq");
  const uint64_t bytes = JsonUint(answer, "snapshot_bytes");
  HistoryDigest expected{JsonUint(answer, "digest_base_seq"), seq, 0};
  if (seq == 0 || JsonUint(answer, "digest_seq") != seq ||
      !ParseDigestHex(answer.value("digest", ""), &expected.value)) {
    return Status::Corruption("the primary's SNAPSHOT answer lacks its seq or digest: " +
                              answer.dump());
  }
  spdlog::warn("replica: the primary {} sends its snapshot at seq {} ({} bytes): {}", primary_,
               seq, bytes, answer.value("reason", ""));
  Status received = ReceiveSnapshot(client, seq, bytes);
  if (!received.ok()) {
    DataEnv()
        ->RemoveFile(JoinPath(engine_.options().data_dir, install::ReceivedSnapshotFileName(seq)))
        .IgnoreError();
    return received;
  }
  WALKV_RETURN_IF_ERROR(CommitAndReopen(seq, expected));
  const HistoryDigest now = engine_.Stats().digest;
  if (now.seq != seq || now.value != expected.value) {
    return Status::Corruption("after installing the snapshot at seq " + std::to_string(seq) +
                              " the engine is at seq " + std::to_string(now.seq) + " digest " +
                              now.Hex() + ", not the primary's " + expected.Hex());
  }
  return client.SendAck(seq, Clock::now() + kAckTimeout);
}

Status ReplicaFollower::ReceiveSnapshot(ReplicationClient& client, uint64_t seq,
                                        uint64_t bytes) {
  const auto frame_deadline = [] {
    return Clock::now() + std::chrono::milliseconds(kLinkTimeoutMillis);
  };
  auto begin = client.NextFrame(frame_deadline());
  if (!begin.ok()) return begin.status();
  if (begin->kind != frames::FrameKind::kSnapshotBegin) {
    return Status::Corruption("the primary's SNAPSHOT answer was not followed by SNAPSHOT_BEGIN");
  }
  const frames::SnapshotBegin announced = frames::DecodeSnapshotBegin(begin->body);
  if (announced.seq != seq || announced.total_bytes != bytes) {
    return Status::Corruption("SNAPSHOT_BEGIN names seq " + std::to_string(announced.seq) +
                              " and " + std::to_string(announced.total_bytes) +
                              " bytes, not the answer's");
  }
  Env* env = DataEnv();
  auto file = env->NewWritableFile(
      JoinPath(engine_.options().data_dir, install::ReceivedSnapshotFileName(seq)));
  if (!file.ok()) return file.status();
  uint64_t got = 0;
  while (got < bytes) {
    auto data = client.NextFrame(frame_deadline());
    if (!data.ok()) return data.status();
    if (data->kind != frames::FrameKind::kSnapshotData || got + data->body.size() > bytes) {
      return Status::Corruption("the snapshot's frames do not add up to SNAPSHOT_BEGIN's " +
                                std::to_string(bytes) + " bytes");
    }
    WALKV_RETURN_IF_ERROR((*file)->Append(data->body));
    got += data->body.size();
  }
  WALKV_RETURN_IF_ERROR((*file)->Sync());
  return (*file)->Close();
}

Status ReplicaFollower::InstallEmptyState() {
  spdlog::warn(
      "replica: the primary {} has no snapshot and streams its log from seq 1, but this replica "
      "holds records up to seq {} that are not the primary's: moving them aside (*.dropped)",
      primary_, engine_.Stats().last_seq);
  return CommitAndReopen(0, std::nullopt);
}

Status ReplicaFollower::CommitAndReopen(uint64_t seq, std::optional<HistoryDigest> expected) {
  // The commit point: from here the directory is the installed state, whatever happens next.
  WALKV_RETURN_IF_ERROR(
      install::CommitInstall(DataEnv(), engine_.options().data_dir, seq, expected));
  Status reopened = replaceable_->Reopen();
  if (!reopened.ok()) {
    reopen_needed_ = true;  // the next connection attempt opens the engine again first
    spdlog::error("replica: reopening the data directory after the install failed: {}",
                  reopened.ToString());
    return reopened;
  }
  diverged_ = false;
  resync_ = false;
  {
    MutexLock lock(&mu_);
    ++status_.snapshots_installed;
    status_.last_install_seq = seq;
    status_.link = ReplicaLink::kConnecting;
  }
  spdlog::warn("replica: installed the primary's state at seq {}; following from seq {}", seq,
               seq + 1);
  return Status::Ok();
}

}  // namespace walkv::rpc
