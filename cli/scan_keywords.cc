#include "cli/scan_keywords.h"

#include <optional>
#include <utility>

#include "rpc/ascii.h"

namespace walkv::cli {

std::vector<std::string> RewriteScanKeywords(std::vector<std::string> words) {
  if (words.size() != 4 && words.size() != 6) return words;
  if (!rpc::EqualsIgnoreAsciiCase(words[0], "scan")) return words;
  std::optional<std::string> match, count;
  for (size_t i = 2; i + 1 < words.size(); i += 2) {
    if (rpc::EqualsIgnoreAsciiCase(words[i], "match") && !match) {
      match = words[i + 1];
    } else if (rpc::EqualsIgnoreAsciiCase(words[i], "count") && !count) {
      count = words[i + 1];
    } else {
      return words;
    }
  }
  return {words[0], words[1], match.value_or("*"), count.value_or("10")};
}

}  // namespace walkv::cli
