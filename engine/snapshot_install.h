// Snapshot install: how a replica replaces its whole history with a snapshot received from its
// primary (docs/replication.md §4), crash-safely, with one commit point that recovery honours.
//
// The directory goes from "the old state" to "snap-S plus the records from S+1" in three steps:
//   1. Receive: the snapshot's bytes go to snap-<S>.snap.install.tmp (ReceivedSnapshotFileName),
//      synced. Like every *.tmp file it is not part of the state: recovery removes it.
//   2. Commit (CommitInstall): the received file is verified with the snapshot reader (its seq is
//      S, every checksum holds, its footer's history digest is the one the primary announced),
//      then the INSTALL file naming S is written atomically (tmp, sync, rename, directory sync).
//      That rename is the commit point: before it the directory opens as the old state, after it
//      as the new one.
//   3. Finish (FinishPendingInstall, idempotent): the received file becomes snap-<S>.snap, every
//      other log segment and snapshot is moved aside as <name>.dropped (never deleted: a diverged
//      replica may hold the only copy of something), an empty segment wal-<S+1>.log is created,
//      LOGHEAD names it, and INSTALL is removed last. Recovery (engine/recovery.h: Recover) runs
//      it before anything else whenever it finds INSTALL, so a crash anywhere in step 3 is
//      finished by the next start; `walkv verify` (PlanRecovery) reports the state serve would
//      start with after finishing it, without changing anything.
// S = 0 installs the empty state (no snapshot): the primary's CONTINUE from seq 1 to a replica
// whose history must go.
//
// The INSTALL file (24 bytes, little endian, like LOGHEAD):
//     magic  8 bytes "WALKVINS" | version u32 (1) | snapshot_seq u64 | crc u32 (crc32 of bytes 0..19)
//
// Every function here works on a directory no engine has open: the caller holds its lock (the
// engine's Open does, for recovery) or has closed the engine and nothing else writes to it.
// Plain functions; thread-safe as far as the Env is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/env.h"
#include "engine/history_digest.h"
#include "engine/status.h"

namespace walkv::install {

inline constexpr std::string_view kInstallMagic = "WALKVINS";
inline constexpr uint32_t kInstallFormatVersion = 1;
inline constexpr size_t kInstallFileSize = 24;

std::string InstallFileName();                       // "INSTALL"
std::string ReceivedSnapshotFileName(uint64_t seq);  // "snap-<20 digits>.snap.install.tmp"

void EncodeInstall(uint64_t snapshot_seq, std::string* dst);

// What reading INSTALL found.
struct InstallCheck {
  bool present = false;                 // the file exists
  std::optional<uint64_t> snapshot_seq;  // the seq it names, when intact
  std::string problem;                  // when present && !snapshot_seq: what is wrong
};
InstallCheck ParseInstall(std::string_view bytes);
// Fails only if the file exists but cannot be read.
StatusOr<InstallCheck> ReadInstall(Env* env, const std::string& dir);

// Step 2. `dir` holds ReceivedSnapshotFileName(seq), complete and synced (seq 0: no file, the
// empty state). Verifies it (expected_digest, when given, must equal its footer's digest);
// kCorruption if it does not verify, and then nothing was committed (the received file stays,
// a *.tmp that the next start removes). When it returns OK the install is committed and durable.
Status CommitInstall(Env* env, const std::string& dir, uint64_t seq,
                     std::optional<HistoryDigest> expected_digest);

struct InstallReport {
  bool finished = false;          // an install was pending and is now done
  uint64_t snapshot_seq = 0;      // the seq it installed
  std::vector<std::string> moved_aside;  // the files it moved aside (their old names)
};

// Step 3: finishes a pending install; with no INSTALL file it does nothing (finished = false).
// Idempotent and crash-safe at every step (a crash leaves INSTALL in place; the next call
// finishes). kCorruption if INSTALL is damaged or names a snapshot that is in neither file: it
// then changes nothing. When it returns OK every change is durable.
StatusOr<InstallReport> FinishPendingInstall(Env* env, const std::string& dir);

// For a reader that must not change the directory (PlanRecovery for `walkv verify`): the file
// that holds the snapshot a pending install of `seq` installs (the received file while it was
// not renamed yet, else snap-<seq>.snap), or nullopt if neither exists.
std::optional<std::string> PendingSnapshotFile(Env* env, const std::string& dir, uint64_t seq);

}  // namespace walkv::install
