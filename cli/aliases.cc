#include "cli/aliases.h"

#include "rpc/ascii.h"

namespace walkv::cli {
namespace {

constexpr Alias kAliases[] = {
    {"del", "delete"},
};

}  // namespace

std::span<const Alias> Aliases() { return kAliases; }

std::string_view ResolveAlias(std::string_view word) {
  for (const Alias& a : kAliases) {
    if (rpc::EqualsIgnoreAsciiCase(a.alias, word)) return a.method;
  }
  return word;
}

}  // namespace walkv::cli
