// Parsing of the expiry methods' arguments (set's options, expire's times) into engine requests
// (engine/expiry_requests.h). Redis's spelling: SET key value [EX s | PX ms | EXAT unix-s |
// PXAT unix-ms | KEEPTTL] [NX | XX] [GET], option words in any case and any order.
//
// A bad argument gives a request the engine refuses with INVALID_ARGUMENT and the reason
// (MutationRequest::kInvalid), since a method's mutation function cannot fail by itself.
//
// Pure functions, any thread.
#pragma once

#include <string>
#include <vector>

#include "engine/mutation.h"

namespace walkv::rpc {

// args: key, value, then option words and their numbers.
Mutation ParseSetCall(std::vector<std::string>& args);

// args: key and a time. unit_ms: 1000 for seconds, 1 for milliseconds; absolute: the time is a
// unix time (expireat, pexpireat) rather than a time to live (expire, pexpire). `method` names
// the method in errors.
Mutation ParseExpireCall(std::vector<std::string>& args, int64_t unit_ms, bool absolute,
                         const char* method);

}  // namespace walkv::rpc
