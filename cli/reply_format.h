// How `walkv cli` prints results and errors (docs/cli.md, "Rendering").
//
//  kHuman (a terminal; redis-cli style): "quoted strings" with escapes for control bytes,
//    (nil), (integer) N, (double) X, OK for a method's `true` that means "done" (set, flushall),
//    otherwise (true)/(false); lists as numbered lines `1) "a"` or (empty array); objects as
//    `key: value` lines (nested objects indented); errors as `(error) CODE message`.
//  kRaw (stdout is not a terminal): strings as their raw bytes, nil as an empty line, numbers
//    plain, true/false (OK for set/flushall), one list element per line, objects as in kHuman.
//  kJson (--json): the result (or the error object) as one line of JSON; strings that are not
//    UTF-8 as {"b64": "<base64>"} (rpc/binary_json.h).
// Every returned string ends with a newline.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace walkv::cli {

enum class OutputMode { kHuman, kRaw, kJson };

// `true_means_ok`: render JSON true as OK (see rpc::ResultMeansDone).
std::string FormatResult(const nlohmann::json& result, OutputMode mode, bool true_means_ok);

// `error` is the response's error object: {"code": "...", "message": "..."}.
std::string FormatError(const nlohmann::json& error, OutputMode mode);

// A string in double quotes with \" \\ \n \r \t \a \b and \xHH for other control bytes and for
// bytes that are not UTF-8; UTF-8 text is kept as it is.
std::string QuoteForDisplay(const std::string& s);

}  // namespace walkv::cli
