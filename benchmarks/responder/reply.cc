#include "benchmarks/responder/reply.h"

#include <cctype>

namespace walkv::responder {
namespace {

// The position just after `"name":` and any blanks, or npos.
size_t ValueStart(std::string_view line, std::string_view quoted_name) {
  size_t pos = line.find(quoted_name);
  if (pos == std::string_view::npos) return pos;
  pos += quoted_name.size();
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
  if (pos >= line.size() || line[pos] != ':') return std::string_view::npos;
  ++pos;
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
  return pos < line.size() ? pos : std::string_view::npos;
}

// The end of the JSON string that opens at line[start] (just past its closing quote), or npos.
size_t StringEnd(std::string_view line, size_t start) {
  for (size_t i = start + 1; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
    } else if (line[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

bool EqualsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != lower[i]) return false;
  }
  return true;
}

// The JSON text of the request's "id" value (a number, string, true, false or null), or "null"
// if there is none.
std::string_view FindId(std::string_view line) {
  const size_t start = ValueStart(line, "\"id\"");
  if (start == std::string_view::npos) return "null";
  size_t end = start;
  if (line[start] == '"') {
    end = StringEnd(line, start);
    if (end == std::string_view::npos) return "null";
  } else {
    while (end < line.size() && line[end] != ',' && line[end] != '}' && line[end] != ' ') ++end;
  }
  return end > start ? line.substr(start, end - start) : "null";
}

// The request's "method" string, or "" if there is none (not unescaped, not lower-cased).
std::string_view FindMethod(std::string_view line) {
  const size_t start = ValueStart(line, "\"method\"");
  if (start == std::string_view::npos || line[start] != '"') return {};
  const size_t end = StringEnd(line, start);
  if (end == std::string_view::npos) return {};
  return line.substr(start + 1, end - start - 2);
}

}  // namespace

Replier::Replier(size_t value_size) {
  get_result_ = ",\"result\":\"";
  for (size_t i = 0; i < value_size; ++i)
    get_result_.push_back("abcdefghijklmnopqrstuvwxyz"[i % 26]);
  get_result_ += "\"}\n";
}

void Replier::AppendReply(std::string_view line, std::string* out) const {
  out->append("{\"id\":");
  out->append(FindId(line));
  const std::string_view method = FindMethod(line);
  if (EqualsLower(method, "get")) {
    out->append(get_result_);
  } else if (EqualsLower(method, "set")) {
    out->append(",\"result\":true}\n");
  } else if (EqualsLower(method, "ping")) {
    out->append(",\"result\":\"PONG\"}\n");
  } else {
    out->append(
        ",\"error\":{\"code\":\"UNKNOWN_METHOD\",\"message\":\"epoll-responder answers only get, "
        "set and ping\"}}\n");
  }
}

}  // namespace walkv::responder
