#include "rpc/metrics.h"

#include <string>
#include <utility>

namespace walkv::rpc {

Metrics::Metrics(std::vector<std::string_view> method_names)
    : method_names_(std::move(method_names)) {}

nlohmann::json Metrics::ToJson() const {
  auto load = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  nlohmann::json out = {
      {"connections_current", load(connections_current)},
      {"connections_total", load(connections_total)},
      {"connections_refused", load(connections_refused)},
      {"connections_paused", load(connections_paused)},
      {"read_pauses", load(read_pauses)},
      {"requests_total", load(requests_total)},
      {"uptime_micros", std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start_)
                            .count()},
  };
  nlohmann::json ops = nlohmann::json::object();
  for (size_t i = 0; i < method_names_.size() && i < kMaxMethods; ++i) {
    ops[std::string(method_names_[i])] = load(ops_[i]);
  }
  nlohmann::json errors = nlohmann::json::object();
  for (size_t i = 0; i < kNumErrorCodes; ++i) {
    errors[std::string(ErrorCodeName(static_cast<ErrorCode>(i)))] = load(errors_[i]);
  }
  out["ops"] = std::move(ops);
  out["errors"] = std::move(errors);
  return out;
}

}  // namespace walkv::rpc
