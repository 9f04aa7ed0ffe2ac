// walkv: entry point. Parses the command line with CLI11 and runs the chosen subcommand.
// Exit codes: see exit_codes.h.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace {

// CLI11's help, plus "[COMMAND ARG...]" in the usage line of a subcommand that takes a command
// (`walkv cli`: it is parsed as a prefix command, so CLI11 does not know it).
class WalkvFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string usage = CLI::Formatter::make_usage(app, std::move(name));
    if (app->get_prefix_command() && !usage.empty() && usage.back() == '\n') {
      usage.insert(usage.size() - 1, " [COMMAND ARG...]");
    }
    return usage;
  }
};

// On a usage error: the error, the usage line of the (sub)command that failed, and where to
// find more help.
std::string UsageFailureMessage(const CLI::App* app, const CLI::Error& e) {
  const CLI::App* failed = app;
  std::string parent;  // the names before the failed (sub)command's own, for its usage line
  std::string name = app->get_name();
  for (const CLI::App* sub : app->get_subcommands()) {
    parent = name;
    failed = sub;
    name += " " + sub->get_name();
  }
  std::string help = failed->help(parent, CLI::AppFormatMode::Normal);
  size_t start = help.find("Usage:");
  std::string message = "walkv: " + std::string(e.what()) + "\n";
  if (start != std::string::npos) {
    message += help.substr(start, help.find('\n', start) - start) + "\n";
  } else {
    message += "Usage: " + name + " [OPTIONS]\n";
  }
  message += "Run '" + name + " --help' for more information.\n";
  return message;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"walkv: a durable key-value server speaking JSON lines over TCP.", "walkv"};
  app.set_version_flag("--version", "walkv " WALKV_VERSION, "Print the version and exit");
  app.require_subcommand(1);
  app.failure_message(UsageFailureMessage);
  app.formatter(std::make_shared<WalkvFormatter>());

  walkv::cli::CommandAction action;
  walkv::cli::AddServeCommand(app, &action);
  walkv::cli::AddCliCommand(app, &action);
  walkv::cli::AddVerifyCommand(app, &action);
  walkv::cli::AddCompactCommand(app, &action);
  // Set after the subcommands are added, so that they do not inherit it.
  app.footer("Run 'walkv COMMAND --help' for the flags of one command.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, version or the usage failure message
    return code == 0 ? walkv::cli::kExitOk : walkv::cli::kExitUsage;
  }
  if (!action) {
    std::fputs("walkv: no command given\n", stderr);
    return walkv::cli::kExitUsage;
  }
  return action();
}
