#include "rpc/unknown_method.h"

#include <algorithm>
#include <vector>

#include "rpc/ascii.h"
#include "rpc/methods.h"

namespace walkv::rpc {
namespace {

// Edit distance counting insertions, deletions, substitutions and swaps of adjacent characters
// ("optimal string alignment"), ASCII case-insensitive.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same = AsciiLower(a[i - 1]) == AsciiLower(b[j - 1]);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && AsciiLower(a[i - 1]) == AsciiLower(b[j - 2]) &&
          AsciiLower(a[i - 2]) == AsciiLower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

bool StartsWithIgnoreAsciiCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreAsciiCase(s.substr(0, prefix.size()), prefix);
}

// The method closest to `name`, or empty if none is close enough to be a likely typo.
std::string_view Suggestion(std::string_view name) {
  // One edit in a short name already changes a good part of it.
  const size_t max_distance = name.size() <= 4 ? 1 : 2;
  std::string_view best;
  size_t best_distance = max_distance + 1;
  for (const MethodSpec& m : MethodTable()) {
    const bool prefix = name.size() >= 2 && StartsWithIgnoreAsciiCase(m.name, name);
    const size_t distance = prefix ? 0 : EditDistance(name, m.name);
    if (distance < best_distance) {
      best = m.name;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace

std::string UnknownMethodMessage(std::string_view name) {
  std::string shown(name.substr(0, kMaxShownMethodBytes));
  if (name.size() > kMaxShownMethodBytes) shown += "...";
  std::string message = "unknown method \"" + shown + "\"";
  // A name far longer than every method is no typo, and its distance would cost time.
  if (std::string_view best = name.size() <= kMaxShownMethodBytes ? Suggestion(name) : "";
      !best.empty()) {
    message += "; did you mean \"" + std::string(best) + "\"?";
  } else {
    message += ".";
  }
  message += " Methods:";
  for (const MethodSpec& m : MethodTable()) message.append(" ").append(m.name).append(",");
  message.pop_back();
  return message;
}

}  // namespace walkv::rpc
