#include "engine/replication_state.h"

#include <algorithm>
#include <cassert>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/file_names.h"
#include "engine/str_cat.h"

namespace walkv {

std::string ReplicationStateFileName() { return "REPLICATION"; }

std::string_view ReplicationRoleName(ReplicationRole role) {
  return role == ReplicationRole::kReplica ? "replica" : "primary";
}

void EncodeReplicationState(const ReplicationState& state, std::string* dst) {
  const size_t start = dst->size();
  const std::string_view primary =
      std::string_view(state.primary).substr(0, kMaxPrimaryAddressBytes);
  dst->append(kReplicationStateMagic);
  PutFixed32(dst, kReplicationStateVersion);
  PutFixed64(dst, state.epoch);
  dst->push_back(static_cast<char>(state.role));
  dst->push_back(static_cast<char>(primary.size() & 0xff));
  dst->push_back(static_cast<char>(primary.size() >> 8));
  dst->append(primary);
  PutFixed32(dst, Crc32(std::string_view(*dst).substr(start)));
  assert(dst->size() - start == kReplicationStateFixedBytes + primary.size());
}

ReplicationStateCheck ParseReplicationState(std::string_view bytes) {
  ReplicationStateCheck check;
  check.present = true;
  auto damaged = [&](uint64_t offset, std::string why) {
    check.damage_offset = offset;
    check.problem = std::move(why);
    return check;
  };
  if (bytes.size() < kReplicationStateFixedBytes) {
    return damaged(bytes.size(), StrCat("truncated (", bytes.size(), " bytes; at least ",
                                        kReplicationStateFixedBytes, " expected)"));
  }
  if (bytes.substr(0, kReplicationStateMagic.size()) != kReplicationStateMagic) {
    return damaged(0, "bad magic");
  }
  const uint32_t version = DecodeFixed32(bytes.data() + 8);
  if (version != kReplicationStateVersion) {
    return damaged(8, StrCat("unsupported REPLICATION format version ", version,
                             " (this build reads ", kReplicationStateVersion, ")"));
  }
  const size_t primary_len = static_cast<uint8_t>(bytes[21]) |
                             (static_cast<size_t>(static_cast<uint8_t>(bytes[22])) << 8);
  const size_t total = kReplicationStateFixedBytes + primary_len;
  if (primary_len > kMaxPrimaryAddressBytes) {
    return damaged(21, StrCat("primary address length ", primary_len, " exceeds ",
                              kMaxPrimaryAddressBytes));
  }
  if (bytes.size() < total) {
    return damaged(bytes.size(), StrCat("truncated (", bytes.size(), " of ", total, " bytes)"));
  }
  if (Crc32(bytes.substr(0, total - 4)) != DecodeFixed32(bytes.data() + total - 4)) {
    return damaged(0, "checksum mismatch");
  }
  if (bytes.size() > total) {
    return damaged(total, StrCat(bytes.size() - total, " unexpected bytes after the ", total,
                                 "-byte content"));
  }
  const uint8_t role = static_cast<uint8_t>(bytes[20]);
  if (role > static_cast<uint8_t>(ReplicationRole::kReplica)) {
    return damaged(20, StrCat("unknown role ", role));
  }
  ReplicationState state;
  state.epoch = DecodeFixed64(bytes.data() + 12);
  state.role = static_cast<ReplicationRole>(role);
  state.primary = std::string(bytes.substr(23, primary_len));
  check.state = std::move(state);
  return check;
}

StatusOr<ReplicationStateCheck> ReadReplicationState(Env* env, const std::string& dir) {
  std::string bytes;
  Status s = ReadFileToString(env, JoinPath(dir, ReplicationStateFileName()), &bytes);
  if (s.IsNotFound()) return ReplicationStateCheck{};
  if (!s.ok()) return s;
  return ParseReplicationState(bytes);
}

StatusOr<ReplicationState> LoadReplicationState(Env* env, const std::string& dir) {
  auto check = ReadReplicationState(env, dir);
  if (!check.ok()) return check.status();
  if (!check->present) return ReplicationState{};
  if (!check->state) {
    return Status::Corruption(StrCat(
        JoinPath(dir, ReplicationStateFileName()), " is damaged at byte ", check->damage_offset,
        ": ", check->problem, ". It holds this server's replication epoch (docs/replication.md "
        "§7), which keeps an old primary from feeding it stale history, so the server does not "
        "start without it: restore the file, or remove it knowing that the directory then "
        "starts at epoch 0"));
  }
  return *check->state;
}

Status WriteReplicationState(Env* env, const std::string& dir, const ReplicationState& state) {
  std::string bytes;
  EncodeReplicationState(state, &bytes);
  return WriteFileAtomically(env, dir, ReplicationStateFileName(), bytes);
}

std::string DescribeReplicationState(const ReplicationState& state) {
  if (state.role == ReplicationRole::kReplica) {
    return StrCat("epoch ", state.epoch, ", replica of ", state.primary);
  }
  return StrCat("epoch ", state.epoch, ", primary");
}

}  // namespace walkv
