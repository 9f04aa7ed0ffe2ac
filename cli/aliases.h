// The aliases of `walkv cli`: other names a Redis user types for a method of the table
// (rpc/methods.h). The CLI replaces an alias by the method's name before sending; the server
// knows only the table's names. `walkv cli help` shows each alias beside its method.
#pragma once

#include <span>
#include <string_view>

namespace walkv::cli {

struct Alias {
  std::string_view alias;   // lower case; matched ASCII case-insensitively
  std::string_view method;  // a name in rpc::MethodTable()
};

std::span<const Alias> Aliases();

// The method name `word` stands for if it is an alias (any case), else `word` itself.
std::string_view ResolveAlias(std::string_view word);

}  // namespace walkv::cli
