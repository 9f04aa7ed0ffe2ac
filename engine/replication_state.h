// REPLICATION: the small file that holds a data directory's replication epoch and the role it
// last had (docs/replication.md §7, docs/format.md §11).
//
// The epoch numbers the successive primaries of one replicated history: a fresh directory is at
// epoch 0 (no file needed); `walkv cli promote` sets it to max(own, seen) + 1 on the replica it
// turns into a primary; a replica records every higher epoch it hears from its primary. A
// primary refuses to feed a replica with a higher epoch (STALE_EPOCH) and a replica refuses to
// follow a primary with a lower one, so an old primary that comes back cannot hand its stale
// history to anyone who has seen the failover.
//
// Layout (little endian), written only with WriteFileAtomically (temp file, sync, rename,
// directory sync), so after any crash it holds either the old or the new content, never a mix:
//
//     magic        8 bytes  "WALKVREP"
//     version      u32      kReplicationStateVersion
//     epoch        u64
//     role         u8       0 primary, 1 replica
//     primary_len  u16      <= kMaxPrimaryAddressBytes
//     primary      primary_len bytes: HOST:PORT followed (role replica); empty for a primary
//     crc          u32      crc32 (zlib) of every preceding byte
//
// Plain functions; no state. Thread safety: the caller serialises writers of one directory (the
// engine does, under its replication-state lock).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/env.h"
#include "engine/status.h"

namespace walkv {

inline constexpr std::string_view kReplicationStateMagic = "WALKVREP";
inline constexpr uint32_t kReplicationStateVersion = 1;
inline constexpr size_t kMaxPrimaryAddressBytes = 1024;
// magic, version, epoch, role, primary_len, crc: the size with an empty address.
inline constexpr size_t kReplicationStateFixedBytes = 8 + 4 + 8 + 1 + 2 + 4;

std::string ReplicationStateFileName();  // "REPLICATION"

enum class ReplicationRole : uint8_t { kPrimary = 0, kReplica = 1 };
std::string_view ReplicationRoleName(ReplicationRole role);  // "primary", "replica"

struct ReplicationState {
  uint64_t epoch = 0;
  ReplicationRole role = ReplicationRole::kPrimary;
  std::string primary;  // HOST:PORT it followed (role replica)
  bool operator==(const ReplicationState&) const = default;
};

// Appends the file's bytes for `state` to *dst (the address is cut at kMaxPrimaryAddressBytes).
void EncodeReplicationState(const ReplicationState& state, std::string* dst);

// What reading REPLICATION found.
struct ReplicationStateCheck {
  bool present = false;                   // the file exists
  std::optional<ReplicationState> state;  // when the file is intact
  uint64_t damage_offset = 0;             // when present && !state: where the damage is
  std::string problem;                    // when present && !state: what is wrong
};

// Parses the file's bytes (never fails; findings go into the result, with present = true).
ReplicationStateCheck ParseReplicationState(std::string_view bytes);

// Reads dir/REPLICATION. Fails only if the file exists but cannot be read.
StatusOr<ReplicationStateCheck> ReadReplicationState(Env* env, const std::string& dir);

// The state a server starts with: the file's, or epoch 0 / primary when there is none.
// kCorruption, naming the file, the byte offset and the problem, when the file is damaged.
StatusOr<ReplicationState> LoadReplicationState(Env* env, const std::string& dir);

// Replaces dir/REPLICATION. When it returns OK the new content is durable.
Status WriteReplicationState(Env* env, const std::string& dir, const ReplicationState& state);

// "epoch 3, primary" / "epoch 2, replica of 10.0.0.1:7379": for logs and `walkv verify`.
std::string DescribeReplicationState(const ReplicationState& state);

}  // namespace walkv
