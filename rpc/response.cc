#include "rpc/response.h"

#include <charconv>

#include "rpc/json_text.h"

namespace walkv::rpc {

std::string DumpJson(const nlohmann::json& value) {
  std::string out;
  AppendJson(out, value);
  return out;
}

void AppendJson(std::string& out, const nlohmann::json& value) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::string:
      AppendJsonStringLenient(out, value.get_ref<const std::string&>());
      return;
    case Type::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Type::null:
      out += "null";
      return;
    case Type::number_unsigned:
      AppendUint(out, value.get<uint64_t>());
      return;
    case Type::number_integer: {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof buf, value.get<int64_t>());
      out.append(buf, r.ptr);
      return;
    }
    default:
      out += value.dump(-1, ' ', /*ensure_ascii=*/false,
                        nlohmann::json::error_handler_t::replace);
  }
}

void AppendResult(std::string& out, std::string_view id_json, const nlohmann::json& result) {
  out += "{\"id\":";
  out += id_json;
  out += ",\"result\":";
  AppendJson(out, result);
  out += "}\n";
}

std::string EncodeResult(std::string_view id_json, const nlohmann::json& result) {
  std::string out;
  AppendResult(out, id_json, result);
  return out;
}

void AppendError(std::string& out, std::string_view id_json, ErrorCode code,
                 std::string_view message) {
  out += "{\"id\":";
  out += id_json;
  out += ",\"error\":{\"code\":\"";
  out += ErrorCodeName(code);
  out += "\",\"message\":";
  AppendJsonStringLenient(out, message);
  out += "}}\n";
}

std::string EncodeError(std::string_view id_json, ErrorCode code, std::string_view message) {
  std::string out;
  AppendError(out, id_json, code, message);
  return out;
}

}  // namespace walkv::rpc
