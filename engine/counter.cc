#include "engine/counter.h"

#include <charconv>

namespace walkv {

std::optional<int64_t> ParseCounter(std::string_view text) {
  std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
  if (digits.empty() || digits.front() < '0' || digits.front() > '9') return std::nullopt;
  if (digits.front() == '0' && text != "0") return std::nullopt;  // "007", "-0"
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

StatusOr<int64_t> ApplyCounter(std::optional<std::string_view> current, MutationRequest request,
                               std::string_view delta) {
  std::optional<int64_t> by = ParseCounter(delta);
  if (!by) return Status::InvalidArgument("increment is not an integer or out of range");
  int64_t value = 0;
  if (current.has_value()) {
    std::optional<int64_t> parsed = ParseCounter(*current);
    if (!parsed) return Status::InvalidArgument("value is not an integer or out of range");
    value = *parsed;
  }
  int64_t result = 0;
  const bool overflow = request == MutationRequest::kDecrBy
                            ? __builtin_sub_overflow(value, *by, &result)
                            : __builtin_add_overflow(value, *by, &result);
  if (overflow) return Status::InvalidArgument("increment or decrement would overflow");
  return result;
}

}  // namespace walkv
