// PlanCommand and AppendRespOutcome (rpc/resp_commands.h): which method of the one table a RESP
// command becomes, Redis's error texts, the reply mapping, AUTH/NOAUTH; AuthToken (rpc/auth.h).
#include "rpc/resp_commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "rpc/auth.h"
#include "rpc/keyspace_methods.h"
#include "tests/util/temp_dir.h"
#include "engine/str_cat.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

struct Planned {
  RespPlan plan;
  const RespImmediate* immediate() const { return std::get_if<RespImmediate>(&plan); }
  const RespMethodCalls* calls() const { return std::get_if<RespMethodCalls>(&plan); }
};

Planned PlanFor(std::vector<std::string> args, RespSession& session,
                const AuthToken& auth = AuthToken()) {
  return Planned{PlanCommand(args, session, auth)};
}

std::string ReplyTo(std::vector<std::string> args, RespSession& session,
                    const AuthToken& auth = AuthToken()) {
  Planned p = PlanFor(std::move(args), session, auth);
  return p.immediate() != nullptr ? p.immediate()->reply : "<method call>";
}

class RespCommandsTest : public ::testing::Test {
 protected:
  RespSession session_{.id = 7, .protocol = 2, .authenticated = true, .name = ""};
};

TEST_F(RespCommandsTest, DataCommandsAreCallsOfTheMethodTable) {
  struct Case {
    std::vector<std::string> args;
    std::string method;
    std::vector<std::string> call_args;
    RespReply reply;
  };
  const std::string binary("\xff\x00\r\n", 4);
  const Case cases[] = {
      {{"PING"}, "ping", {}, RespReply::kStatus},
      {{"set", binary, binary}, "set", {binary, binary}, RespReply::kOk},
      {{"GET", "k"}, "get", {"k"}, RespReply::kBulkOrNull},
      {{"exists", "a", "b", "a"}, "exists", {"a", "b", "a"}, RespReply::kInteger},
      {{"MGET", "a", "b"}, "mget", {"a", "b"}, RespReply::kArrayOfBulks},
      {{"MSET", "a", "1", "b", "2"}, "mset", {"a", "1", "b", "2"}, RespReply::kOk},
      {{"msetnx", "a", "1"}, "msetnx", {"a", "1"}, RespReply::kInteger},
      {{"incr", "c"}, "incr", {"c"}, RespReply::kInteger},
      {{"incrby", "c", "-5"}, "incrby", {"c", "-5"}, RespReply::kInteger},
      {{"decr", "c"}, "decr", {"c"}, RespReply::kInteger},
      {{"decrby", "c", "5"}, "decrby", {"c", "5"}, RespReply::kInteger},
      {{"append", "k", "v"}, "append", {"k", "v"}, RespReply::kInteger},
      {{"strlen", "k"}, "strlen", {"k"}, RespReply::kInteger},
      {{"keys", "a*"}, "keys", {"a*"}, RespReply::kArrayOfBulks},
      {{"dbsize"}, "dbsize", {}, RespReply::kInteger},
      {{"flushall"}, "flushall", {}, RespReply::kOk},
      {{"FLUSHDB", "async"}, "flushall", {}, RespReply::kOk},
      {{"info", "server"}, "info", {"server"}, RespInfoReply(RespInfoSectionsFor({"server"}))},
      {{"ttl", "k"}, "ttl", {"k"}, RespReply::kInteger},
      {{"PTTL", "k"}, "pttl", {"k"}, RespReply::kInteger},
      {{"persist", "k"}, "persist", {"k"}, RespReply::kInteger},
      {{"expire", "k", "10"}, "expire", {"k", "10"}, RespReply::kInteger},
      {{"PEXPIRE", "k", "-1"}, "pexpire", {"k", "-1"}, RespReply::kInteger},
      {{"expireat", "k", "1"}, "expireat", {"k", "1"}, RespReply::kInteger},
      {{"pexpireat", "k", "1700000000000"},
       "pexpireat",
       {"k", "1700000000000"},
       RespReply::kInteger},
      {{"SAVE"}, "snapshot", {}, RespReply::kOk},
      {{"REPLICAOF", "no", "one"}, "promote", {}, RespReply::kOk},
      {{"SLAVEOF", "NO", "ONE"}, "promote", {}, RespReply::kOk},
  };
  for (const Case& c : cases) {
    Planned p = PlanFor(c.args, session_);
    ASSERT_NE(p.calls(), nullptr) << c.args[0] << ": " << p.immediate()->reply;
    ASSERT_EQ(p.calls()->calls.size(), 1u);
    const Call& call = p.calls()->calls[0];
    EXPECT_EQ(call.method->name, c.method);
    EXPECT_EQ(&MethodTable()[call.method_index], call.method);
    EXPECT_EQ(call.args, c.call_args) << c.args[0];
    EXPECT_EQ(p.calls()->reply, c.reply) << c.args[0];
  }
}

TEST_F(RespCommandsTest, MsetWithAKeyWithoutItsValueIsRedisArityError) {
  EXPECT_EQ(ReplyTo({"MSET", "a", "1", "b"}, session_),
            "-ERR wrong number of arguments for 'mset' command\r\n");
  EXPECT_EQ(ReplyTo({"msetnx", "a"}, session_),
            "-ERR wrong number of arguments for 'msetnx' command\r\n");
}

TEST_F(RespCommandsTest, DelOfSeveralKeysIsOneDeleteCallPerKey) {
  Planned p = PlanFor({"DEL", "a", "b", "c"}, session_);
  ASSERT_NE(p.calls(), nullptr);
  ASSERT_EQ(p.calls()->calls.size(), 3u);
  for (const Call& call : p.calls()->calls) EXPECT_EQ(call.method->name, "delete");
  EXPECT_EQ(p.calls()->calls[2].args, std::vector<std::string>{"c"});
}

TEST_F(RespCommandsTest, RedisErrorTexts) {
  EXPECT_EQ(ReplyTo({"GET"}, session_), "-ERR wrong number of arguments for 'get' command\r\n");
  // Found by resp_parser_fuzzer: PING with two arguments reached the ping method with them.
  EXPECT_EQ(ReplyTo({"PING", "a", "b"}, session_),
            "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_EQ(ReplyTo({"get", "a", "b"}, session_),
            "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(ReplyTo({"LPUSH", "list", "x"}, session_),
            "-ERR unknown command 'LPUSH', with args beginning with: 'list' 'x' \r\n");
  EXPECT_EQ(ReplyTo({"nope"}, session_),
            "-ERR unknown command 'nope', with args beginning with: \r\n");
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "bogus"}, session_), "-ERR syntax error\r\n");
  EXPECT_EQ(ReplyTo({"INCRBY", "k", "x"}, session_),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(ReplyTo({"SELECT", "x"}, session_), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(ReplyTo({"SELECT", "1"}, session_), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(ReplyTo({"SELECT", "0"}, session_), "+OK\r\n");
  EXPECT_EQ(ReplyTo({"FLUSHALL", "later"}, session_), "-ERR syntax error\r\n");
  EXPECT_EQ(ReplyTo({"CONFIG", "nope"}, session_),
            "-ERR unknown subcommand 'nope'. Try CONFIG HELP.\r\n");
  EXPECT_EQ(ReplyTo({"HELLO", "4"}, session_), "-NOPROTO unsupported protocol version\r\n");
  // An unknown command's arguments are shown up to 128 bytes.
  const std::string reply = ReplyTo({"x", std::string(300, 'a')}, session_);
  EXPECT_LT(reply.size(), 220u);
}

TEST_F(RespCommandsTest, KeyOverTheMethodTablesLimitIsAnError) {
  EXPECT_THAT(ReplyTo({"GET", std::string(kMaxKeyBytes + 1, 'k')}, session_),
              HasSubstr("-ERR key is longer than walkv's limit of 65536 bytes"));
}

TEST_F(RespCommandsTest, ConnectionCommands) {
  EXPECT_EQ(ReplyTo({"ECHO", "hi"}, session_), "$2\r\nhi\r\n");
  EXPECT_EQ(ReplyTo({"PING", "hi"}, session_), "$2\r\nhi\r\n");
  EXPECT_EQ(ReplyTo({"CLIENT", "ID"}, session_), ":7\r\n");
  EXPECT_EQ(ReplyTo({"CLIENT", "GETNAME"}, session_), "$-1\r\n");
  EXPECT_EQ(ReplyTo({"CLIENT", "SETNAME", "app"}, session_), "+OK\r\n");
  EXPECT_EQ(ReplyTo({"CLIENT", "GETNAME"}, session_), "$3\r\napp\r\n");
  EXPECT_EQ(ReplyTo({"CLIENT", "SETINFO", "lib-name", "redis-py"}, session_), "+OK\r\n");
  EXPECT_EQ(ReplyTo({"CONFIG", "GET", "save"}, session_), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  EXPECT_EQ(ReplyTo({"CONFIG", "GET", "appendonly", "nothing-like-this"}, session_),
            "*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n");
  EXPECT_EQ(ReplyTo({"COMMAND", "COUNT"}, session_),
            StrCat(":", RespCommandNames().size()) + "\r\n");
  EXPECT_THAT(ReplyTo({"COMMAND", "DOCS", "get"}, session_), HasSubstr("summary"));
  Planned quit = PlanFor({"QUIT"}, session_);
  ASSERT_NE(quit.immediate(), nullptr);
  EXPECT_TRUE(quit.immediate()->close_after);
}

TEST_F(RespCommandsTest, Hello3SwitchesTheSessionToResp3) {
  const std::string reply = ReplyTo({"HELLO", "3"}, session_);
  EXPECT_EQ(session_.protocol, 3);
  EXPECT_THAT(reply, ::testing::StartsWith("%7\r\n"));
  EXPECT_THAT(reply, HasSubstr("$4\r\nrole\r\n$6\r\nmaster\r\n"));
  EXPECT_EQ(ReplyTo({"CLIENT", "GETNAME"}, session_), "_\r\n");
  std::string out;
  AppendRespOutcome(out, RespReply::kBulkOrNull, json(nullptr), session_.protocol);
  EXPECT_EQ(out, "_\r\n");
}

TEST_F(RespCommandsTest, MethodResultsBecomeRespReplies) {
  auto reply = [](RespReply kind, const MethodResult& r) {
    std::string out;
    AppendRespOutcome(out, kind, r, 2);
    return out;
  };
  EXPECT_EQ(reply(RespReply::kOk, json(true)), "+OK\r\n");
  EXPECT_EQ(reply(RespReply::kStatus, json("PONG")), "+PONG\r\n");
  EXPECT_EQ(reply(RespReply::kInteger, json(true)), ":1\r\n");
  EXPECT_EQ(reply(RespReply::kInteger, json(-3)), ":-3\r\n");
  EXPECT_EQ(reply(RespReply::kInteger, json(uint64_t{5})), ":5\r\n");
  EXPECT_EQ(reply(RespReply::kBulkOrNull, json(std::string("\xff\0", 2))),
            std::string("$2\r\n\xff\0\r\n", 8));
  EXPECT_EQ(reply(RespReply::kBulkOrNull, json(nullptr)), "$-1\r\n");
  EXPECT_EQ(reply(RespReply::kArrayOfBulks, json::array({"a", nullptr})),
            "*2\r\n$1\r\na\r\n$-1\r\n");
  EXPECT_EQ(reply(RespReply::kInteger,
                  Failure{ErrorCode::kInvalidArgument, "value is not an integer or out of range"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(reply(RespReply::kOk, Failure{ErrorCode::kStorageError, "fdatasync: EIO"}),
            "-STORAGE_ERROR fdatasync: EIO\r\n");
  EXPECT_EQ(reply(RespReply::kOkOrNull, json(true)), "+OK\r\n");
  EXPECT_EQ(reply(RespReply::kOkOrNull, json(nullptr)), "$-1\r\n");
  EXPECT_EQ(reply(RespReply::kScan, json::array({"17", json::array({"a", "bc"})})),
            "*2\r\n$2\r\n17\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
  EXPECT_EQ(reply(RespReply::kScanNoKeys, json::array({"17", json::array({"a"})})),
            "*2\r\n$2\r\n17\r\n*0\r\n");
  // The flat counters of `info` without arguments are read too.
  const std::string info =
      reply(RespInfoReply(RespInfoSectionsFor({})), json{{"keys", 3}, {"uptime_seconds", 9}});
  EXPECT_THAT(info, HasSubstr("redis_version:7.0.0\r\n"));
  EXPECT_THAT(info, HasSubstr("role:master\r\n"));
  EXPECT_THAT(info, HasSubstr("db0:keys=3,"));
}

// SET's options, checked with Redis 7's rules, reach the `set` method in one canonical order.
TEST_F(RespCommandsTest, SetOptionsBecomeTheSetMethodsOptions) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> call_args;
    RespReply reply;
  };
  const Case cases[] = {
      {{"SET", "k", "v", "ex", "10"}, {"k", "v", "EX", "10"}, RespReply::kOk},
      {{"SET", "k", "v", "PX", "1500", "NX"}, {"k", "v", "PX", "1500", "NX"}, RespReply::kOkOrNull},
      {{"SET", "k", "v", "xx", "exat", "4000000000"},
       {"k", "v", "EXAT", "4000000000", "XX"},
       RespReply::kOkOrNull},
      {{"SET", "k", "v", "GET", "PXAT", "1"},
       {"k", "v", "PXAT", "1", "GET"},
       RespReply::kBulkOrNull},
      {{"SET", "k", "v", "KEEPTTL", "XX", "GET"},
       {"k", "v", "KEEPTTL", "XX", "GET"},
       RespReply::kBulkOrNull},
      {{"SET", "k", "v", "NX", "GET"}, {"k", "v", "NX", "GET"}, RespReply::kBulkOrNull},
      // Like Redis: a repeated EX is allowed and the last one wins.
      {{"SET", "k", "v", "EX", "1", "EX", "2"}, {"k", "v", "EX", "2"}, RespReply::kOk},
      // The older string commands are SETs with options.
      {{"SETNX", "k", "v"}, {"k", "v", "NX"}, RespReply::kInteger},
      {{"SETEX", "k", "10", "v"}, {"k", "v", "EX", "10"}, RespReply::kOk},
      {{"psetex", "k", "1500", "v"}, {"k", "v", "PX", "1500"}, RespReply::kOk},
      {{"GETSET", "k", "v"}, {"k", "v", "GET"}, RespReply::kBulkOrNull},
  };
  for (const Case& c : cases) {
    Planned p = PlanFor(c.args, session_);
    ASSERT_NE(p.calls(), nullptr) << ::testing::PrintToString(c.args) << ": "
                                  << p.immediate()->reply;
    const Call& call = p.calls()->calls.at(0);
    EXPECT_EQ(call.method->name, "set");
    EXPECT_EQ(call.args, c.call_args);
    EXPECT_EQ(p.calls()->reply, c.reply) << ::testing::PrintToString(c.args);
  }
}

TEST_F(RespCommandsTest, SetOptionErrorsAreRedisTexts) {
  const std::string syntax = "-ERR syntax error\r\n";
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "NX", "XX"}, session_), syntax);
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "EX", "1", "PX", "1"}, session_), syntax);
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "EX", "1", "KEEPTTL"}, session_), syntax);
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "KEEPTTL", "EX", "1"}, session_), syntax);
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "EX"}, session_), syntax);
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "bogus"}, session_), syntax);
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "EX", "ten"}, session_),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "EX", "99999999999999999999"}, session_),
            "-ERR value is not an integer or out of range\r\n");
  const std::string invalid = "-ERR invalid expire time in 'set' command\r\n";
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "EX", "0"}, session_), invalid);
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "PX", "-5"}, session_), invalid);
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "EXAT", "0"}, session_), invalid);
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "EX", "9223372036854775"}, session_), invalid);     // * 1000
  EXPECT_EQ(ReplyTo({"SET", "k", "v", "PX", "9223372036854775807"}, session_), invalid);  // + now
  EXPECT_EQ(ReplyTo({"SETEX", "k", "0", "v"}, session_),
            "-ERR invalid expire time in 'setex' command\r\n");
  EXPECT_EQ(ReplyTo({"PSETEX", "k", "-1", "v"}, session_),
            "-ERR invalid expire time in 'psetex' command\r\n");
  EXPECT_EQ(ReplyTo({"SETEX", "k", "ten", "v"}, session_),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(ReplyTo({"SETEX", "k", "10"}, session_),
            "-ERR wrong number of arguments for 'setex' command\r\n");
  EXPECT_EQ(ReplyTo({"SETNX", "k"}, session_),
            "-ERR wrong number of arguments for 'setnx' command\r\n");
}

TEST_F(RespCommandsTest, ExpireErrorsAreRedisTexts) {
  EXPECT_EQ(ReplyTo({"EXPIRE", "k"}, session_),
            "-ERR wrong number of arguments for 'expire' command\r\n");
  EXPECT_EQ(ReplyTo({"EXPIRE", "k", "soon"}, session_),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(ReplyTo({"EXPIRE", "k", "9223372036854775"}, session_),
            "-ERR invalid expire time in 'expire' command\r\n");
  EXPECT_EQ(ReplyTo({"PEXPIRE", "k", "9223372036854775807"}, session_),
            "-ERR invalid expire time in 'pexpire' command\r\n");
  EXPECT_EQ(ReplyTo({"EXPIREAT", "k", "-9223372036854776"}, session_),
            "-ERR invalid expire time in 'expireat' command\r\n");
  // An absolute time is not added to now: the largest one is accepted.
  EXPECT_NE(PlanFor({"PEXPIREAT", "k", "9223372036854775807"}, session_).calls(), nullptr);
  EXPECT_EQ(ReplyTo({"EXPIRE", "k", "10", "whenever"}, session_),
            "-ERR Unsupported option whenever\r\n");
  EXPECT_THAT(ReplyTo({"EXPIRE", "k", "10", "nx"}, session_),
              ::testing::StartsWith("-ERR EXPIRE option 'NX' is not supported by walkv"));
  EXPECT_EQ(ReplyTo({"TTL"}, session_), "-ERR wrong number of arguments for 'ttl' command\r\n");
  EXPECT_EQ(ReplyTo({"PERSIST", "a", "b"}, session_),
            "-ERR wrong number of arguments for 'persist' command\r\n");
}

TEST_F(RespCommandsTest, ScanBecomesTheScanMethod) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> call_args;
    RespReply reply;
  };
  const Case cases[] = {
      {{"SCAN", "0"}, {"0", "*", "10"}, RespReply::kScan},
      {{"scan", "42", "match", "user:*"}, {"42", "user:*", "10"}, RespReply::kScan},
      {{"SCAN", "0", "COUNT", "1000", "MATCH", "a?"}, {"0", "a?", "1000"}, RespReply::kScan},
      {{"SCAN", "0", "COUNT", "99999999999"},
       {"0", "*", std::to_string(kMaxScanCount)},
       RespReply::kScan},
      {{"SCAN", "0", "TYPE", "string"}, {"0", "*", "10"}, RespReply::kScan},
      {{"SCAN", "0", "TYPE", "list"}, {"0", "*", "10"}, RespReply::kScanNoKeys},
      {{"SCAN", "18446744073709551615"}, {"18446744073709551615", "*", "10"}, RespReply::kScan},
  };
  for (const Case& c : cases) {
    Planned p = PlanFor(c.args, session_);
    ASSERT_NE(p.calls(), nullptr) << ::testing::PrintToString(c.args) << ": "
                                  << p.immediate()->reply;
    EXPECT_EQ(p.calls()->calls.at(0).method->name, "scan");
    EXPECT_EQ(p.calls()->calls.at(0).args, c.call_args);
    EXPECT_EQ(p.calls()->reply, c.reply);
  }
  const std::string invalid_cursor = "-ERR invalid cursor\r\n";
  EXPECT_EQ(ReplyTo({"SCAN", "x"}, session_), invalid_cursor);
  EXPECT_EQ(ReplyTo({"SCAN", "-1"}, session_), invalid_cursor);
  EXPECT_EQ(ReplyTo({"SCAN", " 1"}, session_), invalid_cursor);
  EXPECT_EQ(ReplyTo({"SCAN", ""}, session_), invalid_cursor);
  EXPECT_EQ(ReplyTo({"SCAN", "18446744073709551616"}, session_), invalid_cursor);
  EXPECT_EQ(ReplyTo({"SCAN", "0", "COUNT", "0"}, session_), "-ERR syntax error\r\n");
  EXPECT_EQ(ReplyTo({"SCAN", "0", "COUNT", "many"}, session_),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(ReplyTo({"SCAN", "0", "MATCH"}, session_), "-ERR syntax error\r\n");
  EXPECT_EQ(ReplyTo({"SCAN", "0", "LIMIT", "3"}, session_), "-ERR syntax error\r\n");
  EXPECT_EQ(ReplyTo({"SCAN"}, session_), "-ERR wrong number of arguments for 'scan' command\r\n");
}

TEST_F(RespCommandsTest, InfoAsksTheInfoMethodForTheSectionsItNeeds) {
  struct Case {
    std::vector<std::string> args;
    std::string section;  // the info method's argument
  };
  const Case cases[] = {
      {{"INFO"}, "all"},
      {{"INFO", "keyspace"}, "keyspace"},
      {{"info", "Persistence"}, "persistence"},
      {{"INFO", "commandstats"}, "stats"},
      {{"INFO", "stats", "errorstats"}, "stats"},
      {{"INFO", "server", "keyspace"}, "all"},
      {{"INFO", "everything"}, "all"},
      {{"INFO", "replication"}, "replication"},
  };
  for (const Case& c : cases) {
    Planned p = PlanFor(c.args, session_);
    ASSERT_NE(p.calls(), nullptr) << ::testing::PrintToString(c.args);
    EXPECT_EQ(p.calls()->calls.at(0).method->name, "info");
    EXPECT_EQ(p.calls()->calls.at(0).args, std::vector<std::string>{c.section});
  }
  // Sections with nothing from the engine, and unknown ones (ignored, like Redis), are answered
  // without a call.
  EXPECT_THAT(ReplyTo({"INFO", "cpu", "cluster"}, session_), HasSubstr("\r\n# CPU\r\n"));
  EXPECT_EQ(ReplyTo({"INFO", "nosuch"}, session_), "$0\r\n\r\n");
}

TEST_F(RespCommandsTest, InfoTextHasRedisSectionsAndWalkvFields) {
  const json info = {
      {"server", {{"version", "1.2.3"}, {"pid", 42}, {"port", 7379}, {"uptime_seconds", 90000}}},
      {"clients", {{"connections_current", 3}, {"connections_total", 8}}},
      {"memory", {{"approx_memory_bytes", 1024}}},
      {"persistence",
       {{"log_bytes", 77},
        {"poisoned_reason", ""},
        {"recovery", {{"keys", 5}}},
        {"last_snapshot", {{"unix_micros", 1700000000123456}}}}},
      {"stats",
       {{"requests_total", 12},
        {"ops", {{"get", 4}, {"set", 8}}},
        {"errors", {{"INVALID_ARGUMENT", 2}}}}},
      {"keyspace", {{"keys", 5}}},
  };
  std::string out;
  AppendRespOutcome(out, RespInfoReply(RespInfoSectionsFor({"all"})), info, 2);
  for (const char* line : {"# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\n",
                           "process_id:42\r\n",
                           "tcp_port:7379\r\n",
                           "uptime_in_days:1\r\n",
                           "version:1.2.3\r\n",
                           "\r\n\r\n# Clients\r\nconnected_clients:3\r\n",
                           "used_memory:1024\r\n",
                           "# Persistence\r\nloading:0\r\n",
                           "rdb_last_save_time:1700000000\r\n",
                           "aof_last_write_status:ok\r\n",
                           "recovery_keys:5\r\n",
                           "log_bytes:77\r\n",
                           "total_commands_processed:12\r\n",
                           "total_connections_received:8\r\n",
                           "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n",
                           "# CPU\r\nused_cpu_sys:",
                           "cmdstat_get:calls=4,",
                           "errorstat_INVALID_ARGUMENT:count=2\r\n",
                           "cluster_enabled:0\r\n",
                           "# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n"}) {
    EXPECT_THAT(out, HasSubstr(line));
  }
  // Only the sections asked for.
  out.clear();
  AppendRespOutcome(out, RespInfoReply(RespInfoSectionsFor({"keyspace"})),
                    json{{"keyspace", {{"keys", 5}}}}, 2);
  EXPECT_EQ(out, "$44\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n\r\n");
  // The default leaves commandstats out.
  out.clear();
  AppendRespOutcome(out, RespInfoReply(RespInfoSectionsFor({})), info, 2);
  EXPECT_THAT(out, ::testing::Not(HasSubstr("cmdstat_")));
  EXPECT_THAT(out, HasSubstr("errorstat_"));
  // A replica (docs/replication.md §3): Redis's slave fields, then walkv's, one role line.
  out.clear();
  AppendRespOutcome(out, RespInfoReply(RespInfoSectionsFor({"replication"})),
                    json{{"replication",
                          {{"role", "replica"},
                           {"primary", "127.0.0.1:7379"},
                           {"link", "up"},
                           {"applied_seq", 42},
                           {"lag_records", 0}}}},
                    2);
  EXPECT_THAT(out, HasSubstr("# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\n"
                             "master_port:7379\r\nmaster_link_status:up\r\n"
                             "slave_repl_offset:42\r\n"));
  EXPECT_THAT(out, HasSubstr("lag_records:0\r\n"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("role:replica")));
}

TEST_F(RespCommandsTest, CommandDocsNamesEveryNewCommandWithItsMethodsSummary) {
  const std::string docs = ReplyTo({"COMMAND", "DOCS", "ttl", "scan", "expire"}, session_);
  EXPECT_THAT(docs, HasSubstr(std::string(FindMethod("ttl")->summary)));
  EXPECT_THAT(docs, HasSubstr(std::string(FindMethod("scan")->summary)));
  EXPECT_THAT(docs, HasSubstr("$7\r\ngeneric\r\n"));
  for (const char* name : {"expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl", "persist",
                           "scan", "info", "set"}) {
    EXPECT_NE(std::find(RespCommandNames().begin(), RespCommandNames().end(), name),
              RespCommandNames().end())
        << name;
  }
  EXPECT_EQ(ReplyTo({"COMMAND", "COUNT"}, session_), ":42\r\n");
}

TEST_F(RespCommandsTest, ReplicaOfAHostIsRefusedOnlyNoOnePromotes) {
  EXPECT_THAT(ReplyTo({"REPLICAOF", "10.0.0.1", "7379"}, session_),
              ::testing::StartsWith("-ERR walkv starts following a primary only at startup"));
  EXPECT_EQ(ReplyTo({"REPLICAOF", "NO"}, session_),
            "-ERR wrong number of arguments for 'replicaof' command\r\n");
}

TEST_F(RespCommandsTest, WithATokenOnlyPingAuthHelloAndQuitBeforeAuth) {
  const AuthToken auth("s3cret");
  RespSession fresh{.id = 1, .protocol = 2, .authenticated = false, .name = ""};
  EXPECT_EQ(ReplyTo({"GET", "k"}, fresh, auth), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(ReplyTo({"nosuch"}, fresh, auth), "-NOAUTH Authentication required.\r\n");
  EXPECT_NE(PlanFor({"PING"}, fresh, auth).calls(), nullptr);
  EXPECT_THAT(ReplyTo({"HELLO", "3"}, fresh, auth), ::testing::StartsWith("-NOAUTH"));
  EXPECT_EQ(fresh.protocol, 2);
  EXPECT_EQ(ReplyTo({"AUTH", "wrong"}, fresh, auth),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(ReplyTo({"AUTH", "someone", "s3cret"}, fresh, auth),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_FALSE(fresh.authenticated);
  EXPECT_EQ(ReplyTo({"AUTH", "s3cret"}, fresh, auth), "+OK\r\n");
  EXPECT_TRUE(fresh.authenticated);
  EXPECT_NE(PlanFor({"GET", "k"}, fresh, auth).calls(), nullptr);

  RespSession other{.id = 2, .protocol = 2, .authenticated = false, .name = ""};
  EXPECT_THAT(ReplyTo({"HELLO", "3", "AUTH", "default", "s3cret"}, other, auth),
              ::testing::StartsWith("%7"));
  EXPECT_TRUE(other.authenticated);
}

TEST_F(RespCommandsTest, AuthWithoutATokenIsRedisError) {
  EXPECT_THAT(ReplyTo({"AUTH", "x"}, session_),
              ::testing::StartsWith("-ERR AUTH <password> called without any password configured"));
}

TEST(AuthTokenTest, MatchesOnlyTheExactToken) {
  const AuthToken token("abc123");
  EXPECT_TRUE(token.required());
  EXPECT_TRUE(token.Matches("abc123"));
  for (std::string_view wrong : {"", "abc12", "abc1234", "abc124", "ABC123", "xbc123"}) {
    EXPECT_FALSE(token.Matches(wrong)) << wrong;
  }
  EXPECT_FALSE(AuthToken().required());
  EXPECT_FALSE(AuthToken().Matches(""));
}

TEST(AuthTokenTest, FromFileStripsTheTrailingNewlineAndRefusesEmptyOrMissingFiles) {
  walkv::testing::TempDir dir;
  std::ofstream(dir.Sub("token")) << "t0ken\r\n";
  StatusOr<AuthToken> token = AuthToken::FromFile(dir.Sub("token"));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_TRUE(token->Matches("t0ken"));
  std::ofstream(dir.Sub("empty")) << "\n";
  EXPECT_EQ(AuthToken::FromFile(dir.Sub("empty")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(AuthToken::FromFile(dir.Sub("missing")).ok());
}

}  // namespace
}  // namespace walkv::rpc
