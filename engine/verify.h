// VerifyDataDir: the read-only check behind `walkv verify`.
//
// It reads every snapshot and every log segment with the same parsers recovery uses
// (log_reader.h, snapshot_reader.h), reports every problem with file, byte offset, its kind (the
// same DamageKind recovery uses) and what is wrong, and says what `walkv serve` would do in each
// --recovery-mode from recovery's own plan for that mode (PlanRecovery, which changes nothing in
// the directory), put into words by engine/recovery_words.h. Safe while a server runs on the
// directory: it takes no lock that a server would wait for, and a segment the server is still
// appending to is not reported as torn.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/env.h"
#include "engine/recovery_plan.h"
#include "engine/replication_state.h"
#include "engine/status.h"

namespace walkv {

struct VerifyProblem {
  DamageKind kind = DamageKind::kMidLogDamage;
  std::string file;
  uint64_t offset = 0;
  std::string what;  // DescribeDamage()
  // What `walkv serve` would do about it under each recovery mode.
  std::string tolerate_tail;
  std::string absolute;
  std::string point_in_time;
};

struct VerifiedFile {
  std::string name;
  std::string kind;        // "snapshot" or "log"
  uint64_t bytes = 0;
  uint64_t seq = 0;        // snapshot: the seq it covers; log: first record's seq (from the name)
  uint64_t last_seq = 0;   // log: last intact record's seq (seq - 1 if none)
  uint64_t items = 0;      // snapshot: entries; log: intact records
  bool ok = true;
};

// What serve would do at startup under one recovery mode.
struct ModeOutcome {
  bool would_start = false;
  std::string summary;  // "would start with N keys at sequence S" or the refusal message
  std::vector<std::string> actions;  // DescribeRepairs(): truncations, fallbacks, dropped files
  std::optional<RecoveryPlan> plan;  // recovery's plan; empty if it could not be made (I/O)
};

struct VerifyReport {
  std::vector<VerifiedFile> files;
  std::vector<VerifyProblem> problems;
  std::vector<std::string> notes;  // not problems: e.g. "a server is running"
  bool server_running = false;
  uint64_t snapshots = 0;
  uint64_t segments = 0;
  uint64_t records = 0;      // intact log records in all segments
  uint64_t bytes = 0;        // bytes in all snapshots and segments
  uint64_t keys = 0;         // keys serve would load (tolerate-tail), 0 if it would refuse
  uint64_t last_seq = 0;
  // The history digest of the state serve would start with (tolerate-tail), if it would start.
  std::optional<HistoryDigest> digest;
  ModeOutcome tolerate_tail, absolute, point_in_time;
  // The REPLICATION file (docs/replication.md §7): absent (epoch 0), intact, or damaged — then
  // serve refuses to start and the report is not clean.
  ReplicationStateCheck replication;
  bool replication_damaged() const { return replication.present && !replication.state; }
  bool clean() const { return problems.empty() && !replication_damaged(); }
  // True if there are problems and every one is the torn tail a crash leaves (IsCrashTail):
  // serve drops it without being asked, and a nightly check may treat it as normal.
  bool only_crash_tail() const;
};

// Called before each file is read: its name, how many files are done, and how many there are.
using VerifyProgress = std::function<void(const std::string& file, size_t done, size_t total)>;

// True if `dir` holds something walkv made: a LOCK or LOGHEAD file, a snapshot or a log segment.
// A server creates LOCK and its first segment at once, so any directory a server ever opened
// qualifies.
bool LooksLikeDataDir(Env* env, const std::string& dir);

// Fails (non-OK) only if the check could not run: the directory is missing or unreadable
// (kNotFound, kIOError), or it is not a data directory (kInvalidArgument, see LooksLikeDataDir).
// Damage is never an error here; it is in the report.
StatusOr<VerifyReport> VerifyDataDir(Env* env, const std::string& dir,
                                     const VerifyProgress& progress = nullptr);

}  // namespace walkv
