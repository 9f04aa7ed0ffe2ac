// What to tell a client that named a method the table (rpc/methods.h) does not have: the closest
// method name, if one is close, and every method there is.
//
// Pure function, any thread.
#pragma once

#include <string>
#include <string_view>

namespace walkv::rpc {

// Names longer than this are cut (with "...") when they are quoted back.
inline constexpr size_t kMaxShownMethodBytes = 64;

// `unknown method "incrr"; did you mean "incr"? Methods: append, dbsize, ...` — "did you mean"
// only when a method starts with `name` (at least 2 characters: "del" -> "delete") or is within
// a small edit distance of it (ASCII case-insensitive; adjacent swaps count as one edit).
std::string UnknownMethodMessage(std::string_view name);

}  // namespace walkv::rpc
