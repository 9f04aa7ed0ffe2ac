// Fuzz target: the RESP request parser (rpc/resp_parser.h RespParser) and the command planner
// behind it (rpc/resp_commands.h PlanCommand), with the reply encoders.
//
// The input is a byte stream as a client would send it. Invariants (abort() on violation):
//   - nothing throws;
//   - the commands (and the error, if any) are exactly the same whether the stream is appended
//     whole, one byte at a time, or in pieces of the sizes the input's first byte picks;
//   - every command has at least one argument; after kError, Next() keeps answering kError and
//     nothing stays buffered;
//   - what is buffered never exceeds the bytes appended;
//   - with small limits (max_bulk_bytes 64, max_inline_bytes 32, max_multibulk_count 8) no
//     command exceeds them, and the parser never buffers more than one frame header or bulk
//     beyond them;
//   - PlanCommand gives every command either Calls of the method table within its arity, or an
//     immediate reply that is well-formed RESP (one of + - : $ * % _ first, ending in "\r\n").
// Seeds: fuzz/corpus/resp_parser/; dictionary fuzz/resp_parser.dict.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "rpc/auth.h"
#include "rpc/methods.h"
#include "rpc/resp_commands.h"
#include "rpc/resp_parser.h"

namespace walkv::rpc {
namespace {

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

// Feeds `stream` in pieces: sizes cycle through `pieces` (0 = the whole rest).
Outcome Run(std::string_view stream, const std::vector<size_t>& pieces, RespLimits limits) {
  RespParser parser(limits);
  Outcome outcome;
  size_t appended = 0;
  size_t turn = 0;
  std::vector<std::string> args;
  while (appended < stream.size()) {
    size_t n = pieces[turn++ % pieces.size()];
    if (n == 0 || n > stream.size() - appended) n = stream.size() - appended;
    parser.Append(stream.substr(appended, n));
    appended += n;
    for (;;) {
      FUZZ_CHECK(parser.buffered_bytes() <= appended, "buffers more than it was given");
      const RespParser::Result r = parser.Next(&args);
      if (r == RespParser::Result::kNeedMore) break;
      if (r == RespParser::Result::kError) {
        outcome.error = parser.error();
        FUZZ_CHECK(!outcome.error.empty(), "error without a message");
        FUZZ_CHECK(parser.Next(&args) == RespParser::Result::kError, "error state not sticky");
        FUZZ_CHECK(parser.buffered_bytes() == 0, "bytes kept after an error");
        return outcome;
      }
      FUZZ_CHECK(!args.empty(), "empty command");
      for (const std::string& a : args) {
        FUZZ_CHECK(a.size() <= limits.max_bulk_bytes || a.size() <= limits.max_inline_bytes,
                   "argument over the limits: %zu bytes", a.size());
      }
      FUZZ_CHECK(args.size() <= limits.max_multibulk_count || args.size() <= limits.max_inline_bytes,
                 "too many arguments: %zu", args.size());
      outcome.commands.push_back(args);
    }
    // Beyond the bulk being read (<= max_bulk_bytes + 2) or one header/inline line.
    FUZZ_CHECK(parser.buffered_bytes() <=
                   limits.max_bulk_bytes + limits.max_inline_bytes + 4,
               "buffers %zu bytes", parser.buffered_bytes());
  }
  return outcome;
}

void CheckPlans(const Outcome& outcome) {
  const AuthToken token("token");
  for (bool with_token : {false, true}) {
    RespSession session;
    session.authenticated = !with_token;
    for (std::vector<std::string> args : outcome.commands) {
      const size_t n = args.size();
      RespPlan plan = PlanCommand(args, session, with_token ? token : AuthToken());
      if (auto* calls = std::get_if<RespMethodCalls>(&plan)) {
        FUZZ_CHECK(!calls->calls.empty(), "no calls");
        for (const Call& call : calls->calls) {
          FUZZ_CHECK(call.method != nullptr, "call without a method");
          FUZZ_CHECK(call.args.size() >= call.method->min_args &&
                         call.args.size() <= call.method->max_args,
                     "arity of %s: %zu (command of %zu words)",
                     std::string(call.method->name).c_str(), call.args.size(), n);
        }
      } else {
        const std::string& reply = std::get<RespImmediate>(plan).reply;
        FUZZ_CHECK(reply.size() >= 3 && std::string_view("+-:$*%_").find(reply[0]) !=
                                            std::string_view::npos,
                   "malformed reply: %s", reply.c_str());
        FUZZ_CHECK(reply.ends_with("\r\n"), "reply without CRLF");
      }
    }
  }
}

void CheckStream(std::string_view data) {
  if (data.empty()) return;
  RespLimits small;
  small.max_bulk_bytes = 64;
  small.max_inline_bytes = 32;
  small.max_multibulk_count = 8;
  const std::vector<size_t> chosen = {static_cast<size_t>(data[0] & 7) + 1,
                                      static_cast<size_t>((data[0] >> 3) & 15) + 1};
  const std::string_view stream = data.substr(1);
  for (const RespLimits& limits : {RespLimits{}, small}) {
    const Outcome whole = Run(stream, {0}, limits);
    FUZZ_CHECK(Run(stream, {1}, limits) == whole, "byte-by-byte feeding differs");
    FUZZ_CHECK(Run(stream, chosen, limits) == whole, "chunked feeding differs");
    CheckPlans(whole);
  }
}

}  // namespace
}  // namespace walkv::rpc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    walkv::rpc::CheckStream(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception& ex) {
    FUZZ_CHECK(false, "exception escaped: %s", ex.what());
  } catch (...) {
    FUZZ_CHECK(false, "non-std exception escaped");
  }
  return 0;
}
