// The interactive `walkv cli` prompt.
//
// On a terminal: libedit line editing, tab completion of method names (cli/completion.h), a
// "host:port> " prompt — "not connected> " while no server answers; before each prompt a lost
// connection is retried, so the prompt opens without a server and picks one up once it is there —
// a newline on Ctrl-D, history kept in $WALKV_HISTFILE
// or else ~/.walkv_history (best effort: a history file that cannot be read or written is
// ignored; WALKV_HISTFILE=/dev/null or empty turns it off). With stdin not a terminal: reads one
// command per line, no prompt, no history (for `walkv cli < commands.txt`).
// Lines are split with SplitArgs; `help [method]`, `quit` and `exit` are handled locally, every
// other line is sent to the server. Results go to stdout; at the prompt errors do too, while
// reading from a pipe they go to stderr.
#pragma once

#include "cli/cli_session.h"

namespace walkv::cli {

// Returns the exit code: 0 when the user quits (or at end of input); reading from a pipe, 1 if
// any command failed.
int RunRepl(CliSession& session);

}  // namespace walkv::cli
