// Helpers for the RESP end-to-end tests (tests/e2e/e2e_resp_*_test.cc): a `walkv serve
// --resp-port 0` whose RESP port is read from the startup line ("RESP on HOST:PORT"), and the
// external clients (redis-cli, redis-benchmark, python3-redis), which must be installed —
// scripts/setup installs them; a missing one fails the test with that message, never skips it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"

namespace walkv::e2e {

// The port of "RESP on HOST:PORT" in `stderr_text`, or nullopt.
std::optional<uint16_t> ParseRespPort(const std::string& stderr_text);

// A server with --resp-port 0 (plus `extra_flags`) and its RESP port.
struct RespServer {
  std::unique_ptr<ServerProcess> server;
  uint16_t resp_port = 0;
};
RespServer StartRespServer(const std::string& data_dir,
                           const std::vector<std::string>& extra_flags = {});

// Adds a gtest failure naming scripts/setup if `path` is not an executable file.
bool RequireTool(const std::string& path, const std::string& package);

// Runs /usr/bin/redis-cli -p PORT ARGS... (bounded by `timeout`).
ProcessResult RedisCli(uint16_t port, const std::vector<std::string>& args,
                       std::string_view input = "",
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs a python3-redis script: `body` runs after `import sys` and `import redis` (a missing
// python3-redis exits naming scripts/setup), with sys.argv[1] = `port` and `args` after it.
// Fails the test (RequireTool) if python3 is missing.
ProcessResult RunRedisPy(uint16_t port, std::string_view body,
                         const std::vector<std::string>& args = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// RESP multibulk encoding of one command, as a client sends it.
std::string RespCommand(const std::vector<std::string>& args);

}  // namespace walkv::e2e
