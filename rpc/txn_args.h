// Arguments of the compare-and-set method: `cas(key, expected, value)`, where `expected` may be
// JSON null (= the key must be absent); and which parameters of batch and txn take JSON.
//
// Call::args holds strings only, so Bind passes a nullable parameter tagged: "" for null, "=" +
// the bytes for a string (NullableArg); CasMutation reads the tag back (ParseNullableArg). The
// tag never leaves the process and is never logged.
//
// Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/mutation.h"

namespace walkv::rpc {

// True if parameter `param` of `method` takes any JSON (batch's "ops", txn's "compare",
// "success", "failure"): Bind passes a non-string argument as its JSON text (compact), and a
// string argument as it is, to be parsed as JSON text (what `walkv cli` sends). rpc/batch_ops.h
// parses both.
bool TakesJson(std::string_view method, std::string_view param);

// True if parameter `param` of `method` accepts JSON null (cas's "expected").
bool AcceptsNull(std::string_view method, std::string_view param);

// The tagged form of a nullable argument: nullptr (JSON null) -> "", a string -> "=" + it.
std::string NullableArg(const std::string* text);
// Its inverse; nullopt for null.
std::optional<std::string> ParseNullableArg(std::string& tagged);

// args: key, tagged expected, value.
Mutation ParseCasCall(std::vector<std::string>& args);

}  // namespace walkv::rpc
