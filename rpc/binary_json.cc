#include "rpc/binary_json.h"

#include <utility>

#include "rpc/base64.h"
#include "rpc/json_text.h"

namespace walkv::rpc {

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool IsB64Object(const nlohmann::json& value) {
  return value.is_object() && value.size() == 1 && value.contains(kB64Member);
}

nlohmann::json BytesToJson(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return nlohmann::json(std::string(bytes));
  return nlohmann::json{{std::string(kB64Member), Base64Encode(bytes)}};
}

bool EncodeNonUtf8Strings(nlohmann::json& value) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (IsValidUtf8(s)) return false;
    value = nlohmann::json{{std::string(kB64Member), Base64Encode(s)}};
    return true;
  }
  bool changed = false;
  if (value.is_array() || value.is_object()) {
    for (nlohmann::json& element : value) changed |= EncodeNonUtf8Strings(element);
  }
  return changed;
}

std::optional<std::string> BytesFromJson(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (!IsB64Object(value)) return std::nullopt;
  const nlohmann::json& text = value[std::string(kB64Member)];
  if (!text.is_string()) return std::nullopt;
  return Base64Decode(text.get_ref<const std::string&>());
}

void DecodeB64Objects(nlohmann::json& value) {
  if (IsB64Object(value)) {
    if (std::optional<std::string> bytes = BytesFromJson(value)) {
      value = std::move(*bytes);
      return;
    }
  }
  if (value.is_array() || value.is_object()) {
    for (nlohmann::json& element : value) DecodeB64Objects(element);
  }
}

}  // namespace walkv::rpc
