// The subcommands of the `walkv` executable. Each Add*Command registers its flags on `app` and,
// when that subcommand is the one on the command line, stores in *action the function that runs
// it (called by main() after parsing succeeded; it returns the process exit code).
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace walkv::cli {

using CommandAction = std::function<int()>;

// `walkv serve --data-dir DIR [flags]`: recover DIR and serve the JSON protocol (serve_command.cc).
void AddServeCommand(CLI::App& app, CommandAction* action);

// `walkv cli [--host H] [--port P] [--json] [COMMAND ARG...]` (cli_command.cc).
void AddCliCommand(CLI::App& app, CommandAction* action);

// `walkv verify --data-dir DIR [--json]`: read-only check of a data directory (verify_command.cc).
void AddVerifyCommand(CLI::App& app, CommandAction* action);

// `walkv compact --data-dir DIR`: offline snapshot and log clean-up (compact_command.cc).
void AddCompactCommand(CLI::App& app, CommandAction* action);

}  // namespace walkv::cli
