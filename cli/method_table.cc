#include "cli/method_table.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace walkv::cli {
namespace {

constexpr std::array<MethodDoc, 9> kMethods = {{
    {"ping", "", "Answers \"PONG\".", false},
    {"set", "key value", "Stores value under key.", true},
    {"get", "key", "Returns the value of key, or (nil).", false},
    {"delete", "key", "Removes key; (true) if it existed, else (false).", false},
    {"append", "key value", "Appends value to key's value; returns the new length in bytes.",
     false},
    {"keys", "[pattern]", "Keys matching a glob (* ? [abc] [^a] [a-z] \\x); default *.", false},
    {"flushall", "", "Removes every key.", true},
    {"snapshot", "", "Writes a snapshot and returns once it is durable.", false},
    {"info", "", "Server counters: keys, memory, log bytes, snapshots, fsyncs, ops.", false},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Line(const MethodDoc& m) {
  std::string usage(m.name);
  if (!m.args.empty()) usage += " " + std::string(m.args);
  usage.resize(std::max<size_t>(usage.size() + 2, 22), ' ');
  return "  " + usage + std::string(m.summary) + "\n";
}

}  // namespace

std::span<const MethodDoc> KnownMethods() { return kMethods; }

const MethodDoc* FindMethod(std::string_view name) {
  for (const MethodDoc& m : kMethods) {
    if (EqualsIgnoreCase(m.name, name)) return &m;
  }
  return nullptr;
}

std::string HelpText() {
  std::string text = "Methods (names are case-insensitive; every argument is sent as a string):\n";
  for (const MethodDoc& m : kMethods) text += Line(m);
  text +=
      "Prompt commands:\n"
      "  help [method]         This text, or one method.\n"
      "  quit, exit            Leave the prompt (so does Ctrl-D).\n"
      "Quoting: \"a b\" is one word; inside double quotes \\n \\r \\t \\b \\a \\\\ \\\" and \\xHH "
      "work;\n"
      "inside single quotes only \\' does.\n";
  return text;
}

std::string HelpText(std::string_view method) {
  const MethodDoc* m = FindMethod(method);
  if (m == nullptr) {
    return "No help for '" + std::string(method) +
           "': not a method this client knows (the server may still know it).\n";
  }
  return Line(*m);
}

}  // namespace walkv::cli
