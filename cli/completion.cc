#include "cli/completion.h"

// clang-format off
#include <stdio.h>  // editline/readline.h needs FILE
#include <editline/readline.h>
// clang-format on

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "cli/aliases.h"
#include "rpc/ascii.h"
#include "rpc/methods.h"

namespace walkv::cli {
namespace {

constexpr std::string_view kPromptCommands[] = {"help", "quit", "exit"};

bool StartsWithIgnoreCase(std::string_view word, std::string_view prefix) {
  return word.size() >= prefix.size() &&
         rpc::EqualsIgnoreAsciiCase(word.substr(0, prefix.size()), prefix);
}

// libedit calls this with state 0, then 1, 2, ... until it returns nullptr; each match is
// returned in a malloc'ed string that libedit frees.
char* NextMatch(const char* text, int state) {
  static std::vector<std::string> matches;
  static size_t next = 0;
  if (state == 0) {
    matches = CompletionsFor(text);
    next = 0;
  }
  if (next >= matches.size()) return nullptr;
  return strdup(matches[next++].c_str());
}

char** CompleteFirstWord(const char* text, int start, int /*end*/) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  // Only the first word (after leading blanks) is a method name.
  for (int i = 0; i < start; ++i) {
    if (rl_line_buffer[i] != ' ' && rl_line_buffer[i] != '\t') return nullptr;
  }
  return rl_completion_matches(text, &NextMatch);
}

}  // namespace

std::vector<std::string> CompletionsFor(std::string_view prefix) {
  std::vector<std::string> out;
  auto consider = [&](std::string_view word) {
    if (StartsWithIgnoreCase(word, prefix)) out.emplace_back(word);
  };
  for (const rpc::MethodSpec& m : rpc::MethodTable()) consider(m.name);
  for (const Alias& a : Aliases()) consider(a.alias);
  for (std::string_view command : kPromptCommands) consider(command);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void InstallMethodCompletion() { rl_attempted_completion_function = &CompleteFirstWord; }

}  // namespace walkv::cli
