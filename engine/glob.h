// Redis-style glob matching for KEYS: `*` any run of bytes, `?` one byte, `[abc]` a set,
// `[^a]` a negated set, `[a-z]` a range, `\x` the literal x. Works on raw bytes (keys may contain
// NUL), so it cannot use fnmatch(3). Semantics follow Redis' stringmatchlen.
#pragma once

#include <string_view>

namespace walkv {

bool GlobMatch(std::string_view pattern, std::string_view text);

// True if `pattern` contains no special characters, i.e. it matches only itself.
bool GlobIsLiteral(std::string_view pattern);

}  // namespace walkv
