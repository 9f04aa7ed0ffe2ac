// --auth-token-file with both protocols against a real server: before authenticating only
// ping (and auth) work — RESP answers NOAUTH, JSON UNAUTHENTICATED; a wrong token is refused; the
// right one unlocks the connection; the startup warning for a non-loopback address without a
// token.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/line_socket.h"
#include "tests/e2e/resp_helpers.h"
#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kTimeout = std::chrono::seconds(60);

class RespAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RequireTool("/usr/bin/redis-cli", "redis-tools"));
    std::ofstream(tokens_.Sub("token")) << "correct horse\n";
    s_ = StartRespServer(dir_.path(), {"--auth-token-file", tokens_.Sub("token")});
    ASSERT_NE(s_.server, nullptr);
  }

  walkv::testing::TempDir dir_;
  walkv::testing::TempDir tokens_;
  RespServer s_;
};

TEST_F(RespAuthTest, RespNeedsAuthBeforeAnythingButPing) {
  EXPECT_EQ(RedisCli(s_.resp_port, {"PING"}).out, "PONG\n");
  EXPECT_EQ(RedisCli(s_.resp_port, {"GET", "k"}).out, "NOAUTH Authentication required.\n\n");
  ProcessResult wrong = RedisCli(s_.resp_port, {"--no-auth-warning", "-a", "wrong", "GET", "k"});
  EXPECT_EQ(wrong.out, "NOAUTH Authentication required.\n\n");
  EXPECT_THAT(wrong.err, HasSubstr("AUTH failed: WRONGPASS invalid username-password pair"));
  EXPECT_EQ(
      RedisCli(s_.resp_port, {"--no-auth-warning", "-a", "correct horse", "SET", "k", "v"}).out,
      "OK\n");
  EXPECT_EQ(RedisCli(s_.resp_port, {"--no-auth-warning", "-a", "correct horse", "GET", "k"}).out,
            "v\n");

  auto sock = LineSocket::Connect("127.0.0.1", s_.resp_port);
  ASSERT_NE(sock, nullptr);
  ASSERT_TRUE(sock->SendAll("GET k\r\nAUTH nope\r\nAUTH \"correct horse\"\r\nGET k\r\n",
                            Within(kTimeout)));
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "-NOAUTH Authentication required.\r");
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)),
            "-WRONGPASS invalid username-password pair or user is disabled.\r");
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "+OK\r");
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "$1\r");
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "v\r");
}

TEST_F(RespAuthTest, PythonClientWithPassword) {
  const std::string script = R"(
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
try:
    r.get("k")
    sys.exit("unauthenticated get succeeded")
except redis.AuthenticationError:
    pass
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), password="correct horse")
p = r.pipeline(transaction=False)
p.set("k", "v")
p.get("k")
assert p.execute() == [True, b"v"]
print("ok")
)";
  ProcessResult r = RunRedisPy(s_.resp_port, script, {}, kTimeout);
  EXPECT_EQ(r.exit, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok\n") << r.err;
}

TEST_F(RespAuthTest, JsonNeedsAuthBeforeAnythingButPing) {
  auto sock = LineSocket::Connect(s_.server->host(), s_.server->port());
  ASSERT_NE(sock, nullptr);
  ASSERT_TRUE(sock->SendAll(
      "{\"id\":1,\"method\":\"ping\"}\n"
      "{\"id\":2,\"method\":\"get\",\"args\":[\"k\"]}\n"
      "{\"id\":3,\"method\":\"auth\",\"args\":[\"wrong\"]}\n"
      "{\"id\":4,\"method\":\"set\",\"args\":[\"k\",\"v\"]}\n"
      "{\"id\":5,\"method\":\"auth\",\"args\":[\"correct horse\"]}\n"
      "{\"id\":6,\"method\":\"set\",\"args\":[\"k\",\"json\"]}\n"
      "{\"id\":7,\"method\":\"get\",\"args\":[\"k\"]}\n",
      Within(kTimeout)));
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "{\"id\":1,\"result\":\"PONG\"}");
  EXPECT_THAT(sock->ReadLine(Within(kTimeout)).value_or(""),
              HasSubstr("{\"id\":2,\"error\":{\"code\":\"UNAUTHENTICATED\""));
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)),
            "{\"id\":3,\"error\":{\"code\":\"UNAUTHENTICATED\",\"message\":\"invalid auth "
            "token\"}}");
  EXPECT_THAT(sock->ReadLine(Within(kTimeout)).value_or(""),
              HasSubstr("{\"id\":4,\"error\":{\"code\":\"UNAUTHENTICATED\""));
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "{\"id\":5,\"result\":true}");
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "{\"id\":6,\"result\":true}");
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "{\"id\":7,\"result\":\"json\"}");
}

TEST(RespAuthStartupTest, NonLoopbackWithoutTokenWarnsLoopbackDoesNot) {
  walkv::testing::TempDir dir;
  {
    auto server = ServerProcess::Start(dir.path(), {"--host", "0.0.0.0"});
    ASSERT_NE(server, nullptr);
    ASSERT_TRUE(server->Terminate().has_value());
    EXPECT_THAT(server->stderr_text(), HasSubstr("without --auth-token-file"));
  }
  {
    auto server = ServerProcess::Start(dir.path());
    ASSERT_NE(server, nullptr);
    ASSERT_TRUE(server->Terminate().has_value());
    EXPECT_THAT(server->stderr_text(), Not(HasSubstr("without --auth-token-file")));
  }
}

TEST(RespAuthStartupTest, MissingOrEmptyTokenFileRefusesToStart) {
  walkv::testing::TempDir dir;
  std::ofstream(dir.Sub("empty")) << "\n";
  for (const std::string& file : {dir.Sub("missing"), dir.Sub("empty")}) {
    ProcessResult r = RunProcess({WalkvBinary(), "serve", "--data-dir", dir.Sub("data"),
                                  "--port", "0", "--auth-token-file", file},
                                 "", kTimeout);
    EXPECT_EQ(r.exit, 1) << file;
    EXPECT_THAT(r.err, HasSubstr("cannot read --auth-token-file")) << file;
  }
}

}  // namespace
}  // namespace walkv::e2e
