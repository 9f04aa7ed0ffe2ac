#include "rpc/expiry_args.h"

#include <optional>
#include <string_view>
#include <utility>

#include "engine/counter.h"
#include "engine/expiry_requests.h"
#include "rpc/ascii.h"

namespace walkv::rpc {
namespace {

// A decimal int64 times unit_ms, or nullopt if it is not an integer or overflows.
std::optional<int64_t> TimeInMs(std::string_view text, int64_t unit_ms) {
  std::optional<int64_t> n = ParseCounter(text);
  if (!n) return std::nullopt;
  int64_t ms = 0;
  if (__builtin_mul_overflow(*n, unit_ms, &ms)) return std::nullopt;
  return ms;
}

}  // namespace

Mutation ParseSetCall(std::vector<std::string>& args) {
  if (args.size() == 2) {  // no options: the plain SET, which needs no resolving
    return Mutation{MutationType::kSet, std::move(args[0]), std::move(args[1])};
  }
  ExpiryRequest expiry;
  SetOptions options;
  bool expiry_given = false;
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string_view word = args[i];
    const bool takes_time = EqualsIgnoreAsciiCase(word, "ex") || EqualsIgnoreAsciiCase(word, "px") ||
                            EqualsIgnoreAsciiCase(word, "exat") ||
                            EqualsIgnoreAsciiCase(word, "pxat");
    if (takes_time || EqualsIgnoreAsciiCase(word, "keepttl")) {
      if (expiry_given) {
        return InvalidRequest("set: only one of EX, PX, EXAT, PXAT and KEEPTTL may be given");
      }
      expiry_given = true;
      if (!takes_time) {
        expiry.kind = ExpiryRequest::Kind::kKeep;
        continue;
      }
      if (i + 1 >= args.size()) {
        return InvalidRequest("set: " + std::string(word) + " needs a number after it");
      }
      const bool seconds = EqualsIgnoreAsciiCase(word, "ex") || EqualsIgnoreAsciiCase(word, "exat");
      std::optional<int64_t> ms = TimeInMs(args[++i], seconds ? 1000 : 1);
      if (!ms || *ms <= 0) return InvalidRequest("set: invalid expire time");
      expiry.kind = EqualsIgnoreAsciiCase(word, "ex") || EqualsIgnoreAsciiCase(word, "px")
                        ? ExpiryRequest::Kind::kRelative
                        : ExpiryRequest::Kind::kAbsolute;
      expiry.ms = *ms;
    } else if (EqualsIgnoreAsciiCase(word, "nx")) {
      options.only_if_absent = true;
    } else if (EqualsIgnoreAsciiCase(word, "xx")) {
      options.only_if_present = true;
    } else if (EqualsIgnoreAsciiCase(word, "get")) {
      options.return_old = true;
    } else {
      return InvalidRequest("set: unknown option \"" + std::string(word) +
                            "\" (options: EX s, PX ms, EXAT unix-s, PXAT unix-ms, KEEPTTL, NX, "
                            "XX, GET)");
    }
  }
  if (options.only_if_absent && options.only_if_present) {
    return InvalidRequest("set: NX and XX exclude each other");
  }
  return SetRequest(std::move(args[0]), std::move(args[1]), expiry, options);
}

Mutation ParseExpireCall(std::vector<std::string>& args, int64_t unit_ms, bool absolute,
                         const char* method) {
  std::optional<int64_t> ms = TimeInMs(args[1], unit_ms);
  if (!ms) {
    return InvalidRequest(std::string(method) +
                          ": the time is not an integer or is out of range");
  }
  return ExpireRequest(
      std::move(args[0]),
      {absolute ? ExpiryRequest::Kind::kAbsolute : ExpiryRequest::Kind::kRelative, *ms});
}

}  // namespace walkv::rpc
