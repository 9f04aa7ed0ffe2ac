// RespParser: incremental decoder of RESP requests (docs/protocol.md, "RESP"): multibulk commands
// (*N\r\n$len\r\nbytes\r\n...) and inline commands (words on one line, split like redis-cli's
// sdssplitargs: "double" and 'single' quotes, \n \r \t \b \a \\ \" \xHH escapes in double quotes).
//
// Bytes go in with Append() in pieces of any size (one byte at a time works, in linear total
// time: the parser keeps its place across calls); Next() yields one command at a time. Arguments
// are raw bytes (binary-safe; nothing is assumed about encodings).
//
// Limits (RespLimits), checked as soon as a header announces them, before anything is allocated
// for them: a bulk length over max_bulk_bytes, a multibulk count over max_multibulk_count, an
// inline command (or a header line) longer than max_inline_bytes without its newline. A limit or
// a malformed frame makes Next() return kError once with Redis's message ("Protocol error: ...");
// the parser then stays in that state (the connection answers the error and closes). Memory held:
// the unparsed input (at most one frame header line of max_inline_bytes, or the bulk being read)
// plus the arguments of the command being assembled; a declared count or length reserves at most
// kMaxReserve entries/bytes up front.
//
// Not thread-safe; a connection owns one. Pure: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walkv::rpc {

struct RespLimits {
  size_t max_bulk_bytes = 512u << 20;     // like Redis's proto-max-bulk-len
  size_t max_inline_bytes = 64u << 10;    // inline command or header line, without "\r\n"
  size_t max_multibulk_count = 1u << 20;  // arguments of one command (Redis: 1024*1024)
};

class RespParser {
 public:
  enum class Result { kCommand, kNeedMore, kError };

  explicit RespParser(RespLimits limits = {}) : limits_(limits) {}

  void Append(std::string_view bytes);

  // kCommand: *args holds the next command's arguments (name first, at least one element; empty
  // commands — a blank inline line, "*0\r\n", "*-1\r\n" — are skipped like Redis does).
  // kNeedMore: no complete command buffered. kError: error() says why; every later call too.
  Result Next(std::vector<std::string>* args);

  const std::string& error() const { return error_; }
  // True if bytes of an unfinished command are buffered (what EOF cuts short).
  bool mid_command() const { return state_ != State::kStart || pos_ < buffer_.size(); }
  // Bytes buffered and not yet consumed (for tests of the memory bound).
  size_t buffered_bytes() const { return buffer_.size() - pos_; }

  static constexpr size_t kMaxReserve = 1024;

 private:
  enum class State { kStart, kBulkHeader, kBulkData, kError };

  Result Fail(std::string message);
  // Finds the next "\n" from pos_; sets *line to the line without "\r\n". False if none yet (or
  // the line would exceed max_inline_bytes: then error_ is set and state_ is kError).
  bool TakeLine(std::string_view* line, std::string_view too_long_message);
  Result ParseInline(std::string_view line, std::vector<std::string>* args);
  void Compact();

  const RespLimits limits_;
  std::string buffer_;
  size_t pos_ = 0;   // first unconsumed byte of buffer_
  size_t scan_ = 0;  // where the search for '\n' resumes (>= pos_)
  State state_ = State::kStart;
  size_t args_expected_ = 0;       // kBulkHeader/kBulkData: arguments of the command
  size_t bulk_length_ = 0;         // kBulkData
  std::vector<std::string> args_;  // the command being assembled
  std::string error_;
};

}  // namespace walkv::rpc
