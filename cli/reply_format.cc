#include "cli/reply_format.h"

#include <cstdio>
#include <string_view>

#include "rpc/binary_json.h"
#include "rpc/json_text.h"

namespace walkv::cli {
namespace {

using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Escapes control bytes (and C1 controls encoded in UTF-8) as in QuoteForDisplay, without quotes.
std::string EscapeControls(const std::string& s, bool escape_quote) {
  // A UTF-8 encoded C1 control (U+0080..U+009F) starts at i: escaped below, byte by byte.
  auto c1_control_lead = [&](size_t i) {
    return static_cast<unsigned char>(s[i]) == 0xC2 && i + 1 < s.size() &&
           static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
           static_cast<unsigned char>(s[i + 1]) <= 0x9F;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\\':
        out += escape_quote ? "\\\\" : "\\";
        continue;
      case '"':
        out += escape_quote ? "\\\"" : "\"";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      default:
        break;
    }
    if (c >= 0x80 && !c1_control_lead(i)) {
      const size_t n = rpc::Utf8SequenceLength(std::string_view(s).substr(i));
      if (n == 0) {  // not UTF-8: shown as its byte value
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
        out += buf;
      } else {
        out.append(s, i, n);
        i += n - 1;
      }
      continue;
    }
    const bool c1_control = c == 0xC2 && i + 1 < s.size() &&
                            static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                            static_cast<unsigned char>(s[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F || c1_control) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
      if (c1_control) {
        std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(s[++i]));
        out += buf;
      }
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// Indents every line after the first by `width` spaces.
std::string IndentContinuation(const std::string& text, size_t width) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    out.push_back(text[i]);
    if (text[i] == '\n' && i + 1 < text.size()) out.append(width, ' ');
  }
  return out;
}

std::string FormatObject(const json& object, OutputMode mode, size_t indent);

// A value on the right of `key: ` inside an object: scalars plainly, strings unquoted.
std::string FormatObjectValue(const json& value, OutputMode mode, size_t indent) {
  if (value.is_object() && !value.empty()) {
    std::string out = "\n";
    out += FormatObject(value, mode, indent + 2);
    return out;
  }
  if (value.is_string()) return EscapeControls(value.get_ref<const std::string&>(), false) + "\n";
  if (value.is_null()) return (mode == OutputMode::kHuman ? "(nil)" : "") + std::string("\n");
  return Dump(value) + "\n";
}

std::string FormatObject(const json& object, OutputMode mode, size_t indent) {
  if (object.empty()) return std::string(indent, ' ') + "(empty object)\n";
  std::string out;
  for (const auto& [key, value] : object.items()) {
    out += std::string(indent, ' ') + EscapeControls(key, false) + ":";
    std::string rendered = FormatObjectValue(value, mode, indent);
    if (rendered[0] != '\n') out += " ";
    out += rendered;
  }
  return out;
}

std::string FormatHuman(const json& value, bool true_means_ok) {
  switch (value.type()) {
    case json::value_t::null:
      return "(nil)\n";
    case json::value_t::string:
      return QuoteForDisplay(value.get_ref<const std::string&>()) + "\n";
    case json::value_t::boolean:
      if (value.get<bool>()) return true_means_ok ? "OK\n" : "(true)\n";
      return "(false)\n";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "(integer) " + Dump(value) + "\n";
    case json::value_t::number_float:
      return "(double) " + Dump(value) + "\n";
    case json::value_t::array: {
      if (value.empty()) return "(empty array)\n";
      const size_t digits = std::to_string(value.size()).size();
      std::string out;
      for (size_t i = 0; i < value.size(); ++i) {
        std::string number = std::to_string(i + 1);
        std::string prefix = std::string(digits - number.size(), ' ') + number + ") ";
        out += prefix + IndentContinuation(FormatHuman(value[i], false), prefix.size());
      }
      return out;
    }
    case json::value_t::object:
      return FormatObject(value, OutputMode::kHuman, 0);
    default:
      return Dump(value) + "\n";
  }
}

std::string FormatRaw(const json& value, bool true_means_ok) {
  switch (value.type()) {
    case json::value_t::null:
      return "\n";
    case json::value_t::string:
      return value.get_ref<const std::string&>() + "\n";
    case json::value_t::boolean:
      if (value.get<bool>()) return true_means_ok ? "OK\n" : "true\n";
      return "false\n";
    case json::value_t::array: {
      std::string out;
      for (const json& element : value) out += FormatRaw(element, false);
      return out;
    }
    case json::value_t::object:
      return FormatObject(value, OutputMode::kRaw, 0);
    default:
      return Dump(value) + "\n";
  }
}

}  // namespace

std::string QuoteForDisplay(const std::string& s) {
  std::string out = "\"";
  out += EscapeControls(s, true);
  out += '"';
  return out;
}

std::string FormatResult(const json& result, OutputMode mode, bool true_means_ok) {
  switch (mode) {
    case OutputMode::kJson: {
      // Bytes that are not UTF-8 as {"b64": ...}, like the server's "encoding":"b64".
      nlohmann::json encoded = result;
      rpc::EncodeNonUtf8Strings(encoded);
      return Dump(encoded) + "\n";
    }
    case OutputMode::kRaw:
      return FormatRaw(result, true_means_ok);
    case OutputMode::kHuman:
      break;
  }
  return FormatHuman(result, true_means_ok);
}

std::string FormatError(const json& error, OutputMode mode) {
  if (mode == OutputMode::kJson) return Dump(error) + "\n";
  std::string code = "ERROR";
  std::string message;
  if (error.is_object()) {
    if (auto it = error.find("code"); it != error.end() && it->is_string()) code = *it;
    if (auto it = error.find("message"); it != error.end() && it->is_string()) message = *it;
  } else {
    message = Dump(error);
  }
  std::string out = "(error) ";
  out += code;
  if (!message.empty()) out.append(" ").append(EscapeControls(message, false));
  out += '\n';
  return out;
}

}  // namespace walkv::cli
