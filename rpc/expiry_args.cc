#include "rpc/expiry_args.h"

#include <optional>
#include <span>
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

constexpr std::string_view kTimeKeywords[] = {"ex", "px", "exat", "pxat"};
constexpr std::string_view kFlagKeywords[] = {"keepttl", "nx", "xx", "get"};

bool OneOf(std::string_view word, std::span<const std::string_view> words) {
  for (std::string_view w : words) {
    if (w == word) return true;
  }
  return false;
}

std::string Upper(std::string_view word) {
  std::string upper(word);
  for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return upper;
}

}  // namespace

bool IsSetOptionKeyword(std::string_view method, std::string_view keyword) {
  return method == "set" && (OneOf(keyword, kTimeKeywords) || OneOf(keyword, kFlagKeywords));
}

std::optional<std::string> AppendSetOptionWords(std::string_view keyword, const std::string* text,
                                                const nlohmann::json* scalar,
                                                std::string_view type_name,
                                                std::vector<std::string>* words) {
  if (OneOf(keyword, kTimeKeywords)) {
    if (text != nullptr) {
      words->push_back(Upper(keyword));
      words->push_back(*text);
      return std::nullopt;
    }
    if (scalar != nullptr && scalar->is_number_integer()) {
      words->push_back(Upper(keyword));
      words->push_back(scalar->dump());
      return std::nullopt;
    }
    return "set: " + std::string(keyword) +
           " must be an integer (a number or a numeric string), got " + std::string(type_name);
  }
  if (scalar != nullptr && scalar->is_boolean()) {
    if (scalar->get<bool>()) words->push_back(Upper(keyword));
    return std::nullopt;
  }
  return "set: " + std::string(keyword) + " must be true or false, got " + std::string(type_name);
}

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
