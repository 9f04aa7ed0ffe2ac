#include "rpc/methods.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/mutation.h"
#include "rpc/fast_request.h"

namespace walkv::rpc {

namespace {

using json = nlohmann::json;

MethodResult Ping(MethodContext&, std::vector<std::string>&) { return json("PONG"); }

MethodResult Get(MethodContext& ctx, std::vector<std::string>& args) {
  std::optional<std::string> value = ctx.engine.Get(args[0]);
  return value.has_value() ? json(std::move(*value)) : json(nullptr);
}

MethodResult Keys(MethodContext& ctx, std::vector<std::string>& args) {
  std::vector<std::string> keys = ctx.engine.Keys(args.empty() ? "*" : args[0]);
  std::sort(keys.begin(), keys.end());
  return json(std::move(keys));
}

json SnapshotJson(const SnapshotInfo& s) {
  return {{"seq", s.seq},
          {"bytes", s.bytes},
          {"file", s.file},
          {"keys", s.keys},
          {"unix_micros", s.unix_micros}};
}

MethodResult Snapshot(MethodContext& ctx, std::vector<std::string>&) {
  StatusOr<SnapshotInfo> info = ctx.engine.Snapshot();
  if (!info.ok()) return FailureFromStatus(info.status());
  return SnapshotJson(*info);
}

MethodResult Info(MethodContext& ctx, std::vector<std::string>&) {
  const EngineStats s = ctx.engine.Stats();
  const RecoverySummary& r = ctx.engine.recovery_summary();
  json out = {
      {"keys", s.keys},
      {"approx_memory_bytes", s.approx_memory_bytes},
      {"log_bytes", s.log_bytes},
      {"log_segments", s.log_segments},
      {"last_seq", s.last_seq},
      {"fsync_count", s.fsync_count},
      {"fsync_p50_micros", s.fsync_p50_micros},
      {"fsync_p99_micros", s.fsync_p99_micros},
      {"fsync_max_micros", s.fsync_max_micros},
      {"commit_batches", s.commit_batches},
      {"mutations_committed", s.mutations_committed},
      {"last_snapshot", s.last_snapshot ? SnapshotJson(*s.last_snapshot) : json(nullptr)},
      {"uptime_micros", s.uptime_micros},
      {"uptime_seconds", s.uptime_micros / 1000000},
      {"poisoned_reason", s.poisoned_reason},
  };
  out["server"] = ctx.metrics.ToJson();
  out["recovery"] = {
      {"snapshot_file", r.snapshot_file},
      {"snapshot_seq", r.snapshot_seq},
      {"snapshot_keys", r.snapshot_keys},
      {"segments_replayed", r.segments_replayed},
      {"records_replayed", r.records_replayed},
      {"bytes_replayed", r.bytes_replayed},
      {"last_seq", r.last_seq},
      {"keys", r.keys},
      {"bytes_truncated", r.bytes_truncated},
      {"duration_micros", r.duration_micros},
      {"notes", r.notes},
  };
  return out;
}

Mutation SetMutation(std::vector<std::string>& args) {
  return Mutation{MutationType::kSet, std::move(args[0]), std::move(args[1])};
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

json True(const MutationResult&) { return json(true); }
json Existed(const MutationResult& r) { return json(r.existed); }
json NewLength(const MutationResult& r) { return json(r.new_length); }

constexpr ParamSpec kKey{"key", kMaxKeyBytes};
constexpr ParamSpec kValue{"value", kUnlimited};
constexpr ParamSpec kPattern{"pattern", kMaxKeyBytes};

// The table. Keep it sorted by name; info() reports ops in this order.
constexpr MethodSpec kMethods[] = {
    // name, min, max, params, kwargs, kind, run, mutation, write_result
    {"append", 2, 2, {kKey, kValue}, true, MethodKind::kWrite, nullptr, &AppendMutation,
     &NewLength},
    {"delete", 1, 1, {kKey}, true, MethodKind::kWrite, nullptr, &DeleteMutation, &Existed},
    {"flushall", 0, 0, {}, false, MethodKind::kWrite, nullptr, &FlushAllMutation, &True},
    {"get", 1, 1, {kKey}, true, MethodKind::kRead, &Get, nullptr, nullptr},
    {"info", 0, 0, {}, false, MethodKind::kRead, &Info, nullptr, nullptr},
    {"keys", 0, 1, {kPattern}, true, MethodKind::kRead, &Keys, nullptr, nullptr},
    {"ping", 0, 0, {}, false, MethodKind::kRead, &Ping, nullptr, nullptr},
    {"set", 2, 2, {kKey, kValue}, true, MethodKind::kWrite, nullptr, &SetMutation, &True},
    {"snapshot", 0, 0, {}, false, MethodKind::kBlocking, &Snapshot, nullptr, nullptr},
};
static_assert(std::size(kMethods) <= Metrics::kMaxMethods);

// ASCII case folding only, whatever the process's locale: method names are ASCII.
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

ErrorResponse BadArgument(const std::string& id, std::string message) {
  return ErrorResponse{id, ErrorCode::kInvalidArgument, std::move(message)};
}

std::string Plural(size_t n, std::string_view what) {
  return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
}

std::string ArityText(const MethodSpec& m) {
  if (m.min_args == m.max_args) return Plural(m.max_args, "argument");
  return std::to_string(m.min_args) + " to " + Plural(m.max_args, "argument");
}

}  // namespace

std::span<const MethodSpec> MethodTable() { return kMethods; }

const MethodSpec* FindMethod(std::string_view name) {
  for (const MethodSpec& m : kMethods) {
    if (EqualsIgnoreCase(m.name, name)) return &m;
  }
  return nullptr;
}

std::variant<Call, ErrorResponse> BindCall(Request request) {
  const MethodSpec* m = FindMethod(request.method);
  if (m == nullptr) {
    std::string shown =
        request.method.size() > 64 ? request.method.substr(0, 64) + "..." : request.method;
    return ErrorResponse{request.id, ErrorCode::kUnknownMethod, "unknown method \"" + shown + "\""};
  }
  const std::string& id = request.id;
  const std::string name(m->name);
  const size_t positional = request.args.size();
  if (positional > m->max_args) {
    return BadArgument(id,
                       name + " takes " + ArityText(*m) + ", got " + std::to_string(positional));
  }
  if (!request.kwargs.empty() && !m->kwargs_allowed) {
    return BadArgument(id, name + " takes no keyword arguments");
  }

  // Slot i holds parameter i, from args or from kwargs.
  std::array<json*, kMaxParams> slots{};
  for (size_t i = 0; i < positional; ++i) slots[i] = &request.args[i];
  for (auto it = request.kwargs.begin(); it != request.kwargs.end(); ++it) {
    const std::string& kw = it.key();
    size_t index = m->max_args;
    for (size_t i = 0; i < m->max_args; ++i) {
      if (m->params[i].name == kw) index = i;
    }
    if (index == m->max_args) {
      return BadArgument(id, name + " has no parameter named \"" + kw + "\"");
    }
    if (slots[index] != nullptr) {
      return BadArgument(id, name + " got \"" + kw + "\" both positionally and as a keyword");
    }
    slots[index] = &it.value();
  }
  size_t given = 0;
  while (given < m->max_args && slots[given] != nullptr) ++given;
  for (size_t i = given; i < m->max_args; ++i) {
    if (slots[i] != nullptr) {
      return BadArgument(id, name + ": \"" + std::string(m->params[i].name) +
                                 "\" given without \"" + std::string(m->params[given].name) + "\"");
    }
  }
  if (given < m->min_args) {
    return BadArgument(id, name + " takes " + ArityText(*m) + ", got " + std::to_string(given) +
                               " (missing \"" + std::string(m->params[given].name) + "\")");
  }

  Call call;
  call.id = std::move(request.id);
  call.method = m;
  call.method_index = static_cast<size_t>(m - kMethods);
  call.args.reserve(given);
  for (size_t i = 0; i < given; ++i) {
    const ParamSpec& p = m->params[i];
    if (!slots[i]->is_string()) {
      return BadArgument(call.id, name + ": " + std::string(p.name) + " must be a string, got " +
                                      slots[i]->type_name());
    }
    std::string& s = slots[i]->get_ref<std::string&>();
    if (s.size() > p.max_bytes) {
      return BadArgument(call.id, name + ": " + std::string(p.name) + " is " +
                                      std::to_string(s.size()) + " bytes, the limit is " +
                                      std::to_string(p.max_bytes));
    }
    call.args.push_back(std::move(s));
  }
  return call;
}

std::variant<Call, ErrorResponse> ParseCall(std::string_view line) {
  if (std::optional<Call> call = FastParseCall(line)) return std::move(*call);
  return ParseCallGeneric(line);
}

std::variant<Call, ErrorResponse> ParseCallGeneric(std::string_view line) {
  std::variant<Request, ErrorResponse> parsed = ParseRequest(line);
  if (auto* error = std::get_if<ErrorResponse>(&parsed)) return std::move(*error);
  return BindCall(std::move(std::get<Request>(parsed)));
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

}  // namespace walkv::rpc
