// ASCII-only case folding, independent of the process's locale: method names and the CLI's own
// words are ASCII, and a locale (Turkish dotless i, ...) must never change which method a name
// means. The one case fold of walkv: the method table (rpc/methods.h) and the CLI both use it.
#pragma once

#include <algorithm>
#include <string_view>

namespace walkv::rpc {

constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

}  // namespace walkv::rpc
