// The method table: every RPC method in one declarative list (methods.cc), plus the binding of a
// parsed Request to a method and its arguments.
//
// Adding a method = one MethodSpec entry + its function(s): a read or blocking method has a `run`
// function computing its result; a write method has a `mutation` function building the Mutation to
// submit and a `write_result` function turning the engine's MutationResult into the JSON result.
// Parameters are strings (keys, values, patterns); a JSON string argument is passed as the exact
// bytes of its UTF-8 encoding. Every parameter may be passed positionally or, if kwargs_allowed,
// by name in kwargs.
#pragma once

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/engine.h"
#include "engine/mutation.h"
#include "rpc/error_code.h"
#include "rpc/metrics.h"
#include "rpc/request.h"

namespace walkv::rpc {

// Keys and glob patterns longer than this are INVALID_ARGUMENT.
inline constexpr size_t kMaxKeyBytes = 64 * 1024;
inline constexpr size_t kUnlimited = static_cast<size_t>(-1);
inline constexpr size_t kMaxParams = 4;

enum class MethodKind {
  kRead,      // answers inline on the I/O thread from Engine reads; never blocks
  kWrite,     // submits mutations; answers from the engine's callback once durable
  kBlocking,  // may block (Engine::Snapshot): run on the blocking pool, never on an I/O thread
};

struct Failure {
  ErrorCode code;
  std::string message;
};
using MethodResult = std::variant<nlohmann::json, Failure>;

// What handlers may use. Both outlive every call.
struct MethodContext {
  Engine& engine;
  const Metrics& metrics;
};

// kRead and kBlocking: computes the result; may move from `args`. Failures are returned, and
// exceptions are turned into INTERNAL_ERROR by the caller (rpc/service.h).
using RunFn = MethodResult (*)(MethodContext& ctx, std::vector<std::string>& args);
// kWrite: the mutation to submit (may move from `args`), and the result once it is durable.
using MutationFn = Mutation (*)(std::vector<std::string>& args);
using WriteResultFn = nlohmann::json (*)(const MutationResult& result);

struct ParamSpec {
  std::string_view name;
  size_t max_bytes = kUnlimited;
};

struct MethodSpec {
  std::string_view name;  // lower case; lookup is case-insensitive
  size_t min_args;        // required parameters (the first min_args of params)
  size_t max_args;
  std::array<ParamSpec, kMaxParams> params;
  bool kwargs_allowed;
  MethodKind kind;
  // Each receives min_args..max_args strings. kRead/kBlocking: run; kWrite: mutation and
  // write_result. The others are nullptr.
  RunFn run;
  MutationFn mutation;
  WriteResultFn write_result;
};

std::span<const MethodSpec> MethodTable();

// The method named `name` (any case), or nullptr.
const MethodSpec* FindMethod(std::string_view name);

// A request bound to its method, ready to execute.
struct Call {
  std::string id;  // JSON text to echo
  const MethodSpec* method = nullptr;
  size_t method_index = 0;  // index in MethodTable()
  std::vector<std::string> args;
};

// UNKNOWN_METHOD, or INVALID_ARGUMENT for arity, unknown/duplicate kwargs, non-string arguments
// and arguments over their parameter's max_bytes.
std::variant<Call, ErrorResponse> BindCall(Request request);

// A line -> a Call or the error response to send: the server's decoder. Tries FastParseCall
// (rpc/fast_request.h) and falls back to ParseCallGeneric; the result is always exactly
// ParseCallGeneric's.
std::variant<Call, ErrorResponse> ParseCall(std::string_view line);

// ParseRequest + BindCall through nlohmann-json: the reference decoder, which handles every line
// and owns every error message.
std::variant<Call, ErrorResponse> ParseCallGeneric(std::string_view line);

// The protocol error for a failed engine Status: STORAGE_ERROR for IsStorageFailure(),
// SHUTTING_DOWN, INVALID_ARGUMENT, else INTERNAL_ERROR.
Failure FailureFromStatus(const Status& status);

}  // namespace walkv::rpc
