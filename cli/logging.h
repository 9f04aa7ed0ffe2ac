// Logging for `walkv serve`: one spdlog logger writing to stderr, and the bridge that forwards the
// engine's log messages (EngineOptions::log) into it.
#pragma once

#include <string>
#include <vector>

#include "engine/options.h"

namespace walkv::cli {

// The --log-level names, most verbose first.
const std::vector<std::string>& LogLevelNames();

// Makes the spdlog default logger write to stderr (colours only on a terminal), flushing every
// line, at the named level (one of LogLevelNames()). Call once, before any thread logs.
void SetUpServerLogging(const std::string& level_name);

// A thread-safe LogSink forwarding engine messages to the spdlog default logger.
LogSink EngineLogSink();

}  // namespace walkv::cli
