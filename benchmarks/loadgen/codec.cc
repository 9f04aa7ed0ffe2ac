#include "benchmarks/loadgen/codec.h"

#include <charconv>
#include <cstring>

namespace walkv::loadgen {
namespace {

void AppendNumber(uint64_t value, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  out->append(buf, end);
}

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t plain_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + plain_start, i - plain_start);
    plain_start = i + 1;
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
  out->append(text.data() + plain_start, text.size() - plain_start);
  out->push_back('"');
}

void AppendBulk(std::string_view text, std::string* out) {
  out->push_back('$');
  AppendNumber(text.size(), out);
  out->append("\r\n");
  out->append(text);
  out->append("\r\n");
}

// Lower-case for walkv's method names (they are case-insensitive; lower case is the documented
// form).
void AppendLower(std::string_view text, std::string* out) {
  for (char c : text) out->push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
}

ptrdiff_t ParseWalkv(std::string_view data, Reply* reply) {
  const void* nl = std::memchr(data.data(), '\n', data.size());
  if (nl == nullptr) return 0;
  const size_t line_len = static_cast<const char*>(nl) - data.data();
  std::string_view line = data.substr(0, line_len);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // Responses are {"id":<scalar>,"result":…} or {"id":<scalar>,"error":{…}} (rpc/response.cc).
  // Our ids are integers, so the first ',' ends the id.
  static constexpr std::string_view kIdPrefix = "{\"id\":";
  if (line.substr(0, kIdPrefix.size()) != kIdPrefix) return -1;
  const size_t comma = line.find(',', kIdPrefix.size());
  if (comma == std::string_view::npos || line.back() != '}') return -1;
  std::string_view rest = line.substr(comma + 1);
  rest.remove_suffix(1);
  static constexpr std::string_view kResult = "\"result\":";
  static constexpr std::string_view kError = "\"error\":";
  if (rest.substr(0, kResult.size()) == kResult) {
    reply->payload = rest.substr(kResult.size());
    reply->kind = reply->payload == "null" ? ReplyKind::kNil : ReplyKind::kValue;
  } else if (rest.substr(0, kError.size()) == kError) {
    reply->payload = rest.substr(kError.size());
    reply->kind = ReplyKind::kError;
  } else {
    return -1;
  }
  return static_cast<ptrdiff_t>(line_len + 1);
}

// Parses one RESP value starting at data[pos]; returns the offset just past it, 0 if incomplete,
// -1 if malformed.
ptrdiff_t ParseRespAt(std::string_view data, size_t pos, Reply* reply, int depth) {
  if (pos >= data.size()) return 0;
  if (depth > 8) return -1;
  const size_t crlf = data.find("\r\n", pos + 1);
  if (crlf == std::string_view::npos) return 0;
  const std::string_view header = data.substr(pos + 1, crlf - pos - 1);
  const size_t after_header = crlf + 2;
  auto parse_int = [&](int64_t* value) {
    auto [p, ec] = std::from_chars(header.data(), header.data() + header.size(), *value);
    return ec == std::errc() && p == header.data() + header.size();
  };
  switch (data[pos]) {
    case '+':
    case ':':
      reply->kind = ReplyKind::kValue;
      reply->payload = header;
      return static_cast<ptrdiff_t>(after_header);
    case '-':
      reply->kind = ReplyKind::kError;
      reply->payload = header;
      return static_cast<ptrdiff_t>(after_header);
    case '_':
      reply->kind = ReplyKind::kNil;
      reply->payload = {};
      return static_cast<ptrdiff_t>(after_header);
    case '$': {
      int64_t len = 0;
      if (!parse_int(&len) || len < -1) return -1;
      if (len == -1) {
        reply->kind = ReplyKind::kNil;
        reply->payload = {};
        return static_cast<ptrdiff_t>(after_header);
      }
      const size_t end = after_header + static_cast<size_t>(len) + 2;
      if (end > data.size()) return 0;
      reply->kind = ReplyKind::kValue;
      reply->payload = data.substr(after_header, static_cast<size_t>(len));
      return static_cast<ptrdiff_t>(end);
    }
    case '*': {
      int64_t n = 0;
      if (!parse_int(&n) || n < -1) return -1;
      if (n == -1) {
        reply->kind = ReplyKind::kNil;
        reply->payload = {};
        return static_cast<ptrdiff_t>(after_header);
      }
      size_t next = after_header;
      ReplyKind kind = ReplyKind::kValue;
      for (int64_t i = 0; i < n; ++i) {
        Reply element;
        const ptrdiff_t r = ParseRespAt(data, next, &element, depth + 1);
        if (r <= 0) return r;
        if (element.kind == ReplyKind::kError) kind = ReplyKind::kError;
        next = static_cast<size_t>(r);
      }
      reply->kind = kind;
      reply->payload = data.substr(pos, next - pos);
      return static_cast<ptrdiff_t>(next);
    }
    default:
      return -1;
  }
}

}  // namespace

void AppendRequest(Protocol protocol, uint64_t id, const std::vector<std::string_view>& words,
                   std::string* out) {
  if (protocol == Protocol::kResp) {
    out->push_back('*');
    AppendNumber(words.size(), out);
    out->append("\r\n");
    for (std::string_view word : words) AppendBulk(word, out);
    return;
  }
  out->append("{\"id\":");
  AppendNumber(id, out);
  out->append(",\"method\":\"");
  if (!words.empty()) AppendLower(words[0], out);
  out->append("\",\"args\":[");
  for (size_t i = 1; i < words.size(); ++i) {
    if (i > 1) out->push_back(',');
    AppendJsonString(words[i], out);
  }
  out->append("]}\n");
}

void AppendSet(Protocol protocol, uint64_t id, std::string_view key, std::string_view value,
               std::string* out) {
  if (protocol == Protocol::kResp) {
    out->append("*3\r\n$3\r\nSET\r\n");
    AppendBulk(key, out);
    AppendBulk(value, out);
    return;
  }
  out->append("{\"id\":");
  AppendNumber(id, out);
  out->append(",\"method\":\"set\",\"args\":[");
  AppendJsonString(key, out);
  out->push_back(',');
  AppendJsonString(value, out);
  out->append("]}\n");
}

void AppendGet(Protocol protocol, uint64_t id, std::string_view key, std::string* out) {
  if (protocol == Protocol::kResp) {
    out->append("*2\r\n$3\r\nGET\r\n");
    AppendBulk(key, out);
    return;
  }
  out->append("{\"id\":");
  AppendNumber(id, out);
  out->append(",\"method\":\"get\",\"args\":[");
  AppendJsonString(key, out);
  out->append("]}\n");
}

ptrdiff_t ParseReply(Protocol protocol, std::string_view data, Reply* reply) {
  if (protocol == Protocol::kWalkv) return ParseWalkv(data, reply);
  return ParseRespAt(data, 0, reply, 0);
}

}  // namespace walkv::loadgen
