// Engine configuration: every knob `walkv serve` exposes. The default member initialisers below
// are the contract's defaults and the only place they are written: `walkv serve` initialises its
// flags from a default-constructed EngineOptions and prints those values in its --help.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace walkv {

class Env;

enum class FsyncMode {
  kAlways,    // acknowledge a mutation only after its record is fdatasync'ed (group commit)
  kInterval,  // acknowledge after write(); a background thread syncs every fsync_interval_ms
  kNever,     // acknowledge after write(); never sync explicitly (the OS decides)
};

enum class RecoveryMode {
  kTolerateTail,  // drop a torn/bad tail of the newest segment; refuse on any other damage
  kAbsolute,      // refuse on any damage at all
  kPointInTime,   // serve the state up to the first damage, dropping everything after it
};

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Called for every message the engine wants logged (recovery findings, sync failures, snapshot
// progress). May be called from any engine thread; must be thread-safe.
using LogSink = std::function<void(LogLevel, std::string_view)>;

struct EngineOptions {
  std::string data_dir;
  Env* env = nullptr;  // nullptr means Env::Posix()

  FsyncMode fsync_mode = FsyncMode::kAlways;
  uint64_t fsync_interval_ms = 1000;

  uint64_t snapshot_interval_seconds = 60;       // 0 = no timed snapshots
  uint64_t snapshot_wal_bytes = 64ull << 20;     // snapshot once this many log bytes follow the last
                                                 // snapshot; 0 = off
  uint64_t segment_bytes = 16ull << 20;          // roll to a new log segment past this size
  // Pre-write each new log segment (header + zeros up to segment_bytes, synced) so that commits
  // overwrite allocated blocks and their fdatasync flushes no metadata (engine/log_writer.h).
  // Off by default until an interleaved benchmark shows it wins (docs/performance.md).
  bool prewrite_segments = false;
  // With prewrite_segments: a background thread keeps the next segment pre-written
  // (engine/segment_preparer.h). Off only for tests that count file operations exactly; a roll
  // then pre-writes its segment itself, on the commit thread.
  bool prepare_spare_segment = true;

  RecoveryMode recovery_mode = RecoveryMode::kTolerateTail;

  // A replica (docs/replication.md §3; `walkv serve --replica-of`): its log grows only through
  // Engine::AppendReplicatedRecords, the primary's records byte for byte. Submit of a mutation
  // fails (kNotSupported), and the expiry sweeper does not run: a replica that committed its own
  // DELETEs would hold records the primary does not have. Reads still hide expired keys; their
  // memory is freed when the primary's DELETEs arrive.
  bool replica = false;

  // The active expiry sweep (engine/expiry_sweeper.h): a background thread that deletes expired
  // keys in bounded steps. false leaves them to SweepExpired() alone (tests that must know when a
  // sweep happens); reads hide expired keys either way.
  bool active_expiry_sweep = true;

  // Replication backlog (docs/replication.md §5): the snapshot thread's cleanup keeps, beyond
  // what recovery needs, the newest log segments whose total size is at most this, so that a
  // replica that was away catches up from the log instead of a snapshot. 0 = keep only what
  // recovery needs. Explicit compaction (SnapshotKeeping, `walkv compact`) ignores it.
  uint64_t replication_backlog_bytes = 256ull << 20;

  LogSink log;  // may be empty: messages are dropped
};

// How a mode is spelled (flags, logs, messages). One table per enum, the only place the names are
// written: FsyncModeName/ParseFsyncMode and RecoveryModeName/ParseRecoveryMode read it, and so do
// `walkv serve`'s --fsync and --recovery-mode choices (in this order).
template <typename Mode>
struct ModeSpelling {
  Mode mode;
  std::string_view name;
};
inline constexpr std::array<ModeSpelling<FsyncMode>, 3> kFsyncModeSpellings = {{
    {FsyncMode::kAlways, "always"},
    {FsyncMode::kInterval, "interval"},
    {FsyncMode::kNever, "never"},
}};
inline constexpr std::array<ModeSpelling<RecoveryMode>, 3> kRecoveryModeSpellings = {{
    {RecoveryMode::kTolerateTail, "tolerate-tail"},
    {RecoveryMode::kAbsolute, "absolute"},
    {RecoveryMode::kPointInTime, "point-in-time"},
}};

std::string_view FsyncModeName(FsyncMode mode);
std::string_view RecoveryModeName(RecoveryMode mode);
// The mode spelled exactly `name` (case matters), or nullopt.
std::optional<FsyncMode> ParseFsyncMode(std::string_view name);
std::optional<RecoveryMode> ParseRecoveryMode(std::string_view name);

}  // namespace walkv
