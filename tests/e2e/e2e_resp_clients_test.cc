// RESP with real clients against a real `walkv serve --resp-port 0`: redis-cli (one-shot
// commands, --pipe, --scan), redis-benchmark, python3-redis pipelines; RESP writes surviving
// kill -9; malformed input and limits answered with an error and a close. The tools come from
// scripts/setup; a missing one fails the test (RequireTool), it is never skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "engine/str_cat.h"
#include "tests/e2e/line_socket.h"
#include "tests/e2e/resp_helpers.h"
#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kTimeout = std::chrono::seconds(120);

class RespClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RequireTool("/usr/bin/redis-cli", "redis-tools"));
    s_ = StartRespServer(dir_.path());
    ASSERT_NE(s_.server, nullptr);
  }

  std::string Cli(const std::vector<std::string>& args) {
    ProcessResult r = RedisCli(s_.resp_port, args);
    EXPECT_EQ(r.exit, 0) << r.err;
    return r.out;
  }

  walkv::testing::TempDir dir_;
  RespServer s_;
};

TEST_F(RespClientsTest, RedisCliOneShotCommands) {
  EXPECT_EQ(Cli({"PING"}), "PONG\n");
  EXPECT_EQ(Cli({"SET", "greeting", "hello world"}), "OK\n");
  EXPECT_EQ(Cli({"GET", "greeting"}), "hello world\n");
  EXPECT_EQ(Cli({"APPEND", "greeting", "!"}), "12\n");
  EXPECT_EQ(Cli({"STRLEN", "greeting"}), "12\n");
  EXPECT_EQ(Cli({"INCR", "n"}), "1\n");
  EXPECT_EQ(Cli({"INCRBY", "n", "41"}), "42\n");
  EXPECT_EQ(Cli({"DECRBY", "n", "2"}), "40\n");
  EXPECT_EQ(Cli({"DECR", "n"}), "39\n");
  EXPECT_EQ(Cli({"EXISTS", "n", "greeting", "nope"}), "2\n");
  EXPECT_EQ(Cli({"MGET", "n", "nope"}), "39\n\n");
  EXPECT_EQ(Cli({"KEYS", "*"}), "greeting\nn\n");
  EXPECT_EQ(Cli({"DBSIZE"}), "2\n");
  EXPECT_EQ(Cli({"DEL", "n", "greeting", "nope"}), "2\n");
  EXPECT_EQ(Cli({"GET", "greeting"}), "\n");
  EXPECT_EQ(Cli({"ECHO", "x y"}), "x y\n");
  EXPECT_EQ(Cli({"SELECT", "0"}), "OK\n");
  EXPECT_EQ(Cli({"SET", "k", "v"}), "OK\n");
  EXPECT_EQ(Cli({"SAVE"}), "OK\n");  // the snapshot method, on the blocking pool
  EXPECT_EQ(Cli({"FLUSHDB"}), "OK\n");
  EXPECT_EQ(Cli({"DBSIZE"}), "0\n");
  EXPECT_THAT(Cli({"INFO"}), AllOf(HasSubstr("redis_version:"), HasSubstr("role:master")));
  EXPECT_EQ(Cli({"CONFIG", "GET", "appendonly"}), "appendonly\nyes\n");
  EXPECT_EQ(Cli({"INCR", "x"}), "1\n");
  EXPECT_EQ(Cli({"SET", "s", "text"}), "OK\n");
  // Errors: redis-cli prints them as "(error) ..." on a tty, and as the text otherwise.
  EXPECT_EQ(Cli({"INCR", "s"}), "ERR value is not an integer or out of range\n\n");
  EXPECT_EQ(Cli({"GET"}), "ERR wrong number of arguments for 'get' command\n\n");
  EXPECT_EQ(Cli({"LPUSH", "l", "a"}),
            "ERR unknown command 'LPUSH', with args beginning with: 'l' 'a' \n\n");
  EXPECT_THAT(Cli({"-3", "HELLO", "3"}), AllOf(HasSubstr("proto 3"), HasSubstr("role master")));
}

TEST_F(RespClientsTest, RedisCliPipeLoadsEveryCommandWithoutErrors) {
  std::string input;
  for (int i = 0; i < 2000; ++i) {
    input += RespCommand({"SET", StrCat("key:", i), StrCat("value ", i)});
  }
  input += RespCommand({"INCRBY", "counter", "5"});
  ProcessResult r = RedisCli(s_.resp_port, {"--pipe"}, input, kTimeout);
  ASSERT_EQ(r.exit, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("errors: 0, replies: 2001")) << r.out;
  EXPECT_EQ(Cli({"DBSIZE"}), "2001\n");
  EXPECT_EQ(Cli({"GET", "key:1999"}), "value 1999\n");
}

TEST_F(RespClientsTest, RedisCliScanReturnsEveryKey) {
  std::string input;
  std::vector<std::string> expected;
  for (int i = 0; i < 2500; ++i) {
    const std::string key = (i % 2 == 0 ? "even:" : "odd:") + std::to_string(i);
    input += RespCommand({"SET", key, "v"});
    expected.push_back(key);
  }
  ProcessResult load = RedisCli(s_.resp_port, {"--pipe"}, input, kTimeout);
  ASSERT_EQ(load.exit, 0) << load.out << load.err;

  auto scanned = [&](const std::vector<std::string>& args) {
    ProcessResult r = RedisCli(s_.resp_port, args, "", kTimeout);
    EXPECT_EQ(r.exit, 0) << r.err;
    std::vector<std::string> keys;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) keys.push_back(line);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // SCAN may repeat a key
    return keys;
  };
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(scanned({"--scan"}), expected);
  std::vector<std::string> odd;
  std::copy_if(expected.begin(), expected.end(), std::back_inserter(odd),
               [](const std::string& k) { return k.starts_with("odd:"); });
  EXPECT_EQ(scanned({"--scan", "--pattern", "odd:*"}), odd);
  // The one-shot command: [cursor, keys].
  EXPECT_EQ(Cli({"SCAN", "0", "MATCH", "even:0", "COUNT", "5000"}), "0\neven:0\n");
  EXPECT_EQ(Cli({"SCAN", "nope"}), "ERR invalid cursor\n\n");
}

TEST_F(RespClientsTest, RedisCliExpiryCommandsAnswerLikeRedis) {
  EXPECT_EQ(Cli({"SET", "session", "data", "EX", "100"}), "OK\n");
  const int ttl = std::stoi(Cli({"TTL", "session"}));
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 100);
  const int64_t pttl = std::stoll(Cli({"PTTL", "session"}));
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 100000);
  EXPECT_EQ(Cli({"TTL", "missing"}), "-2\n");
  EXPECT_EQ(Cli({"SET", "forever", "x"}), "OK\n");
  EXPECT_EQ(Cli({"TTL", "forever"}), "-1\n");
  // NX / XX that do not hold answer nil, GET the old value.
  EXPECT_EQ(Cli({"SET", "forever", "y", "NX"}), "\n");
  EXPECT_EQ(Cli({"SET", "absent", "y", "XX"}), "\n");
  EXPECT_EQ(Cli({"SET", "forever", "y", "XX", "GET"}), "x\n");
  EXPECT_EQ(Cli({"SET", "fresh", "z", "NX", "PX", "100000"}), "OK\n");
  EXPECT_EQ(Cli({"SET", "fresh", "z2", "KEEPTTL"}), "OK\n");
  EXPECT_NE(Cli({"TTL", "fresh"}), "-1\n");
  EXPECT_EQ(Cli({"PERSIST", "fresh"}), "1\n");
  EXPECT_EQ(Cli({"PERSIST", "fresh"}), "0\n");
  EXPECT_EQ(Cli({"TTL", "fresh"}), "-1\n");
  EXPECT_EQ(Cli({"EXPIRE", "fresh", "50"}), "1\n");
  EXPECT_EQ(Cli({"EXPIRE", "missing", "50"}), "0\n");
  EXPECT_EQ(Cli({"PEXPIREAT", "fresh", "4102444800000"}), "1\n");  // 2100-01-01
  EXPECT_EQ(Cli({"EXPIREAT", "forever", "1"}), "1\n");             // in the past: deleted
  EXPECT_EQ(Cli({"EXISTS", "forever"}), "0\n");
  EXPECT_EQ(Cli({"PEXPIRE", "fresh", "0"}), "1\n");
  EXPECT_EQ(Cli({"GET", "fresh"}), "\n");
  // The older string commands.
  EXPECT_EQ(Cli({"SETNX", "old", "1"}), "1\n");
  EXPECT_EQ(Cli({"SETNX", "old", "2"}), "0\n");
  EXPECT_EQ(Cli({"GETSET", "old", "3"}), "1\n");
  EXPECT_EQ(Cli({"GET", "old"}), "3\n");
  EXPECT_EQ(Cli({"SETEX", "old", "100", "4"}), "OK\n");
  const int setex_ttl = std::stoi(Cli({"TTL", "old"}));
  EXPECT_GT(setex_ttl, 0);
  EXPECT_LE(setex_ttl, 100);
  EXPECT_EQ(Cli({"GETSET", "old", "5"}), "4\n");
  EXPECT_EQ(Cli({"TTL", "old"}), "-1\n");  // GETSET, a SET, drops the expiry
  EXPECT_EQ(Cli({"PSETEX", "old", "100000", "6"}), "OK\n");
  EXPECT_NE(Cli({"PTTL", "old"}), "-1\n");
  // Redis's error texts.
  EXPECT_EQ(Cli({"SET", "k", "v", "EX", "0"}), "ERR invalid expire time in 'set' command\n\n");
  EXPECT_EQ(Cli({"SET", "k", "v", "EX", "x"}), "ERR value is not an integer or out of range\n\n");
  EXPECT_EQ(Cli({"SET", "k", "v", "NX", "XX"}), "ERR syntax error\n\n");
  EXPECT_EQ(Cli({"EXPIRE", "k", "9223372036854775"}),
            "ERR invalid expire time in 'expire' command\n\n");
}

TEST_F(RespClientsTest, RedisCliInfoSections) {
  Cli({"SET", "a", "1"});
  Cli({"SET", "b", "2", "EX", "100"});
  // redis-cli prints INFO's text as it is when its output is not a terminal, "\r\n" included.
  EXPECT_EQ(Cli({"INFO", "keyspace"}), "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n");
  // Redis's fields first, then walkv's (digest, ...; docs/replication.md).
  const std::string replication = Cli({"INFO", "replication"});
  EXPECT_THAT(replication, ::testing::StartsWith("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"));
  EXPECT_THAT(replication, HasSubstr("\r\ndigest_seq:2\r\n"));
  const std::string server = Cli({"INFO", "server"});
  EXPECT_THAT(server, HasSubstr("redis_version:7.0.0\r\n"));
  // The port the client is talking to, the RESP one, not the JSON port.
  EXPECT_THAT(server, HasSubstr(StrCat("tcp_port:", s_.resp_port) + "\r\n"));
  EXPECT_THAT(server, HasSubstr("data_dir:"));  // walkv's own fields follow Redis's
  EXPECT_THAT(server, Not(HasSubstr("# Keyspace")));
  const std::string all = Cli({"INFO"});
  for (const char* section : {"# Server", "# Clients", "# Memory", "# Persistence", "# Stats",
                              "# Replication", "# CPU", "# Errorstats", "# Keyspace"}) {
    EXPECT_THAT(all, HasSubstr(section));
  }
  EXPECT_THAT(Cli({"INFO", "commandstats"}), HasSubstr("cmdstat_set:calls=2,"));
  EXPECT_EQ(Cli({"INFO", "nosuch"}), "");
}

TEST_F(RespClientsTest, RedisBenchmarkSupportedCommandsHaveNoErrors) {
  ASSERT_TRUE(RequireTool("/usr/bin/redis-benchmark", "redis-tools"));
  ProcessResult r = RunProcess({"/usr/bin/redis-benchmark", "-p", std::to_string(s_.resp_port),
                                "-t", "ping,set,get,incr,mset", "-n", "2000", "-c", "10", "--csv"},
                               "", kTimeout);
  ASSERT_EQ(r.exit, 0) << r.out << r.err;
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("Error")));
  for (const char* test : {"\"PING_INLINE\"", "\"PING_MBULK\"", "\"SET\"", "\"GET\"", "\"INCR\"",
                           "\"MSET (10 keys)\""}) {
    EXPECT_THAT(r.out, HasSubstr(test));
  }
  // Every INCR reached the engine: 2000 increments of the one key redis-benchmark uses.
  EXPECT_EQ(Cli({"GET", "counter:__rand_int__"}), "2000\n");
}

// redis-benchmark stops at the first error reply ("Error from server: ..."), so each
// unsupported test runs on its own.
TEST_F(RespClientsTest, RedisBenchmarkUnsupportedCommandsErrorCleanlyAndFinish) {
  ASSERT_TRUE(RequireTool("/usr/bin/redis-benchmark", "redis-tools"));
  for (const std::string test : {"lpush", "hset"}) {
    ProcessResult r = RunProcess({"/usr/bin/redis-benchmark", "-p", std::to_string(s_.resp_port),
                                  "-t", test, "-n", "2000", "-c", "10", "--csv"},
                                 "", kTimeout);
    ASSERT_TRUE(r.exit.has_value()) << "redis-benchmark -t " << test << " did not finish";
    EXPECT_THAT(r.out + r.err, HasSubstr("Error from server: ERR unknown command '" +
                                         std::string(test == "lpush" ? "LPUSH" : "HSET") + "'"));
  }
  EXPECT_EQ(Cli({"PING"}), "PONG\n");  // the server is fine afterwards
}

TEST_F(RespClientsTest, PythonRedisPipelinesWithBinaryKeysAndValues) {
  const std::string script = R"(
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
assert r.ping()
p = r.pipeline(transaction=False)
for i in range(500):
    p.set(b"bin\x00key\xff" + str(i).encode(), bytes([i % 256]) * i + b"\r\n\x00")
p.incrby("total", 7)
p.get(b"bin\x00key\xff499")
p.mget([b"bin\x00key\xff1", "missing"])
p.exists(b"bin\x00key\xff0", "missing")
res = p.execute()
assert res[:500] == [True] * 500, res[:3]
assert res[500] == 7, res[500]
assert res[501] == bytes([499 % 256]) * 499 + b"\r\n\x00", res[501][:10]
assert res[502] == [b"\x01\r\n\x00", None], res[502]
assert res[503] == 1, res[503]
assert r.dbsize() == 501
assert r.delete(b"bin\x00key\xff0", b"bin\x00key\xff1", "missing") == 2
assert r.dbsize() == 499
try:
    r.incr(b"bin\x00key\xff3")
    sys.exit("incr of a non-integer succeeded")
except redis.ResponseError as e:
    assert str(e) == "value is not an integer or out of range", str(e)
print("ok")
)";
  ProcessResult r = RunRedisPy(s_.resp_port, script, {}, kTimeout);
  EXPECT_EQ(r.exit, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok\n") << r.err;
}

TEST_F(RespClientsTest, PythonRedisExpiryScanAndInfo) {
  const std::string script = R"(
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
assert r.set("s", "v", ex=100) is True
assert 0 < r.ttl("s") <= 100, r.ttl("s")
assert 0 < r.pttl("s") <= 100000
assert r.set("s", "w", nx=True) is None
assert r.set("s", "w", xx=True, get=True) == b"v"
assert r.ttl("s") == -1                       # a SET without KEEPTTL drops the expiry
assert r.set("p", "v", px=100000, keepttl=False) is True
assert r.expire("p", 10) is True
assert r.persist("p") is True
assert r.ttl("p") == -1
assert r.ttl("missing") == -2
assert r.expire("missing", 10) is False
p = r.pipeline(transaction=False)
for i in range(1200):
    p.set(b"scan\x00" + str(i).encode(), i)
p.execute()
seen = set(r.scan_iter(match=b"scan\x00*", count=50))
assert seen == {b"scan\x00" + str(i).encode() for i in range(1200)}, len(seen)
assert len(list(r.scan_iter(count=1000))) >= 1202
info = r.info()
assert info["redis_version"] == "7.0.0", info.get("redis_version")
assert info["role"] == "master"
assert info["db0"]["keys"] == 1202, info["db0"]
assert r.info("keyspace") == {"db0": {"keys": 1202, "expires": 0, "avg_ttl": 0}}, r.info("keyspace")
try:
    r.set("k", "v", ex=0)
    sys.exit("SET EX 0 succeeded")
except redis.ResponseError as e:
    assert str(e) == "invalid expire time in 'set' command", str(e)
print("ok")
)";
  ProcessResult r = RunRedisPy(s_.resp_port, script, {}, kTimeout);
  EXPECT_EQ(r.exit, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok\n") << r.err;
}

TEST_F(RespClientsTest, AcknowledgedRespWritesSurviveKill9AndAreVisibleOverJson) {
  std::string input;
  for (int i = 0; i < 300; ++i) input += RespCommand({"SET", StrCat("k", i), "v"});
  input += RespCommand({"INCRBY", "c", "300"});
  ProcessResult r = RedisCli(s_.resp_port, {"--pipe"}, input, kTimeout);
  ASSERT_THAT(r.out, HasSubstr("errors: 0, replies: 301"));
  s_.server->Kill();
  std::unique_ptr<ServerProcess> again = ServerProcess::Start(dir_.path());
  ASSERT_NE(again, nullptr);
  auto sock = LineSocket::Connect(again->host(), again->port());
  ASSERT_NE(sock, nullptr);
  ASSERT_TRUE(
      sock->SendAll("{\"id\":1,\"method\":\"dbsize\"}\n{\"id\":2,\"method\":\"get\","
                    "\"args\":[\"c\"]}\n",
                    Within(kTimeout)));
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "{\"id\":1,\"result\":301}");
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "{\"id\":2,\"result\":\"300\"}");
}

// Raw bytes: a malformed frame or a limit gets Redis's error, then the connection closes.
// Expiries set over RESP are logged like any write: after kill -9 the deadlines, the removed
// expiry and the keys an expiry in the past deleted are as acknowledged.
TEST_F(RespClientsTest, AcknowledgedRespExpiriesSurviveKill9) {
  std::string input;
  input += RespCommand({"SET", "ttl", "v", "EX", "1000"});
  input += RespCommand({"SET", "persisted", "v", "PX", "1000000"});
  input += RespCommand({"PERSIST", "persisted"});
  input += RespCommand({"SET", "gone", "v"});
  input += RespCommand({"EXPIREAT", "gone", "1"});
  input += RespCommand({"SET", "later", "v"});
  input += RespCommand({"PEXPIREAT", "later", "4102444800000"});  // 2100-01-01
  ProcessResult r = RedisCli(s_.resp_port, {"--pipe"}, input, kTimeout);
  ASSERT_THAT(r.out, HasSubstr("errors: 0, replies: 7")) << r.out << r.err;
  s_.server->Kill();
  RespServer again = StartRespServer(dir_.path());
  ASSERT_NE(again.server, nullptr);
  auto cli = [&](const std::vector<std::string>& args) {
    ProcessResult out = RedisCli(again.resp_port, args);
    EXPECT_EQ(out.exit, 0) << out.err;
    return out.out;
  };
  const int ttl = std::stoi(cli({"TTL", "ttl"}));
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 1000);
  EXPECT_EQ(cli({"TTL", "persisted"}), "-1\n");
  EXPECT_EQ(cli({"EXISTS", "gone"}), "0\n");
  const int64_t later = std::stoll(cli({"PTTL", "later"}));
  EXPECT_GT(later, int64_t{1000} * 86400 * 365);
  EXPECT_EQ(cli({"DBSIZE"}), "3\n");
}

TEST_F(RespClientsTest, ProtocolErrorsAndLimitsAnswerThenClose) {
  struct Case {
    std::string input;
    std::string reply;
  };
  const Case cases[] = {
      {"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r"},
      {"*1\r\n$536870913\r\n", "-ERR Protocol error: invalid bulk length\r"},
      {"*1048577\r\n", "-ERR Protocol error: invalid multibulk length\r"},
      {"*1\r\nGET\r\n", "-ERR Protocol error: expected '$', got 'G'\r"},
      {std::string(70000, 'a'), "-ERR Protocol error: too big inline request\r"},
      {"GET \"open\r\n", "-ERR Protocol error: unbalanced quotes in request\r"},
  };
  for (const Case& c : cases) {
    auto sock = LineSocket::Connect("127.0.0.1", s_.resp_port);
    ASSERT_NE(sock, nullptr);
    ASSERT_TRUE(sock->SendAll(RespCommand({"PING"}) + c.input, Within(kTimeout)));
    EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "+PONG\r");
    EXPECT_EQ(sock->ReadLine(Within(kTimeout)), c.reply) << c.input.substr(0, 20);
    EXPECT_TRUE(sock->WaitForEof(Within(kTimeout))) << c.input.substr(0, 20);
  }
  EXPECT_EQ(Cli({"PING"}), "PONG\n");
}

TEST_F(RespClientsTest, QuitAnswersOkThenCloses) {
  auto sock = LineSocket::Connect("127.0.0.1", s_.resp_port);
  ASSERT_NE(sock, nullptr);
  ASSERT_TRUE(sock->SendAll("SET a 1\r\nQUIT\r\nGET a\r\n", Within(kTimeout)));
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "+OK\r");
  EXPECT_EQ(sock->ReadLine(Within(kTimeout)), "+OK\r");
  EXPECT_TRUE(sock->WaitForEof(Within(kTimeout)));
}

// Pipelined SET then GET on one connection: the GET sees the SET (read-your-writes), and the
// replies come back in order.
TEST_F(RespClientsTest, PipelinedWritesThenReadsAnswerInOrder) {
  auto sock = LineSocket::Connect("127.0.0.1", s_.resp_port);
  ASSERT_NE(sock, nullptr);
  std::string input;
  for (int i = 0; i < 100; ++i) {
    input += RespCommand({"SET", "p", std::to_string(i)}) + RespCommand({"GET", "p"}) +
             RespCommand({"INCR", "c"});
  }
  ASSERT_TRUE(sock->SendAll(input, Within(kTimeout)));
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(sock->ReadLine(Within(kTimeout)), "+OK\r");
    ASSERT_EQ(sock->ReadLine(Within(kTimeout)),
              StrCat("$", std::to_string(i).size()) + "\r");
    ASSERT_EQ(sock->ReadLine(Within(kTimeout)), std::to_string(i) + "\r");
    ASSERT_EQ(sock->ReadLine(Within(kTimeout)), StrCat(":", i + 1) + "\r");
  }
}

}  // namespace
}  // namespace walkv::e2e

namespace walkv::e2e {
namespace {

// A RESP client that pipelines big reads and never reads the replies is paused (backpressure),
// not buffered without bound, and the server keeps serving everyone else.
TEST_F(RespClientsTest, AClientThatNeverReadsIsPausedNotBufferedForever) {
  const std::string big(1 << 20, 'x');
  ASSERT_EQ(RedisCli(s_.resp_port, {"-x", "SET", "big"}, big).out, "OK\n");
  auto hog = LineSocket::Connect("127.0.0.1", s_.resp_port);
  ASSERT_NE(hog, nullptr);
  std::string gets;
  for (int i = 0; i < 200; ++i) gets += RespCommand({"GET", "big"});  // 200 MiB of replies
  ASSERT_TRUE(hog->SendAll(gets, Within(kTimeout)));

  auto json = LineSocket::Connect(s_.server->host(), s_.server->port());
  ASSERT_NE(json, nullptr);
  // Poll info (each answer is a fresh reading) until the hog's connection shows as paused.
  bool paused = false;
  const auto deadline = Within(kTimeout);
  while (!paused && Clock::now() < deadline) {
    ASSERT_TRUE(json->SendAll("{\"method\":\"info\"}\n", deadline));
    const std::optional<std::string> line = json->ReadLine(deadline);
    ASSERT_TRUE(line.has_value());
    paused = line->find("\"connections_paused\":1") != std::string::npos;
  }
  EXPECT_TRUE(paused) << "the connection that does not read was never paused";
  EXPECT_EQ(RedisCli(s_.resp_port, {"PING"}).out, "PONG\n");
  hog->Abort();
  EXPECT_EQ(RedisCli(s_.resp_port, {"STRLEN", "big"}).out, "1048576\n");
}

}  // namespace
}  // namespace walkv::e2e

namespace walkv::e2e {
namespace {

// Bytes that are not text (NUL, CR LF, 0xFF, invalid UTF-8) in keys and values survive a
// snapshot (SAVE), more writes in the log after it, and kill -9.
TEST_F(RespClientsTest, BinaryKeysAndValuesSurviveSnapshotLogAndKill9) {
  const std::string script = R"(
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
keys = [bytes([i, 0, 255, 13, 10, 0xc3]) for i in range(256)]
if sys.argv[2] == "write":
    p = r.pipeline(transaction=False)
    for k in keys[:128]:
        p.set(k, k * 3 + b"\xff\xfe")
    p.execute()
    assert r.save()
    p = r.pipeline(transaction=False)
    for k in keys[128:]:
        p.set(k, k * 3 + b"\xff\xfe")
    p.execute()
else:
    assert r.dbsize() == 256, r.dbsize()
    assert r.mget(keys) == [k * 3 + b"\xff\xfe" for k in keys]
print("ok")
)";
  ProcessResult w = RunRedisPy(s_.resp_port, script, {"write"}, kTimeout);
  ASSERT_EQ(w.out, "ok\n") << w.err;
  s_.server->Kill();
  RespServer again = StartRespServer(dir_.path());
  ASSERT_NE(again.server, nullptr);
  EXPECT_THAT(again.server->stderr_text(), HasSubstr("256 keys loaded"));
  ProcessResult r = RunRedisPy(again.resp_port, script, {"read"}, kTimeout);
  EXPECT_EQ(r.out, "ok\n") << r.err;
}

// SIGTERM with RESP connections open (one idle, one that sent commands and does not read):
// every command already read is answered, the connections are closed, the server exits 0.
TEST_F(RespClientsTest, SigtermWithRespConnectionsOpenDrainsAndExitsZero) {
  auto idle = LineSocket::Connect("127.0.0.1", s_.resp_port);
  auto busy = LineSocket::Connect("127.0.0.1", s_.resp_port);
  ASSERT_NE(idle, nullptr);
  ASSERT_NE(busy, nullptr);
  ASSERT_TRUE(busy->SendAll("SET a 1\r\nINCR n\r\n", Within(kTimeout)));
  EXPECT_EQ(busy->ReadLine(Within(kTimeout)), "+OK\r");
  EXPECT_EQ(busy->ReadLine(Within(kTimeout)), ":1\r");
  ASSERT_TRUE(busy->SendAll("INCR n\r\n", Within(kTimeout)));
  EXPECT_EQ(busy->ReadLine(Within(kTimeout)), ":2\r");
  EXPECT_EQ(s_.server->Terminate(), 0);
  EXPECT_TRUE(idle->WaitForEof(Within(kTimeout)));
  EXPECT_TRUE(busy->WaitForEof(Within(kTimeout)));
}

}  // namespace
}  // namespace walkv::e2e
