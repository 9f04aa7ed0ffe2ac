// Builders for the expiry requests (engine/mutation.h), shared by the Engine conveniences, the
// RPC methods and the tests, so a request is spelled one way everywhere.
//
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/mutation.h"

namespace walkv {

// SET key value with options (NX/XX/GET) and an expiry (none, EX/PX relative, EXAT/PXAT
// absolute, KEEPTTL).
Mutation SetRequest(std::string key, std::string value, ExpiryRequest expiry,
                    SetOptions options = {});
// EXPIRE/PEXPIRE (kRelative) or EXPIREAT/PEXPIREAT (kAbsolute).
Mutation ExpireRequest(std::string key, ExpiryRequest expiry);
Mutation PersistRequest(std::string key);
// MSET (only_if_none_exist: MSETNX): one kBatch record of SETs, applied all-or-nothing.
// `pairs` holds key, value, key, value, ... (an even number, at least 2).
Mutation BatchSetRequest(std::vector<std::string> pairs, bool only_if_none_exist);

// CAS: key := value only if key's live value is `expected` (nullopt: only if key is absent).
Mutation CompareAndSetRequest(std::string key, std::optional<std::string> expected,
                              std::string value);

// A request refused with kInvalidArgument and `why` (for bad arguments found while building one).
Mutation InvalidRequest(std::string why);

}  // namespace walkv
