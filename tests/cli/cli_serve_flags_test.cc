// The defaults `walkv serve --help` and `walkv cli --help` print are the option structs' own
// (EngineOptions, rpc::ServerOptions), and the mode flags accept exactly the engine's spellings.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "engine/options.h"
#include "rpc/server.h"

namespace walkv::cli {
namespace {

class ServeFlagsTest : public testing::Test {
 protected:
  ServeFlagsTest() {
    AddServeCommand(app_, &action_);
    AddCliCommand(app_, &action_);
  }

  std::string ServeDefault(const std::string& flag) {
    return app_.get_subcommand("serve")->get_option(flag)->get_default_str();
  }

  // The number a byte-size default such as "64MiB" stands for, as --snapshot-wal-bytes parses it.
  static std::string SizeValue(std::string text) {
    EXPECT_EQ(CLI::AsSizeValue(false)(text), "");
    return text;
  }

  // Parses `walkv serve --data-dir d ARGS...`; true if CLI11 accepted it.
  bool ServeAccepts(std::vector<std::string> args) {
    args.insert(args.begin(), {"walkv", "serve", "--data-dir", "d"});
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    CLI::App app;
    CommandAction action;
    AddServeCommand(app, &action);
    try {
      app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError&) {
      return false;
    }
    return true;
  }

  CLI::App app_;
  CommandAction action_;
  const EngineOptions engine_;
  const rpc::ServerOptions server_;
};

TEST_F(ServeFlagsTest, ServeDefaultsAreTheOptionStructs) {
  EXPECT_EQ(ServeDefault("--host"), server_.host);
  EXPECT_EQ(ServeDefault("--port"), std::to_string(server_.port));
  EXPECT_EQ(ServeDefault("--fsync"), FsyncModeName(engine_.fsync_mode));
  EXPECT_EQ(ServeDefault("--fsync-interval-ms"), std::to_string(engine_.fsync_interval_ms));
  EXPECT_EQ(ServeDefault("--snapshot-interval"), std::to_string(engine_.snapshot_interval_seconds));
  EXPECT_EQ(SizeValue(ServeDefault("--snapshot-wal-bytes")),
            std::to_string(engine_.snapshot_wal_bytes));
  EXPECT_EQ(ServeDefault("--recovery-mode"), RecoveryModeName(engine_.recovery_mode));
  EXPECT_EQ(SizeValue(ServeDefault("--max-request-bytes")),
            std::to_string(server_.max_request_bytes));
  EXPECT_EQ(ServeDefault("--max-connections"), std::to_string(server_.max_connections));
  EXPECT_EQ(ServeDefault("--max-keys-reply"), std::to_string(server_.max_keys_reply));
  EXPECT_EQ(ServeDefault("--threads"), std::to_string(rpc::DefaultIoThreads()));
}

TEST_F(ServeFlagsTest, HelpPrintsTheDefaults) {
  const std::string help = app_.get_subcommand("serve")->help();
  EXPECT_NE(help.find("--port PORT=" + std::to_string(server_.port)), std::string::npos) << help;
  EXPECT_NE(help.find("--fsync MODE=" + std::string(FsyncModeName(engine_.fsync_mode))),
            std::string::npos)
      << help;
  // Byte sizes in the largest unit that divides them ("64MiB"), meaning the struct's value.
  const std::string wal_bytes = ServeDefault("--snapshot-wal-bytes");
  EXPECT_NE(help.find("--snapshot-wal-bytes BYTES=" + wal_bytes), std::string::npos) << help;
  const std::string request_bytes = ServeDefault("--max-request-bytes");
  EXPECT_NE(help.find("--max-request-bytes BYTES=" + request_bytes), std::string::npos) << help;
}

TEST_F(ServeFlagsTest, CliConnectsToTheServersDefaultAddress) {
  CLI::App* cli = app_.get_subcommand("cli");
  EXPECT_EQ(cli->get_option("--host")->get_default_str(), server_.host);
  EXPECT_EQ(cli->get_option("--port")->get_default_str(), std::to_string(server_.port));
}

TEST_F(ServeFlagsTest, ModeFlagsAcceptExactlyTheEngineSpellings) {
  for (const auto& s : kFsyncModeSpellings) {
    EXPECT_TRUE(ServeAccepts({"--fsync", std::string(s.name)})) << s.name;
  }
  for (const auto& s : kRecoveryModeSpellings) {
    EXPECT_TRUE(ServeAccepts({"--recovery-mode", std::string(s.name)})) << s.name;
  }
  EXPECT_FALSE(ServeAccepts({"--fsync", "sometimes"}));
  EXPECT_FALSE(ServeAccepts({"--recovery-mode", "lenient"}));
  EXPECT_FALSE(ServeAccepts({"--threads", "0"}));
}

TEST(ModeSpellingsTest, NamesAndParsingRoundTrip) {
  for (const auto& s : kFsyncModeSpellings) {
    EXPECT_EQ(FsyncModeName(s.mode), s.name);
    EXPECT_EQ(ParseFsyncMode(s.name), s.mode);
  }
  for (const auto& s : kRecoveryModeSpellings) {
    EXPECT_EQ(RecoveryModeName(s.mode), s.name);
    EXPECT_EQ(ParseRecoveryMode(s.name), s.mode);
  }
  EXPECT_EQ(ParseFsyncMode("ALWAYS"), std::nullopt);
  EXPECT_EQ(ParseRecoveryMode("pit"), std::nullopt);
}

TEST_F(ServeFlagsTest, ReplicaOfTakesHostColonPort) {
  EXPECT_TRUE(ServeAccepts({"--replica-of", "127.0.0.1:7379"}));
  EXPECT_TRUE(ServeAccepts({"--replica-of", "db1.example:1"}));
  EXPECT_TRUE(ServeAccepts({"--replica-of", "[::1]:7379"}));
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":7379", "h:0", "h:65536", "h:12x",
                          "h:123456"}) {
    EXPECT_FALSE(ServeAccepts({"--replica-of", bad})) << bad;
  }
}

TEST_F(ServeFlagsTest, SyncReplicaFlags) {
  EXPECT_EQ(ServeDefault("--sync-replicas"), std::to_string(server_.sync_replicas.replicas));
  EXPECT_EQ(ServeDefault("--sync-timeout-ms"),
            std::to_string(server_.sync_replicas.timeout.count()));
  EXPECT_EQ(ServeDefault("--sync-timeout-action"), "error");
  EXPECT_TRUE(ServeAccepts({"--sync-replicas", "1", "--sync-timeout-ms", "250"}));
  EXPECT_TRUE(ServeAccepts({"--sync-replicas", "2", "--sync-timeout-action", "downgrade"}));
  EXPECT_FALSE(ServeAccepts({"--sync-replicas", "-1"}));
  EXPECT_FALSE(ServeAccepts({"--sync-timeout-ms", "0"}));
  EXPECT_FALSE(ServeAccepts({"--sync-timeout-action", "ignore"}));
}

}  // namespace
}  // namespace walkv::cli
