// `walkv serve`: recover a data directory and serve the JSON-lines protocol until SIGTERM/SIGINT.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/logging.h"
#include "cli/shutdown_signals.h"
#include "engine/engine.h"
#include "engine/options.h"
#include "rpc/server.h"

namespace walkv::cli {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

struct ServeFlags {
  std::string data_dir;
  std::string host = "127.0.0.1";
  int port = 7379;
  std::string fsync = "always";
  uint64_t fsync_interval_ms = 1000;
  uint64_t snapshot_interval_seconds = 60;
  uint64_t snapshot_wal_bytes = 64 * kMiB;
  std::string recovery_mode = "tolerate-tail";
  uint64_t max_request_bytes = 16 * kMiB;
  uint64_t max_connections = 10000;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string log_level = "info";
};

// Flag spellings of FsyncMode and RecoveryMode; CLI11 has already checked membership.
const std::map<std::string, FsyncMode>& FsyncModes() {
  static const std::map<std::string, FsyncMode> kModes = {{"always", FsyncMode::kAlways},
                                                          {"interval", FsyncMode::kInterval},
                                                          {"never", FsyncMode::kNever}};
  return kModes;
}

const std::map<std::string, RecoveryMode>& RecoveryModes() {
  static const std::map<std::string, RecoveryMode> kModes = {
      {"tolerate-tail", RecoveryMode::kTolerateTail},
      {"absolute", RecoveryMode::kAbsolute},
      {"point-in-time", RecoveryMode::kPointInTime}};
  return kModes;
}

std::vector<std::string> Names(const auto& modes) {
  std::vector<std::string> names;
  for (const auto& [name, mode] : modes) names.push_back(name);
  return names;
}

EngineOptions ToEngineOptions(const ServeFlags& flags) {
  EngineOptions options;
  options.data_dir = flags.data_dir;
  options.fsync_mode = FsyncModes().at(flags.fsync);
  options.fsync_interval_ms = flags.fsync_interval_ms;
  options.snapshot_interval_seconds = flags.snapshot_interval_seconds;
  options.snapshot_wal_bytes = flags.snapshot_wal_bytes;
  options.recovery_mode = RecoveryModes().at(flags.recovery_mode);
  options.log = EngineLogSink();
  return options;
}

rpc::ServerOptions ToServerOptions(const ServeFlags& flags) {
  rpc::ServerOptions options;
  options.host = flags.host;
  options.port = static_cast<uint16_t>(flags.port);
  options.threads = flags.threads;
  options.max_connections = flags.max_connections;
  options.max_request_bytes = flags.max_request_bytes;
  return options;
}

void LogStartup(const std::string& address, const ServeFlags& flags,
                const RecoverySummary& summary) {
  // Recovery's warnings were already logged by the engine's log sink as they happened.
  // The one startup line (contract §1); tests wait for "listening on HOST:PORT".
  spdlog::info(
      "listening on {} (walkv {}, data dir {}, {} keys loaded, {} bytes replayed, recovery "
      "{:.1f} ms, fsync {})",
      address, WALKV_VERSION, flags.data_dir, summary.keys, summary.bytes_replayed,
      static_cast<double>(summary.duration_micros) / 1000.0, flags.fsync);
}

int RunServe(const ServeFlags& flags) {
  BlockShutdownSignals();  // before Engine::Open starts any thread
  SetUpServerLogging(flags.log_level);

  StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(ToEngineOptions(flags));
  if (!opened.ok()) {
    const Status& status = opened.status();
    if (status.code() == StatusCode::kBusy) {
      std::fprintf(stderr, "walkv: data directory %s is locked by another process\n",
                   flags.data_dir.c_str());
    } else {
      std::fprintf(stderr, "walkv: cannot open data directory %s: %s\n", flags.data_dir.c_str(),
                   status.ToString().c_str());
    }
    return kExitFailure;
  }
  std::unique_ptr<Engine> engine = std::move(opened).value();

  int exit_code = kExitOk;
  {
    rpc::Server server(*engine, ToServerOptions(flags));
    Status started = server.Start();
    if (!started.ok()) {
      // The message names the address, e.g. "127.0.0.1:7379: address already in use".
      std::fprintf(stderr, "walkv: cannot listen on %s\n", started.message().c_str());
      engine->Close().IgnoreError();  // the listen failure is what the operator needs to see
      return kExitFailure;
    }
    LogStartup(server.address(), flags, engine->recovery_summary());
    {
      ShutdownSignalWatcher watcher([&server](int) { server.Shutdown(); });
      server.Run();  // returns once Shutdown() has stopped accepting and drained connections
    }
    // Commit and sync whatever is still queued while the server object (and any callback
    // target) still exists.
    Status closed = engine->Close();
    if (!closed.ok()) {
      spdlog::error("closing the data directory failed: {}", closed.ToString());
      exit_code = kExitFailure;
    }
  }
  if (exit_code == kExitOk) spdlog::info("shut down cleanly");
  return exit_code;
}

std::string Describe(const std::string& sentence, const std::string& default_text) {
  return sentence + " (default: " + default_text + ")";
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandAction* action) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Recover DIR (created with mode 0700 if missing) and serve the JSON-lines protocol over "
      "TCP until SIGTERM or SIGINT.");

  serve
      ->add_option("--data-dir", flags->data_dir,
                   "Directory holding the log and snapshots; locked while the server runs.")
      ->required()
      ->type_name("DIR");
  serve->add_option("--host", flags->host, Describe("Address to listen on.", flags->host))
      ->type_name("HOST");
  serve
      ->add_option(
          "--port", flags->port,
          Describe("TCP port to listen on; 0 picks a free port (logged at startup).", "7379"))
      ->type_name("PORT")
      ->check(CLI::Range(0, 65535).description(""));

  serve
      ->add_option("--fsync", flags->fsync,
                   Describe("When a write is acknowledged: 'always' after fdatasync (group "
                            "commit), 'interval' before a periodic sync, 'never' leaves syncing "
                            "to the OS.",
                            "always"))
      ->type_name("MODE")
      ->check(CLI::IsMember(Names(FsyncModes())).description(""));
  serve
      ->add_option(
          "--fsync-interval-ms", flags->fsync_interval_ms,
          Describe("With --fsync interval, milliseconds between syncs (1 to 3600000).", "1000"))
      ->type_name("MS")
      ->check(CLI::Range(uint64_t{1}, uint64_t{3600} * 1000).description(""));
  serve
      ->add_option("--snapshot-interval", flags->snapshot_interval_seconds,
                   Describe("Seconds between timed snapshots; 0 turns them off.", "60"))
      ->type_name("SECONDS")
      ->check(CLI::Range(uint64_t{0}, uint64_t{10} * 365 * 24 * 3600).description(""));
  serve
      ->add_option("--snapshot-wal-bytes", flags->snapshot_wal_bytes,
                   Describe("Take a snapshot once this many log bytes follow the last one; 0 "
                            "turns this off. Accepts suffixes such as 64MiB.",
                            "64MiB"))
      ->type_name("BYTES")
      ->transform(CLI::AsSizeValue(false).description(""));

  serve
      ->add_option("--recovery-mode", flags->recovery_mode,
                   Describe("What startup does with a damaged log: 'tolerate-tail' drops a torn "
                            "tail of the newest segment and refuses other damage, 'absolute' "
                            "refuses any damage, 'point-in-time' serves the state up to the first "
                            "damage.",
                            "tolerate-tail"))
      ->type_name("MODE")
      ->check(CLI::IsMember(Names(RecoveryModes())).description(""));
  serve
      ->add_option("--max-request-bytes", flags->max_request_bytes,
                   Describe("Longest accepted request line (at least 64 bytes); longer ones get "
                            "TOO_LARGE. Accepts suffixes such as 1MiB.",
                            "16MiB"))
      ->type_name("BYTES")
      ->transform(CLI::AsSizeValue(false).description(""))
      ->check(CLI::Range(uint64_t{64}, uint64_t{1} << 32).description(""));
  serve
      ->add_option("--max-connections", flags->max_connections,
                   Describe("Client connections served at once; more are refused.", "10000"))
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1000000}).description(""));
  serve
      ->add_option("--threads", flags->threads,
                   Describe("Threads serving connections (1 to 1024).",
                            "number of CPUs, " + std::to_string(flags->threads) + " here"))
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u).description(""));
  serve
      ->add_option("--log-level", flags->log_level,
                   Describe("Least severe message logged on stderr: trace, debug, info, warn or "
                            "error.",
                            "info"))
      ->type_name("LEVEL")
      ->check(CLI::IsMember(LogLevelNames()).description(""));

  serve->callback([action, flags] { *action = [flags] { return RunServe(*flags); }; });
}

}  // namespace walkv::cli
