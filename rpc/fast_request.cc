#include "rpc/fast_request.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "rpc/json_text.h"

namespace walkv::rpc {

namespace {

// Bytes a string may contain verbatim: not a control character, '"', '\\' or a non-ASCII byte
// (those take the slow branches of ReadString).
constexpr std::array<bool, 256> MakePlainTable() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}
constexpr std::array<bool, 256> kPlain = MakePlainTable();

// True if none of the 8 bytes of `v` is special for a string: a control character (< 0x20), '"',
// '\\' or a non-ASCII byte (>= 0x80). Bit tricks from "Bit Twiddling Hacks" (haszero, hasless),
// exact for whether any byte matches.
bool AllPlain(uint64_t v) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  auto has_zero = [](uint64_t x) { return ((x - kOnes) & ~x & kHigh) != 0; };
  if ((v & kHigh) != 0) return false;                       // a byte >= 0x80
  if (((v - kOnes * 0x20) & ~v & kHigh) != 0) return false;  // a byte < 0x20
  return !has_zero(v ^ (kOnes * '"')) && !has_zero(v ^ (kOnes * '\\'));
}

// The end of the run of plain bytes (kPlain) starting at p.
const char* SkipPlain(const char* p, const char* end) {
  while (end - p >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    if (!AllPlain(v)) break;
    p += 8;
  }
  while (p != end && kPlain[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Scanner {
 public:
  explicit Scanner(std::string_view line) : p_(line.data()), end_(line.data() + line.size()) {}

  bool AtEnd() const { return p_ == end_; }

  // JSON whitespace: exactly what nlohmann skips (no BOM, no comments).
  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool Consume(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  bool Peek(char c) const { return p_ != end_ && *p_ == c; }

  bool ConsumeLiteral(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // A member name without escapes or non-ASCII bytes, opening quote included.
  bool ReadPlainName(std::string_view* name) {
    if (!Consume('"')) return false;
    const char* start = p_;
    p_ = SkipPlain(p_, end_);
    if (!Consume('"')) return false;
    *name = std::string_view(start, static_cast<size_t>(p_ - 1 - start));
    return true;
  }

  // A string literal, opening quote included, decoded into *out (replacing its contents).
  bool ReadString(std::string* out) {
    if (!Consume('"')) return false;
    out->clear();
    for (;;) {
      const char* run = p_;
      p_ = SkipPlain(p_, end_);
      out->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        if (!ReadEscape(out)) return false;
        continue;
      }
      if (c < 0x20) return false;  // raw control character: not JSON
      const size_t len = Utf8SequenceLength(std::string_view(p_, static_cast<size_t>(end_ - p_)));
      if (len == 0) return false;
      out->append(p_, len);
      p_ += len;
    }
  }

  // An integer without fraction or exponent, at most 18 digits (so it fits any integer type and
  // nlohmann writes it back with the same digits), as the text nlohmann would echo.
  bool ReadSmallInteger(std::string* text) {
    const char* start = p_;
    const bool negative = Consume('-');
    const char* digits = p_;
    if (Consume('0')) {
      // a lone zero: no more digits may follow
    } else {
      if (p_ == end_ || *p_ < '1' || *p_ > '9') return false;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ - digits > 18) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E' || (*p_ >= '0' && *p_ <= '9'))) {
      return false;  // a float, or a leading zero (invalid): the generic path decides
    }
    if (negative && p_ - digits == 1 && *digits == '0') {
      text->assign(1, '0');  // -0 is parsed as the integer 0
    } else {
      text->assign(start, static_cast<size_t>(p_ - start));
    }
    return true;
  }

 private:
  bool ReadHex4(uint32_t* value) {
    if (end_ - p_ < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexValue(p_[i]);
      if (h < 0) return false;
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    p_ += 4;
    *value = v;
    return true;
  }

  // After a backslash (at p_).
  bool ReadEscape(std::string* out) {
    ++p_;
    if (p_ == end_) return false;
    const char e = *p_++;
    switch (e) {
      case '"':
      case '\\':
      case '/':
        out->push_back(e);
        return true;
      case 'b':
        out->push_back('\b');
        return true;
      case 'f':
        out->push_back('\f');
        return true;
      case 'n':
        out->push_back('\n');
        return true;
      case 'r':
        out->push_back('\r');
        return true;
      case 't':
        out->push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    uint32_t cp;
    if (!ReadHex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a lone low surrogate
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low;
      if (!ConsumeLiteral("\\u") || !ReadHex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(*out, cp);
    return true;
  }

  const char* p_;
  const char* end_;
};

}  // namespace

std::optional<FastRequest> FastParseRequest(std::string_view line) {
  Scanner s(line);
  std::optional<FastRequest> out(std::in_place);
  FastRequest& request = *out;
  std::string scratch;
  bool seen_id = false, seen_method = false, seen_args = false, seen_kwargs = false;

  s.SkipSpace();
  if (!s.Consume('{')) return std::nullopt;
  s.SkipSpace();
  if (s.Peek('}')) return std::nullopt;  // {}: no method
  for (;;) {
    std::string_view name;
    if (!s.ReadPlainName(&name)) return std::nullopt;
    s.SkipSpace();
    if (!s.Consume(':')) return std::nullopt;
    s.SkipSpace();
    if (name == "id") {
      if (seen_id) return std::nullopt;
      seen_id = true;
      if (s.Peek('"')) {
        if (!s.ReadString(&scratch)) return std::nullopt;
        request.id.clear();
        if (!AppendJsonString(request.id, scratch)) return std::nullopt;  // cannot: decoded
      } else if (s.ConsumeLiteral("true")) {
        request.id = "true";
      } else if (s.ConsumeLiteral("false")) {
        request.id = "false";
      } else if (s.ConsumeLiteral("null")) {
        request.id = "null";
      } else if (!s.ReadSmallInteger(&request.id)) {
        return std::nullopt;
      }
    } else if (name == "method") {
      if (seen_method) return std::nullopt;
      seen_method = true;
      if (!s.ReadString(&request.method)) return std::nullopt;
    } else if (name == "args") {
      if (seen_args) return std::nullopt;
      seen_args = true;
      if (!s.ConsumeLiteral("null")) {
        if (!s.Consume('[')) return std::nullopt;
        s.SkipSpace();
        if (!s.Consume(']')) {
          for (;;) {
            if (request.arg_count == kMaxParams) return std::nullopt;  // no room: generic path
            if (!s.ReadString(&request.args[request.arg_count++])) return std::nullopt;
            s.SkipSpace();
            if (s.Consume(']')) break;
            if (!s.Consume(',')) return std::nullopt;
            s.SkipSpace();
          }
        }
      }
    } else if (name == "kwargs") {
      if (seen_kwargs) return std::nullopt;
      seen_kwargs = true;
      if (!s.ConsumeLiteral("null")) {
        if (!s.Consume('{')) return std::nullopt;
        s.SkipSpace();
        if (!s.Consume('}')) return std::nullopt;  // keyword arguments: the generic path
      }
    } else {
      return std::nullopt;  // other members are ignored, but only after a full syntax check
    }
    s.SkipSpace();
    if (s.Consume('}')) break;
    if (!s.Consume(',')) return std::nullopt;
    s.SkipSpace();
  }
  s.SkipSpace();
  if (!s.AtEnd() || !seen_method) return std::nullopt;
  return out;
}

}  // namespace walkv::rpc
