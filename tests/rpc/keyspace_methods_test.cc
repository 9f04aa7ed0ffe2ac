// `scan` and the bounded `keys` over the protocol, in front of the real engine: a scan running
// while another client inserts (growing the tables) and deletes returns every key present
// throughout; count and match are honoured; bad cursors and counts are INVALID_ARGUMENT; `keys`
// past --max-keys-reply fails with a message pointing at scan.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "rpc/client.h"
#include "tests/rpc/served_engine.h"
#include "tests/util/temp_dir.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using walkv::testing::Served;

// Writes keys with one pipelined burst.
void SetMany(Client& c, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) ASSERT_TRUE(c.Send("set", {prefix + std::to_string(i), "v"}).ok());
  for (int i = 0; i < n; ++i) ASSERT_TRUE(c.Receive().ok());
}

// A whole scan over the protocol; every response must be [cursor string, [strings]].
std::multiset<std::string> ScanAll(Client& c, json kwargs) {
  std::multiset<std::string> seen;
  std::string cursor = "0";
  do {
    kwargs["cursor"] = cursor;
    auto r = c.Call("scan", json::array(), kwargs);
    EXPECT_TRUE(r.ok());
    const json& result = (*r)["result"];
    EXPECT_TRUE(result.is_array() && result.size() == 2) << r->dump();
    if (!result.is_array() || result.size() != 2) break;
    cursor = result[0].get<std::string>();
    for (const json& k : result[1]) seen.insert(k.get<std::string>());
  } while (cursor != "0");
  return seen;
}

TEST(ScanMethodTest, ReturnsEveryKeyPresentThroughoutWhileAnotherClientWrites) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"));
  auto writer = served.Connect();
  auto scanner = served.Connect();
  SetMany(*writer, "stable-", 3000);
  SetMany(*writer, "churn-", 3000);
  std::atomic<bool> done{false};
  std::thread writes([&] {
    for (int round = 0; !done.load(); ++round) {
      SetMany(*writer, "grow-" + std::to_string(round) + "-", 2000);
      for (int i = round * 100; i < round * 100 + 100 && i < 3000; ++i) {
        ASSERT_TRUE(writer->Delete("churn-" + std::to_string(i)).ok());
      }
    }
  });
  std::multiset<std::string> seen = ScanAll(*scanner, {{"match", "*"}, {"count", "20"}});
  done = true;
  writes.join();
  size_t missing = 0;
  for (int i = 0; i < 3000; ++i) missing += seen.contains("stable-" + std::to_string(i)) ? 0 : 1;
  EXPECT_EQ(missing, 0u);
}

TEST(ScanMethodTest, MatchAndCountAreHonoured) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"));
  auto c = served.Connect();
  SetMany(*c, "user:", 200);
  SetMany(*c, "order:", 200);
  std::multiset<std::string> users = ScanAll(*c, {{"match", "user:*"}, {"count", "7"}});
  EXPECT_EQ(std::set<std::string>(users.begin(), users.end()).size(), 200u);
  for (const std::string& k : users) EXPECT_EQ(k.rfind("user:", 0), 0u);
  // Positional form; count 1000 covers all 400 keys in one step.
  auto r = c->Call("scan", {"0", "*", "1000"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["result"][0], "0");
  EXPECT_EQ((*r)["result"][1].size(), 400u);
}

TEST(ScanMethodTest, InvalidCursorOrCountIsInvalidArgument) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"));
  auto c = served.Connect();
  for (json args :
       {json{"abc"}, json{"-1"}, json{"1.5"}, json{""}, json{" 1"}, json{"99999999999999999999999"},
        json{"0", "*", "0"}, json{"0", "*", "ten"}, json{"0", "*", "1000001"}}) {
    auto r = c->Call("scan", args);
    ASSERT_TRUE(r.ok());
    auto error = RpcErrorOf(*r);
    ASSERT_TRUE(error.has_value()) << args.dump() << " -> " << r->dump();
    EXPECT_EQ(error->code, "INVALID_ARGUMENT") << args.dump();
    EXPECT_NE(error->message.find("scan: "), std::string::npos) << error->message;
  }
  auto r = c->Call("scan", json::array());
  EXPECT_EQ(RpcErrorOf(*r)->code, "INVALID_ARGUMENT");
}

TEST(KeysMethodTest, PastTheBoundFailsAndPointsAtScan) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"), {.max_keys_reply = 50});
  auto c = served.Connect();
  SetMany(*c, "k", 51);
  auto all = c->Call("keys", {"*"});
  auto error = RpcErrorOf(*all);
  ASSERT_TRUE(error.has_value()) << all->dump();
  EXPECT_EQ(error->code, "INVALID_ARGUMENT");
  EXPECT_NE(error->message.find("--max-keys-reply"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find("use scan"), std::string::npos) << error->message;
  // Under the bound: answered, sorted.
  auto some = c->Keys("k1*");
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  EXPECT_EQ(some->size(), 11u);
  EXPECT_TRUE(std::is_sorted(some->begin(), some->end()));
}

TEST(KeysMethodTest, ZeroMeansUnbounded) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"), {.max_keys_reply = 0});
  auto c = served.Connect();
  SetMany(*c, "k", 300);
  auto keys = c->Keys();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->size(), 300u);
}

}  // namespace
}  // namespace walkv::rpc
