#include "cli/repl.h"

// clang-format off
#include <stdio.h>  // editline/readline.h needs FILE
#include <editline/readline.h>
// clang-format on
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/arg_split.h"
#include "cli/completion.h"
#include "cli/help_text.h"
#include "rpc/ascii.h"

namespace walkv::cli {
namespace {

constexpr int kHistoryLength = 1000;

std::string HistoryPath() {
  if (const char* file = std::getenv("WALKV_HISTFILE"); file != nullptr) return file;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.walkv_history";
  }
  return "";
}

bool IsWord(const std::string& word, std::string_view name) {
  return rpc::EqualsIgnoreAsciiCase(word, name);
}

// What one input line asks for.
enum class LineResult { kContinue, kFailed, kQuit };

LineResult HandleLine(CliSession& session, const std::string& line, FILE* error_stream) {
  std::optional<std::vector<std::string>> words = SplitArgs(line);
  if (!words) {
    std::fputs(
        "(error) invalid quoting: unbalanced quotes, or a closing quote not followed by a "
        "space\n",
        error_stream);
    return LineResult::kFailed;
  }
  if (words->empty()) return LineResult::kContinue;
  const std::string& first = (*words)[0];
  if (IsWord(first, "quit") || IsWord(first, "exit")) return LineResult::kQuit;
  if (IsWord(first, "help")) {
    std::string text = words->size() > 1 ? HelpText((*words)[1]) : HelpText();
    std::fputs(text.c_str(), stdout);
    return LineResult::kContinue;
  }
  CommandOutcome outcome = session.Execute(*words);
  if (outcome.kind == CommandOutcome::Kind::kResult) {
    std::fwrite(outcome.text.data(), 1, outcome.text.size(), stdout);
    return LineResult::kContinue;
  }
  std::fwrite(outcome.text.data(), 1, outcome.text.size(), error_stream);
  return LineResult::kFailed;
}

int RunTerminal(CliSession& session) {
  const std::string history = HistoryPath();
  const bool use_history = !history.empty() && history != "/dev/null";
  using_history();
  stifle_history(kHistoryLength);
  if (use_history) read_history(history.c_str());  // best effort

  InstallMethodCompletion();
  // Bounded by the input: each iteration consumes one line; EOF (Ctrl-D) ends the loop.
  while (true) {
    // Reconnects by itself: a server that (re)appeared is picked up before the next prompt.
    session.Connect().IgnoreError();
    const std::string prompt = (session.connected() ? session.address() : "not connected") + "> ";
    char* raw = readline(prompt.c_str());
    if (raw == nullptr) {
      std::fputs("\n", stdout);  // Ctrl-D: leave the shell's prompt on a line of its own
      break;
    }
    std::string line(raw);
    std::free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) {
      add_history(line.c_str());
      if (use_history) write_history(history.c_str());  // best effort, every line
    }
    LineResult result = HandleLine(session, line, stdout);
    std::fflush(stdout);
    if (result == LineResult::kQuit) break;
  }
  return 0;
}

int RunPipe(CliSession& session) {
  bool failed = false;
  std::string line;
  while (std::getline(std::cin, line)) {
    LineResult result = HandleLine(session, line, stderr);
    std::fflush(stdout);
    if (result == LineResult::kQuit) break;
    if (result == LineResult::kFailed) failed = true;
  }
  return failed ? 1 : 0;
}

}  // namespace

int RunRepl(CliSession& session) {
  return isatty(STDIN_FILENO) ? RunTerminal(session) : RunPipe(session);
}

}  // namespace walkv::cli
