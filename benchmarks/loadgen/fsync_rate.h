// FsyncRate: the machine's raw durable-append rate — the ceiling for a single client's durable
// SETs. One thread appends `size` bytes to a fresh file in `dir` and calls fdatasync, `count`
// times or for `seconds`, whichever comes first; the file is removed afterwards. This is exactly
// the I/O a log does for one unbatched write (the file grows, so each fdatasync also commits the
// new size), on the same file system as the data directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "benchmarks/loadgen/histogram.h"

namespace walkv::loadgen {

struct FsyncRateResult {
  uint64_t ops = 0;
  double seconds = 0;
  Histogram latency;  // one write + fdatasync, nanoseconds
};

bool MeasureFsyncRate(const std::string& dir, size_t size, uint64_t count, double seconds,
                      FsyncRateResult* result, std::string* error);

}  // namespace walkv::loadgen
