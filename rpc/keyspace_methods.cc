#include "rpc/keyspace_methods.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

namespace walkv::rpc {

namespace {

using json = nlohmann::json;

// A decimal uint64 with nothing around it, or nullopt.
std::optional<uint64_t> ParseDecimal(std::string_view text) {
  uint64_t value = 0;
  if (text.empty() || text.size() > 20) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Failure Invalid(std::string message) { return {ErrorCode::kInvalidArgument, std::move(message)}; }

}  // namespace

MethodResult RunKeys(MethodContext& ctx, std::vector<std::string>& args) {
  const std::string pattern = args.empty() ? "*" : args[0];
  const size_t bound = ctx.server.max_keys_reply;
  std::vector<std::string> keys;
  if (bound == 0) {
    keys = ctx.engine.Keys(pattern);
  } else {
    std::optional<std::vector<std::string>> bounded = ctx.engine.KeysUpTo(pattern, bound);
    if (!bounded.has_value()) {
      return Invalid("keys: more than " + std::to_string(bound) + " keys match \"" + pattern +
                     "\" (the server's --max-keys-reply); use scan to list them in steps, e.g. "
                     "{\"method\":\"scan\",\"args\":[\"0\",\"" +
                     pattern +
                     "\",\"1000\"]} and again with each returned cursor until it is \"0\"");
    }
    keys = std::move(*bounded);
  }
  std::sort(keys.begin(), keys.end());
  return json(std::move(keys));
}

MethodResult RunScan(MethodContext& ctx, std::vector<std::string>& args) {
  std::optional<uint64_t> cursor = ParseDecimal(args[0]);
  if (!cursor.has_value()) {
    return Invalid("scan: cursor must be \"0\" to start or a cursor returned by scan, got \"" +
                   args[0].substr(0, 64) + "\"");
  }
  const std::string pattern = args.size() > 1 ? args[1] : "*";
  size_t count = kDefaultScanCount;
  if (args.size() > 2) {
    std::optional<uint64_t> n = ParseDecimal(args[2]);
    if (!n.has_value() || *n == 0 || *n > kMaxScanCount) {
      return Invalid("scan: count must be an integer from 1 to " + std::to_string(kMaxScanCount) +
                     ", got \"" + args[2].substr(0, 64) + "\"");
    }
    count = static_cast<size_t>(*n);
  }
  std::vector<std::string> keys;
  const uint64_t next = ctx.engine.Scan(*cursor, count, pattern, &keys);
  return json::array({std::to_string(next), std::move(keys)});
}

}  // namespace walkv::rpc
