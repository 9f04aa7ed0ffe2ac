#include "cli/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace walkv::cli {

const std::vector<std::string>& LogLevelNames() {
  static const std::vector<std::string> kNames = {"trace", "debug", "info", "warn", "error"};
  return kNames;
}

void SetUpServerLogging(const std::string& level_name) {
  auto logger = spdlog::stderr_color_mt("walkv");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(level_name));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

LogSink EngineLogSink() {
  return [](LogLevel level, std::string_view message) {
    switch (level) {
      case LogLevel::kDebug:
        spdlog::debug("{}", message);
        break;
      case LogLevel::kInfo:
        spdlog::info("{}", message);
        break;
      case LogLevel::kWarn:
        spdlog::warn("{}", message);
        break;
      case LogLevel::kError:
        spdlog::error("{}", message);
        break;
    }
  };
}

}  // namespace walkv::cli
