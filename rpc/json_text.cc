#include "rpc/json_text.h"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

namespace walkv::rpc {

namespace {

// What AppendJsonString must do with each byte: 0 = copy, 1 = escape, 2 = start of a multi-byte
// UTF-8 sequence (or an invalid byte).
constexpr std::array<uint8_t, 256> MakeClassTable() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (c < 0x20 || c == '"' || c == '\\') {
      t[c] = 1;
    } else if (c >= 0x80) {
      t[c] = 2;
    }
  }
  return t;
}
constexpr std::array<uint8_t, 256> kClass = MakeClassTable();

bool InRange(unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; }

}  // namespace

size_t Utf8SequenceLength(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  // Second-byte range for each lead byte; continuation bytes after it are always 80..BF.
  unsigned char lo = 0x80, hi = 0xBF;
  size_t len;
  if (InRange(c, 0xC2, 0xDF)) {
    len = 2;
  } else if (c == 0xE0) {
    len = 3, lo = 0xA0;
  } else if (InRange(c, 0xE1, 0xEC) || c == 0xEE || c == 0xEF) {
    len = 3;
  } else if (c == 0xED) {
    len = 3, hi = 0x9F;
  } else if (c == 0xF0) {
    len = 4, lo = 0x90;
  } else if (InRange(c, 0xF1, 0xF3)) {
    len = 4;
  } else if (c == 0xF4) {
    len = 4, hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || !InRange(p[1], lo, hi)) return 0;
  for (size_t i = 2; i < len; ++i) {
    if (!InRange(p[i], 0x80, 0xBF)) return 0;
  }
  return len;
}

bool AppendJsonString(std::string& out, std::string_view s) {
  const size_t original = out.size();
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes copied verbatim
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const uint8_t cls = kClass[c];
    if (cls == 0) {
      ++i;
      continue;
    }
    if (cls == 2) {
      const size_t len = Utf8SequenceLength(s.substr(i));
      if (len == 0) {
        out.resize(original);
        return false;
      }
      i += len;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(esc, sizeof esc);
      }
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
  return true;
}

void AppendJsonStringLenient(std::string& out, std::string_view s) {
  if (AppendJsonString(out, s)) return;
  out += nlohmann::json(std::string(s)).dump(-1, ' ', /*ensure_ascii=*/false,
                                              nlohmann::json::error_handler_t::replace);
}

void AppendUint(std::string& out, uint64_t v) {
  char buf[20];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace walkv::rpc
