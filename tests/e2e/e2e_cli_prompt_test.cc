// The interactive `walkv cli` prompt on a pseudo-terminal: libedit line editing, redis-cli
// quoting and rendering, help, errors, history, quit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "rpc/methods.h"
#include "tests/e2e/pty_session.h"
#include "tests/e2e/server_process.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

class CliPromptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start(dir_.Sub("data"));
    ASSERT_NE(server_, nullptr);
    prompt_ = "127.0.0.1:" + std::to_string(server_->port()) + "> ";
    session_ = PtySession::Start(
        {WalkvBinary(), "cli", "--port", std::to_string(server_->port())},
        {"HOME=" + dir_.path(), "TERM=xterm", "WALKV_HISTFILE=" + dir_.Sub("history")});
    ASSERT_NE(session_, nullptr);
    std::optional<size_t> at = session_->ReadUntil(prompt_, 0, Within(seconds(30)));
    ASSERT_TRUE(at.has_value()) << "no prompt; output:\n" << session_->output();
    position_ = *at;
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Terminate(), 0);
    }
  }

  // Types `line` and Enter; returns everything printed until the next prompt (echo included).
  std::string Run(const std::string& line) { return RunUntil(line, prompt_); }
  std::string RunUntil(const std::string& line, const std::string& prompt) {
    EXPECT_TRUE(session_->Type(line + "\r"));
    std::optional<size_t> at = session_->ReadUntil(prompt, position_, Within(seconds(30)));
    EXPECT_TRUE(at.has_value()) << "no prompt after " << line << "; output:\n"
                                << session_->output();
    if (!at) return "";
    std::string shown = session_->output().substr(position_, *at - position_);
    position_ = *at;
    return shown;
  }

  testing::TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<PtySession> session_;
  std::string prompt_;
  size_t position_ = 0;
};

TEST_F(CliPromptTest, QuotingRenderingHelpErrorsAndQuit) {
  EXPECT_THAT(Run(R"(set "a b" "c\nd")"), HasSubstr("OK\r\n"));
  EXPECT_THAT(Run(R"(get "a b")"), HasSubstr("\"c\\nd\"\r\n"));
  EXPECT_THAT(Run("get nothing"), HasSubstr("(nil)\r\n"));
  EXPECT_THAT(Run("append counter 12"), HasSubstr("(integer) 2\r\n"));
  std::string keys = Run("keys *");
  EXPECT_THAT(keys, HasSubstr("1) \""));
  EXPECT_THAT(keys, HasSubstr("\"a b\""));
  EXPECT_THAT(Run("keys zzz*"), HasSubstr("(empty array)\r\n"));
  EXPECT_THAT(Run("delete counter"), HasSubstr("(true)\r\n"));
  EXPECT_THAT(Run("frobnicate 1 2"), HasSubstr("(error) UNKNOWN_METHOD"));
  EXPECT_THAT(Run(R"(set "unbalanced)"), HasSubstr("(error) invalid quoting"));
  std::string help = Run("help");
  EXPECT_THAT(help, HasSubstr("set key value"));
  EXPECT_THAT(help, HasSubstr("keys [pattern]"));
  EXPECT_THAT(help, HasSubstr("quit"));
  EXPECT_THAT(Run("info"), HasSubstr("keys: 1"));

  ASSERT_TRUE(session_->Type("quit\r"));
  EXPECT_EQ(session_->Wait(Within(seconds(30))), 0);

  std::ifstream history(dir_.Sub("history"));
  std::stringstream text;
  text << history.rdbuf();
  // libedit's history format encodes blanks (as \040), so look for a word.
  EXPECT_THAT(text.str(), HasSubstr("frobnicate"));
}

TEST_F(CliPromptTest, LostConnectionIsOneLineAndTheNextCommandReconnects) {
  EXPECT_THAT(Run("set k v"), HasSubstr("OK\r\n"));
  const std::string port = std::to_string(server_->port());
  ASSERT_EQ(server_->Terminate(), 0);
  // The failed command says why in one line; the prompt then shows the state.
  EXPECT_THAT(RunUntil("get k", "not connected> "), HasSubstr("walkv: 127.0.0.1:" + port + ": "));
  // The same port again, so the prompt's address is right; the first server has released it.
  server_ = ServerProcess::Start(dir_.Sub("data"), {"--port", port});
  ASSERT_NE(server_, nullptr);
  EXPECT_THAT(Run("get k"), HasSubstr("\"v\"\r\n"));
}

TEST_F(CliPromptTest, EndOfInputLeavesThePromptOnANewLine) {
  ASSERT_TRUE(session_->Type("\x04"));  // Ctrl-D on an empty line
  EXPECT_EQ(session_->Wait(Within(seconds(30))), 0);
  // Whatever libedit writes after the prompt, the output ends with a line break, so the shell's
  // prompt does not follow ours on the same line.
  const std::string after = session_->output().substr(position_);
  EXPECT_THAT(after, HasSubstr("\n")) << after;
  EXPECT_EQ(after.back(), '\n') << after;
}

TEST_F(CliPromptTest, TabCompletesMethodNames) {
  EXPECT_THAT(Run("set k v"), HasSubstr("OK\r\n"));
  // "dbs" + Tab completes to "dbsize" (the only match); "sca" + Tab to "scan".
  EXPECT_THAT(Run("dbs\t"), HasSubstr("(integer) 1\r\n"));
  std::string scan = Run("sca\t 0 * 1000");
  EXPECT_THAT(scan, HasSubstr("1) \"0\""));
  EXPECT_THAT(scan, HasSubstr("\"k\""));
}

TEST_F(CliPromptTest, HelpCoversEveryMethodOfTheTable) {
  std::string help = Run("help");
  for (const rpc::MethodSpec& m : rpc::MethodTable()) {
    EXPECT_THAT(help, HasSubstr("  " + std::string(m.name))) << m.name;
  }
  EXPECT_THAT(Run("help scan"), HasSubstr("scan cursor [match] [count]"));
}

TEST_F(CliPromptTest, InfoIsReadable) {
  std::string info = Run("info");
  EXPECT_THAT(info, HasSubstr("server:\r\n"));
  EXPECT_THAT(info, HasSubstr("  port: " + std::to_string(server_->port()) + "\r\n"));
  EXPECT_THAT(info, HasSubstr("keyspace:\r\n  keys: 0\r\n"));
  EXPECT_THAT(Run("info keyspace"), HasSubstr("keyspace:\r\n  keys: 0\r\n"));
}

// Without the fixture's session: the prompt opens with no server and connects by itself.
TEST(CliPromptNoServerTest, OpensNotConnectedAndConnectsOnceTheServerIsUp) {
  testing::TempDir dir;
  // A port that was free a moment ago: start a server, note its port, stop it.
  auto first = ServerProcess::Start(dir.Sub("data"));
  ASSERT_NE(first, nullptr);
  const std::string port = std::to_string(first->port());
  ASSERT_EQ(first->Terminate(), 0);
  auto session = PtySession::Start({WalkvBinary(), "cli", "-p", port},
                                   {"HOME=" + dir.path(), "TERM=xterm", "WALKV_HISTFILE="});
  ASSERT_NE(session, nullptr);
  std::optional<size_t> at = session->ReadUntil("not connected> ", 0, Within(seconds(30)));
  ASSERT_TRUE(at.has_value()) << session->output();
  ASSERT_TRUE(session->Type("ping\r"));
  at = session->ReadUntil("not connected> ", *at, Within(seconds(30)));
  ASSERT_TRUE(at.has_value()) << session->output();
  EXPECT_THAT(session->output(), HasSubstr("could not connect"));

  auto server = ServerProcess::Start(dir.Sub("data"), {"--port", port});
  ASSERT_NE(server, nullptr);
  // The next prompt (after an empty line) finds the server.
  ASSERT_TRUE(session->Type("\r"));
  at = session->ReadUntil("127.0.0.1:" + port + "> ", *at, Within(seconds(30)));
  ASSERT_TRUE(at.has_value()) << session->output();
  ASSERT_TRUE(session->Type("ping\r"));
  at = session->ReadUntil("PONG", *at, Within(seconds(30)));
  EXPECT_TRUE(at.has_value()) << session->output();
  ASSERT_TRUE(session->Type("quit\r"));
  EXPECT_EQ(session->Wait(Within(seconds(30))), 0);
  EXPECT_EQ(server->Terminate(), 0);
}

}  // namespace
}  // namespace walkv::e2e
