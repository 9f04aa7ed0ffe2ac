// Metrics: the server's counters, reported by info(). Every member is atomic; any thread may
// update or read them at any time (relaxed ordering: they are statistics, not synchronisation).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "rpc/error_code.h"

namespace walkv::rpc {

class Metrics {
 public:
  static constexpr size_t kMaxMethods = 64;

  // method_names[i] names the method counted by CountOp(i).
  explicit Metrics(std::vector<std::string_view> method_names);

  void CountOp(size_t method_index) {
    if (method_index < kMaxMethods) ops_[method_index].fetch_add(1, std::memory_order_relaxed);
  }
  void CountError(ErrorCode code) {
    errors_[static_cast<size_t>(code)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t errors(ErrorCode code) const {
    return errors_[static_cast<size_t>(code)].load(std::memory_order_relaxed);
  }

  std::atomic<uint64_t> connections_current{0};
  std::atomic<uint64_t> connections_total{0};    // accepted and served
  std::atomic<uint64_t> connections_refused{0};  // answered TOO_MANY_CONNECTIONS
  std::atomic<uint64_t> requests_total{0};       // lines answered (results and errors)
  std::atomic<uint64_t> read_pauses{0};         // times a connection stopped reading (backpressure)
  std::atomic<uint64_t> connections_paused{0};  // connections not reading right now

  // {"connections_current":…, …, "uptime_micros":…, "ops":{"get":n,…}, "errors":{"CODE":n,…}}
  nlohmann::json ToJson() const;

 private:
  const std::vector<std::string_view> method_names_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::array<std::atomic<uint64_t>, kMaxMethods> ops_{};
  std::array<std::atomic<uint64_t>, kNumErrorCodes> errors_{};
};

}  // namespace walkv::rpc
