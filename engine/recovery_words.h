// Recovery in words: the one place a RecoveryPlan (engine/recovery_plan.h) becomes sentences.
//
// Engine::Open's refusal, the lines `walkv serve` logs about what it dropped, and every sentence
// `walkv verify` prints about damage come from these functions, so serve and verify can never
// describe the same damage differently. Nothing here reads a file or decides anything: each
// function is a pure function of the plan. The sentences always name the file and byte offset.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/recovery_plan.h"

namespace walkv {

// Stable snake_case names for JSON output ("torn_tail", "mid_log_damage", ...; "truncate", ...).
std::string_view DamageKindName(DamageKind kind);
std::string_view DecisionName(Decision decision);
std::string_view ActionKindName(ActionKind kind);

// What is wrong, without the file name and offset (verify prints those in their own columns),
// e.g. "record checksum mismatch (torn tail: nothing intact follows)".
std::string DescribeDamage(const Finding& finding);

// What serve does about plan.findings[index] under plan.mode, including the actions it causes,
// e.g. "log damage in wal-….log at byte 120: …; truncated wal-….log to 120 bytes, dropping 17
// bytes". For a refusing plan this is the refusal.
std::string DescribeDecision(const RecoveryPlan& plan, size_t index);

// The message serve exits with when the plan refuses: the damage, why this mode refuses, which
// mode would start (and to copy the directory before trying it), and to run `walkv verify`.
std::string DescribeRefusal(const RecoveryPlan& plan);

// One sentence per finding a starting plan acts on or works around (what serve logs as a
// warning), in order.
std::vector<std::string> DescribeRepairs(const RecoveryPlan& plan);

// "removed unfinished temporary file X", one per kRemoveTemp action (logged at info level).
std::vector<std::string> DescribeHousekeeping(const RecoveryPlan& plan);

}  // namespace walkv
