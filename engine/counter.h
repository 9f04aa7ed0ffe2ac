// Counters (incr, decr, incrby, decrby): the integer rules a Redis user expects.
//
// A counter is an ordinary value holding a decimal 64-bit signed integer: an optional '-' then
// digits, no '+', no spaces, no leading zeros ("0" itself is fine, "-0" and "007" are not), within
// [-2^63, 2^63-1]. A missing key counts as 0. The result is stored (and logged) as the plain SET
// of its decimal text, so replaying the log any number of times gives the same value.
//
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/mutation.h"
#include "engine/status.h"

namespace walkv {

// The integer `text` spells under the rules above, or nullopt.
std::optional<int64_t> ParseCounter(std::string_view text);

// The value after applying counter request `request` (kIncrBy or kDecrBy) with decimal `delta` to
// a key whose value is `current` (nullopt: missing). kInvalidArgument, naming the cause, if
// `current` or `delta` is not an integer or the result is out of range.
StatusOr<int64_t> ApplyCounter(std::optional<std::string_view> current, MutationRequest request,
                               std::string_view delta);

}  // namespace walkv
