#include "rpc/info_method.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <utility>

#include "rpc/ascii.h"
#include "rpc/replica_follower.h"
#include "rpc/replication_streams.h"
#include "rpc/sync_replica_waiter.h"

namespace walkv::rpc {

namespace {

using json = nlohmann::json;

// Everything a section may need, gathered once per call.
struct InfoInputs {
  MethodContext& ctx;
  EngineStats stats;
  json metrics;  // Metrics::ToJson()
};

json ServerSection(const InfoInputs& in) {
  const EngineOptions& o = in.ctx.engine.options();
  return {
      {"version", WALKV_VERSION},
      {"pid", static_cast<int64_t>(::getpid())},
      {"host", in.ctx.server.host},
      {"port", in.ctx.server.port},
      {"resp_port", in.ctx.server.resp_port},
      {"data_dir", o.data_dir},
      {"fsync", FsyncModeName(o.fsync_mode)},
      {"fsync_interval_ms", o.fsync_interval_ms},
      {"snapshot_interval_seconds", o.snapshot_interval_seconds},
      {"snapshot_wal_bytes", o.snapshot_wal_bytes},
      {"recovery_mode", RecoveryModeName(o.recovery_mode)},
      {"max_keys_reply", in.ctx.server.max_keys_reply},
      {"uptime_micros", in.stats.uptime_micros},
      {"uptime_seconds", in.stats.uptime_micros / 1000000},
  };
}

json ClientsSection(const InfoInputs& in) {
  json out = json::object();
  for (const char* field : {"connections_current", "connections_total", "connections_refused",
                            "connections_paused", "read_pauses"}) {
    out[field] = in.metrics.value(field, json(0));
  }
  return out;
}

json MemorySection(const InfoInputs& in) {
  return {{"approx_memory_bytes", in.stats.approx_memory_bytes}};
}

json PersistenceSection(const InfoInputs& in) {
  const EngineStats& s = in.stats;
  const RecoverySummary& r = in.ctx.engine.recovery_summary();
  return {
      {"log_bytes", s.log_bytes},
      {"log_segments", s.log_segments},
      {"log_spares_used", s.log_spares_used},
      {"log_spare_failures", s.log_spare_failures},
      {"last_seq", s.last_seq},
      {"fsync_count", s.fsync_count},
      {"fsync_p50_micros", s.fsync_p50_micros},
      {"fsync_p99_micros", s.fsync_p99_micros},
      {"fsync_max_micros", s.fsync_max_micros},
      {"commit_batches", s.commit_batches},
      {"mutations_committed", s.mutations_committed},
      {"last_snapshot", s.last_snapshot ? SnapshotJson(*s.last_snapshot) : json(nullptr)},
      {"poisoned_reason", s.poisoned_reason},
      {"recovery",
       {
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
       }},
  };
}

// On a replica (docs/replication.md §3): its primary, the link, how far behind it is.
void AddReplicaFields(const ReplicaFollower& follower, const EngineStats& stats, json* out) {
  const ReplicaStatus s = follower.status();
  const uint64_t applied = stats.last_seq;
  (*out)["role"] = "replica";
  (*out)["primary"] = s.primary;
  (*out)["link"] = ReplicaLinkName(s.link);
  (*out)["primary_last_seq"] = s.primary_last_seq;
  (*out)["applied_seq"] = applied;
  (*out)["lag_records"] = s.primary_last_seq > applied ? s.primary_last_seq - applied : 0;
  // 0 while the replica holds everything the newest heartbeat reported; else how old the
  // newest primary state it fully holds is (by the primary's clock in the heartbeats); null
  // until it caught up once.
  const uint64_t now_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  if (s.caught_up_unix_ms == 0) {
    (*out)["lag_ms"] = nullptr;
  } else if (s.caught_up_unix_ms == s.heartbeat_unix_ms && applied >= s.primary_last_seq) {
    (*out)["lag_ms"] = 0;
  } else {
    (*out)["lag_ms"] = now_ms > s.caught_up_unix_ms ? now_ms - s.caught_up_unix_ms : 0;
  }
  (*out)["last_heartbeat_unix_ms"] = s.heartbeat_unix_ms;
  (*out)["connects"] = s.connects;
  (*out)["last_error"] = s.last_error;
  (*out)["snapshots_installed"] = s.snapshots_installed;
  (*out)["last_install_seq"] = s.last_install_seq;
  (*out)["primary_epoch"] = s.primary_epoch;  // §7: the newest epoch heard from the primary
}

// docs/replication.md: the role, the history digest, the running `replicate` streams, and on a
// replica its link to the primary.
json ReplicationSection(const InfoInputs& in) {
  const HistoryDigest& d = in.stats.digest;
  const ReplicationStreams* streams = in.ctx.replication_streams;
  json out = {{"role", "primary"},
              {"digest", d.Hex()},
              {"digest_seq", d.seq},
              {"digest_base_seq", d.base_seq},
              {"connected_replicas", streams != nullptr ? streams->active() : 0}};
  json replicas = json::array();
  if (streams != nullptr) {
    for (const ReplicationStreams::ReplicaInfo& r : streams->replicas()) {
      replicas.push_back({{"address", r.address},
                          {"acked_seq", r.acked_seq},
                          {"sent_seq", r.sent_seq},
                          {"lag_records", in.stats.last_seq > r.acked_seq
                                              ? in.stats.last_seq - r.acked_seq
                                              : 0}});
    }
  }
  out["replicas"] = std::move(replicas);
  // Semi-sync (§6): N, the seq N replicas have confirmed, the writes parked now, timeouts so far.
  const SyncReplicaWaiter* waiter = in.ctx.sync_waiter;
  const SyncReplicaWaiter::Stats sync = waiter != nullptr ? waiter->stats()
                                                          : SyncReplicaWaiter::Stats{};
  out["sync_replicas"] = sync.sync_replicas;
  if (waiter != nullptr) {
    out["sync_timeout_ms"] = waiter->options().timeout.count();
    out["sync_timeout_action"] =
        waiter->options().on_timeout == SyncTimeoutAction::kDowngrade ? "downgrade" : "error";
    out["sync_confirmed_seq"] = sync.confirmed_seq;
    out["sync_waiting_writes"] = sync.waiting;
    out["sync_confirmed_writes"] = sync.confirmed;
    out["sync_timeouts"] = sync.timeouts;
    out["sync_downgraded"] = sync.downgraded;
  }
  out["epoch"] = in.ctx.engine.replication_state().epoch;  // §7
  // A promoted replica keeps its (stopped) follower but is a primary (§7).
  if (in.ctx.replica_follower != nullptr && in.ctx.engine.IsReplica()) {
    AddReplicaFields(*in.ctx.replica_follower, in.stats, &out);
  }
  return out;
}

json StatsSection(const InfoInputs& in) {
  return {{"requests_total", in.metrics.value("requests_total", json(0))},
          {"ops", in.metrics.value("ops", json::object())},
          {"errors", in.metrics.value("errors", json::object())}};
}

json KeyspaceSection(const InfoInputs& in) {
  return {{"keys", in.ctx.engine.Size()}, {"keys_with_deadline", in.stats.keys_with_deadline}};
}

struct Section {
  std::string_view name;
  json (*build)(const InfoInputs&);
};
constexpr std::array<Section, 7> kSections = {{
    {"server", &ServerSection},
    {"clients", &ClientsSection},
    {"memory", &MemorySection},
    {"persistence", &PersistenceSection},
    {"replication", &ReplicationSection},
    {"stats", &StatsSection},
    {"keyspace", &KeyspaceSection},
}};

std::string NameList() {
  std::string out;
  for (const Section& s : kSections) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out + ", all";
}

// `info` without a section (the contract's info()): the counters every earlier release answered
// at the top level keep their names and places, next to the sections. The `server` section also
// carries what the old `server` object held (connections, requests_total, ops, errors), so a client
// reading info.server.ops keeps working.
void AddFlatCounters(const InfoInputs& in, json* out) {
  const EngineStats& s = in.stats;
  const json persistence = PersistenceSection(in);
  for (const char* field : {"log_bytes", "log_segments", "last_seq", "fsync_count",
                            "fsync_p50_micros", "fsync_p99_micros", "fsync_max_micros",
                            "commit_batches", "mutations_committed", "last_snapshot",
                            "poisoned_reason", "recovery"}) {
    (*out)[field] = persistence[field];
  }
  (*out)["keys"] = s.keys;
  (*out)["approx_memory_bytes"] = s.approx_memory_bytes;
  (*out)["uptime_micros"] = s.uptime_micros;
  (*out)["uptime_seconds"] = s.uptime_micros / 1000000;
  json& server = (*out)["server"];
  for (const auto& [field, value] : in.metrics.items()) {
    if (!server.contains(field)) server[field] = value;
  }
}

}  // namespace

std::vector<std::string_view> InfoSectionNames() {
  std::vector<std::string_view> names;
  for (const Section& s : kSections) names.push_back(s.name);
  return names;
}

MethodResult RunInfo(MethodContext& ctx, std::vector<std::string>& args) {
  const std::string_view wanted = args.empty() ? "all" : std::string_view(args[0]);
  const bool all =
      EqualsIgnoreAsciiCase(wanted, "all") || EqualsIgnoreAsciiCase(wanted, "everything");
  const Section* only = nullptr;
  for (const Section& s : kSections) {
    if (EqualsIgnoreAsciiCase(s.name, wanted)) only = &s;
  }
  if (!all && only == nullptr) {
    return Failure{
        ErrorCode::kInvalidArgument,
        "info: no section \"" + std::string(wanted.substr(0, 64)) + "\"; sections: " + NameList()};
  }
  InfoInputs in{ctx, ctx.engine.Stats(), ctx.metrics.ToJson()};
  json out = json::object();
  for (const Section& s : kSections) {
    if (all || &s == only) out[std::string(s.name)] = s.build(in);
  }
  if (args.empty()) AddFlatCounters(in, &out);
  return out;
}

}  // namespace walkv::rpc
