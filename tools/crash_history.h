// What a crash-test iteration did, as seen by its clients, and the checker that compares it with
// what recovery restored (docs/testing.md, "Crash test").
//
// Ordering. Every client stamps its events with a shared logical clock (one atomic counter):
// `send_clock` is taken just before a request is sent and `ack_clock` just after its success
// response arrives. If a.ack_clock < b.send_clock, a was acknowledged before b was sent, so a
// precedes b in the server's log.
//
// Keys. Each writer owns some keys ("o<writer>.<n>"): only that writer sets, appends to and deletes
// them, one request at a time, so the key's history is known exactly. Every writer also appends
// unique tokens to a few shared keys ("s<n>"); their order among writers is whatever the log
// order was, and the checker reconstructs it from the value. A flushall takes a barrier that no
// mutation is in flight across (writers hold it shared per request, the flusher exclusively), so
// a flushall is ordered against every mutation and enters every owned key's history.
//
// Uncertainty. A request whose response never came (the server was killed) or that failed is
// *uncertain*: it may or may not be in the recovered state. A writer stops at its first uncertain
// request and no flushall follows one, so an uncertain request is always the last in its history.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace walkv::tools {

using SteadyTime = std::chrono::steady_clock::time_point;

enum class Outcome { kPending, kAcked, kUncertain };

// One entry in an owned key's history. ops[0] is the baseline: the value recovery restored at the
// start of the iteration (acknowledged at clock 0).
struct KeyOp {
  enum class Kind { kBaseline, kSet, kAppend, kDelete, kFlushAll };
  Kind kind = Kind::kBaseline;
  std::string token;                       // unique per set/append; empty otherwise
  std::optional<std::string> value_after;  // the key's value once this op is applied
  Outcome outcome = Outcome::kAcked;
  uint64_t send_clock = 0;
  uint64_t ack_clock = 0;
  SteadyTime ack_time{};
};

struct OwnedKey {
  std::string name;
  std::vector<KeyOp> ops;
};

// One append of a unique token to a shared key.
struct SharedAppend {
  int key = 0;  // index into IterationHistory::shared_names
  int writer = 0;
  uint64_t op_id = 0;  // the writer's program order
  std::string token;
  Outcome outcome = Outcome::kPending;
  uint64_t send_clock = 0;
  uint64_t ack_clock = 0;
  uint64_t length = 0;  // the new length the server returned
  SteadyTime ack_time{};
};

struct FlushRecord {
  Outcome outcome = Outcome::kPending;
  uint64_t send_clock = 0;
  uint64_t ack_clock = 0;
};

// A read: key index in the universe (owned keys first, then shared keys).
struct ReadRecord {
  int key = 0;
  std::optional<std::string> value;
  uint64_t send_clock = 0;
  uint64_t recv_clock = 0;  // taken (fetch_add) just after the response arrived
};

struct IterationHistory {
  std::vector<OwnedKey> owned;
  std::vector<std::string> shared_names;
  std::vector<std::optional<std::string>> shared_base;  // value at the start of the iteration
  std::vector<std::vector<SharedAppend>> appends;       // per writer
  std::vector<FlushRecord> flushes;
  std::vector<std::vector<ReadRecord>> reads;  // per reader
};

struct CheckOptions {
  // Full promise (fsync always, or any fsync mode after a process crash): every acknowledged
  // mutation and every value read survives. Lossy (fsync interval after a power loss): only
  // mutations acknowledged before `lossy_cutoff` must survive, reads are not checked, and the
  // state must still be a prefix of the log (no holes, nothing unwritten).
  bool lossy = false;
  SteadyTime lossy_cutoff{};
  // Power-loss runs cut the file system (EXT4_IOC_SHUTDOWN) at this clock value. An fdatasync
  // racing the shutdown can return success although its commit was aborted, which a real power
  // cut can never show (the process dies with the machine); so acknowledgements and reads that
  // arrived at or after this clock count as unacknowledged / unchecked.
  uint64_t trust_acks_before = std::numeric_limits<uint64_t>::max();
};

struct CheckResult {
  uint64_t acked_checked = 0;
  uint64_t reads_checked = 0;
  uint64_t reads_superseded = 0;
  std::vector<std::string> failures;
};

// Compares `history` with `recovered` (the value of every owned key, then every shared key, after
// the restart) and `all_keys` (the server's `keys *`).
CheckResult CheckRecovery(const IterationHistory& history,
                          const std::vector<std::optional<std::string>>& recovered,
                          const std::vector<std::string>& all_keys, const CheckOptions& options);

// Token syntax: owned-key values end in "<w<writer>.<op>:<pad>>"; shared-key tokens are
// "[w<writer>.<op>:<pad>]". The pad is lowercase letters.
std::string OwnedToken(int writer, uint64_t op_id, size_t pad, uint64_t salt);
std::string SharedToken(int writer, uint64_t op_id, size_t pad, uint64_t salt);

// `walkv-crash-tester self-test` (crash_history_selftest.cc): runs CheckRecovery() on hand-made
// histories; 0 if it flags every planted violation and accepts every allowed outcome.
int SelfTestMain();

}  // namespace walkv::tools
