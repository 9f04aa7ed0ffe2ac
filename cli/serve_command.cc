// `walkv serve`: recover a data directory and serve the JSON-lines protocol until SIGTERM/SIGINT.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/logging.h"
#include "cli/shutdown_signals.h"
#include "engine/engine.h"
#include "engine/options.h"
#include "engine/replaceable_engine.h"
#include "rpc/server.h"

namespace walkv::cli {
namespace {

// The flags. Each flag variable starts as the default of the option it sets — a field of a
// default-constructed EngineOptions or rpc::ServerOptions, or a mode's spelling from the engine's
// table — and --help prints that value, so no default is written here.
struct ServeFlags {
  EngineOptions engine;       // --data-dir, --fsync-interval-ms, --snapshot-*
  rpc::ServerOptions server;  // --host, --max-request-bytes, --max-connections
  int port = server.port;
  std::string fsync{FsyncModeName(engine.fsync_mode)};
  std::string recovery_mode{RecoveryModeName(engine.recovery_mode)};
  size_t threads = rpc::DefaultIoThreads();
  std::string log_level = "info";
  int resp_port = -1;  // -1: no RESP listener
  std::string auth_token_file;
  std::string replica_of;  // HOST:PORT; empty: a primary
  uint64_t sync_timeout_ms = static_cast<uint64_t>(server.sync_replicas.timeout.count());
  std::string sync_timeout_action = "error";  // SyncReplicaOptions' default
};

// "HOST:PORT" (an IPv6 host in brackets: "[::1]:7379") into host and port; false if malformed.
bool ParseHostPort(const std::string& text, std::string* host, uint16_t* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = text.substr(colon + 1);
  if (h.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const unsigned long value = std::stoul(p);
  if (value == 0 || value > 65535) return false;
  *host = std::move(h);
  *port = static_cast<uint16_t>(value);
  return true;
}

// The names of a mode table (engine/options.h), for CLI11's choices.
template <typename Mode, size_t N>
std::vector<std::string> Names(const std::array<ModeSpelling<Mode>, N>& spellings) {
  std::vector<std::string> names;
  for (const ModeSpelling<Mode>& s : spellings) names.emplace_back(s.name);
  return names;
}

// "64MiB" for 64 << 20: a byte count as --help shows it, in the largest unit that divides it.
std::string ByteSizeText(uint64_t bytes) {
  static constexpr std::array<std::string_view, 3> kUnits = {"KiB", "MiB", "GiB"};
  std::string_view unit;
  for (std::string_view u : kUnits) {
    if (bytes == 0 || bytes % 1024 != 0) break;
    bytes /= 1024;
    unit = u;
  }
  return std::to_string(bytes) + std::string(unit);
}

// CLI11 has already checked that the mode names are in the tables.
EngineOptions ToEngineOptions(const ServeFlags& flags) {
  EngineOptions options = flags.engine;
  options.fsync_mode = *ParseFsyncMode(flags.fsync);
  options.recovery_mode = *ParseRecoveryMode(flags.recovery_mode);
  options.replica = !flags.replica_of.empty();
  options.log = EngineLogSink();
  return options;
}

rpc::ServerOptions ToServerOptions(const ServeFlags& flags) {
  rpc::ServerOptions options = flags.server;
  options.port = static_cast<uint16_t>(flags.port);
  options.threads = flags.threads;
  if (flags.resp_port >= 0) options.resp_port = static_cast<uint16_t>(flags.resp_port);
  options.sync_replicas.timeout = std::chrono::milliseconds(flags.sync_timeout_ms);
  options.sync_replicas.on_timeout = flags.sync_timeout_action == "downgrade"
                                         ? rpc::SyncTimeoutAction::kDowngrade
                                         : rpc::SyncTimeoutAction::kError;
  if (!flags.replica_of.empty()) {
    // Checked by the flag's validator.
    ParseHostPort(flags.replica_of, &options.replica_of_host, &options.replica_of_port);
  }
  return options;
}

// True for an address only this machine can reach: 127.0.0.0/8, ::1, "localhost".
bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  return host.rfind("127.", 0) == 0;
}

void LogStartup(const rpc::Server& server, const ServeFlags& flags,
                const RecoverySummary& summary) {
  // Recovery's warnings were already logged by the engine's log sink as they happened.
  // The one startup line (contract §1); tests wait for "listening on HOST:PORT", and find the
  // RESP port as "RESP on HOST:PORT" in the same line.
  const std::string resp =
      flags.resp_port >= 0 ? ", RESP on " + server.resp_address() : std::string();
  spdlog::info(
      "listening on {} (walkv {}, data dir {}, {} keys loaded, {} bytes replayed, recovery "
      "{:.1f} ms, fsync {}{}{})",
      server.address(), WALKV_VERSION, flags.engine.data_dir, summary.keys,
      summary.bytes_replayed, static_cast<double>(summary.duration_micros) / 1000.0, flags.fsync,
      resp, flags.auth_token_file.empty() ? "" : ", auth token required");
  if (!flags.replica_of.empty()) {
    spdlog::info("read-only replica of {}: writes answer READONLY", flags.replica_of);
  }
  if (flags.server.sync_replicas.replicas > 0) {
    spdlog::info(
        "semi-sync: a write is answered once {} replica(s) ACKed it, else after {} ms with {}",
        flags.server.sync_replicas.replicas, flags.sync_timeout_ms,
        flags.sync_timeout_action == "downgrade" ? "OK (downgrade)" : "REPLICA_TIMEOUT");
  }
  if (flags.auth_token_file.empty() && !IsLoopbackHost(flags.server.host)) {
    spdlog::warn(
        "listening on non-loopback address {} without --auth-token-file: anyone who can reach "
        "it can read and change every key",
        flags.server.host);
  }
}

int RunServe(const ServeFlags& flags) {
  BlockShutdownSignals();  // before Engine::Open starts any thread
  SetUpServerLogging(flags.log_level);

  StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(ToEngineOptions(flags));
  if (!opened.ok()) {
    const Status& status = opened.status();
    if (status.code() == StatusCode::kBusy) {
      std::fprintf(stderr, "walkv: data directory %s is locked by another process\n",
                   flags.engine.data_dir.c_str());
    } else {
      std::fprintf(stderr, "walkv: cannot open data directory %s: %s\n",
                   flags.engine.data_dir.c_str(), status.ToString().c_str());
    }
    return kExitFailure;
  }
  std::unique_ptr<Engine> engine = std::move(opened).value();
  if (!flags.replica_of.empty()) {
    // A replica reopens its engine around a snapshot install (docs/replication.md §4).
    engine = std::make_unique<ReplaceableEngine>(std::move(engine));
  }

  rpc::ServerOptions server_options = ToServerOptions(flags);
  if (!flags.auth_token_file.empty()) {
    StatusOr<rpc::AuthToken> token = rpc::AuthToken::FromFile(flags.auth_token_file);
    if (!token.ok()) {
      std::fprintf(stderr, "walkv: cannot read --auth-token-file: %s\n",
                   token.status().message().c_str());
      engine->Close().IgnoreError();
      return kExitFailure;
    }
    server_options.auth = std::move(token).value();
  }

  int exit_code = kExitOk;
  {
    rpc::Server server(*engine, std::move(server_options));
    Status started = server.Start();
    if (!started.ok()) {
      // The message names the address, e.g. "127.0.0.1:7379: address already in use".
      std::fprintf(stderr, "walkv: cannot listen on %s\n", started.message().c_str());
      engine->Close().IgnoreError();  // the listen failure is what the operator needs to see
      return kExitFailure;
    }
    LogStartup(server, flags, engine->recovery_summary());
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

}  // namespace

void AddServeCommand(CLI::App& app, CommandAction* action) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Recover DIR (created with mode 0700 if missing) and serve the JSON-lines protocol over "
      "TCP until SIGTERM or SIGINT.");
  // --help shows each flag's default as FLAG TYPE=DEFAULT, taken from its variable.
  serve->option_defaults()->always_capture_default();

  serve
      ->add_option("--data-dir", flags->engine.data_dir,
                   "Directory holding the log and snapshots; locked while the server runs.")
      ->required()
      ->type_name("DIR");
  serve->add_option("--host", flags->server.host, "Address to listen on.")->type_name("HOST");
  serve
      ->add_option("--port", flags->port,
                   "TCP port to listen on; 0 picks a free port (logged at startup).")
      ->type_name("PORT")
      ->check(CLI::Range(0, 65535).description(""));

  serve
      ->add_option("--resp-port", flags->resp_port,
                   "Also serve the Redis protocol (RESP2/RESP3) on this TCP port of --host; 0 "
                   "picks a free port (logged at startup as RESP on HOST:PORT); -1, the "
                   "default, turns it off.")
      ->type_name("PORT")
      ->check(CLI::Range(-1, 65535).description(""));
  serve
      ->add_option("--auth-token-file", flags->auth_token_file,
                   "File holding a secret token (trailing newline ignored); every connection, "
                   "JSON or RESP, must then authenticate (auth / AUTH) before anything but "
                   "ping. Without it, binding a non-loopback --host logs a warning.")
      ->type_name("FILE");
  serve
      ->add_option("--replica-of", flags->replica_of,
                   "Run as a read-only replica of the walkv primary at HOST:PORT (its JSON "
                   "port): follow its log from this directory's last sequence number, write its "
                   "records verbatim to this log (synced per --fsync), reconnect with backoff. "
                   "Writes answer READONLY; reads serve the replicated state. `walkv cli "
                   "promote` turns it into the primary at a new replication epoch.")
      ->type_name("HOST:PORT")
      ->check(CLI::Validator(
          [](std::string& text) {
            std::string host;
            uint16_t port = 0;
            return ParseHostPort(text, &host, &port) ? std::string()
                                                     : "expected HOST:PORT, got " + text;
          },
          "", ""));
  serve
      ->add_option("--sync-replicas", flags->server.sync_replicas.replicas,
                   "Semi-sync: answer a write only once it is durable here AND this many "
                   "replicas have ACKed it (a replica ACKs what it has synced). 0 = off.")
      ->type_name("N")
      ->check(CLI::Range(size_t{0}, size_t{64}).description(""));
  serve
      ->add_option("--sync-timeout-ms", flags->sync_timeout_ms,
                   "With --sync-replicas: how long a durable write waits for the replicas' ACKs "
                   "(fewer replicas connected: it waits this long too).")
      ->type_name("MS")
      ->check(CLI::Range(uint64_t{1}, uint64_t{3600} * 1000).description(""));
  serve
      ->add_option("--sync-timeout-action", flags->sync_timeout_action,
                   "With --sync-replicas, a write not confirmed in time: 'error' answers "
                   "REPLICA_TIMEOUT (the write stays: it is durable on this primary), "
                   "'downgrade' answers OK and logs a warning.")
      ->type_name("ACTION")
      ->check(CLI::IsMember({"error", "downgrade"}).description(""));
  serve
      ->add_option("--fsync", flags->fsync,
                   "When a write is acknowledged: 'always' after fdatasync (group commit), "
                   "'interval' before a periodic sync, 'never' leaves syncing to the OS.")
      ->type_name("MODE")
      ->check(CLI::IsMember(Names(kFsyncModeSpellings)).description(""));
  serve
      ->add_option("--fsync-interval-ms", flags->engine.fsync_interval_ms,
                   "With --fsync interval, milliseconds between syncs (1 to 3600000).")
      ->type_name("MS")
      ->check(CLI::Range(uint64_t{1}, uint64_t{3600} * 1000).description(""));
  serve
      ->add_option("--snapshot-interval", flags->engine.snapshot_interval_seconds,
                   "Seconds between timed snapshots; 0 turns them off.")
      ->type_name("SECONDS")
      ->check(CLI::Range(uint64_t{0}, uint64_t{10} * 365 * 24 * 3600).description(""));
  serve
      ->add_option("--snapshot-wal-bytes", flags->engine.snapshot_wal_bytes,
                   "Take a snapshot once this many log bytes follow the last one; 0 turns this "
                   "off. Accepts suffixes such as 64MiB.")
      ->type_name("BYTES")
      ->default_str(ByteSizeText(flags->engine.snapshot_wal_bytes))
      ->transform(CLI::AsSizeValue(false).description(""));

  serve
      ->add_option("--replication-backlog-bytes", flags->engine.replication_backlog_bytes,
                   "Snapshot cleanup keeps the newest log segments up to this many bytes beyond "
                   "what recovery needs, so a replica that was away catches up from the log "
                   "instead of a snapshot; 0 keeps only what recovery needs. Accepts suffixes "
                   "such as 256MiB.")
      ->type_name("BYTES")
      ->default_str(ByteSizeText(flags->engine.replication_backlog_bytes))
      ->transform(CLI::AsSizeValue(false).description(""));

  serve->add_flag("--prewrite-segments", flags->engine.prewrite_segments,
                  "Zero-fill and sync each new log segment before records go into it (a "
                  "background thread keeps the next one ready), so that a commit's fdatasync "
                  "flushes no file metadata. Off by default; only with --fsync always. Costs: "
                  "each segment takes its full size on disk from the start, plus one spare "
                  "segment (docs/performance.md).");

  serve
      ->add_option("--recovery-mode", flags->recovery_mode,
                   "What startup does with a damaged log: 'tolerate-tail' drops a torn tail of the "
                   "newest segment and refuses other damage, 'absolute' refuses any damage, "
                   "'point-in-time' serves the state up to the first damage.")
      ->type_name("MODE")
      ->check(CLI::IsMember(Names(kRecoveryModeSpellings)).description(""));
  serve
      ->add_option("--max-request-bytes", flags->server.max_request_bytes,
                   "Longest accepted request line (at least 64 bytes); longer ones get "
                   "TOO_LARGE. Accepts suffixes such as 1MiB.")
      ->type_name("BYTES")
      ->default_str(ByteSizeText(flags->server.max_request_bytes))
      ->transform(CLI::AsSizeValue(false).description(""))
      ->check(CLI::Range(uint64_t{64}, uint64_t{1} << 32).description(""));
  serve
      ->add_option("--max-connections", flags->server.max_connections,
                   "Client connections served at once; more are refused.")
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1000000}).description(""));
  serve
      ->add_option("--max-keys-reply", flags->server.max_keys_reply,
                   "Most keys one `keys` call may return; past it the call fails and says to use "
                   "scan. 0 = no bound.")
      ->type_name("N");
  serve
      ->add_option("--threads", flags->threads,
                   "I/O threads, each running its own event loop; a connection stays on one (1 to 1024); "
                   "by default the number of CPUs.")
      ->type_name("N")
      ->check(CLI::Range(size_t{1}, size_t{1024}).description(""));
  serve
      ->add_option("--log-level", flags->log_level,
                   "Least severe message logged on stderr: trace, debug, info, warn or error.")
      ->type_name("LEVEL")
      ->check(CLI::IsMember(LogLevelNames()).description(""));

  serve->callback([action, flags] { *action = [flags] { return RunServe(*flags); }; });
}

}  // namespace walkv::cli
