#include "rpc/request.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <utility>

#include "rpc/binary_json.h"
#include "rpc/json_text.h"

namespace walkv::rpc {

namespace {

using json = nlohmann::json;

// Builds the DOM like nlohmann's own SAX DOM builder, but (1) remembers the raw text of the
// top-level "id" member when it is a number, and (2) stops building below kMaxRequestDepth while
// still checking the syntax of the whole line.
class RequestSax {
 public:
  explicit RequestSax(json& root) : dom_(root, /*allow_exceptions=*/false) {}

  bool null() {
    return Scalar([&] { return dom_.null(); }, "null");
  }
  bool boolean(bool v) {
    return Scalar([&] { return dom_.boolean(v); }, v ? "true" : "false");
  }
  bool number_integer(json::number_integer_t v) {
    return Scalar([&] { return dom_.number_integer(v); }, std::to_string(v));
  }
  bool number_unsigned(json::number_unsigned_t v) {
    return Scalar([&] { return dom_.number_unsigned(v); }, std::to_string(v));
  }
  bool number_float(json::number_float_t v, const std::string& raw) {
    return Scalar([&] { return dom_.number_float(v, raw); }, raw);
  }
  bool string(std::string& v) {
    return Scalar([&] { return dom_.string(v); }, std::nullopt);
  }
  bool binary(json::binary_t& v) {
    return Scalar([&] { return dom_.binary(v); }, std::nullopt);
  }

  bool start_object(std::size_t n) {
    return Open([&] { return dom_.start_object(n); });
  }
  bool end_object() {
    return Close([&] { return dom_.end_object(); });
  }
  bool start_array(std::size_t n) {
    return Open([&] { return dom_.start_array(n); });
  }
  bool end_array() {
    return Close([&] { return dom_.end_array(); });
  }

  bool key(std::string& k) {
    if (depth_ == 1) next_is_id_ = (k == "id");
    if (depth_ > kMaxRequestDepth) return true;
    return dom_.key(k);
  }

  bool parse_error(std::size_t /*pos*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& ex) {
    error_ = ex.what();
    return false;
  }

  const std::string& error() const { return error_; }
  bool too_deep() const { return too_deep_; }
  // Raw text of the top-level "id" number, if the (last) id member was a number.
  const std::optional<std::string>& raw_id() const { return raw_id_; }

 private:
  template <typename F>
  bool Scalar(F&& build, std::optional<std::string> raw_number) {
    if (depth_ == 1 && next_is_id_) {
      raw_id_ = std::move(raw_number);
      next_is_id_ = false;
    }
    if (depth_ > kMaxRequestDepth) return true;
    return build();
  }
  template <typename F>
  bool Open(F&& build) {
    if (depth_ == 1 && next_is_id_) {
      raw_id_.reset();
      next_is_id_ = false;
    }
    ++depth_;
    if (depth_ > kMaxRequestDepth) {
      too_deep_ = true;
      return true;
    }
    return build();
  }
  template <typename F>
  bool Close(F&& build) {
    const bool skipped = depth_ > kMaxRequestDepth;
    --depth_;
    return skipped ? true : build();
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  int depth_ = 0;
  bool next_is_id_ = false;
  bool too_deep_ = false;
  std::optional<std::string> raw_id_;
  std::string error_;
};

ErrorResponse Invalid(std::string id, std::string message) {
  return ErrorResponse{std::move(id), ErrorCode::kInvalidRequest, std::move(message)};
}

// nlohmann quotes the offending token, which may be huge: messages are cut to this length.
constexpr size_t kMaxMessageBytes = 200;

// "parse error at line 1, column 5: syntax error while parsing value - invalid literal; last
// read: 'x'" -> without nlohmann's "[json.exception.parse_error.101] " prefix.
std::string CleanParseMessage(const std::string& what) {
  const size_t close = what.find("] ");
  std::string msg =
      close != std::string::npos && what.rfind("[json.", 0) == 0 ? what.substr(close + 2) : what;
  if (msg.size() > kMaxMessageBytes) msg = msg.substr(0, kMaxMessageBytes) + "...";
  return msg.empty() ? "invalid JSON" : msg;
}

// The offset of the first byte of `s` that is not part of a well-formed UTF-8 sequence.
std::optional<size_t> FirstInvalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

// A request to show people who sent something else.
constexpr std::string_view kExampleRequest = R"({"id":1,"method":"get","args":["k"]})";

// For a line that is not JSON: what is wrong with it in the words of the protocol, and what to
// send instead, for the mistakes people make; else nlohmann's description.
std::string ParseErrorMessage(std::string_view line, const std::string& parser_error) {
  if (std::optional<size_t> bad = FirstInvalidUtf8(line)) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(line[*bad]));
    return "request is not valid UTF-8: byte " + std::string(byte) + " at offset " +
           std::to_string(*bad) + " is not part of a UTF-8 character; send UTF-8 text";
  }
  const size_t first = line.find_first_not_of(" \t\r");
  const char c = first == std::string_view::npos ? '\0' : line[first];
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return "request is not valid JSON: requests are JSON objects, one per line, e.g. " +
           std::string(kExampleRequest);
  }
  if (c == '{') {
    const size_t next = line.find_first_not_of(" \t\r", first + 1);
    if (next != std::string_view::npos && line[next] != '"' && line[next] != '}') {
      return "request is not valid JSON: member names and strings are in double quotes, e.g. " +
             std::string(kExampleRequest);
    }
  }
  return "request is not valid JSON: " + CleanParseMessage(parser_error);
}

}  // namespace

std::variant<Request, ErrorResponse> ParseRequest(std::string_view line) {
  json root;
  RequestSax sax(root);
  const bool ok = json::sax_parse(line.begin(), line.end(), &sax, json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!ok) {
    return ErrorResponse{"null", ErrorCode::kParseError, ParseErrorMessage(line, sax.error())};
  }
  if (sax.too_deep()) {
    return Invalid("null",
                   "request nests deeper than " + std::to_string(kMaxRequestDepth) + " levels");
  }
  if (!root.is_object()) {
    return Invalid("null", std::string("request must be a JSON object, got ") + root.type_name());
  }

  Request req;
  if (auto it = root.find("id"); it != root.end()) {
    if (it->is_structured()) {
      return Invalid("null", "id must be a string, number, boolean or null");
    }
    req.id = sax.raw_id().has_value() ? *sax.raw_id() : it->dump();
  }

  auto method = root.find("method");
  if (method == root.end()) return Invalid(req.id, "missing \"method\"");
  if (!method->is_string()) {
    return Invalid(req.id, std::string("method must be a string, got ") + method->type_name());
  }
  req.method = method->get<std::string>();

  if (auto args = root.find("args"); args != root.end() && !args->is_null()) {
    if (!args->is_array()) {
      return Invalid(req.id, std::string("args must be a list, got ") + args->type_name());
    }
    req.args = std::move(*args);
  }
  if (auto kwargs = root.find("kwargs"); kwargs != root.end() && !kwargs->is_null()) {
    if (!kwargs->is_object()) {
      return Invalid(req.id, std::string("kwargs must be an object, got ") + kwargs->type_name());
    }
    req.kwargs = std::move(*kwargs);
  }
  if (auto encoding = root.find(kEncodingMember); encoding != root.end() && !encoding->is_null()) {
    if (!encoding->is_string() || (*encoding != kB64Encoding && *encoding != "utf8")) {
      return Invalid(req.id,
                     "encoding must be \"b64\" (strings that are not UTF-8 come back as "
                     "{\"b64\": base64}) or \"utf8\" (the default)");
    }
    req.b64_results = *encoding == kB64Encoding;
  }
  return req;
}

}  // namespace walkv::rpc
