// `walkv cli`: run one command against a server, or an interactive prompt (repl.h).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
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
  std::vector<std::string> command;  // method and arguments; empty for the prompt
};

// Sends one command and prints its result (stdout) or error (stderr).
int RunOneShot(CliSession& session, const std::vector<std::string>& words) {
  CommandOutcome outcome = session.Execute(words);
  const bool ok = outcome.kind == CommandOutcome::Kind::kResult;
  std::fwrite(outcome.text.data(), 1, outcome.text.size(), ok ? stdout : stderr);
  return ok ? kExitOk : kExitFailure;
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
  OutputMode mode = OutputMode::kHuman;
  if (flags.json) {
    mode = OutputMode::kJson;
  } else if (!isatty(STDOUT_FILENO)) {
    mode = OutputMode::kRaw;
  }
  CliSession session(flags.host, static_cast<uint16_t>(flags.port), mode);
  if (Status connected = session.Connect(); !connected.ok()) {
    std::fprintf(stderr, "walkv: %s\n", connected.message().c_str());
    return kExitFailure;
  }
  if (flags.command.empty()) return RunRepl(session);
  return RunOneShot(session, flags.command);
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
  cli->add_option("-H,--host", flags->host, "Server address.")->type_name("HOST");
  cli->add_option("-p,--port", flags->port, "Server port.")
      ->type_name("PORT")
      ->check(CLI::Range(1, 65535).description(""));
  cli->add_flag("--json", flags->json,
                "Print each result (or error object) as one line of raw JSON, for scripts.");
  // Everything from the first word that is not one of the flags above is the command, even if it
  // looks like a flag (`walkv cli set k -1`).
  cli->prefix_command();
  cli->footer(
      "Examples:\n"
      "  walkv cli set greeting \"hello world\"\n"
      "  walkv cli --json get greeting\n"
      "  walkv cli keys 'user:*'\n"
      "  walkv cli            (interactive; type help)\n"
      "Arguments are always sent as strings. Exit status: 0 ok, 1 server error or no connection, "
      "2 usage.");
  cli->callback([cli, action, flags] {
    flags->command = cli->remaining();
    *action = [flags] { return RunCli(*flags); };
  });
}

}  // namespace walkv::cli
