#include "engine/glob.h"

#include <cstddef>
#include <utility>

namespace walkv {
namespace {

// Matches the bracket expression starting just after '[' at pattern[p] against byte c. On return
// *p is the index just past the closing ']' (or the end of the pattern if unterminated, which
// Redis treats as if closed).
bool MatchBracket(std::string_view pattern, size_t* p, unsigned char c) {
  size_t i = *p;
  bool negate = false;
  if (i < pattern.size() && pattern[i] == '^') {
    negate = true;
    ++i;
  }
  bool matched = false;
  while (i < pattern.size() && pattern[i] != ']') {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      ++i;
      if (static_cast<unsigned char>(pattern[i]) == c) matched = true;
      ++i;
    } else if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      unsigned char lo = static_cast<unsigned char>(pattern[i]);
      unsigned char hi = static_cast<unsigned char>(pattern[i + 2]);
      if (lo > hi) std::swap(lo, hi);
      if (c >= lo && c <= hi) matched = true;
      i += 3;
    } else {
      if (static_cast<unsigned char>(pattern[i]) == c) matched = true;
      ++i;
    }
  }
  if (i < pattern.size()) ++i;  // skip ']'
  *p = i;
  return negate ? !matched : matched;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matcher with single-star backtracking: linear in practice, no recursion depth
  // issues on hostile patterns like "*a*a*a*a*b".
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        while (p < pattern.size() && pattern[p] == '*') ++p;
        if (p == pattern.size()) return true;
        star_p = p;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        size_t next = p + 1;
        if (MatchBracket(pattern, &next, static_cast<unsigned char>(text[t]))) {
          p = next;
          ++t;
          continue;
        }
      } else {
        size_t lit = p;
        if (pc == '\\' && p + 1 < pattern.size()) lit = p + 1;
        if (pattern[lit] == text[t]) {
          p = lit + 1;
          ++t;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool GlobIsLiteral(std::string_view pattern) {
  return pattern.find_first_of("*?[\\") == std::string_view::npos;
}

}  // namespace walkv
