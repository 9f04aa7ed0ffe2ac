// RESP commands -> the method table (docs/protocol.md, "RESP").
//
// PlanCommand() turns one RESP command (name and arguments, raw bytes) into either
//   - RespMethodCalls: one or more Calls of the ONE method table (rpc/methods.h), executed by the
//     connection through the same Service code as JSON requests (same engine path, same group
//     commit), plus how to turn the method's JSON result into a RESP reply (RespReply); several
//     Calls only for DEL with several keys (one delete each; the reply is their sum);
//   - RespImmediate: a reply computed here without the engine (ECHO, SELECT, HELLO, CONFIG GET,
//     COMMAND, CLIENT, AUTH, QUIT, and every error: arity, syntax, unknown command, NOAUTH).
// Arguments are checked here with Redis's rules and error texts before a Call is made (SET's
// options, EXPIRE's times, SCAN's cursor/MATCH/COUNT), then passed to the method in the form it
// takes; the method's own checks stay the one place where the work is done.
// Nothing here implements a data method a second time: GET is the `get` method, INCRBY `incrby`.
//
// Error texts are Redis's: "ERR unknown command 'x', with args beginning with: 'a' ",
// "ERR wrong number of arguments for 'get' command", "ERR syntax error",
// "ERR value is not an integer or out of range", "ERR invalid expire time in 'set' command",
// "ERR invalid cursor", "NOAUTH Authentication required.",
// "WRONGPASS invalid username-password pair or user is disabled.".
//
// Pure functions of their arguments and the session, any thread (a session belongs to one
// connection and is only touched on its strand).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rpc/auth.h"
#include "rpc/bind.h"
#include "rpc/methods.h"
#include "rpc/resp_info_text.h"

namespace walkv::rpc {

// Per-connection RESP state.
struct RespSession {
  uint64_t id = 0;   // CLIENT ID, HELLO's id
  int protocol = 2;  // 2 or 3 (HELLO 3)
  bool authenticated = false;
  std::string name;  // CLIENT SETNAME
};

// How a method's JSON result becomes a RESP reply.
enum class RespReply : uint32_t {
  kOk,            // true -> +OK (flushall, plain set)
  kOkOrNull,      // true -> +OK, null -> nil (SET NX/XX that did not hold)
  kStatus,        // "PONG" -> +PONG
  kInteger,       // number -> :n; a bool -> :1/:0 (delete, summed over a DEL's keys)
  kBulkOrNull,    // string -> $len bytes, null -> $-1 (RESP3 _)
  kArrayOfBulks,  // [string|null, ...] -> *n of bulks/nulls (mget, keys)
  kScan,          // scan's ["cursor", [keys]] -> *2 $cursor *n keys
  kScanNoKeys,    // the same with no keys (SCAN ... TYPE of a kind walkv does not hold)
  // info's object -> one bulk of "# Section\r\nname:value\r\n" lines. The sections INFO asked
  // for (rpc/resp_info_text.h) ride in the bits above kInfoText: see RespInfoReply().
  kInfoText = 1u << 8,
};

// INFO's reply kind for `sections`: kInfoText with the sections in its upper bits, so the
// connection carries them to AppendRespOutcome without knowing of them.
RespReply RespInfoReply(RespInfoSections sections);

struct RespMethodCalls {
  std::vector<Call> calls;  // at least one; several only for DEL key key ...
  RespReply reply;
};

struct RespImmediate {
  std::string reply;         // the encoded reply, "\r\n" included
  bool close_after = false;  // QUIT
};

using RespPlan = std::variant<RespMethodCalls, RespImmediate>;

// `args` holds the command name first (at least one element); its strings may be moved from.
RespPlan PlanCommand(std::vector<std::string>& args, RespSession& session, const AuthToken& auth);

// The RESP reply to a method's outcome, appended to `out`. A Failure becomes "-ERR message" for
// INVALID_ARGUMENT, "-NOAUTH ..." for UNAUTHENTICATED, else "-<CODE> message" (e.g.
// "-STORAGE_ERROR fdatasync failed: ...", "-SHUTTING_DOWN the server is shutting down").
void AppendRespOutcome(std::string& out, RespReply reply, const MethodResult& outcome,
                       int protocol);

// The error reply for a Failure that did not come from a method (same mapping as above).
void AppendRespFailure(std::string& out, const Failure& failure);

// Every command PlanCommand knows, lower case, for COMMAND COUNT and the docs.
std::vector<std::string_view> RespCommandNames();

// The version reported as redis_version (INFO) and HELLO's "version": what walkv's command
// set is modelled on, so that clients that check a version accept it.
inline constexpr std::string_view kRespCompatibleVersion = "7.0.0";

}  // namespace walkv::rpc
