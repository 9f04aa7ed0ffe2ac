#include "rpc/bind.h"

#include <array>
#include <utility>

namespace walkv::rpc {

namespace {

// Method names longer than this are cut in UNKNOWN_METHOD messages.
constexpr size_t kMaxShownMethodBytes = 64;

ErrorResponse BadArgument(const std::string& id, std::string message) {
  return ErrorResponse{id, ErrorCode::kInvalidArgument, std::move(message)};
}

std::string Plural(size_t n, std::string_view what) {
  return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
}

std::string ArityText(const MethodSpec& m) {
  if (m.min_args == m.max_args) return Plural(m.max_args, "argument");
  return std::to_string(m.min_args) + " to " + Plural(m.max_args, "argument");
}

}  // namespace

std::variant<Call, ErrorResponse> Bind(CallParts parts) {
  const MethodSpec* m = FindMethod(parts.method);
  if (m == nullptr) {
    std::string shown(parts.method.substr(0, kMaxShownMethodBytes));
    if (parts.method.size() > kMaxShownMethodBytes) shown += "...";
    return ErrorResponse{std::move(parts.id), ErrorCode::kUnknownMethod,
                         "unknown method \"" + shown + "\""};
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

  // Slot i holds parameter i, from args or from kwargs.
  std::array<const ArgValue*, kMaxParams> slots{};
  for (size_t i = 0; i < positional; ++i) slots[i] = &parts.args[i];
  for (const KeywordArg& kw : parts.kwargs) {
    size_t index = m->max_args;
    for (size_t i = 0; i < m->max_args; ++i) {
      if (m->params[i].name == kw.name) index = i;
    }
    const std::string kw_name(kw.name);
    if (index == m->max_args) {
      return BadArgument(id, name + " has no parameter named \"" + kw_name + "\"");
    }
    if (slots[index] != nullptr) {
      return BadArgument(id, name + " got \"" + kw_name + "\" both positionally and as a keyword");
    }
    slots[index] = &kw.value;
  }
  size_t given = 0;
  while (given < m->max_args && slots[given] != nullptr) ++given;
  for (size_t i = given; i < m->max_args; ++i) {
    if (slots[i] != nullptr) {
      return BadArgument(id, name + ": \"" + std::string(m->params[i].name) +
                                 "\" given without \"" + std::string(m->params[given].name) + "\"");
    }
  }
  if (given < m->min_args) {
    return BadArgument(id, name + " takes " + ArityText(*m) + ", got " + std::to_string(given) +
                               " (missing \"" + std::string(m->params[given].name) + "\")");
  }
  for (size_t i = 0; i < given; ++i) {
    const ParamSpec& p = m->params[i];
    const ArgValue& arg = *slots[i];
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
  call.args.reserve(given);
  for (size_t i = 0; i < given; ++i) call.args.push_back(std::move(*slots[i]->text));
  return call;
}

}  // namespace walkv::rpc
