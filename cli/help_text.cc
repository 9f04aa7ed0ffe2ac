#include "cli/help_text.h"

#include <algorithm>

#include "cli/aliases.h"
#include "rpc/methods.h"

namespace walkv::cli {
namespace {

// "  set key value         Stores value under key.\n", plus " Alias: del." for an aliased method.
std::string Line(const rpc::MethodSpec& m) {
  std::string usage(m.name);
  if (const std::string params = rpc::Usage(m); !params.empty()) usage += " " + params;
  usage.resize(std::max<size_t>(usage.size() + 2, 22), ' ');
  std::string line = "  " + usage + std::string(m.summary);
  for (const Alias& a : Aliases()) {
    if (a.method == m.name) line += " Alias: " + std::string(a.alias) + ".";
  }
  return line + "\n";
}

}  // namespace

std::string HelpText() {
  std::string text = "Methods (names are case-insensitive; every argument is sent as a string):\n";
  for (const rpc::MethodSpec& m : rpc::MethodTable()) text += Line(m);
  text +=
      "Prompt commands:\n"
      "  help [method]         This text, or one method.\n"
      "  quit, exit            Leave the prompt (so does Ctrl-D).\n"
      "  <Tab>                 Completes a method name.\n"
      "Quoting: \"a b\" is one word; inside double quotes \\n \\r \\t \\b \\a \\\\ \\\" and \\xHH "
      "work;\n"
      "inside single quotes only \\' does.\n";
  return text;
}

std::string HelpText(std::string_view method) {
  const rpc::MethodSpec* m = rpc::FindMethod(ResolveAlias(method));
  if (m == nullptr) {
    return "No help for '" + std::string(method) +
           "': not a method this client knows (the server may still know it).\n";
  }
  return Line(*m);
}

}  // namespace walkv::cli
