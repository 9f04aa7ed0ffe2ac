// LoadRunner: the closed-loop load itself.
//
// `connections` TCP connections are spread over `threads` worker threads; each worker runs its
// own epoll loop over non-blocking sockets and never blocks on a socket. Every connection keeps
// `pipeline` requests in flight: it sends that many, and sends one more for each reply (closed
// loop, so the offered load adapts to the server instead of queueing without bound). A request's
// latency runs from just before its bytes are handed to the kernel to the moment its reply has
// been read. Replies to requests sent during the warm-up are not counted.
//
// Bounds: a run ends after warm-up + `seconds` (duration mode) or after `requests` replies
// (count mode, when requests > 0), and in every case after `max_seconds`. With a trigger, the
// run also lasts until the trigger (a walkv snapshot, a Redis BGREWRITEAOF or BGSAVE) has
// finished, still within `max_seconds`; requests sent while it runs go into a separate
// histogram.
#pragma once

#include <cstdint>
#include <string>

#include "benchmarks/loadgen/codec.h"
#include "benchmarks/loadgen/histogram.h"
#include "benchmarks/loadgen/workload.h"

namespace walkv::loadgen {

struct RunOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7379;
  Protocol protocol = Protocol::kWalkv;
  int connections = 50;
  int pipeline = 1;
  int threads = 2;
  double seconds = 10;
  uint64_t requests = 0;  // > 0: count mode
  double warmup_seconds = 1;
  double max_seconds = 600;
  std::string trigger;    // "", "snapshot" (walkv), "bgrewriteaof" or "bgsave" (Redis)
  double trigger_at = 1;  // seconds after the warm-up
};

struct RunResult {
  uint64_t ops = 0;  // replies counted (sent after the warm-up)
  uint64_t sets = 0;
  uint64_t gets = 0;
  uint64_t errors = 0;  // error replies among them
  uint64_t misses = 0;  // GETs answered nil
  std::string first_error;
  double seconds = 0;  // the measured window
  Histogram all, set_latency, get_latency;
  Histogram during_trigger;     // requests sent while the trigger ran
  double trigger_seconds = -1;  // how long the trigger ran; -1 without one
  std::string trigger_error;
  double cpu_user_seconds = 0;  // this process, over the measured window
  double cpu_system_seconds = 0;
};

// Runs the load; false with *error if it could not run (connect failure, a closed connection,
// a malformed reply, the time cap hit in count mode).
bool RunLoad(const RunOptions& options, const Workload& workload, RunResult* result,
             std::string* error);

}  // namespace walkv::loadgen
