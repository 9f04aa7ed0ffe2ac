// `walkv serve` as a process: startup line, clean and unclean shutdown, the data-dir lock, flag
// errors, --version and --help. Every server runs on port 0 in its own temporary directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rpc/client.h"
#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

std::unique_ptr<rpc::Client> ConnectTo(const ServerProcess& server) {
  auto client = rpc::Client::Connect(server.host(), server.port());
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  if (!client.ok()) return nullptr;
  (*client)->set_timeout(std::chrono::seconds(30));
  return std::move(client).value();
}

size_t CountLines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(ServeTest, StartupLineNamesAddressKeysBytesAndRecoveryTime) {
  testing::TempDir dir;
  auto server = ServerProcess::Start(dir.Sub("data"));
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->host(), "127.0.0.1");
  std::string err = server->stderr_text();
  EXPECT_THAT(err, HasSubstr("listening on 127.0.0.1:" + std::to_string(server->port())));
  EXPECT_THAT(err, HasSubstr("0 keys loaded"));
  EXPECT_THAT(err, HasSubstr("bytes replayed"));
  EXPECT_THAT(err, HasSubstr("recovery"));
  // SIGINT (Ctrl-C) shuts down as cleanly as SIGTERM.
  server->process().Signal(SIGINT);
  EXPECT_EQ(server->process().Wait(Within(seconds(60))), 0) << server->stderr_text();
}

TEST(ServeTest, RestartAfterSigtermKeepsEveryAcknowledgedWriteAndExitsZero) {
  testing::TempDir dir;
  constexpr int kKeys = 300;
  {
    auto server = ServerProcess::Start(dir.Sub("data"));
    ASSERT_NE(server, nullptr);
    auto client = ConnectTo(*server);
    ASSERT_NE(client, nullptr);
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(client->Set("key" + std::to_string(i), "value" + std::to_string(i)).ok());
    }
    ASSERT_TRUE(client->Append("key0", "+more").ok());
    ASSERT_TRUE(client->Delete("key1").ok());
    EXPECT_EQ(server->Terminate(), 0) << server->stderr_text();
  }
  auto server = ServerProcess::Start(dir.Sub("data"));
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(server->stderr_text(), HasSubstr(std::to_string(kKeys - 1) + " keys loaded"));
  auto client = ConnectTo(*server);
  ASSERT_NE(client, nullptr);
  auto first = client->Get("key0");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, std::optional<std::string>("value0+more"));
  auto deleted = client->Get("key1");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, std::nullopt);
  for (int i = 2; i < kKeys; ++i) {
    auto got = client->Get("key" + std::to_string(i));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, std::optional<std::string>("value" + std::to_string(i)));
  }
  EXPECT_EQ(server->Terminate(), 0);
}

TEST(ServeTest, RestartAfterSigkillKeepsEveryAcknowledgedWrite) {
  testing::TempDir dir;
  constexpr int kWriters = 4;
  constexpr int kAckedBeforeKill = 50;  // per writer
  std::vector<int> acked(kWriters, 0);  // writer w has acknowledged keys w-0 .. w-(acked-1)
  {
    auto server = ServerProcess::Start(dir.Sub("data"));
    ASSERT_NE(server, nullptr);
    std::mutex mu;
    std::condition_variable cv;
    int writers_ready = 0;
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto client = rpc::Client::Connect(server->host(), server->port());
        if (!client.ok()) return;
        (*client)->set_timeout(std::chrono::seconds(30));
        // Bounded: stops at the first failure (the server is killed) or after 100000 writes.
        for (int i = 0; i < 100000; ++i) {
          std::string key = std::to_string(w) + "-" + std::to_string(i);
          if (!(*client)->Set(key, "v" + key).ok()) break;
          std::lock_guard<std::mutex> lock(mu);
          acked[w] = i + 1;
          if (i + 1 == kAckedBeforeKill) {
            ++writers_ready;
            cv.notify_all();
          }
        }
      });
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, seconds(120), [&] { return writers_ready == kWriters; }));
    }
    // Kill while every writer is still writing.
    EXPECT_EQ(server->Kill(), -SIGKILL);
    for (std::thread& t : writers) t.join();
  }
  auto server = ServerProcess::Start(dir.Sub("data"));
  ASSERT_NE(server, nullptr);
  auto client = ConnectTo(*server);
  ASSERT_NE(client, nullptr);
  for (int w = 0; w < kWriters; ++w) {
    ASSERT_GE(acked[w], kAckedBeforeKill);
    for (int i = 0; i < acked[w]; ++i) {
      std::string key = std::to_string(w) + "-" + std::to_string(i);
      auto got = client->Get(key);
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(*got, std::optional<std::string>("v" + key)) << "acknowledged write lost: " << key;
    }
  }
  EXPECT_EQ(server->Terminate(), 0);
}

TEST(ServeTest, SecondServerOnSameDataDirExitsOneWithLockMessage) {
  testing::TempDir dir;
  auto first = ServerProcess::Start(dir.Sub("data"));
  ASSERT_NE(first, nullptr);
  ProcessResult second =
      RunProcess({WalkvBinary(), "serve", "--data-dir", dir.Sub("data"), "--port", "0"});
  EXPECT_EQ(second.exit, 1);
  EXPECT_THAT(second.err, HasSubstr("walkv: data directory " + dir.Sub("data") +
                                    " is locked by another process"));
  EXPECT_THAT(second.err, Not(HasSubstr("listening on")));
  // The first server is unaffected.
  auto client = ConnectTo(*first);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->Ping().ok());
  EXPECT_EQ(first->Terminate(), 0);
}

TEST(ServeTest, BusyPortIsOneClearLineAndExitOne) {
  testing::TempDir dir;
  auto first = ServerProcess::Start(dir.Sub("a"));
  ASSERT_NE(first, nullptr);
  const std::string port = std::to_string(first->port());
  ProcessResult second =
      RunProcess({WalkvBinary(), "serve", "--data-dir", dir.Sub("b"), "--port", port});
  EXPECT_EQ(second.exit, 1);
  EXPECT_EQ(CountLines(second.err), 1u) << second.err;
  EXPECT_THAT(second.err, HasSubstr("walkv: cannot listen on"));
  EXPECT_THAT(second.err, HasSubstr(port));
  EXPECT_EQ(first->Terminate(), 0);
}

TEST(ServeTest, BadFlagValuesExitTwoWithUsage) {
  testing::TempDir dir;
  const std::vector<std::vector<std::string>> bad = {
      {"--fsync", "sometimes"}, {"--port", "70000"},          {"--recovery-mode", "lenient"},
      {"--log-level", "loud"},  {"--threads", "0"},           {"--max-request-bytes", "lots"},
      {"--no-such-flag"},       {"--snapshot-interval", "-1"}};
  for (const auto& flags : bad) {
    std::vector<std::string> argv = {WalkvBinary(), "serve", "--data-dir", dir.Sub("data")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    ProcessResult result = RunProcess(argv);
    EXPECT_EQ(result.exit, 2) << flags[0];
    EXPECT_THAT(result.err, HasSubstr(flags[0])) << flags[0];
    EXPECT_THAT(result.err, HasSubstr("Usage: walkv serve")) << flags[0];
  }
  ProcessResult no_dir = RunProcess({WalkvBinary(), "serve"});
  EXPECT_EQ(no_dir.exit, 2);
  EXPECT_THAT(no_dir.err, HasSubstr("--data-dir"));
}

TEST(ServeTest, VersionAndHelp) {
  ProcessResult version = RunProcess({WalkvBinary(), "--version"});
  EXPECT_EQ(version.exit, 0);
  EXPECT_EQ(version.out, "walkv " WALKV_VERSION "\n");

  ProcessResult help = RunProcess({WalkvBinary(), "--help"});
  EXPECT_EQ(help.exit, 0);
  EXPECT_THAT(help.out, HasSubstr("serve"));
  EXPECT_THAT(help.out, HasSubstr("cli"));

  ProcessResult serve_help = RunProcess({WalkvBinary(), "serve", "--help"});
  EXPECT_EQ(serve_help.exit, 0);
  for (const char* flag :
       {"--data-dir", "--host", "--port", "--fsync", "--fsync-interval-ms", "--snapshot-interval",
        "--snapshot-wal-bytes", "--recovery-mode", "--max-request-bytes", "--max-connections",
        "--threads", "--log-level"}) {
    EXPECT_THAT(serve_help.out, HasSubstr(flag));
  }
  ProcessResult cli_help = RunProcess({WalkvBinary(), "cli", "--help"});
  EXPECT_EQ(cli_help.exit, 0);
  EXPECT_THAT(cli_help.out, HasSubstr("--json"));
  EXPECT_THAT(cli_help.out, HasSubstr("[COMMAND ARG...]"));

  ProcessResult nothing = RunProcess({WalkvBinary()});
  EXPECT_EQ(nothing.exit, 2);
  EXPECT_THAT(nothing.err, HasSubstr("Usage: walkv"));
  ProcessResult unknown = RunProcess({WalkvBinary(), "frobnicate"});
  EXPECT_EQ(unknown.exit, 2);
}

}  // namespace
}  // namespace walkv::e2e
