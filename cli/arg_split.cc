#include "cli/arg_split.h"

namespace walkv::cli {
namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> words;
  const size_t n = line.size();
  // Out-of-range reads yield '\0', playing the role of C's terminator in sdssplitargs.
  auto at = [&](size_t i) { return i < n ? line[i] : '\0'; };
  size_t p = 0;
  while (true) {
    while (p < n && IsBlank(line[p])) ++p;
    if (p >= n) return words;

    std::string word;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(p);
      if (in_double) {
        if (p >= n) return std::nullopt;  // unterminated double quote
        if (c == '\\' && at(p + 1) == 'x' && HexValue(at(p + 2)) >= 0 && HexValue(at(p + 3)) >= 0) {
          word.push_back(static_cast<char>(HexValue(at(p + 2)) * 16 + HexValue(at(p + 3))));
          p += 3;
        } else if (c == '\\' && p + 1 < n) {
          ++p;
          switch (line[p]) {
            case 'n':
              word.push_back('\n');
              break;
            case 'r':
              word.push_back('\r');
              break;
            case 't':
              word.push_back('\t');
              break;
            case 'b':
              word.push_back('\b');
              break;
            case 'a':
              word.push_back('\a');
              break;
            default:
              word.push_back(line[p]);
              break;
          }
        } else if (c == '"') {
          // The closing quote must be followed by a blank or the end of the line.
          if (p + 1 < n && !IsBlank(line[p + 1])) return std::nullopt;
          done = true;
        } else {
          word.push_back(c);
        }
      } else if (in_single) {
        if (p >= n) return std::nullopt;  // unterminated single quote
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          word.push_back('\'');
        } else if (c == '\'') {
          if (p + 1 < n && !IsBlank(line[p + 1])) return std::nullopt;
          done = true;
        } else {
          word.push_back(c);
        }
      } else if (p >= n || IsBlank(c)) {
        done = true;
      } else if (c == '"') {
        in_double = true;
      } else if (c == '\'') {
        in_single = true;
      } else {
        word.push_back(c);
      }
      if (p < n) ++p;
    }
    words.push_back(std::move(word));
  }
}

}  // namespace walkv::cli
