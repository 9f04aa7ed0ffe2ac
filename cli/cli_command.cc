// `walkv cli`: run one command against a server, or an interactive prompt (repl.h).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_session.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/help_text.h"
#include "cli/repl.h"
#include "rpc/ascii.h"
#include "rpc/server.h"

namespace walkv::cli {
namespace {

// --host and --port default to where `walkv serve` listens by default (rpc::ServerOptions).
struct CliFlags {
  std::string host = rpc::ServerOptions{}.host;
  int port = rpc::ServerOptions{}.port;
  bool json = false;
  int64_t repeat = 1;                // -r: times to run the command; -1 = until interrupted
  double interval = 0;               // -i: seconds to wait between runs
  bool stdin_arg = false;            // -x: the last argument is all of stdin
  std::vector<std::string> command;  // method and arguments; empty for the prompt
};

// Sends one command and prints its result (stdout) or error (stderr).
int RunOneShot(CliSession& session, const std::vector<std::string>& words) {
  CommandOutcome outcome = session.Execute(words);
  const bool ok = outcome.kind == CommandOutcome::Kind::kResult;
  std::fwrite(outcome.text.data(), 1, outcome.text.size(), ok ? stdout : stderr);
  return ok ? kExitOk : kExitFailure;
}

// All of stdin, byte for byte (-x).
std::string ReadAllStdin() {
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) data.append(buf, n);
  return data;
}

// Runs the command flags.repeat times (forever for -1), flags.interval seconds apart; fails if
// any run failed.
int RunRepeated(CliSession& session, const CliFlags& flags) {
  std::vector<std::string> words = flags.command;
  if (flags.stdin_arg) words.push_back(ReadAllStdin());
  int code = kExitOk;
  for (int64_t i = 0; flags.repeat < 0 || i < flags.repeat; ++i) {
    if (i > 0 && flags.interval > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(flags.interval));
    }
    if (RunOneShot(session, words) != kExitOk) code = kExitFailure;
    std::fflush(stdout);
  }
  return code;
}

int RunCli(const CliFlags& flags) {
  signal(SIGPIPE, SIG_IGN);
  if (!flags.command.empty() && flags.command[0].size() > 1 && flags.command[0][0] == '-') {
    std::fprintf(stderr,
                 "walkv: unknown flag %s\nUsage: walkv cli [OPTIONS] [COMMAND ARG...]\nRun 'walkv "
                 "cli --help' for more information.\n",
                 flags.command[0].c_str());
    return kExitUsage;
  }
  if (!flags.command.empty() && rpc::EqualsIgnoreAsciiCase(flags.command[0], "help")) {
    const std::vector<std::string>& words = flags.command;
    std::fputs((words.size() > 1 ? HelpText(words[1]) : HelpText()).c_str(), stdout);
    return kExitOk;  // no server needed
  }
  if (flags.command.empty() && (flags.stdin_arg || flags.repeat != 1 || flags.interval != 0)) {
    std::fputs("walkv: -r, -i and -x need a command, e.g. walkv cli -r 3 -i 1 dbsize\n", stderr);
    return kExitUsage;
  }
  OutputMode mode = OutputMode::kHuman;
  if (flags.json) {
    mode = OutputMode::kJson;
  } else if (!isatty(STDOUT_FILENO)) {
    mode = OutputMode::kRaw;
  }
  CliSession session(flags.host, static_cast<uint16_t>(flags.port), mode);
  // The prompt on a terminal opens without a server ("not connected> ") and connects by itself.
  if (flags.command.empty() && isatty(STDIN_FILENO)) return RunRepl(session);
  if (Status connected = session.Connect(); !connected.ok()) {
    std::fprintf(stderr, "walkv: %s\n", connected.message().c_str());
    return kExitFailure;
  }
  if (flags.command.empty()) return RunRepl(session);
  return RunRepeated(session, flags);
}

}  // namespace

void AddCliCommand(CLI::App& app, CommandAction* action) {
  auto flags = std::make_shared<CliFlags>();
  CLI::App* cli = app.add_subcommand(
      "cli",
      "Send one command to a walkv server and print the result (walkv cli [OPTIONS] COMMAND "
      "[ARG...]), or without a command open an interactive prompt with line editing, history and "
      "redis-cli-style quoting.");
  cli->option_defaults()->always_capture_default();  // --help shows FLAG TYPE=DEFAULT
  // As in redis-cli, -h is the host; help is --help only.
  cli->set_help_flag("--help", "Print this help message and exit");
  cli->add_option("-h,-H,--host", flags->host, "Server address.")->type_name("HOST");
  cli->add_option("-p,--port", flags->port, "Server port.")
      ->type_name("PORT")
      ->check(CLI::Range(1, 65535).description(""));
  cli->add_flag("--json", flags->json,
                "Print each result (or error object) as one line of raw JSON, for scripts.");
  cli->add_option("-r", flags->repeat, "Run the command N times (-1: until interrupted).")
      ->type_name("N")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            return s == "-1" || (s.find_first_not_of("0123456789") == std::string::npos &&
                                 !s.empty() && s != "0" && s.size() < 19)
                       ? ""
                       : "-r takes a count of at least 1, or -1 for until interrupted";
          },
          "", ""));
  cli->add_option("-i", flags->interval, "Seconds to wait between repeated runs (with -r).")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.0, 86400.0).description(""));
  cli->add_flag("-x", flags->stdin_arg,
                "Read the command's last argument from stdin (all of it, byte for byte).");
  // Everything from the first word that is not one of the flags above is the command, even if it
  // looks like a flag (`walkv cli set k -1`).
  cli->prefix_command();
  cli->footer(
      "Examples:\n"
      "  walkv cli set greeting \"hello world\"\n"
      "  walkv cli --json get greeting\n"
      "  walkv cli keys 'user:*'\n"
      "  walkv cli -h 10.0.0.5 -p 7379 -r 5 -i 1 dbsize\n"
      "  walkv cli -x set motd < motd.txt\n"
      "  walkv cli            (interactive; type help)\n"
      "Arguments are always sent as strings. Exit status: 0 ok, 1 server error or no connection, "
      "2 usage.");
  cli->callback([cli, action, flags] {
    flags->command = cli->remaining();
    *action = [flags] { return RunCli(*flags); };
  });
}

}  // namespace walkv::cli
