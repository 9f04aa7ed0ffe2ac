// redis-cli's `SCAN cursor [MATCH pattern] [COUNT n]` at the `walkv cli` prompt: the keywords
// (any case, either order) are rewritten into scan's positional arguments (cursor, match, count)
// before sending, filling a missing match with "*" and a missing count with "10" (the server's
// defaults, rpc/keyspace_methods.h). Anything else is left as typed, so the positional form
// `scan 0 user:* 100` works too; the one ambiguity — a pattern spelled "match" or "count" right
// after the cursor — is read as redis-cli reads it.
//
// Pure function.
#pragma once

#include <string>
#include <vector>

namespace walkv::cli {

// `words` is method and arguments, the method already resolved from aliases.
std::vector<std::string> RewriteScanKeywords(std::vector<std::string> words);

}  // namespace walkv::cli
