// The methods that list keys: `keys` (bounded by ServerFacts::max_keys_reply) and `scan` (a cursor
// with Redis SCAN's guarantee, Engine::Scan). Entries in the method table (rpc/methods.cc).
//
// scan(cursor, match="*", count=10) -> [next_cursor, [keys]]. The cursor is an opaque decimal
// string: "0" starts a scan, and a returned "0" ends it. Any other string that is not a decimal
// uint64, and a count outside 1..kMaxScanCount, is INVALID_ARGUMENT.
//
// Pure functions of the engine's state; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rpc/methods.h"

namespace walkv::rpc {

inline constexpr size_t kDefaultScanCount = 10;
inline constexpr size_t kMaxScanCount = 1000000;

MethodResult RunKeys(MethodContext& ctx, std::vector<std::string>& args);
MethodResult RunScan(MethodContext& ctx, std::vector<std::string>& args);

}  // namespace walkv::rpc
