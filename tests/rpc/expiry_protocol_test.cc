// The expiry methods over the JSON protocol, served by the real engine on the in-memory
// FaultInjectionEnv with a manual clock: SET's Redis-style option words, the results Redis gives
// (ttl/pttl -2/-1, expire/persist 1/0, set NX -> null, set GET -> old value) and INVALID_ARGUMENT
// with a reason for bad options; the same options as keyword arguments ({"ex": 10}, {"nx": true}).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "tests/rpc/manual_clock_server.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr uint64_t kStartMs = kManualClockStartMs;

using ExpiryProtocolTest = ManualClockServerTest;

TEST_F(ExpiryProtocolTest, SetOptionsTtlAndPersistAnswerLikeRedis) {
  EXPECT_EQ(Result("ttl", {"k"}), -2);
  EXPECT_EQ(Result("set", {"k", "v"}), true);
  EXPECT_EQ(Result("ttl", {"k"}), -1);
  EXPECT_EQ(Result("set", {"k", "v", "EX", "10"}), true);
  EXPECT_EQ(Result("ttl", {"k"}), 10);
  EXPECT_EQ(Result("pttl", {"k"}), 10000);
  EXPECT_EQ(Result("set", {"k", "w", "nx"}), nullptr);
  EXPECT_EQ(Result("set", {"k", "w", "xx", "get", "keepttl"}), "v");
  EXPECT_EQ(Result("pttl", {"k"}), 10000);
  EXPECT_EQ(Result("set", {"new", "x", "XX"}), nullptr);
  EXPECT_EQ(Result("set", {"new", "x", "GET"}), nullptr);  // no old value
  EXPECT_EQ(Result("set", {"p", "1", "PX", "50"}), true);
  EXPECT_EQ(Result("persist", {"p"}), 1);
  EXPECT_EQ(Result("persist", {"p"}), 0);
  EXPECT_EQ(Result("pexpire", {"p", "250"}), 1);
  EXPECT_EQ(Result("pttl", {"p"}), 250);
  EXPECT_EQ(Result("expire", {"absent", "5"}), 0);
  EXPECT_EQ(Result("expireat", {"p", std::to_string(kStartMs / 1000 + 100)}), 1);
  EXPECT_EQ(Result("ttl", {"p"}), 100);
  EXPECT_EQ(Result("pexpireat", {"p", std::to_string(kStartMs + 7)}), 1);
  EXPECT_EQ(Result("pttl", {"p"}), 7);
  EXPECT_EQ(Result("set", {"a", "1", "PXAT", std::to_string(kStartMs + 20)}), true);
  EXPECT_EQ(Result("pttl", {"a"}), 20);
  env_.AdvanceClock(20'000);
  EXPECT_EQ(Result("get", {"a"}), nullptr);
  EXPECT_EQ(Result("exists", {"a", "k"}), 1);
  EXPECT_EQ(Result("strlen", {"a"}), 0);
  EXPECT_EQ(Result("mget", {"a", "k"}), json({nullptr, "w"}));
  EXPECT_EQ(Result("keys", json::array()), json({"k", "new"}));  // not "a" nor "p"
  EXPECT_EQ(Result("expire", {"k", "0"}), 1);  // deletes
  EXPECT_EQ(Result("get", {"k"}), nullptr);
  // key and value still go by name; options are positional words.
  EXPECT_EQ(Result("set", json::array(), {{"key", "kw"}, {"value", "v"}}), true);
  EXPECT_EQ(Result("get", {"kw"}), "v");
}

TEST_F(ExpiryProtocolTest, BadOptionsAreInvalidArgumentWithAReason) {
  const struct {
    json args;
    std::string message_part;
  } cases[] = {
      {{"k", "v", "EX"}, "needs a number"},
      {{"k", "v", "EX", "ten"}, "invalid expire time"},
      {{"k", "v", "PX", "0"}, "invalid expire time"},
      {{"k", "v", "EX", "-1"}, "invalid expire time"},
      {{"k", "v", "EX", "9223372036854775807"}, "invalid expire time"},
      {{"k", "v", "NX", "XX"}, "NX and XX"},
      {{"k", "v", "EX", "1", "PX", "1"}, "only one of"},
      {{"k", "v", "KEEPTTL", "EX", "1"}, "only one of"},
      {{"k", "v", "SOON"}, "unknown option"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args.dump());
    json r = Result("set", c.args);
    ASSERT_TRUE(r.is_object() && r.contains("error")) << r.dump();
    EXPECT_EQ(r["error"]["code"], "INVALID_ARGUMENT");
    EXPECT_NE(r["error"]["message"].get<std::string>().find(c.message_part), std::string::npos)
        << r.dump();
  }
  json r = Result("expire", {"k", "soon"});
  EXPECT_EQ(r["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(Result("get", {"k"}), nullptr);  // nothing was written
}

TEST_F(ExpiryProtocolTest, SetOptionKwargsMeanWhatThePositionalWordsMean) {
  EXPECT_EQ(Result("set", {"k", "v"}, {{"ex", 10}}), true);
  EXPECT_EQ(Result("ttl", {"k"}), 10);
  EXPECT_EQ(Result("set", {"k", "v"}, {{"px", "2500"}}), true);  // a numeric string
  EXPECT_EQ(Result("pttl", {"k"}), 2500);
  EXPECT_EQ(Result("set", {"k", "w"}, {{"nx", true}}), nullptr);
  EXPECT_EQ(Result("set", {"k", "w"}, {{"xx", true}, {"get", true}, {"keepttl", true}}), "v");
  EXPECT_EQ(Result("pttl", {"k"}), 2500);  // KEEPTTL kept it
  EXPECT_EQ(Result("set", {"k", "x"}, {{"nx", false}, {"get", false}}), true);  // false: absent
  EXPECT_EQ(Result("ttl", {"k"}), -1);
  EXPECT_EQ(Result("set", {"new", "x"}, {{"xx", true}}), nullptr);
  EXPECT_EQ(Result("exists", {"new"}), 0);
  EXPECT_EQ(Result("set", json::array(), {{"key", "a"}, {"value", "1"}, {"pxat", kStartMs + 20}}),
            true);
  EXPECT_EQ(Result("pttl", {"a"}), 20);
  EXPECT_EQ(Result("set", {"b", "1"}, {{"exat", std::to_string(kStartMs / 1000 + 30)}}), true);
  EXPECT_EQ(Result("ttl", {"b"}), 30);
  env_.AdvanceClock(21'000);
  EXPECT_EQ(Result("get", {"a"}), nullptr);
  EXPECT_EQ(Result("get", {"b"}), "1");
}

TEST_F(ExpiryProtocolTest, SetOptionKwargsOfTheWrongTypeAreInvalidArgument) {
  const struct {
    json kwargs;
    std::string message_part;
  } cases[] = {
      {{{"ex", true}}, "ex must be an integer (a number or a numeric string), got boolean"},
      {{{"px", 1.5}}, "px must be an integer"},
      {{{"exat", nullptr}}, "exat must be an integer"},
      {{{"pxat", json::array()}}, "got array"},
      {{{"ex", "ten"}}, "invalid expire time"},
      {{{"ex", 0}}, "invalid expire time"},
      {{{"px", -5}}, "invalid expire time"},
      {{{"nx", 1}}, "nx must be true or false, got number"},
      {{{"keepttl", "true"}}, "keepttl must be true or false, got string"},
      {{{"get", json::object()}}, "got object"},
      {{{"ex", 1}, {"px", 1}}, "only one of"},
      {{{"nx", true}, {"xx", true}}, "NX and XX"},
      {{{"soon", true}}, "no parameter named \"soon\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.kwargs.dump());
    json r = Result("set", {"k", "v"}, c.kwargs);
    ASSERT_TRUE(r.is_object() && r.contains("error")) << r.dump();
    EXPECT_EQ(r["error"]["code"], "INVALID_ARGUMENT");
    EXPECT_NE(r["error"]["message"].get<std::string>().find(c.message_part), std::string::npos)
        << r.dump();
  }
  // The keyword's words go after the positional ones: an EX word and an ex keyword conflict.
  json r = Result("set", {"k", "v", "EX", "5"}, {{"ex", 5}});
  EXPECT_EQ(r["error"]["code"], "INVALID_ARGUMENT");
  // Only set takes them: elsewhere a number is still not a string.
  r = Result("get", json::array(), {{"key", 5}});
  EXPECT_EQ(r["error"]["message"], "get: key must be a string, got number");
  r = Result("expire", {"k"}, {{"ex", 5}});
  EXPECT_EQ(r["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(Result("get", {"k"}), nullptr);  // nothing was written
}

}  // namespace
}  // namespace walkv::rpc
