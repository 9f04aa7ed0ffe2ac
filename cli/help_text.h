// The text of `walkv cli help`, made from the rpc method table (rpc/methods.h): `walkv cli` keeps
// no list of methods of its own. Unknown method names are still sent to the server (it may be
// newer than this client).
#pragma once

#include <string>
#include <string_view>

namespace walkv::cli {

// Every method of the table with its parameters and summary, plus the prompt's own commands and
// the quoting rules.
std::string HelpText();

// One method (any case), or a note that this client does not know it.
std::string HelpText(std::string_view method);

}  // namespace walkv::cli
