// FsyncRate: the machine's raw durable-write rate — the ceiling for a single client's durable
// SETs. One thread writes `size` bytes to a fresh file in `dir` and calls fdatasync, `count`
// times or for `seconds`, whichever comes first; the file is removed afterwards.
//
//  - kAppend:    append to a file that grows. Exactly the I/O a log does for one unbatched write
//                (each fdatasync also commits the new size and newly allocated blocks).
//  - kOverwrite: pwrite into a file that was written in full and synced first (8 MiB, wrapping
//                around), so its size and block map never change: what a preallocated log
//                segment could reach. The set-up is not timed.
//
// Both run on the same file system as the data directory they are pointed at.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "benchmarks/loadgen/histogram.h"

namespace walkv::loadgen {

enum class FsyncMode { kAppend, kOverwrite };

struct FsyncRateResult {
  uint64_t ops = 0;
  double seconds = 0;
  Histogram latency;  // one write + fdatasync, nanoseconds
};

bool MeasureFsyncRate(const std::string& dir, FsyncMode mode, size_t size, uint64_t count,
                      double seconds, FsyncRateResult* result, std::string* error);

}  // namespace walkv::loadgen
