// The server methods `walkv cli` knows about, for `help` and for rendering results. Unknown
// method names are still sent to the server (it may be newer than this client).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace walkv::cli {

struct MethodDoc {
  std::string_view name;     // lower case, as sent
  std::string_view args;     // e.g. "key value", "[pattern]"
  std::string_view summary;  // one sentence
  bool true_means_ok;        // the method answers `true` to say "done": rendered as OK
};

std::span<const MethodDoc> KnownMethods();

// The entry for `name` (case-insensitive), or nullptr.
const MethodDoc* FindMethod(std::string_view name);

// The text printed by the prompt's `help`: every method with its arguments, plus the prompt's
// own commands. With a method name: that method only (or a note that it is unknown).
std::string HelpText();
std::string HelpText(std::string_view method);

}  // namespace walkv::cli
