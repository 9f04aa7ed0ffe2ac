#include "rpc/batch_ops.h"

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "engine/expiry_requests.h"
#include "rpc/binary_json.h"
#include "rpc/bind.h"
#include "rpc/methods.h"
#include "rpc/parse_call.h"

namespace walkv::rpc {

namespace {

using json = nlohmann::json;

// Write methods that cannot be an operation: they are batches themselves, or FLUSHALL.
constexpr std::array<std::string_view, 5> kNotAnOperation = {"batch", "flushall", "mset", "msetnx",
                                                             "txn"};

std::string ItemName(std::string_view list, size_t i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

// The JSON list a parameter holds, or the reason it is not one.
std::optional<json> ParseList(const std::string& text, std::string_view param, std::string* error) {
  json list = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded()) {
    *error = std::string(param) + " must be a JSON list (or its JSON text), got: " +
             (text.size() > 80 ? text.substr(0, 80) + "..." : text);
    return std::nullopt;
  }
  if (!list.is_array()) {
    *error = std::string(param) + " must be a list, got " + list.type_name();
    return std::nullopt;
  }
  return list;
}

// One operation -> its request, labelled with its method's index; or the reason it is not one.
std::optional<Mutation> ParseOperation(json& op, std::string* error) {
  if (!op.is_array() || op.empty() || !op[0].is_string()) {
    *error = "an operation is a list [method, arg, ...], e.g. [\"set\",\"k\",\"v\"]";
    return std::nullopt;
  }
  std::vector<ArgValue> args;
  args.reserve(op.size() - 1);
  for (size_t i = 1; i < op.size(); ++i) args.push_back(ArgFromJson(op[i]));
  std::variant<Call, ErrorResponse> bound =
      Bind(CallParts{"null", op[0].get_ref<const std::string&>(), args, {}});
  if (auto* failure = std::get_if<ErrorResponse>(&bound)) {
    *error = std::move(failure->message);
    return std::nullopt;
  }
  Call& call = std::get<Call>(bound);
  const MethodSpec& method = *call.method;
  Mutation m;
  if (method.name == "get") {
    m.request = MutationRequest::kRead;
    m.key = std::move(call.args[0]);
  } else if (method.kind != MethodKind::kWrite || method.mutation == nullptr ||
             std::find(kNotAnOperation.begin(), kNotAnOperation.end(), method.name) !=
                 kNotAnOperation.end()) {
    *error = std::string(method.name) +
             " cannot be an operation of a batch (get and the single-key write methods can)";
    return std::nullopt;
  } else {
    m = method.mutation(call.args);
  }
  m.label = static_cast<uint32_t>(call.method_index);
  return m;
}

// A list of operations (the JSON text of parameter `param`) -> *parts; false with *error.
bool ParseOperations(const std::string& text, std::string_view param, std::vector<Mutation>* parts,
                     std::string* error) {
  std::optional<json> list = ParseList(text, param, error);
  if (!list) return false;
  parts->reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    std::string why;
    std::optional<Mutation> m = ParseOperation((*list)[i], &why);
    if (!m) {
      *error = ItemName(param, i) + ": " + why;
      return false;
    }
    parts->push_back(std::move(*m));
  }
  return true;
}

std::optional<std::string> KeyOf(json& value, std::string* error) {
  std::optional<std::string> key = BytesFromJson(value);
  if (!key) {
    *error = std::string("keys are strings, got ") + value.type_name();
  } else if (key->size() > kMaxKeyBytes) {
    *error = "key is " + std::to_string(key->size()) + " bytes, the limit is " +
             std::to_string(kMaxKeyBytes);
    key.reset();
  }
  return key;
}

std::optional<KeyCompare> ParseCompare(json& c, std::string* error) {
  static constexpr char kForms[] =
      "a compare is [\"value\", key, expected] (expected null: absent), [\"exists\", key] or "
      "[\"absent\", key]";
  if (!c.is_array() || c.size() < 2 || !c[0].is_string()) {
    *error = kForms;
    return std::nullopt;
  }
  const std::string& kind = c[0].get_ref<const std::string&>();
  KeyCompare compare;
  if (kind == "value" && c.size() == 3) {
    if (c[2].is_null()) {
      compare.kind = KeyCompare::Kind::kAbsent;
    } else {
      std::optional<std::string> expected = BytesFromJson(c[2]);
      if (!expected) {
        *error = std::string("expected must be a string or null, got ") + c[2].type_name();
        return std::nullopt;
      }
      compare.kind = KeyCompare::Kind::kValueEquals;
      compare.value = std::move(*expected);
    }
  } else if (kind == "exists" && c.size() == 2) {
    compare.kind = KeyCompare::Kind::kExists;
  } else if (kind == "absent" && c.size() == 2) {
    compare.kind = KeyCompare::Kind::kAbsent;
  } else {
    *error = kForms;
    return std::nullopt;
  }
  std::optional<std::string> key = KeyOf(c[1], error);
  if (!key) return std::nullopt;
  compare.key = std::move(*key);
  return compare;
}

bool ParseCompares(const std::string& text, std::vector<KeyCompare>* compares, std::string* error) {
  std::optional<json> list = ParseList(text, "compare", error);
  if (!list) return false;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string why;
    std::optional<KeyCompare> c = ParseCompare((*list)[i], &why);
    if (!c) {
      *error = ItemName("compare", i) + ": " + why;
      return false;
    }
    compares->push_back(std::move(*c));
  }
  return true;
}

json PartResultsJson(const std::vector<MutationResult>& parts) {
  json results = json::array();
  const std::span<const MethodSpec> table = MethodTable();
  for (const MutationResult& r : parts) {
    const MethodSpec& method = table[r.label];
    if (method.write_result == nullptr) {  // get
      results.push_back(r.old_value ? json(*r.old_value) : json(nullptr));
    } else {
      results.push_back(method.write_result(r));
    }
  }
  return results;
}

}  // namespace

Mutation ParseBatchCall(std::vector<std::string>& args) {
  Mutation m;
  m.type = MutationType::kBatch;
  m.request = MutationRequest::kAtomicBatch;
  std::string error;
  if (!ParseOperations(args[0], "ops", &m.batch, &error)) return InvalidRequest(error);
  if (m.batch.empty()) return InvalidRequest("batch needs at least one operation");
  return m;
}

Mutation ParseTxnCall(std::vector<std::string>& args) {
  Mutation m;
  m.type = MutationType::kBatch;
  m.request = MutationRequest::kTransaction;
  std::string error;
  if (!ParseCompares(args[0], &m.compares, &error) ||
      !ParseOperations(args[1], "success", &m.batch, &error) ||
      (args.size() > 2 && !ParseOperations(args[2], "failure", &m.otherwise, &error))) {
    return InvalidRequest(error);
  }
  return m;
}

json BatchResultJson(const MutationResult& result) { return PartResultsJson(result.parts); }

json TxnResultJson(const MutationResult& result) {
  return {{"succeeded", result.applied}, {"results", PartResultsJson(result.parts)}};
}

}  // namespace walkv::rpc
