#include "rpc/bind.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "rpc/expiry_args.h"
#include "rpc/txn_args.h"
#include "rpc/unknown_method.h"

namespace walkv::rpc {

namespace {

ErrorResponse BadArgument(const std::string& id, std::string message) {
  return ErrorResponse{id, ErrorCode::kInvalidArgument, std::move(message)};
}

std::string Plural(size_t n, std::string_view what) {
  return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
}

std::string ArityText(const MethodSpec& m) {
  if (m.max_args == kUnlimited) return "at least " + Plural(m.min_args, "argument");
  if (m.min_args == m.max_args) return Plural(m.max_args, "argument");
  return std::to_string(m.min_args) + " to " + Plural(m.max_args, "argument");
}

}  // namespace

std::variant<Call, ErrorResponse> Bind(CallParts parts) {
  const MethodSpec* m = FindMethod(parts.method);
  if (m == nullptr) {
    return ErrorResponse{std::move(parts.id), ErrorCode::kUnknownMethod,
                         UnknownMethodMessage(parts.method)};
  }
  const std::string& id = parts.id;
  const std::string name(m->name);
  const size_t positional = parts.args.size();
  if (positional > m->max_args) {
    return BadArgument(id,
                       name + " takes " + ArityText(*m) + ", got " + std::to_string(positional));
  }
  if (!parts.kwargs.empty() && !m->kwargs_allowed) {
    return BadArgument(id, name + " takes no keyword arguments");
  }

  // Slot i holds argument i, from args or from kwargs (a repeated parameter: args only, beyond
  // the slots).
  std::array<const ArgValue*, kMaxParams> slots{};
  const size_t slot_count = std::min(m->max_args, kMaxParams);
  for (size_t i = 0; i < std::min(positional, kMaxParams); ++i) slots[i] = &parts.args[i];
  std::vector<std::string> option_words;  // set's option keywords, as words after the arguments
  for (const KeywordArg& kw : parts.kwargs) {
    if (IsSetOptionKeyword(m->name, kw.name)) {
      std::optional<std::string> error =
          AppendSetOptionWords(kw.name, kw.value.text, kw.value.scalar,
                               kw.value.type_name, &option_words);
      if (error) return BadArgument(id, std::move(*error));
      continue;
    }
    size_t index = slot_count;
    for (size_t i = 0; i < slot_count; ++i) {
      if (m->params[i].name == kw.name) index = i;
    }
    const std::string kw_name(kw.name);
    if (index == slot_count) {
      return BadArgument(id, name + " has no parameter named \"" + kw_name + "\"");
    }
    if (slots[index] != nullptr) {
      return BadArgument(id, name + " got \"" + kw_name + "\" both positionally and as a keyword");
    }
    slots[index] = &kw.value;
  }
  size_t given = 0;
  while (given < slot_count && slots[given] != nullptr) ++given;
  for (size_t i = given; i < slot_count; ++i) {
    if (slots[i] != nullptr) {
      return BadArgument(id, name + ": \"" + std::string(m->params[i].name) +
                                 "\" given without \"" + std::string(m->params[given].name) + "\"");
    }
  }
  if (given < m->min_args) {
    return BadArgument(id, name + " takes " + ArityText(*m) + ", got " + std::to_string(given) +
                               " (missing \"" + std::string(m->params[given].name) + "\")");
  }
  given = std::max(given, positional);  // the repeated parameter's arguments beyond the slots
  auto arg_at = [&](size_t i) { return i < kMaxParams ? slots[i] : &parts.args[i]; };
  for (size_t i = 0; i < given; ++i) {
    const ParamSpec& p = ParamAt(*m, i);
    const ArgValue& arg = *arg_at(i);
    if (arg.text == nullptr && arg.scalar != nullptr && arg.scalar->is_null() &&
        AcceptsNull(m->name, p.name)) {
      continue;
    }
    if (arg.text == nullptr && arg.scalar != nullptr && TakesJson(m->name, p.name)) continue;
    if (arg.text == nullptr) {
      return BadArgument(id, name + ": " + std::string(p.name) + " must be a string, got " +
                                 std::string(arg.type_name));
    }
    if (arg.text->size() > p.max_bytes) {
      return BadArgument(id, name + ": " + std::string(p.name) + " is " +
                                 std::to_string(arg.text->size()) + " bytes, the limit is " +
                                 std::to_string(p.max_bytes));
    }
  }

  Call call;
  call.id = std::move(parts.id);
  call.method = m;
  call.method_index = static_cast<size_t>(m - MethodTable().data());
  call.b64_results = parts.b64_results;
  call.args.reserve(given + option_words.size());
  for (size_t i = 0; i < given; ++i) {
    if (i < slot_count && AcceptsNull(m->name, m->params[i].name)) {
      call.args.push_back(NullableArg(arg_at(i)->text));
    } else if (arg_at(i)->text == nullptr) {  // a TakesJson parameter given as JSON
      call.args.push_back(arg_at(i)->scalar->dump());
    } else {
      call.args.push_back(std::move(*arg_at(i)->text));
    }
  }
  for (std::string& word : option_words) call.args.push_back(std::move(word));
  return call;
}

}  // namespace walkv::rpc
