#include "rpc/methods.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "engine/mutation.h"

namespace walkv::rpc {

namespace {

using json = nlohmann::json;

// Submits one mutation; `to_json` turns its result into the response's result.
template <typename ToJson>
void SubmitMutation(MethodContext& ctx, Mutation m, Respond respond, ToJson to_json) {
  ctx.engine.Submit(std::move(m),
                    [respond = std::move(respond), to_json](StatusOr<MutationResult> r) {
                      if (!r.ok()) {
                        respond(FailureFromStatus(r.status()));
                      } else {
                        respond(to_json(*r));
                      }
                    });
}

void Ping(MethodContext&, const std::vector<std::string>&, Respond respond) {
  respond(json("PONG"));
}

void Set(MethodContext& ctx, const std::vector<std::string>& args, Respond respond) {
  SubmitMutation(ctx, Mutation{MutationType::kSet, args[0], args[1]}, std::move(respond),
                 [](const MutationResult&) { return json(true); });
}

void Get(MethodContext& ctx, const std::vector<std::string>& args, Respond respond) {
  std::optional<std::string> value = ctx.engine.Get(args[0]);
  respond(value.has_value() ? json(std::move(*value)) : json(nullptr));
}

void Delete(MethodContext& ctx, const std::vector<std::string>& args, Respond respond) {
  SubmitMutation(ctx, Mutation{MutationType::kDelete, args[0], ""}, std::move(respond),
                 [](const MutationResult& r) { return json(r.existed); });
}

void Keys(MethodContext& ctx, const std::vector<std::string>& args, Respond respond) {
  std::vector<std::string> keys = ctx.engine.Keys(args.empty() ? "*" : args[0]);
  std::sort(keys.begin(), keys.end());
  respond(json(std::move(keys)));
}

void FlushAll(MethodContext& ctx, const std::vector<std::string>&, Respond respond) {
  SubmitMutation(ctx, Mutation{MutationType::kFlushAll, "", ""}, std::move(respond),
                 [](const MutationResult&) { return json(true); });
}

void Append(MethodContext& ctx, const std::vector<std::string>& args, Respond respond) {
  SubmitMutation(ctx, Mutation{MutationType::kAppend, args[0], args[1]}, std::move(respond),
                 [](const MutationResult& r) { return json(r.new_length); });
}

json SnapshotJson(const SnapshotInfo& s) {
  return {{"seq", s.seq},
          {"bytes", s.bytes},
          {"file", s.file},
          {"keys", s.keys},
          {"unix_micros", s.unix_micros}};
}

void Snapshot(MethodContext& ctx, const std::vector<std::string>&, Respond respond) {
  StatusOr<SnapshotInfo> info = ctx.engine.Snapshot();
  if (!info.ok()) {
    respond(FailureFromStatus(info.status()));
  } else {
    respond(SnapshotJson(*info));
  }
}

void Info(MethodContext& ctx, const std::vector<std::string>&, Respond respond) {
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
  respond(std::move(out));
}

constexpr ParamSpec kKey{"key", kMaxKeyBytes};
constexpr ParamSpec kValue{"value", kUnlimited};
constexpr ParamSpec kPattern{"pattern", kMaxKeyBytes};

// The table. Keep it sorted by name; info() reports ops in this order.
constexpr MethodSpec kMethods[] = {
    // name,     min, max, params,           kwargs, kind,                 handler
    {"append", 2, 2, {kKey, kValue}, true, MethodKind::kWrite, &Append},
    {"delete", 1, 1, {kKey}, true, MethodKind::kWrite, &Delete},
    {"flushall", 0, 0, {}, false, MethodKind::kWrite, &FlushAll},
    {"get", 1, 1, {kKey}, true, MethodKind::kRead, &Get},
    {"info", 0, 0, {}, false, MethodKind::kRead, &Info},
    {"keys", 0, 1, {kPattern}, true, MethodKind::kRead, &Keys},
    {"ping", 0, 0, {}, false, MethodKind::kRead, &Ping},
    {"set", 2, 2, {kKey, kValue}, true, MethodKind::kWrite, &Set},
    {"snapshot", 0, 0, {}, false, MethodKind::kBlocking, &Snapshot},
};
static_assert(std::size(kMethods) <= Metrics::kMaxMethods);

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
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
