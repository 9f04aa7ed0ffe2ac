// Recovery: rebuilds the in-memory state of a data directory at startup, in two steps.
//
// PlanRecovery reads LOGHEAD (engine/log_head.h), lists the directory, loads the newest snapshot
// whose checksums verify and whose successor records the log still holds (falling back to older
// ones), replays the log from the snapshot's sequence number (checking framing, checksums and
// sequence continuity across segments) and, in absolute mode, checks the files it did not need.
// Every damage it meets becomes a Finding whose Decision comes from the one table in
// engine/recovery_plan.h; the first kRefuse stops planning. It never changes the directory.
//
// ExecuteRecoveryPlan makes the plan's changes: removes unfinished *.tmp files, keeps what
// point-in-time drops from inside a segment in a *.dropped file, truncates, moves whole segments
// aside to <name>.dropped, and syncs the directory. docs/durability.md explains each step.
#pragma once

#include <string>

#include "engine/env.h"
#include "engine/options.h"
#include "engine/recovery_plan.h"
#include "engine/status.h"
#include "engine/store.h"

namespace walkv {

// Plans the recovery of `dir` and loads the state it would start with into `*store` (which must
// be empty; when the plan refuses, the store's content is unspecified). Reads only: safe beside a
// live server (walkv verify). Fails only on I/O errors, including a file that vanished between
// the listing and its read (kNotFound, a live server's cleanup), and with kCorruption for a
// damaged INSTALL file; other damage is in the plan. With a snapshot install pending
// (engine/snapshot_install.h) it plans the directory as that install will leave it
// (plan.pending_install).
StatusOr<RecoveryPlan> PlanRecovery(Env* env, const std::string& dir, RecoveryMode mode,
                                    Store* store);

// Performs plan.actions in order, then syncs the directory if anything changed. The plan must
// start (plan.starts()). When it returns OK every change is durable. Crash-safe at every step:
// an interrupted run leaves damage the next plan finds again (a kept tail is rewritten whole).
// The caller holds the directory lock.
Status ExecuteRecoveryPlan(Env* env, const std::string& dir, const RecoveryPlan& plan);

// Engine::Open's recovery: first finishes a pending snapshot install (FinishPendingInstall), then
// plans; refuses with kCorruption and the refusal in words
// (engine/recovery_words.h); otherwise logs each finding and action through `log`, executes
// the plan and returns the state, its summary's notes holding the same sentences.
StatusOr<RecoveredState> Recover(Env* env, const std::string& dir, RecoveryMode mode,
                                 Store* store, const LogSink& log);

}  // namespace walkv
