// Service: executes bound Calls against the engine and produces response lines.
//
// Execute() may be called from any thread (the I/O threads call it on a connection's strand). Read
// methods run inline; write methods submit to the engine and complete on an engine thread;
// blocking methods run on the Service's own small thread pool. `done` is called exactly once,
// from whichever of those threads finished the call, with the encoded response line.
//
// Every response produced here or through Reject() is counted in Metrics (ops by method, errors
// by code, requests_total).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "rpc/methods.h"
#include "rpc/metrics.h"

namespace asio {
class thread_pool;
}

namespace walkv::rpc {

class Service {
 public:
  // Receives a complete response line ('\n' included).
  using Done = std::function<void(std::string line)>;

  static constexpr size_t kBlockingThreads = 2;

  explicit Service(Engine& engine);
  ~Service();  // waits for running blocking calls
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void Execute(Call call, Done done);

  // Counts and encodes an error response that did not come from executing a call.
  std::string Reject(std::string_view id_json, ErrorCode code, std::string_view message);

  Metrics& metrics() { return metrics_; }

 private:
  Engine& engine_;
  Metrics metrics_;
  MethodContext context_;
  std::unique_ptr<asio::thread_pool> blocking_pool_;
};

}  // namespace walkv::rpc
