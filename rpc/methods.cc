#include "rpc/methods.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/expiry.h"
#include "engine/expiry_requests.h"
#include "engine/mutation.h"
#include "rpc/ascii.h"
#include "rpc/batch_ops.h"
#include "rpc/info_method.h"
#include "rpc/keyspace_methods.h"
#include "rpc/expiry_args.h"
#include "rpc/txn_args.h"

namespace walkv::rpc {

namespace {

using json = nlohmann::json;

MethodResult Ping(MethodContext&, std::vector<std::string>&) { return json("PONG"); }

// auth is answered by the connection before execution (rpc/auth_gate.h); this entry gives it
// its arity, its limits and its line in `walkv cli help`.
MethodResult AuthAtConnection(MethodContext&, std::vector<std::string>&) {
  return Failure{ErrorCode::kInternalError, "auth is answered by the connection"};
}

// replicate turns the JSON connection into a replication stream (rpc/replication_streams.h); it
// is answered by the connection, never executed here. The entry gives it its arity and limits.
MethodResult ReplicateAtConnection(MethodContext&, std::vector<std::string>&) {
  return Failure{ErrorCode::kInvalidRequest, "replicate is only served on the JSON port"};
}

// promote: a replica stops following and becomes a writable primary at a new epoch
// (Service::Promote, docs/replication.md §7).
MethodResult RunPromote(MethodContext& ctx, std::vector<std::string>&) {
  if (!ctx.promote) return Failure{ErrorCode::kInternalError, "promote is not served here"};
  return ctx.promote();
}

MethodResult Get(MethodContext& ctx, std::vector<std::string>& args) {
  std::optional<std::string> value = ctx.engine.Get(args[0]);
  return value.has_value() ? json(std::move(*value)) : json(nullptr);
}

MethodResult Exists(MethodContext& ctx, std::vector<std::string>& args) {
  uint64_t count = 0;  // like Redis: a key named twice counts twice
  for (const std::string& key : args) count += ctx.engine.ValueLength(key).has_value() ? 1 : 0;
  return json(count);
}

MethodResult DbSize(MethodContext& ctx, std::vector<std::string>&) {
  return json(ctx.engine.Size());
}

MethodResult StrLen(MethodContext& ctx, std::vector<std::string>& args) {
  return json(ctx.engine.ValueLength(args[0]).value_or(0));
}

MethodResult MGet(MethodContext& ctx, std::vector<std::string>& args) {
  json values = json::array();
  for (const std::string& key : args) {
    std::optional<std::string> value = ctx.engine.Get(key);
    values.push_back(value.has_value() ? json(std::move(*value)) : json(nullptr));
  }
  return values;
}

MethodResult Snapshot(MethodContext& ctx, std::vector<std::string>&) {
  StatusOr<SnapshotInfo> info = ctx.engine.Snapshot();
  if (!info.ok()) return FailureFromStatus(info.status());
  return SnapshotJson(*info);
}

Mutation DeleteMutation(std::vector<std::string>& args) {
  return Mutation{MutationType::kDelete, std::move(args[0]), ""};
}
Mutation AppendMutation(std::vector<std::string>& args) {
  return Mutation{MutationType::kAppend, std::move(args[0]), std::move(args[1])};
}
Mutation FlushAllMutation(std::vector<std::string>&) {
  return Mutation{MutationType::kFlushAll, "", ""};
}
// Counters: the engine computes the new value in log order (engine/counter.h) and checks the
// delta, so that every counter error comes from one place.
Mutation Counter(std::string& key, std::string delta, MutationRequest request) {
  return Mutation{MutationType::kSet, std::move(key), std::move(delta), request};
}
Mutation IncrMutation(std::vector<std::string>& args) {
  return Counter(args[0], "1", MutationRequest::kIncrBy);
}
Mutation DecrMutation(std::vector<std::string>& args) {
  return Counter(args[0], "1", MutationRequest::kDecrBy);
}
Mutation IncrByMutation(std::vector<std::string>& args) {
  return Counter(args[0], std::move(args[1]), MutationRequest::kIncrBy);
}
Mutation DecrByMutation(std::vector<std::string>& args) {
  return Counter(args[0], std::move(args[1]), MutationRequest::kDecrBy);
}

// Expiry (engine/expiry.h, rpc/expiry_args.h).
MethodResult Pttl(MethodContext& ctx, std::vector<std::string>& args) {
  return json(ctx.engine.Pttl(args[0]));
}
MethodResult Ttl(MethodContext& ctx, std::vector<std::string>& args) {
  return json(TtlFromPttl(ctx.engine.Pttl(args[0])));
}
Mutation SetWithOptionsMutation(std::vector<std::string>& args) { return ParseSetCall(args); }
Mutation ExpireMutation(std::vector<std::string>& args) {
  return ParseExpireCall(args, 1000, false, "expire");
}
Mutation PExpireMutation(std::vector<std::string>& args) {
  return ParseExpireCall(args, 1, false, "pexpire");
}
Mutation ExpireAtMutation(std::vector<std::string>& args) {
  return ParseExpireCall(args, 1000, true, "expireat");
}
Mutation PExpireAtMutation(std::vector<std::string>& args) {
  return ParseExpireCall(args, 1, true, "pexpireat");
}
Mutation PersistMutation(std::vector<std::string>& args) {
  return PersistRequest(std::move(args[0]));
}
// mset / msetnx: key value [key value ...] as one all-or-nothing record.
Mutation BatchSet(std::vector<std::string>& args, bool only_if_none_exist, const char* method) {
  if (args.size() % 2 != 0) {
    return InvalidRequest(std::string(method) + " takes key value pairs, got an odd number (" +
                          std::to_string(args.size()) + ") of arguments");
  }
  for (size_t i = 0; i < args.size(); i += 2) {
    if (args[i].size() > kMaxKeyBytes) {
      return InvalidRequest(std::string(method) + ": key is " + std::to_string(args[i].size()) +
                            " bytes, the limit is " + std::to_string(kMaxKeyBytes));
    }
  }
  return BatchSetRequest(std::move(args), only_if_none_exist);
}
Mutation MSetMutation(std::vector<std::string>& args) { return BatchSet(args, false, "mset"); }
Mutation MSetNxMutation(std::vector<std::string>& args) { return BatchSet(args, true, "msetnx"); }
Mutation CasMutation(std::vector<std::string>& args) { return ParseCasCall(args); }
Mutation BatchMutation(std::vector<std::string>& args) { return ParseBatchCall(args); }
Mutation TxnMutation(std::vector<std::string>& args) { return ParseTxnCall(args); }
json Applied(const MutationResult& r) { return json(r.applied); }
json OneIfApplied(const MutationResult& r) { return json(r.applied ? 1 : 0); }

// set: true once stored; null when NX / XX did not hold; with GET, the old value (or null).
json SetResult(const MutationResult& r) {
  if (r.return_old) return r.old_value.has_value() ? json(*r.old_value) : json(nullptr);
  return r.applied ? json(true) : json(nullptr);
}
// expire, pexpire, expireat, pexpireat, persist: Redis's 1 / 0.
json OneIfExisted(const MutationResult& r) { return json(r.existed ? 1 : 0); }

json True(const MutationResult&) { return json(true); }
json Existed(const MutationResult& r) { return json(r.existed); }
json NewLength(const MutationResult& r) { return json(r.new_length); }
json CounterValue(const MutationResult& r) { return json(r.counter); }

constexpr ParamSpec kKey{"key", kMaxKeyBytes};
constexpr ParamSpec kValue{"value", kUnlimited};
constexpr ParamSpec kPattern{"pattern", kMaxKeyBytes};
// A decimal integer; anything longer than int64's 20 characters is out of range anyway, and the
// limit keeps a huge argument out of the error path.
constexpr ParamSpec kDelta{"delta", 64};
constexpr ParamSpec kSection{"section", 64};
constexpr ParamSpec kCursor{"cursor", 64};
constexpr ParamSpec kMatch{"match", kMaxKeyBytes};
constexpr ParamSpec kCount{"count", 64};
constexpr ParamSpec kOption{"option", 64};  // set's options: only named in its usage
constexpr ParamSpec kPairs{"key value", kUnlimited};  // mset's further pairs: usage only
constexpr ParamSpec kSeconds{"seconds", 64};
constexpr ParamSpec kMilliseconds{"milliseconds", 64};
constexpr ParamSpec kUnixSeconds{"unix_seconds", 64};
constexpr ParamSpec kUnixMilliseconds{"unix_milliseconds", 64};

// The table. Keep it sorted by name; info() reports ops in this order, and `walkv cli help` lists
// the methods in this order.
constexpr MethodSpec kMethods[] = {
    // name, min, max, params, kwargs, kind, run, mutation, write_result, summary
    {"append", 2, 2, {kKey, kValue}, true, MethodKind::kWrite, nullptr, &AppendMutation,
     &NewLength, "Appends value to key's value; returns the new length in bytes."},
    {"auth", 1, 1, {ParamSpec{"token", 4096}}, true, MethodKind::kRead, &AuthAtConnection,
     nullptr, nullptr,
     "Authenticates this connection with the --auth-token-file token; returns true."},
    {"batch", 1, 1, {ParamSpec{"ops", kUnlimited}}, true, MethodKind::kWrite, nullptr,
     &BatchMutation, &BatchResultJson,
     "Applies a list of operations ([[\"set\",\"k\",\"v\"],[\"incr\",\"n\"],...]) all or "
     "nothing, as one log record and one fsync; returns their results."},
    {"cas", 3, 3, {kKey, ParamSpec{"expected", kUnlimited}, kValue}, true, MethodKind::kWrite,
     nullptr, &CasMutation, &Applied,
     "Sets key to value only if its value is expected (null: only if key is absent), atomically; "
     "true if set, else false. Clears key's expiry."},
    {"dbsize", 0, 0, {}, false, MethodKind::kRead, &DbSize, nullptr, nullptr,
     "Returns the number of keys."},
    {"decr", 1, 1, {kKey}, true, MethodKind::kWrite, nullptr, &DecrMutation, &CounterValue,
     "Subtracts 1 from the integer at key (missing = 0); returns the new value."},
    {"decrby", 2, 2, {kKey, kDelta}, true, MethodKind::kWrite, nullptr, &DecrByMutation,
     &CounterValue,
     "Subtracts delta from the integer at key (missing = 0); returns the new value."},
    {"delete", 1, 1, {kKey}, true, MethodKind::kWrite, nullptr, &DeleteMutation, &Existed,
     "Removes key; (true) if it existed, else (false)."},
    {"exists", 1, kUnlimited, {kKey}, false, MethodKind::kRead, &Exists, nullptr, nullptr,
     "Counts how many of the keys exist (a key named twice counts twice)."},
    {"expire", 2, 2, {kKey, kSeconds}, true, MethodKind::kWrite, nullptr, &ExpireMutation,
     &OneIfExisted,
     "Key expires in seconds (<= 0 deletes it); 1 if key exists, else 0."},
    {"expireat", 2, 2, {kKey, kUnixSeconds}, true, MethodKind::kWrite, nullptr,
     &ExpireAtMutation, &OneIfExisted,
     "Key expires at a unix time in seconds (past: deletes it); 1 if key exists, else 0."},
    {"flushall", 0, 0, {}, false, MethodKind::kWrite, nullptr, &FlushAllMutation, &True,
     "Removes every key."},
    {"get", 1, 1, {kKey}, true, MethodKind::kRead, &Get, nullptr, nullptr,
     "Returns the value of key, or (nil)."},
    {"incr", 1, 1, {kKey}, true, MethodKind::kWrite, nullptr, &IncrMutation, &CounterValue,
     "Adds 1 to the integer at key (missing = 0); returns the new value."},
    {"incrby", 2, 2, {kKey, kDelta}, true, MethodKind::kWrite, nullptr, &IncrByMutation,
     &CounterValue, "Adds delta to the integer at key (missing = 0); returns the new value."},
    {"info", 0, 1, {kSection}, true, MethodKind::kRead, &RunInfo, nullptr, nullptr,
     "Server state by section: server, clients, memory, persistence, stats, keyspace (default "
     "all)."},
    {"keys", 0, 1, {kPattern}, true, MethodKind::kRead, &RunKeys, nullptr, nullptr,
     "Keys matching a glob (* ? [abc] [^a] [a-z] \\x); default *. Bounded by the server's "
     "--max-keys-reply: use scan for more."},
    {"mget", 1, kUnlimited, {kKey}, false, MethodKind::kRead, &MGet, nullptr, nullptr,
     "Returns the value of each key, (nil) for a missing one."},
    {"mset", 2, kUnlimited, {kKey, kValue, kPairs}, false, MethodKind::kWrite, nullptr,
     &MSetMutation, &True,
     "Sets every key to its value, all or nothing (one log record, one fsync)."},
    {"msetnx", 2, kUnlimited, {kKey, kValue, kPairs}, false, MethodKind::kWrite, nullptr,
     &MSetNxMutation, &OneIfApplied,
     "Like mset, but only if none of the keys exists; 1 if set, else 0."},
    {"persist", 1, 1, {kKey}, true, MethodKind::kWrite, nullptr, &PersistMutation,
     &OneIfExisted, "Removes key's expiry; 1 if it had one, else 0."},
    {"pexpire", 2, 2, {kKey, kMilliseconds}, true, MethodKind::kWrite, nullptr,
     &PExpireMutation, &OneIfExisted,
     "Key expires in milliseconds (<= 0 deletes it); 1 if key exists, else 0."},
    {"pexpireat", 2, 2, {kKey, kUnixMilliseconds}, true, MethodKind::kWrite, nullptr,
     &PExpireAtMutation, &OneIfExisted,
     "Key expires at a unix time in milliseconds (past: deletes it); 1 if key exists, else 0."},
    {"ping", 0, 0, {}, false, MethodKind::kRead, &Ping, nullptr, nullptr, "Answers \"PONG\"."},
    {"promote", 0, 0, {}, false, MethodKind::kBlocking, &RunPromote, nullptr, nullptr,
     "On a replica: stops following, bumps the replication epoch (persisted first) and turns "
     "writable; {epoch, last_seq}. ALREADY_PRIMARY on a primary."},
    {"pttl", 1, 1, {kKey}, true, MethodKind::kRead, &Pttl, nullptr, nullptr,
     "Milliseconds until key expires; -1 if it does not expire, -2 if it does not exist."},
    {"replicate", 1, 4,
     {ParamSpec{"from_seq", 20}, ParamSpec{"digest", 16}, ParamSpec{"accept_snapshot", 5},
      ParamSpec{"epoch", 20}},
     true, MethodKind::kRead, &ReplicateAtConnection, nullptr, nullptr,
     "For replicas: streams the log from from_seq (docs/replication.md); the connection then "
     "carries binary frames only."},
    {"scan", 1, 3, {kCursor, kMatch, kCount}, true, MethodKind::kRead, &RunScan, nullptr, nullptr,
     "Iterates over the keys: [next cursor, [keys]]; start with \"0\", stop when \"0\" comes "
     "back. Every key present throughout is returned at least once."},
    {"set", 2, kUnlimited, {kKey, kValue, kOption}, true, MethodKind::kWrite, nullptr,
     &SetWithOptionsMutation, &SetResult,
     "Stores value under key. Options: EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL, "
     "NX | XX, GET (returns the old value)."},
    {"snapshot", 0, 0, {}, false, MethodKind::kBlocking, &Snapshot, nullptr, nullptr,
     "Writes a snapshot and returns once it is durable."},
    {"strlen", 1, 1, {kKey}, true, MethodKind::kRead, &StrLen, nullptr, nullptr,
     "Returns the length in bytes of key's value (0 if missing)."},
    {"ttl", 1, 1, {kKey}, true, MethodKind::kRead, &Ttl, nullptr, nullptr,
     "Seconds until key expires; -1 if it does not expire, -2 if it does not exist."},
    {"txn", 2, 3, {ParamSpec{"compare", kUnlimited}, ParamSpec{"success", kUnlimited},
                   ParamSpec{"failure", kUnlimited}},
     true, MethodKind::kWrite, nullptr, &TxnMutation, &TxnResultJson,
     "If every compare ([\"value\",k,v], [\"exists\",k], [\"absent\",k]) holds, applies the "
     "success operations, else the failure ones, atomically; {succeeded, results}."},
};
static_assert(std::size(kMethods) <= Metrics::kMaxMethods);

}  // namespace

std::span<const MethodSpec> MethodTable() { return kMethods; }

const MethodSpec* FindMethod(std::string_view name) {
  for (const MethodSpec& m : kMethods) {
    if (EqualsIgnoreAsciiCase(m.name, name)) return &m;
  }
  return nullptr;
}

std::string Usage(const MethodSpec& method) {
  const bool repeats = method.max_args == kUnlimited;
  std::string usage;
  for (size_t i = 0; i < (repeats ? method.min_args + 1 : method.max_args); ++i) {
    if (i > 0) usage += ' ';
    // A repeating method may name its repeated words apart from its last required parameter
    // (set: "key value [option ...]").
    const bool named_repeat =
        repeats && i == method.min_args && i < kMaxParams && !method.params[i].name.empty();
    const std::string name(named_repeat ? method.params[i].name : ParamAt(method, i).name);
    if (i < method.min_args) {
      usage += name;
    } else {
      usage += "[" + name + (repeats ? " ...]" : "]");
    }
  }
  return usage;
}

const ParamSpec& ParamAt(const MethodSpec& method, size_t i) {
  return method.params[method.max_args == kUnlimited ? std::min(i, method.min_args - 1) : i];
}

bool ResultMeansDone(const MethodSpec& method) {
  return method.write_result == &True || method.write_result == &SetResult;
}

Failure FailureFromStatus(const Status& status) {
  if (status.IsStorageFailure()) return {ErrorCode::kStorageError, status.message()};
  switch (status.code()) {
    case StatusCode::kShuttingDown:
      return {ErrorCode::kShuttingDown, status.message()};
    case StatusCode::kInvalidArgument:
      return {ErrorCode::kInvalidArgument, status.message()};
    default:
      return {ErrorCode::kInternalError, status.ToString()};
  }
}

nlohmann::json SnapshotJson(const SnapshotInfo& s) {
  return {{"seq", s.seq},
          {"bytes", s.bytes},
          {"file", s.file},
          {"keys", s.keys},
          {"unix_micros", s.unix_micros}};
}

}  // namespace walkv::rpc
