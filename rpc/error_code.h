// ErrorCode: the protocol's error codes (docs/protocol.md), as they appear on the wire.
#pragma once

#include <cstddef>
#include <string_view>

namespace walkv::rpc {

enum class ErrorCode {
  kParseError,          // PARSE_ERROR: the line is not JSON, or not valid UTF-8
  kInvalidRequest,      // INVALID_REQUEST: JSON, but not a well-formed request object
  kUnknownMethod,       // UNKNOWN_METHOD
  kInvalidArgument,     // INVALID_ARGUMENT: arity, argument types, limits
  kTooLarge,            // TOO_LARGE: line longer than max_request_bytes
  kStorageError,        // STORAGE_ERROR: the engine could not make the write durable
  kShuttingDown,        // SHUTTING_DOWN: the server (or engine) is closing
  kTooManyConnections,  // TOO_MANY_CONNECTIONS: sent once on a refused connection
  kInternalError,       // INTERNAL_ERROR: an engine failure that fits no other code
  kUnauthenticated,     // UNAUTHENTICATED: --auth-token-file is set and auth() was not (yet) OK
  kTooFarBehind,        // TOO_FAR_BEHIND: replicate: the records asked for are no longer on disk
  kDiverged,            // DIVERGED: replicate: the replica's history is not the primary's
  kReadOnly,            // READONLY: a write sent to a replica (the message names its primary)
  kReplicaTimeout,      // REPLICA_TIMEOUT: --sync-replicas: durable on the primary, not confirmed
                        // by N replicas within --sync-timeout-ms (not rolled back)
  kStaleEpoch,          // STALE_EPOCH: replicate: the replica has seen a newer epoch (§7)
  kAlreadyPrimary,      // ALREADY_PRIMARY: promote sent to a server that is a primary
};

inline constexpr size_t kNumErrorCodes = 16;

constexpr std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kParseError:
      return "PARSE_ERROR";
    case ErrorCode::kInvalidRequest:
      return "INVALID_REQUEST";
    case ErrorCode::kUnknownMethod:
      return "UNKNOWN_METHOD";
    case ErrorCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::kTooLarge:
      return "TOO_LARGE";
    case ErrorCode::kStorageError:
      return "STORAGE_ERROR";
    case ErrorCode::kShuttingDown:
      return "SHUTTING_DOWN";
    case ErrorCode::kTooManyConnections:
      return "TOO_MANY_CONNECTIONS";
    case ErrorCode::kInternalError:
      return "INTERNAL_ERROR";
    case ErrorCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case ErrorCode::kTooFarBehind:
      return "TOO_FAR_BEHIND";
    case ErrorCode::kDiverged:
      return "DIVERGED";
    case ErrorCode::kReadOnly:
      return "READONLY";
    case ErrorCode::kReplicaTimeout:
      return "REPLICA_TIMEOUT";
    case ErrorCode::kStaleEpoch:
      return "STALE_EPOCH";
    case ErrorCode::kAlreadyPrimary:
      return "ALREADY_PRIMARY";
  }
  return "INTERNAL_ERROR";
}

}  // namespace walkv::rpc
