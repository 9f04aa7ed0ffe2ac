// walkv-bench: a load generator for walkv and Redis (docs/performance.md, "Load generator").
//
//   walkv-bench run        closed-loop load: N connections x pipeline P, set/get mix, report
//   walkv-bench wait-ready time until a (re)starting server answers PING
//   walkv-bench call       send one command and print the reply (set-up, info, snapshot, ...)
//   walkv-bench fsync-rate the machine's raw write + fdatasync rate in a directory
//   walkv-bench free-port  print a loopback TCP port that is free right now
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/loadgen/codec.h"
#include "benchmarks/loadgen/fsync_rate.h"
#include "benchmarks/loadgen/load_runner.h"
#include "benchmarks/loadgen/net.h"
#include "benchmarks/loadgen/report.h"
#include "benchmarks/loadgen/workload.h"

namespace walkv::loadgen {
namespace {

struct Target {
  std::string host = "127.0.0.1";
  uint16_t port = 7379;
  Protocol protocol = Protocol::kWalkv;
};

void AddTargetOptions(CLI::App* app, Target* target) {
  const std::map<std::string, Protocol> protocols{{"walkv", Protocol::kWalkv},
                                                  {"resp", Protocol::kResp}};
  app->add_option("--host", target->host, "Server address")->capture_default_str();
  app->add_option("--port", target->port, "Server port")->capture_default_str();
  app->add_option("--protocol", target->protocol,
                  "walkv (JSON lines) or resp (Redis); default walkv")
      ->transform(CLI::CheckedTransformer(protocols, CLI::ignore_case));
}

int RunCommand(const RunOptions& options, const WorkloadSpec& spec, bool json) {
  const Workload workload(spec);
  RunResult result;
  std::string error;
  if (!RunLoad(options, workload, &result, &error)) {
    std::fprintf(stderr, "walkv-bench: %s\n", error.c_str());
    return 1;
  }
  const std::string report =
      json ? FormatRunJson(options, workload, result) : FormatRunText(options, workload, result);
  std::fputs(report.c_str(), stdout);
  return 0;
}

int WaitReady(const Target& target, double timeout_seconds, uint64_t since_epoch_ns, bool json) {
  const uint64_t start = MonotonicNanos();
  const uint64_t deadline = start + static_cast<uint64_t>(timeout_seconds * 1e9);
  uint64_t attempts = 0;
  std::string last_error = "not tried";
  while (MonotonicNanos() < deadline) {
    ++attempts;
    std::string error;
    const int fd = ConnectTcp(target.host, target.port, /*nonblocking=*/false, &error);
    if (fd < 0) {
      last_error = error;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    BlockingConn conn(target.protocol, fd);
    // Redis answers -LOADING while it loads its AOF: keep asking on the same connection.
    while (MonotonicNanos() < deadline) {
      ReplyKind kind;
      std::string payload;
      if (!conn.Call({"PING"}, 1000, &kind, &payload, &error)) {
        last_error = error;
        break;
      }
      if (kind != ReplyKind::kError) {
        const uint64_t wall = RealtimeNanos();
        const double seconds = since_epoch_ns > 0 && wall > since_epoch_ns
                                   ? static_cast<double>(wall - since_epoch_ns) / 1e9
                                   : static_cast<double>(MonotonicNanos() - start) / 1e9;
        if (json) {
          std::printf("{\"ready_seconds\":%.6f,\"attempts\":%llu}\n", seconds,
                      static_cast<unsigned long long>(attempts));
        } else {
          std::printf("ready after %.3f s (%llu attempts)\n", seconds,
                      static_cast<unsigned long long>(attempts));
        }
        return 0;
      }
      last_error = payload;
      ++attempts;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::fprintf(stderr, "walkv-bench: server not ready after %.1f s: %s\n", timeout_seconds,
               last_error.c_str());
  return 1;
}

int Call(const Target& target, const std::vector<std::string>& words, double timeout_seconds) {
  std::string error;
  const int fd = ConnectTcp(target.host, target.port, /*nonblocking=*/false, &error);
  if (fd < 0) {
    std::fprintf(stderr, "walkv-bench: %s\n", error.c_str());
    return 1;
  }
  BlockingConn conn(target.protocol, fd);
  std::vector<std::string_view> views(words.begin(), words.end());
  ReplyKind kind;
  std::string payload;
  if (!conn.Call(views, static_cast<int>(timeout_seconds * 1000), &kind, &payload, &error)) {
    std::fprintf(stderr, "walkv-bench: %s\n", error.c_str());
    return 1;
  }
  std::fwrite(payload.data(), 1, payload.size(), kind == ReplyKind::kError ? stderr : stdout);
  std::fputc('\n', kind == ReplyKind::kError ? stderr : stdout);
  return kind == ReplyKind::kError ? 1 : 0;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("walkv-bench: free-port");
    return 1;
  }
  std::printf("%u\n", ntohs(addr.sin_port));
  close(fd);
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{"walkv-bench: closed-loop load generator for walkv (JSON lines) and Redis (RESP)"};
  app.require_subcommand(1);

  // run
  RunOptions run;
  WorkloadSpec spec;
  Target run_target;
  bool run_json = false;
  std::string op = "set";
  double set_fraction = -1;
  const unsigned cpus = std::thread::hardware_concurrency();
  run.threads = static_cast<int>(cpus == 0 ? 2 : std::min(cpus, 4u));
  CLI::App* run_cmd =
      app.add_subcommand("run", "Run a closed-loop load and report ops/s and latency");
  AddTargetOptions(run_cmd, &run_target);
  run_cmd->add_option("-c,--connections", run.connections, "Connections")->capture_default_str();
  run_cmd->add_option("-P,--pipeline", run.pipeline, "Requests in flight per connection")
      ->capture_default_str();
  run_cmd->add_option("--threads", run.threads, "Client threads (epoll loops)")
      ->capture_default_str();
  run_cmd->add_option("--op", op, "set, get or mixed")
      ->check(CLI::IsMember({"set", "get", "mixed"}))
      ->capture_default_str();
  run_cmd
      ->add_option("--set-fraction", set_fraction,
                   "Fraction of SETs for --op mixed (default 0.1: 90 % GET, 10 % SET)")
      ->check(CLI::Range(0.0, 1.0));
  run_cmd->add_option("--keyspace", spec.keyspace, "Number of distinct keys")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  run_cmd->add_option("--value-size", spec.value_size, "Value bytes")->capture_default_str();
  run_cmd->add_option("--key-prefix", spec.key_prefix, "Key prefix")->capture_default_str();
  run_cmd->add_flag("--sequential", spec.sequential,
                    "Keys 0, 1, 2, ... in issue order (to load a key space) instead of random");
  run_cmd->add_option("--seed", spec.seed, "Random seed")->capture_default_str();
  run_cmd->add_option("--seconds", run.seconds, "Measured duration after the warm-up")
      ->capture_default_str();
  run_cmd->add_option("--requests", run.requests,
                      "Stop after this many requests instead of after --seconds");
  run_cmd->add_option("--warmup", run.warmup_seconds, "Warm-up seconds, not measured")
      ->capture_default_str();
  run_cmd->add_option("--max-seconds", run.max_seconds, "Hard cap on the whole run")
      ->capture_default_str();
  run_cmd
      ->add_option("--trigger", run.trigger,
                   "Run this during the load and report latency while it runs: snapshot "
                   "(walkv), bgrewriteaof or bgsave (Redis)")
      ->check(CLI::IsMember({"snapshot", "bgrewriteaof", "bgsave"}));
  run_cmd->add_option("--trigger-at", run.trigger_at, "Seconds after the warm-up")
      ->capture_default_str();
  run_cmd->add_flag("--json", run_json, "One flat JSON object on stdout");

  // wait-ready
  Target ready_target;
  double ready_timeout = 300;
  uint64_t since_epoch_ns = 0;
  bool ready_json = false;
  CLI::App* ready_cmd =
      app.add_subcommand("wait-ready", "Wait until the server answers PING; print the time taken");
  AddTargetOptions(ready_cmd, &ready_target);
  ready_cmd->add_option("--timeout", ready_timeout, "Give up after this many seconds")
      ->capture_default_str();
  ready_cmd->add_option("--since-epoch-ns", since_epoch_ns,
                        "Measure from this wall-clock time (date +%s%N before starting the "
                        "server) instead of from now");
  ready_cmd->add_flag("--json", ready_json, "Print {\"ready_seconds\":…}");

  // call
  Target call_target;
  std::vector<std::string> words;
  double call_timeout = 600;
  CLI::App* call_cmd = app.add_subcommand("call", "Send one command, print its reply");
  AddTargetOptions(call_cmd, &call_target);
  call_cmd->add_option("--timeout", call_timeout, "Seconds")->capture_default_str();
  call_cmd->add_option("command", words, "Command and arguments, e.g. info")->required();

  // fsync-rate
  std::string dir;
  size_t record_size = 100;
  uint64_t count = 2000;
  double fsync_seconds = 5;
  bool fsync_json = false;
  FsyncMode fsync_mode = FsyncMode::kAppend;
  const std::map<std::string, FsyncMode> fsync_modes{{"append", FsyncMode::kAppend},
                                                     {"overwrite", FsyncMode::kOverwrite}};
  CLI::App* fsync_cmd = app.add_subcommand(
      "fsync-rate", "Measure write + fdatasync per second on a fresh file in a directory");
  fsync_cmd
      ->add_option("--mode", fsync_mode,
                   "append (the file grows, as a log does; default) or overwrite (pwrite into "
                   "an 8 MiB file written and synced first)")
      ->transform(CLI::CheckedTransformer(fsync_modes, CLI::ignore_case));
  fsync_cmd->add_option("--dir", dir, "Directory (on the data directory's file system)")
      ->required();
  fsync_cmd->add_option("--size", record_size, "Bytes per write")->capture_default_str();
  fsync_cmd->add_option("--count", count, "Maximum number of write + fdatasync")
      ->capture_default_str();
  fsync_cmd->add_option("--seconds", fsync_seconds, "Maximum duration")->capture_default_str();
  fsync_cmd->add_flag("--json", fsync_json, "One flat JSON object on stdout");

  CLI::App* port_cmd = app.add_subcommand("free-port", "Print a free loopback TCP port");

  CLI11_PARSE(app, argc, argv);

  if (port_cmd->parsed()) return FreePort();

  if (run_cmd->parsed()) {
    run.host = run_target.host;
    run.port = run_target.port;
    run.protocol = run_target.protocol;
    if (op == "set") {
      spec.set_fraction = 1.0;
    } else if (op == "get") {
      spec.set_fraction = 0.0;
    } else {
      spec.set_fraction = set_fraction >= 0 ? set_fraction : 0.1;
    }
    return RunCommand(run, spec, run_json);
  }
  if (ready_cmd->parsed())
    return WaitReady(ready_target, ready_timeout, since_epoch_ns, ready_json);
  if (call_cmd->parsed()) return Call(call_target, words, call_timeout);
  FsyncRateResult result;
  std::string error;
  if (!MeasureFsyncRate(dir, fsync_mode, record_size, count, fsync_seconds, &result, &error)) {
    std::fprintf(stderr, "walkv-bench: %s\n", error.c_str());
    return 1;
  }
  std::fputs(FormatFsyncRate(result, fsync_mode, record_size, fsync_json).c_str(), stdout);
  return 0;
}

}  // namespace
}  // namespace walkv::loadgen

int main(int argc, char** argv) { return walkv::loadgen::Main(argc, argv); }
