// Small socket helpers: connecting over TCP and a blocking request/reply call, used for set-up,
// the trigger thread and the `call` / `wait-ready` commands. The load loop itself is in
// load_runner.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/loadgen/codec.h"

namespace walkv::loadgen {

// Connects to host:port (numeric or a name) with TCP_NODELAY. Returns the fd, or -1 with a
// one-line message in *error.
int ConnectTcp(const std::string& host, uint16_t port, bool nonblocking, std::string* error);

// A blocking connection that sends one request and reads its reply.
class BlockingConn {
 public:
  BlockingConn(Protocol protocol, int fd) : protocol_(protocol), fd_(fd) {}
  ~BlockingConn();
  BlockingConn(const BlockingConn&) = delete;
  BlockingConn& operator=(const BlockingConn&) = delete;

  // Sends `words` and waits up to timeout_ms for the reply; false with *error on a transport
  // failure. *kind/*payload describe the reply (the payload is copied).
  bool Call(const std::vector<std::string_view>& words, int timeout_ms, ReplyKind* kind,
            std::string* payload, std::string* error);

 private:
  Protocol protocol_;
  int fd_;
  uint64_t next_id_ = 1;
  std::string in_;
};

// Monotonic and wall clocks in nanoseconds.
uint64_t MonotonicNanos();
uint64_t RealtimeNanos();

}  // namespace walkv::loadgen
