#include "rpc/response.h"

namespace walkv::rpc {

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

std::string EncodeResult(std::string_view id_json, const nlohmann::json& result) {
  std::string out;
  const std::string body = DumpJson(result);
  out.reserve(id_json.size() + body.size() + 20);
  out += "{\"id\":";
  out += id_json;
  out += ",\"result\":";
  out += body;
  out += "}\n";
  return out;
}

std::string EncodeError(std::string_view id_json, ErrorCode code, std::string_view message) {
  std::string out;
  out += "{\"id\":";
  out += id_json;
  out += ",\"error\":{\"code\":\"";
  out += ErrorCodeName(code);
  out += "\",\"message\":";
  out += DumpJson(nlohmann::json(std::string(message)));
  out += "}}\n";
  return out;
}

}  // namespace walkv::rpc
