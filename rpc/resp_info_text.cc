#include "rpc/resp_info_text.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "rpc/ascii.h"
#include "rpc/resp_commands.h"

namespace walkv::rpc {

namespace {

using json = nlohmann::json;

enum Section : int {
  kServer,
  kClients,
  kMemory,
  kPersistence,
  kStats,
  kReplication,
  kCpu,
  kModules,
  kCommandStats,
  kErrorStats,
  kCluster,
  kKeyspace,
  kSectionCount,
};

struct SectionName {
  std::string_view redis;  // lower case, as INFO takes it
  std::string_view title;  // "# Title"
  std::string_view json;   // walkv's info section it is drawn from ("" = none)
};

constexpr std::array<SectionName, kSectionCount> kNames = {{
    {"server", "Server", "server"},
    {"clients", "Clients", "clients"},
    {"memory", "Memory", "memory"},
    {"persistence", "Persistence", "persistence"},
    {"stats", "Stats", "stats"},
    {"replication", "Replication", "replication"},
    {"cpu", "CPU", ""},
    {"modules", "Modules", ""},
    {"commandstats", "Commandstats", "stats"},
    {"errorstats", "Errorstats", "stats"},
    {"cluster", "Cluster", ""},
    {"keyspace", "Keyspace", "keyspace"},
}};

constexpr RespInfoSections Bit(int section) { return RespInfoSections{1} << section; }
constexpr RespInfoSections kAll = Bit(kSectionCount) - 1;
constexpr RespInfoSections kDefault = kAll & ~Bit(kCommandStats);

std::string ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// name:value lines for every scalar of `object`, nested objects flattened as parent_child,
// arrays as their length.
void AppendFlattened(std::string& text, const json& object, const std::string& prefix) {
  if (!object.is_object()) return;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string name = prefix + it.key();
    if (it->is_object()) {
      AppendFlattened(text, *it, name + "_");
    } else if (it->is_array()) {
      text += name + ":" + std::to_string(it->size()) + "\r\n";
    } else {
      std::string value = ScalarText(*it);
      std::replace(value.begin(), value.end(), '\r', ' ');
      std::replace(value.begin(), value.end(), '\n', ' ');
      text += name + ":" + value + "\r\n";
    }
  }
}

// Reads fields from a section of `info`, falling back to info's top level (the flat counters of
// `info` without arguments).
class InfoReader {
 public:
  InfoReader(const json& info, std::string_view section)
      : info_(info),
        section_(info.is_object() && !section.empty() && info.contains(section) &&
                         info[std::string(section)].is_object()
                     ? info[std::string(section)]
                     : kEmpty()) {}

  const json& section() const { return section_; }

  std::string Text(const char* name, std::string fallback = "0") const {
    if (section_.contains(name)) return ScalarText(section_[name]);
    if (info_.is_object() && info_.contains(name)) return ScalarText(info_[name]);
    return fallback;
  }

  uint64_t Number(const char* name) const {
    const json* v = section_.contains(name)                       ? &section_[name]
                    : (info_.is_object() && info_.contains(name)) ? &info_[name]
                                                                  : nullptr;
    if (v == nullptr || !v->is_number()) return 0;
    return v->is_number_unsigned() ? v->get<uint64_t>()
                                   : static_cast<uint64_t>(std::max<int64_t>(0, v->get<int64_t>()));
  }

 private:
  static const json& kEmpty() {
    static const json empty = json::object();
    return empty;
  }
  const json& info_;
  const json& section_;
};

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6f", s);
  return buf;
}

// The Redis fields of one section (walkv's own follow them).
void AppendRedisFields(std::string& t, int section, const json& info, const InfoReader& in) {
  switch (section) {
    case kServer: {
      const uint64_t uptime = in.Number("uptime_seconds");
      t += "redis_version:" + std::string(kRespCompatibleVersion) + "\r\n";
      t += "redis_mode:standalone\r\n";
      t += "server_name:walkv\r\n";
      t += "process_id:" + in.Text("pid") + "\r\n";
      // INFO is answered on the RESP port, so that is the port a Redis client expects here.
      t += "tcp_port:" + (in.Number("resp_port") > 0 ? in.Text("resp_port") : in.Text("port")) +
           "\r\n";
      t += "uptime_in_seconds:" + std::to_string(uptime) + "\r\n";
      t += "uptime_in_days:" + std::to_string(uptime / 86400) + "\r\n";
      return;
    }
    case kClients:
      t += "connected_clients:" + in.Text("connections_current") + "\r\n";
      t += "blocked_clients:0\r\n";
      return;
    case kMemory:
      t += "used_memory:" + in.Text("approx_memory_bytes") + "\r\n";
      t += "maxmemory:0\r\n";
      t += "maxmemory_policy:noeviction\r\n";
      return;
    case kPersistence: {
      const json snapshot =
          in.section().value("last_snapshot", info.value("last_snapshot", json()));
      const uint64_t saved_micros =
          snapshot.is_object() ? snapshot.value("unix_micros", uint64_t{0}) : 0;
      t += "loading:0\r\n";
      t += "rdb_last_save_time:" + std::to_string(saved_micros / 1000000) + "\r\n";
      t += "aof_enabled:1\r\n";
      t += "aof_rewrite_in_progress:0\r\n";
      t += "aof_last_write_status:" +
           std::string(in.Text("poisoned_reason", "").empty() ? "ok" : "err") + "\r\n";
      return;
    }
    case kStats: {
      const InfoReader server(info, "server");  // `info` without arguments keeps them there
      const std::string commands = in.section().contains("requests_total")
                                       ? in.Text("requests_total")
                                       : server.Text("requests_total");
      const std::string connections =
          InfoReader(info, "clients").section().contains("connections_total")
              ? InfoReader(info, "clients").Text("connections_total")
              : server.Text("connections_total");
      t += "total_connections_received:" + connections + "\r\n";
      t += "total_commands_processed:" + commands + "\r\n";
      t += "rejected_connections:" + InfoReader(info, "clients").Text("connections_refused") +
           "\r\n";
      t += "expired_keys:0\r\n";
      t += "evicted_keys:0\r\n";
      return;
    }
    case kReplication: {
      // docs/replication.md §3: a replica shows Redis's slave fields, a primary its streams.
      if (in.Text("role", "primary") == "replica") {
        const std::string primary = in.Text("primary", "");
        const size_t colon = primary.rfind(':');
        t += "role:slave\r\n";
        t += "master_host:" + primary.substr(0, colon) + "\r\n";
        t += "master_port:" + (colon == std::string::npos ? "" : primary.substr(colon + 1)) +
             "\r\n";
        t += "master_link_status:" + std::string(in.Text("link", "") == "up" ? "up" : "down") +
             "\r\n";
        t += "slave_repl_offset:" + in.Text("applied_seq") + "\r\n";
      } else {
        t += "role:master\r\n";
        t += "connected_slaves:" + in.Text("connected_replicas") + "\r\n";
      }
      return;
    }
    case kCpu: {
      rusage usage{};
      ::getrusage(RUSAGE_SELF, &usage);
      auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
      t += "used_cpu_sys:" + Seconds(seconds(usage.ru_stime)) + "\r\n";
      t += "used_cpu_user:" + Seconds(seconds(usage.ru_utime)) + "\r\n";
      return;
    }
    case kModules:
      return;
    case kCommandStats: {
      const json ops = in.section().value("ops", json::object());
      for (auto it = ops.begin(); it != ops.end(); ++it) {
        t += "cmdstat_" + it.key() + ":calls=" + ScalarText(*it) +
             ",usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n";
      }
      return;
    }
    case kErrorStats: {
      const json errors = in.section().value("errors", json::object());
      for (auto it = errors.begin(); it != errors.end(); ++it) {
        t += "errorstat_" + it.key() + ":count=" + ScalarText(*it) + "\r\n";
      }
      return;
    }
    case kCluster:
      t += "cluster_enabled:0\r\n";
      return;
    case kKeyspace: {
      const uint64_t keys = in.Number("keys");
      if (keys > 0) {
        t += "db0:keys=" + std::to_string(keys) +
             ",expires=" + std::to_string(in.Number("keys_with_deadline")) + ",avg_ttl=0\r\n";
      }
      return;
    }
  }
}

// Sections whose walkv fields are shown as they are (commandstats and errorstats show stats'
// ops and errors in Redis's form instead; keyspace's only field is db0's keys).
bool ShowsWalkvFields(int section) {
  return section != kCommandStats && section != kErrorStats && section != kKeyspace &&
         !kNames[section].json.empty();
}

}  // namespace

RespInfoSections RespInfoSectionsFor(const std::vector<std::string>& names) {
  if (names.empty()) return kDefault;
  RespInfoSections sections = 0;
  for (const std::string& name : names) {
    if (EqualsIgnoreAsciiCase(name, "default")) {
      sections |= kDefault;
    } else if (EqualsIgnoreAsciiCase(name, "all") || EqualsIgnoreAsciiCase(name, "everything")) {
      sections |= kAll;
    } else {
      for (int s = 0; s < kSectionCount; ++s) {
        if (EqualsIgnoreAsciiCase(kNames[s].redis, name)) sections |= Bit(s);
      }
    }
  }
  return sections;
}

std::optional<std::string> RespInfoMethodSection(RespInfoSections sections) {
  std::string_view only;
  for (int s = 0; s < kSectionCount; ++s) {
    if ((sections & Bit(s)) == 0 || kNames[s].json.empty()) continue;
    if (!only.empty() && only != kNames[s].json) return "all";
    only = kNames[s].json;
  }
  if (only.empty()) return std::nullopt;
  return std::string(only);
}

std::string RespInfoText(const json& info, RespInfoSections sections) {
  std::string t;
  for (int s = 0; s < kSectionCount; ++s) {
    if ((sections & Bit(s)) == 0) continue;
    if (!t.empty()) t += "\r\n";
    t += "# " + std::string(kNames[s].title) + "\r\n";
    const InfoReader in(info, kNames[s].json);
    AppendRedisFields(t, s, info, in);
    if (ShowsWalkvFields(s)) {
      json fields = in.section();
      if (s == kReplication && fields.is_object()) fields.erase("role");  // Redis's role line
      AppendFlattened(t, fields, "");
    }
  }
  return t;
}

}  // namespace walkv::rpc
