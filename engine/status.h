// Status and StatusOr<T>: how every storage-path function reports success or failure.
// No exceptions cross the engine's API; every Status must be looked at ([[nodiscard]]).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace walkv {

enum class StatusCode {
  kOk = 0,
  kNotFound,         // a file or key that was asked for does not exist
  kCorruption,       // bytes on disk fail a checksum, magic, version or framing check
  kIOError,          // the OS refused an I/O call (EIO and friends)
  kNoSpace,          // ENOSPC / EDQUOT: the disk is full
  kInvalidArgument,  // the caller passed something unusable
  kBusy,             // the data directory is locked by another process
  kPoisoned,         // an earlier write or sync failed; no mutation is accepted any more
  kShuttingDown,     // the engine is closing
  kNotSupported,
};

// Returns a stable UPPER_SNAKE name for a code ("IO_ERROR"), used in logs and JSON output.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status NoSpace(std::string msg) { return {StatusCode::kNoSpace, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status Busy(std::string msg) { return {StatusCode::kBusy, std::move(msg)}; }
  static Status Poisoned(std::string msg) { return {StatusCode::kPoisoned, std::move(msg)}; }
  static Status ShuttingDown(std::string msg) {
    return {StatusCode::kShuttingDown, std::move(msg)};
  }
  static Status NotSupported(std::string msg) {
    return {StatusCode::kNotSupported, std::move(msg)};
  }
  // Maps an errno value from a failed system call to kNoSpace / kNotFound / kIOError, with
  // "<context>: <strerror>" as the message.
  static Status FromErrno(std::string_view context, int err);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsCorruption() const { return code_ == StatusCode::kCorruption; }
  // True for failures of the disk itself (EIO, ENOSPC, poisoned): these map to STORAGE_ERROR.
  bool IsStorageFailure() const {
    return code_ == StatusCode::kIOError || code_ == StatusCode::kNoSpace ||
           code_ == StatusCode::kPoisoned;
  }

  // "OK" or "IO_ERROR: <message>".
  std::string ToString() const;

  // Explicitly drops a status the caller has decided not to act on (for example a cleanup
  // failure already reported elsewhere).
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : rep_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(rep_).ok());
  }
  StatusOr(T value) : rep_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(rep_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(rep_); }

  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T value() && { return std::get<T>(std::move(rep_)); }  // by value: safe on temporaries
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<Status, T> rep_;
};

}  // namespace walkv

// Returns from the enclosing function if `expr` yields a non-OK Status.
#define WALKV_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::walkv::Status walkv_status_ = (expr); \
    if (!walkv_status_.ok()) return walkv_status_; \
  } while (0)
