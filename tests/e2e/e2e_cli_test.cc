// `walkv cli` in one-shot and piped mode against a real server: output (stdout is a pipe here,
// so raw values), --json, exit codes, and the one-line refused-connection message.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using ::testing::HasSubstr;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start(dir_.Sub("data"));
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Terminate(), 0);
    }
  }

  ProcessResult Cli(std::vector<std::string> words, std::string_view input = "") {
    std::vector<std::string> argv = {WalkvBinary(), "cli", "--port",
                                     std::to_string(server_->port())};
    argv.insert(argv.end(), words.begin(), words.end());
    return RunProcess(argv, input);
  }

  testing::TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CliTest, OneShotSetGetDelete) {
  ProcessResult set = Cli({"set", "greeting", "hello world"});
  EXPECT_EQ(set.exit, 0);
  EXPECT_EQ(set.out, "OK\n");
  EXPECT_EQ(set.err, "");
  ProcessResult get = Cli({"get", "greeting"});
  EXPECT_EQ(get.exit, 0);
  EXPECT_EQ(get.out, "hello world\n");
  ProcessResult del = Cli({"delete", "greeting"});
  EXPECT_EQ(del.exit, 0);
  EXPECT_EQ(del.out, "true\n");
  ProcessResult missing = Cli({"get", "greeting"});
  EXPECT_EQ(missing.exit, 0);
  EXPECT_EQ(missing.out, "\n");  // nil prints an empty line
  ProcessResult ping = Cli({"PING"});
  EXPECT_EQ(ping.out, "PONG\n");
}

TEST_F(CliTest, ArgumentsStayStringsEvenIfTheyLookLikeNumbersOrFlags) {
  EXPECT_EQ(Cli({"set", "n", "007"}).exit, 0);
  EXPECT_EQ(Cli({"--json", "get", "n"}).out, "\"007\"\n");
  EXPECT_EQ(Cli({"set", "neg", "-1"}).exit, 0);
  EXPECT_EQ(Cli({"get", "neg"}).out, "-1\n");
  EXPECT_EQ(Cli({"append", "n", "8"}).out, "4\n");
}

TEST_F(CliTest, BytesThatAreNotUtf8RoundTrip) {
  // Typed as redis-cli escapes at the prompt (stdin is a pipe: one command per line).
  ProcessResult typed = Cli({}, "set \"k\\xff\" \"a\\xffb\\x00c\"\nget \"k\\xff\"\n");
  EXPECT_EQ(typed.exit, 0) << typed.err;
  EXPECT_EQ(typed.out, std::string("OK\na\xff"
                                   "b\0c\n",
                                   9));
  // As raw bytes in argv; --json shows them as {"b64": ...}.
  EXPECT_EQ(Cli({"get", "k\xff"}).out, std::string("a\xff"
                                                   "b\0c\n",
                                                   6));
  EXPECT_EQ(Cli({"--json", "get", "k\xff"}).out, "{\"b64\":\"Yf9iAGM=\"}\n");
  EXPECT_EQ(Cli({"--json", "keys"}).out, "[{\"b64\":\"a/8=\"}]\n");
}

TEST_F(CliTest, HostAndPortFlagsAsInRedisCli) {
  ProcessResult r = RunProcess(
      {WalkvBinary(), "cli", "-h", "127.0.0.1", "-p", std::to_string(server_->port()), "ping"});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out, "PONG\n");
  ProcessResult help = RunProcess({WalkvBinary(), "cli", "--help"});
  EXPECT_EQ(help.exit, 0);
  EXPECT_THAT(help.out, HasSubstr("-h,-H,--host"));
}

TEST_F(CliTest, RepeatRunsTheCommandNTimes) {
  ProcessResult r = Cli({"-r", "3", "-i", "0", "incr", "n"});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.out, "1\n2\n3\n");
  ProcessResult spaced = Cli({"-r", "2", "-i", "0.01", "get", "n"});
  EXPECT_EQ(spaced.out, "3\n3\n");
  EXPECT_EQ(Cli({"-r", "0", "ping"}).exit, 2);
  EXPECT_EQ(Cli({"-r", "2"}).exit, 2);  // needs a command
}

TEST_F(CliTest, DashXReadsTheLastArgumentFromStdin) {
  const std::string data("line 1\nline 2\n\xff\0end", 19);
  ProcessResult set = Cli({"-x", "set", "doc"}, data);
  EXPECT_EQ(set.exit, 0) << set.err;
  EXPECT_EQ(Cli({"get", "doc"}).out, data + "\n");
  EXPECT_EQ(Cli({"strlen", "doc"}).out, "19\n");
}

TEST_F(CliTest, ScanAndInfoSections) {
  EXPECT_EQ(Cli({"set", "a", "1"}).exit, 0);
  EXPECT_EQ(Cli({"--json", "scan", "0", "*", "1000"}).out, "[\"0\",[\"a\"]]\n");
  EXPECT_EQ(Cli({"--json", "scan", "0", "MATCH", "a", "COUNT", "1000"}).out, "[\"0\",[\"a\"]]\n");
  EXPECT_EQ(Cli({"--json", "info", "keyspace"}).out,
            "{\"keyspace\":{\"keys\":1,\"keys_with_deadline\":0}}\n");
  ProcessResult bad = Cli({"scan", "x"});
  EXPECT_EQ(bad.exit, 1);
  EXPECT_THAT(bad.err, HasSubstr("INVALID_ARGUMENT scan: cursor"));
}

TEST_F(CliTest, DelIsAnAliasOfDelete) {
  EXPECT_EQ(Cli({"set", "k", "v"}).exit, 0);
  ProcessResult del = Cli({"del", "k"});
  EXPECT_EQ(del.exit, 0) << del.err;
  EXPECT_EQ(del.out, "true\n");
  EXPECT_EQ(Cli({"DEL", "k"}).out, "false\n");
  EXPECT_THAT(Cli({"help", "del"}).out, HasSubstr("delete key"));
}

TEST_F(CliTest, CountersAndMultiKeyReads) {
  EXPECT_EQ(Cli({"incr", "n"}).out, "1\n");
  EXPECT_EQ(Cli({"incrby", "n", "-11"}).out, "-10\n");
  EXPECT_EQ(Cli({"--json", "decrby", "n", "5"}).out, "-15\n");
  EXPECT_EQ(Cli({"set", "s", "abc"}).exit, 0);
  ProcessResult not_integer = Cli({"incr", "s"});
  EXPECT_EQ(not_integer.exit, 1);
  EXPECT_EQ(not_integer.err, "(error) INVALID_ARGUMENT value is not an integer or out of range\n");
  EXPECT_EQ(Cli({"exists", "n", "s", "nope", "n"}).out, "3\n");
  EXPECT_EQ(Cli({"dbsize"}).out, "2\n");
  EXPECT_EQ(Cli({"strlen", "s"}).out, "3\n");
  EXPECT_EQ(Cli({"--json", "mget", "s", "nope", "n"}).out, "[\"abc\",null,\"-15\"]\n");
}

TEST_F(CliTest, UnknownMethodSuggestsTheClosest) {
  ProcessResult typo = Cli({"icnr", "n"});
  EXPECT_EQ(typo.exit, 1);
  EXPECT_THAT(typo.err, HasSubstr("(error) UNKNOWN_METHOD unknown method \"icnr\"; did you mean "
                                  "\"incr\"? Methods: append, auth, batch, cas, dbsize,"));
}

TEST_F(CliTest, ServerErrorGoesToStderrWithExitOne) {
  ProcessResult unknown = Cli({"frobnicate", "x"});
  EXPECT_EQ(unknown.exit, 1);
  EXPECT_EQ(unknown.out, "");
  EXPECT_THAT(unknown.err, HasSubstr("(error) UNKNOWN_METHOD"));
  ProcessResult arity = Cli({"get"});
  EXPECT_EQ(arity.exit, 1);
  EXPECT_THAT(arity.err, HasSubstr("(error) INVALID_ARGUMENT"));
}

TEST_F(CliTest, JsonFlagPrintsRawJsonOnOneLine) {
  ProcessResult set = Cli({"--json", "set", "k", "a\nb"});
  EXPECT_EQ(set.exit, 0);
  EXPECT_EQ(set.out, "true\n");
  EXPECT_EQ(Cli({"--json", "get", "k"}).out, "\"a\\nb\"\n");
  EXPECT_EQ(Cli({"--json", "get", "nothing"}).out, "null\n");
  EXPECT_EQ(Cli({"--json", "keys"}).out, "[\"k\"]\n");
  ProcessResult info = Cli({"--json", "info"});
  EXPECT_EQ(info.exit, 0);
  EXPECT_EQ(std::count(info.out.begin(), info.out.end(), '\n'), 1);
  EXPECT_EQ(info.out.front(), '{');
  ProcessResult error = Cli({"--json", "nope"});
  EXPECT_EQ(error.exit, 1);
  EXPECT_THAT(error.err, HasSubstr("\"code\":\"UNKNOWN_METHOD\""));
}

TEST_F(CliTest, CommandsFromAPipeRunInOrder) {
  ProcessResult piped = Cli({}, "set \"a b\" \"c\\nd\"\nget \"a b\"\nkeys *\nquit\nget never\n");
  EXPECT_EQ(piped.exit, 0) << piped.err;
  EXPECT_EQ(piped.out, "OK\nc\nd\na b\n");
  ProcessResult bad = Cli({}, "set \"unbalanced\nping\n");
  EXPECT_EQ(bad.exit, 1);
  EXPECT_THAT(bad.err, HasSubstr("invalid quoting"));
  EXPECT_EQ(bad.out, "PONG\n");
}

TEST(CliConnectionTest, RefusedConnectionIsOneLineAndExitOne) {
  // A bound socket that does not listen: connecting to its port is refused.
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));

  ProcessResult result = RunProcess({WalkvBinary(), "cli", "--port", port, "ping"});
  close(fd);
  EXPECT_EQ(result.exit, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "walkv: could not connect to 127.0.0.1:" + port + ": Connection refused\n");
}

TEST(CliUsageTest, BadUsageExitsTwo) {
  ProcessResult bad_port = RunProcess({WalkvBinary(), "cli", "--port", "abc", "ping"});
  EXPECT_EQ(bad_port.exit, 2);
  EXPECT_THAT(bad_port.err, HasSubstr("--port"));
  ProcessResult unknown_flag = RunProcess({WalkvBinary(), "cli", "--bogus", "ping"});
  EXPECT_EQ(unknown_flag.exit, 2);
  EXPECT_THAT(unknown_flag.err, HasSubstr("Usage: walkv cli"));
}

}  // namespace
}  // namespace walkv::e2e
