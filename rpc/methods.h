// The method table: every RPC method in one declarative list (methods.cc) — what the server
// executes, what Bind (rpc/bind.h) checks a request against, and what `walkv cli` shows in its
// help. No other list of methods exists.
//
// Adding a method = one MethodSpec entry + its function(s): a read or blocking method has a `run`
// function computing its result; a write method has a `mutation` function building the Mutation to
// submit and a `write_result` function turning the engine's MutationResult into the JSON result.
// Parameters are strings (keys, values, patterns); a JSON string argument is passed as the exact
// bytes of its UTF-8 encoding. Every parameter may be passed positionally or, if kwargs_allowed,
// by name in kwargs. A method with max_args == kUnlimited (exists, mget) takes its last required
// parameter any number of times, positionally only.
#pragma once

#include <array>
#include <functional>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/engine.h"
#include "engine/mutation.h"
#include "rpc/error_code.h"
#include "rpc/metrics.h"

namespace walkv::rpc {

// A snapshot as `snapshot` answers it and `info` shows the last one: seq, bytes, file, keys,
// unix_micros.
nlohmann::json SnapshotJson(const SnapshotInfo& s);

// Keys and glob patterns longer than this are INVALID_ARGUMENT.
inline constexpr size_t kMaxKeyBytes = 64 * 1024;
inline constexpr size_t kUnlimited = static_cast<size_t>(-1);
inline constexpr size_t kMaxParams = 4;

enum class MethodKind {
  kRead,      // answers inline on the I/O thread from Engine reads; never blocks
  kWrite,     // submits mutations; answers from the engine's callback once durable
  kBlocking,  // may block (Engine::Snapshot): run on the blocking pool, never on an I/O thread
};

struct Failure {
  ErrorCode code;
  std::string message;
};
using MethodResult = std::variant<nlohmann::json, Failure>;

// What the server tells its methods about itself (`info server`, the `keys` bound). Set once by
// the Server before it accepts a connection (Service::SetServerFacts); read-only afterwards.
struct ServerFacts {
  std::string host;
  uint16_t port = 0;
  // `keys` answers INVALID_ARGUMENT instead of a list longer than this; 0 = unlimited.
  size_t max_keys_reply = 100000;
  uint16_t resp_port = 0;  // the RESP listener's port; 0 = no RESP listener
};

// What handlers may use. All outlive every call.
class ReplicationStreams;
class ReplicaFollower;
class SyncReplicaWaiter;

struct MethodContext {
  Engine& engine;
  const Metrics& metrics;
  const ServerFacts& server;
  // The primary's replication streams (`info replication`); nullptr in contexts without them.
  const ReplicationStreams* replication_streams = nullptr;
  // A replica's follower (`info replication`, rpc/replica_follower.h); nullptr on a primary.
  const ReplicaFollower* replica_follower = nullptr;
  // Semi-sync (`info replication`, rpc/sync_replica_waiter.h); nullptr when it is off.
  const SyncReplicaWaiter* sync_waiter = nullptr;
  // `promote` (docs/replication.md §7): Service::Promote; empty in contexts without a Service.
  std::function<MethodResult()> promote = nullptr;
};

// kRead and kBlocking: computes the result; may move from `args`. Failures are returned, and
// exceptions are turned into INTERNAL_ERROR by the caller (rpc/service.h).
using RunFn = MethodResult (*)(MethodContext& ctx, std::vector<std::string>& args);
// kWrite: the mutation to submit (may move from `args`), and the result once it is durable.
using MutationFn = Mutation (*)(std::vector<std::string>& args);
using WriteResultFn = nlohmann::json (*)(const MutationResult& result);

struct ParamSpec {
  std::string_view name;
  size_t max_bytes = kUnlimited;
};

struct MethodSpec {
  std::string_view name;  // lower case; lookup is case-insensitive
  size_t min_args;        // required parameters (the first min_args of params)
  size_t max_args;        // kUnlimited: params[min_args - 1] repeats; then kwargs_allowed is false
  std::array<ParamSpec, kMaxParams> params;
  bool kwargs_allowed;
  MethodKind kind;
  // Each receives min_args..max_args strings. kRead/kBlocking: run; kWrite: mutation and
  // write_result. The others are nullptr.
  RunFn run;
  MutationFn mutation;
  WriteResultFn write_result;
  std::string_view summary;  // one sentence for people (walkv cli's help)
};

std::span<const MethodSpec> MethodTable();

// The method named `name` (any case), or nullptr.
const MethodSpec* FindMethod(std::string_view name);

// The parameters for people: required ones by name, optional ones in brackets ("key value",
// "[pattern]", "key [key ...]"); empty for none.
std::string Usage(const MethodSpec& method);

// The spec of the method's i-th argument (i < max_args): a repeated parameter's for every i past
// the fixed ones.
const ParamSpec& ParamAt(const MethodSpec& method, size_t i);

// True if the method's result is always `true`, meaning "done" (set, flushall): `walkv cli`
// shows it as OK.
bool ResultMeansDone(const MethodSpec& method);

// The protocol error for a failed engine Status: STORAGE_ERROR for IsStorageFailure(),
// SHUTTING_DOWN, INVALID_ARGUMENT, else INTERNAL_ERROR.
Failure FailureFromStatus(const Status& status);

}  // namespace walkv::rpc
