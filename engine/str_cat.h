// StrCat: builds a message from pieces (strings, string_views, numbers) for Status and log lines.
#pragma once

#include <sstream>
#include <string>

namespace walkv {

template <typename... Pieces>
std::string StrCat(const Pieces&... pieces) {
  std::ostringstream out;
  (out << ... << pieces);
  return out.str();
}

}  // namespace walkv
