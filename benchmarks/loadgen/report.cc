#include "benchmarks/loadgen/report.h"

#include <cstdio>
#include <string_view>

namespace walkv::loadgen {
namespace {

double Micros(uint64_t nanos) { return static_cast<double>(nanos) / 1000.0; }

class JsonObject {
 public:
  void Add(std::string_view name, double value) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.6g", value);
    AddRaw(name, buf);
  }
  void Add(std::string_view name, uint64_t value) { AddRaw(name, std::to_string(value)); }
  void Add(std::string_view name, std::string_view text) {
    std::string quoted = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') {
        quoted.push_back('\\');
        quoted.push_back(c);
      } else if (static_cast<unsigned char>(c) < 0x20) {
        quoted.push_back(' ');
      } else {
        quoted.push_back(c);
      }
    }
    quoted.push_back('"');
    AddRaw(name, quoted);
  }
  void AddLatency(std::string_view prefix, const Histogram& h) {
    const std::string p(prefix);
    Add(p + "p50_us", Micros(h.Percentile(50)));
    Add(p + "p99_us", Micros(h.Percentile(99)));
    Add(p + "p999_us", Micros(h.Percentile(99.9)));
    Add(p + "max_us", Micros(h.max()));
  }
  std::string Finish() { return text_ + "}"; }

 private:
  void AddRaw(std::string_view name, std::string_view value) {
    text_ += text_.size() == 1 ? "\"" : ",\"";
    text_ += name;
    text_ += "\":";
    text_ += value;
  }
  std::string text_ = "{";
};

std::string LatencyLine(const char* label, const Histogram& h) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "  %-14s n=%-10llu p50 %9.1f  p99 %9.1f  p99.9 %9.1f  max %9.1f  mean %9.1f us\n",
                label, static_cast<unsigned long long>(h.count()), Micros(h.Percentile(50)),
                Micros(h.Percentile(99)), Micros(h.Percentile(99.9)), Micros(h.max()),
                h.mean() / 1000.0);
  return buf;
}

}  // namespace

std::string FormatRunText(const RunOptions& options, const Workload& workload,
                          const RunResult& result) {
  const WorkloadSpec& spec = workload.spec();
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof(buf),
                "%s %s:%u  connections %d  pipeline %d  threads %d  set %.0f%%  keyspace %llu  "
                "key %zu B  value %zu B\n",
                options.protocol == Protocol::kResp ? "resp" : "walkv", options.host.c_str(),
                options.port, options.connections, options.pipeline, options.threads,
                spec.set_fraction * 100, static_cast<unsigned long long>(spec.keyspace),
                workload.key_size(), spec.value_size);
  out += buf;
  const double rate = result.seconds > 0 ? result.ops / result.seconds : 0;
  std::snprintf(buf, sizeof(buf),
                "  %llu ops in %.2f s = %.0f ops/s  (%llu errors, %llu GET misses)\n",
                static_cast<unsigned long long>(result.ops), result.seconds, rate,
                static_cast<unsigned long long>(result.errors),
                static_cast<unsigned long long>(result.misses));
  out += buf;
  out += LatencyLine("all", result.all);
  if (result.sets > 0 && result.gets > 0) {
    out += LatencyLine("set", result.set_latency);
    out += LatencyLine("get", result.get_latency);
  }
  if (!options.trigger.empty()) {
    std::snprintf(buf, sizeof(buf), "  %s ran %.2f s%s%s\n", options.trigger.c_str(),
                  result.trigger_seconds, result.trigger_error.empty() ? "" : ": ",
                  result.trigger_error.c_str());
    out += buf;
    out += LatencyLine("during trigger", result.during_trigger);
  }
  const double cpu = result.cpu_user_seconds + result.cpu_system_seconds;
  std::snprintf(
      buf, sizeof(buf), "  client CPU %.2f s (user %.2f, sys %.2f) = %.2f cores, %.2f us per op\n",
      cpu, result.cpu_user_seconds, result.cpu_system_seconds,
      result.seconds > 0 ? cpu / result.seconds : 0, result.ops > 0 ? cpu * 1e6 / result.ops : 0);
  out += buf;
  if (!result.first_error.empty()) out += "  first error: " + result.first_error + "\n";
  return out;
}

std::string FormatRunJson(const RunOptions& options, const Workload& workload,
                          const RunResult& result) {
  const WorkloadSpec& spec = workload.spec();
  JsonObject json;
  json.Add("protocol", options.protocol == Protocol::kResp ? "resp" : "walkv");
  json.Add("connections", static_cast<uint64_t>(options.connections));
  json.Add("pipeline", static_cast<uint64_t>(options.pipeline));
  json.Add("threads", static_cast<uint64_t>(options.threads));
  json.Add("set_fraction", spec.set_fraction);
  json.Add("keyspace", spec.keyspace);
  json.Add("key_bytes", static_cast<uint64_t>(workload.key_size()));
  json.Add("value_bytes", static_cast<uint64_t>(spec.value_size));
  json.Add("ops", result.ops);
  json.Add("sets", result.sets);
  json.Add("gets", result.gets);
  json.Add("errors", result.errors);
  json.Add("misses", result.misses);
  json.Add("seconds", result.seconds);
  json.Add("ops_per_sec", result.seconds > 0 ? result.ops / result.seconds : 0.0);
  json.AddLatency("", result.all);
  json.Add("mean_us", result.all.mean() / 1000.0);
  json.AddLatency("set_", result.set_latency);
  json.AddLatency("get_", result.get_latency);
  if (!options.trigger.empty()) {
    json.Add("trigger", options.trigger);
    json.Add("trigger_seconds", result.trigger_seconds);
    json.Add("trigger_error", result.trigger_error);
    json.Add("trigger_ops", result.during_trigger.count());
    json.AddLatency("trigger_", result.during_trigger);
  }
  const double cpu = result.cpu_user_seconds + result.cpu_system_seconds;
  json.Add("client_cpu_seconds", cpu);
  json.Add("client_cpu_cores", result.seconds > 0 ? cpu / result.seconds : 0.0);
  json.Add("first_error", result.first_error);
  return json.Finish() + "\n";
}

std::string FormatFsyncRate(const FsyncRateResult& result, FsyncMode mode, size_t size, bool json) {
  const double rate = result.seconds > 0 ? result.ops / result.seconds : 0;
  const char* mode_name = mode == FsyncMode::kAppend ? "append" : "overwrite";
  if (json) {
    JsonObject object;
    object.Add("mode", mode_name);
    object.Add("record_bytes", static_cast<uint64_t>(size));
    object.Add("ops", result.ops);
    object.Add("seconds", result.seconds);
    object.Add("ops_per_sec", rate);
    object.AddLatency("", result.latency);
    return object.Finish() + "\n";
  }
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s %zu B + fdatasync: %llu in %.2f s = %.0f per second\n",
                mode_name, size, static_cast<unsigned long long>(result.ops), result.seconds, rate);
  return buf + LatencyLine("latency", result.latency);
}

}  // namespace walkv::loadgen
