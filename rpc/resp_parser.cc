#include "rpc/resp_parser.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

namespace walkv::rpc {

namespace {

// A whole line of decimal digits with an optional '-', as Redis's string2ll accepts it.
std::optional<int64_t> ParseInteger(std::string_view text) {
  int64_t value = 0;
  if (text.empty() || text.size() > 20) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Redis's sdssplitargs: words separated by spaces; "..." with escapes, '...' with \' only; a
// closing quote must be followed by a space or the end. False on unbalanced quotes.
bool SplitInline(std::string_view line, std::vector<std::string>* words) {
  size_t i = 0;
  const size_t n = line.size();
  for (;;) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i == n) return true;
    std::string word;
    bool in_double = false;
    bool in_single = false;
    for (;;) {
      if (in_double) {
        if (i == n) return false;
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          word += static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3]));
          i += 4;
          continue;
        }
        if (line[i] == '\\' && i + 1 < n) {
          char c = line[i + 1];
          switch (c) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'a': c = '\a'; break;
            default: break;
          }
          word += c;
          i += 2;
          continue;
        }
        if (line[i] == '"') {
          ++i;
          if (i < n && !IsSpace(line[i])) return false;
          break;
        }
        word += line[i++];
      } else if (in_single) {
        if (i == n) return false;
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          word += '\'';
          i += 2;
          continue;
        }
        if (line[i] == '\'') {
          ++i;
          if (i < n && !IsSpace(line[i])) return false;
          break;
        }
        word += line[i++];
      } else {
        if (i == n || IsSpace(line[i])) break;
        if (line[i] == '"') {
          in_double = true;
        } else if (line[i] == '\'') {
          in_single = true;
        } else {
          word += line[i];
        }
        ++i;
      }
    }
    words->push_back(std::move(word));
  }
}

}  // namespace

void RespParser::Append(std::string_view bytes) {
  if (state_ == State::kError) return;
  Compact();
  buffer_.append(bytes);
}

void RespParser::Compact() {
  if (pos_ == 0) return;
  if (pos_ == buffer_.size()) {
    buffer_.clear();
  } else if (pos_ >= 4096 && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
  } else {
    return;
  }
  scan_ -= pos_;
  pos_ = 0;
}

RespParser::Result RespParser::Fail(std::string message) {
  state_ = State::kError;
  error_ = std::move(message);
  args_.clear();
  std::string().swap(buffer_);
  pos_ = scan_ = 0;
  return Result::kError;
}

bool RespParser::TakeLine(std::string_view* line, std::string_view too_long_message) {
  scan_ = std::max(scan_, pos_);
  const size_t newline = buffer_.find('\n', scan_);
  if (newline == std::string::npos) {
    scan_ = buffer_.size();
    // "+ 1": the line may still end in a '\r' that is not counted.
    if (buffer_.size() - pos_ > limits_.max_inline_bytes + 1) Fail(std::string(too_long_message));
    return false;
  }
  size_t end = newline;
  if (end > pos_ && buffer_[end - 1] == '\r') --end;
  if (end - pos_ > limits_.max_inline_bytes) {
    Fail(std::string(too_long_message));
    return false;
  }
  *line = std::string_view(buffer_).substr(pos_, end - pos_);
  pos_ = newline + 1;
  scan_ = pos_;
  return true;
}

RespParser::Result RespParser::ParseInline(std::string_view line, std::vector<std::string>* args) {
  std::vector<std::string> words;
  if (!SplitInline(line, &words)) return Fail("Protocol error: unbalanced quotes in request");
  if (words.empty()) return Result::kNeedMore;  // a blank line: skipped
  *args = std::move(words);
  return Result::kCommand;
}

RespParser::Result RespParser::Next(std::vector<std::string>* args) {
  for (;;) {
    switch (state_) {
      case State::kError:
        return Result::kError;

      case State::kStart: {
        if (pos_ == buffer_.size()) return Result::kNeedMore;
        if (buffer_[pos_] != '*') {
          std::string_view line;
          if (!TakeLine(&line, "Protocol error: too big inline request")) {
            return state_ == State::kError ? Result::kError : Result::kNeedMore;
          }
          const Result r = ParseInline(line, args);
          if (r == Result::kNeedMore) continue;  // blank line
          return r;
        }
        std::string_view line;
        if (!TakeLine(&line, "Protocol error: too big mbulk count string")) {
          return state_ == State::kError ? Result::kError : Result::kNeedMore;
        }
        const std::optional<int64_t> count = ParseInteger(line.substr(1));
        if (!count || *count > static_cast<int64_t>(limits_.max_multibulk_count)) {
          return Fail("Protocol error: invalid multibulk length");
        }
        if (*count <= 0) continue;  // *0 and *-1: nothing to execute
        args_expected_ = static_cast<size_t>(*count);
        args_.clear();
        args_.reserve(std::min(args_expected_, kMaxReserve));
        state_ = State::kBulkHeader;
        continue;
      }

      case State::kBulkHeader: {
        if (pos_ == buffer_.size()) return Result::kNeedMore;
        if (buffer_[pos_] != '$') {
          return Fail(std::string("Protocol error: expected '$', got '") + buffer_[pos_] + "'");
        }
        std::string_view line;
        if (!TakeLine(&line, "Protocol error: too big bulk count string")) {
          return state_ == State::kError ? Result::kError : Result::kNeedMore;
        }
        const std::optional<int64_t> length = ParseInteger(line.substr(1));
        if (!length || *length < 0 || static_cast<uint64_t>(*length) > limits_.max_bulk_bytes) {
          return Fail("Protocol error: invalid bulk length");
        }
        bulk_length_ = static_cast<size_t>(*length);
        state_ = State::kBulkData;
        continue;
      }

      case State::kBulkData: {
        if (buffer_.size() - pos_ < bulk_length_ + 2) return Result::kNeedMore;
        if (buffer_[pos_ + bulk_length_] != '\r' || buffer_[pos_ + bulk_length_ + 1] != '\n') {
          return Fail("Protocol error: expected '\\r\\n' after bulk data");
        }
        args_.emplace_back(buffer_, pos_, bulk_length_);
        pos_ += bulk_length_ + 2;
        scan_ = pos_;
        if (args_.size() < args_expected_) {
          state_ = State::kBulkHeader;
          continue;
        }
        state_ = State::kStart;
        *args = std::move(args_);
        args_ = {};
        return Result::kCommand;
      }
    }
  }
}

}  // namespace walkv::rpc
