// Tab completion at the `walkv cli` prompt: the first word completes to a method name from the rpc
// method table (rpc/methods.h), an alias (cli/aliases.h) or a prompt command (help, quit, exit).
// The CLI keeps no list of methods of its own. Later words are not completed.
//
// Not thread-safe (libedit's completion state is global); the prompt is single-threaded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace walkv::cli {

// Every word the first word may complete to that starts with `prefix` (ASCII case-insensitive),
// sorted, without duplicates.
std::vector<std::string> CompletionsFor(std::string_view prefix);

// Installs the completion as libedit's rl_attempted_completion_function.
void InstallMethodCompletion();

}  // namespace walkv::cli
