// Parsing of the expiry methods' arguments (set's options, expire's times) into engine requests
// (engine/expiry_requests.h). Redis's spelling: SET key value [EX s | PX ms | EXAT unix-s |
// PXAT unix-ms | KEEPTTL] [NX | XX] [GET], option words in any case and any order.
//
// A bad argument gives a request the engine refuses with INVALID_ARGUMENT and the reason
// (MutationRequest::kInvalid), since a method's mutation function cannot fail by itself.
//
// Pure functions, any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/mutation.h"

namespace walkv::rpc {

// True if `keyword` is one of set's options given as a keyword argument: ex, px, exat, pxat
// (a number), keepttl, nx, xx, get (a boolean); `method` must be "set".
bool IsSetOptionKeyword(std::string_view method, std::string_view keyword);

// Appends the option words a set option keyword stands for to *words, so that it means exactly
// what the positional words mean ({"ex": 10} -> "EX" "10"; {"nx": true} -> "NX"; {"nx": false}
// -> nothing). The value is either a string (`text`) or a JSON number/boolean (`scalar`): ex/px/
// exat/pxat take an integer number or a string (checked as the positional number is), the others
// a boolean; type_name names the JSON type for the message. Returns the INVALID_ARGUMENT message for any other JSON type, else nullopt.
std::optional<std::string> AppendSetOptionWords(std::string_view keyword, const std::string* text,
                                                const nlohmann::json* scalar,
                                                std::string_view type_name,
                                                std::vector<std::string>* words);

// args: key, value, then option words and their numbers.
Mutation ParseSetCall(std::vector<std::string>& args);

// args: key and a time. unit_ms: 1000 for seconds, 1 for milliseconds; absolute: the time is a
// unix time (expireat, pexpireat) rather than a time to live (expire, pexpire). `method` names
// the method in errors.
Mutation ParseExpireCall(std::vector<std::string>& args, int64_t unit_ms, bool absolute,
                         const char* method);

}  // namespace walkv::rpc
