// Report: a run's results as a human-readable block or as one flat JSON object (every value a
// number or a string, no nesting) that scripts can read with grep or jq.
#pragma once

#include <string>

#include "benchmarks/loadgen/fsync_rate.h"
#include "benchmarks/loadgen/load_runner.h"
#include "benchmarks/loadgen/workload.h"

namespace walkv::loadgen {

std::string FormatRunText(const RunOptions& options, const Workload& workload,
                          const RunResult& result);
std::string FormatRunJson(const RunOptions& options, const Workload& workload,
                          const RunResult& result);
std::string FormatFsyncRate(const FsyncRateResult& result, FsyncMode mode, size_t size, bool json);

}  // namespace walkv::loadgen
