// batch(ops) and txn(compare, success, failure) over the JSON protocol, served by the real engine
// on the in-memory FaultInjectionEnv: per-operation results, operations resolved against the
// batch's own earlier operations, a bad operation refusing the whole request with its index and
// nothing logged, txn's branches and reads, the ops given as JSON text (what walkv cli sends),
// clients incrementing one counter through txn reaching the exact count, and replay after reopen.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "tests/rpc/manual_clock_server.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

using BatchTxnProtocolTest = ManualClockServerTest;

TEST_F(BatchTxnProtocolTest, BatchAnswersEachOperationAndIsOneRecord) {
  EXPECT_EQ(Result("set", {"s", "hello"}), true);
  EXPECT_EQ(Result("set", {"gone", "x"}), true);
  const uint64_t before = LastSeq();
  json ops = json::parse(R"([["set","a","1"],["incr","n"],["incrby","n","5"],
      ["append","s"," world"],["delete","gone"],["delete","never"],["get","n"],
      ["set","t","x","EX","100"],["expire","s","50"],["persist","s"],["decrby","n","2"],
      ["cas","a","1","2"],["cas","a","1","3"],["set","a","9","NX"],["get","missing"]])");
  EXPECT_EQ(Result("batch", {ops}), json::parse(R"([true,1,6,11,true,false,"6",true,1,1,4,
      true,false,null,null])"));
  EXPECT_EQ(LastSeq(), before + 1);  // one record for the whole batch
  EXPECT_EQ(Result("mget", {"a", "n", "s", "t", "gone"}),
            json::parse(R"(["2","4","hello world","x",null])"));
  EXPECT_EQ(Result("ttl", {"s"}), -1);
  EXPECT_EQ(Result("ttl", {"t"}), 100);

  Reopen();  // the record holds what the operations resolved to: replay gives the same state
  EXPECT_EQ(engine_->Get("a"), "2");
  EXPECT_EQ(engine_->Get("n"), "4");
  EXPECT_EQ(engine_->Get("s"), "hello world");
  EXPECT_EQ(engine_->Get("gone"), std::nullopt);
  EXPECT_EQ(engine_->Pttl("t"), 100'000);
  EXPECT_EQ(engine_->Pttl("s"), -1);
}

TEST_F(BatchTxnProtocolTest, ABadOperationRefusesTheWholeBatchNamingIt) {
  EXPECT_EQ(Result("set", {"s", "text"}), true);
  const uint64_t before = LastSeq();
  auto error = [&](json ops) { return Result("batch", {std::move(ops)})["error"]; };
  json e = error(json::parse(R"([["set","a","1"],["incr","s"]])"));
  EXPECT_EQ(e["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(e["message"], "ops[1]: value is not an integer or out of range");
  e = error(json::parse(R"([["set","a","1"],["set","b"]])"));
  EXPECT_EQ(e["message"], "ops[1]: set takes at least 2 arguments, got 1 (missing \"value\")");
  e = error(json::parse(R"([["flushall"]])"));
  EXPECT_EQ(e["message"].get<std::string>().rfind("ops[0]: flushall cannot be", 0), 0u);
  e = error(json::parse(R"([["nosuch","k"]])"));
  EXPECT_EQ(e["message"].get<std::string>().rfind("ops[0]: unknown method", 0), 0u) << e;
  e = error(json::parse(R"([["set","a",1]])"));
  EXPECT_EQ(e["message"], "ops[0]: set: value must be a string, got number");
  e = error(json::parse(R"([["incrby","n","1"],["incrby","n","9223372036854775807"]])"));
  EXPECT_EQ(e["code"], "INVALID_ARGUMENT");  // overflow against the batch's own earlier part
  EXPECT_EQ(error(json::parse(R"(["set","a","1"])"))["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(error(json::array())["message"], "batch needs at least one operation");
  EXPECT_EQ(error(json::object())["message"], "ops must be a list, got object");
  EXPECT_EQ(Result("batch", {"[not json"})["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(LastSeq(), before);  // nothing logged
  EXPECT_EQ(Result("exists", {"a", "b", "n"}), 0);
}

TEST_F(BatchTxnProtocolTest, OpsMayBeJsonTextAndBinary) {
  EXPECT_EQ(Result("batch", {R"([["set","a","1"],["get","a"]])"}), json::parse(R"([true,"1"])"));
  EXPECT_EQ(Result("batch", json::array(), {{"ops", json::parse(R"([["get","a"]])")}}),
            json::parse(R"(["1"])"));
  json ops = json::array({json::array({"set", json{{"b64", "/w=="}}, json{{"b64", "AP8="}}})});
  EXPECT_EQ(Result("batch", {ops}), json::parse("[true]"));
  EXPECT_EQ(engine_->Get(std::string("\xff")), std::string("\x00\xff", 2));
}

TEST_F(BatchTxnProtocolTest, ExpiryInsideABatchMeansWhatItMeansAlone) {
  EXPECT_EQ(Result("set", {"e", "old", "PX", "10"}), true);
  EXPECT_EQ(Result("set", {"k", "v"}), true);
  EXPECT_EQ(Result("set", {"p", "v", "EX", "100"}), true);
  env_.AdvanceClock(11'000);  // e expired: absent to every operation
  json ops = json::parse(R"([["append","e","x"],["persist","k"],["pexpire","k","-1"],
      ["get","k"],["persist","p"],["incr","e2"],["pexpire","e2","5000"],["ttl","p"]])");
  json r = Result("batch", {ops});
  EXPECT_EQ(r["error"]["message"].get<std::string>().rfind("ops[7]: ttl cannot be", 0), 0u) << r;
  ops.erase(ops.size() - 1);
  EXPECT_EQ(Result("batch", {ops}), json::parse(R"([1,0,1,null,1,1,1])"));
  EXPECT_EQ(Result("get", {"e"}), "x");
  EXPECT_EQ(Result("pttl", {"e"}), -1);
  EXPECT_EQ(Result("exists", {"k"}), 0);
  EXPECT_EQ(Result("pttl", {"p"}), -1);
  EXPECT_EQ(Result("pttl", {"e2"}), 5000);
  Reopen();
  EXPECT_EQ(engine_->Get("e"), "x");
  EXPECT_EQ(engine_->Get("k"), std::nullopt);
  EXPECT_EQ(engine_->Pttl("p"), -1);
  EXPECT_EQ(engine_->Pttl("e2"), 5000);
}

TEST_F(BatchTxnProtocolTest, ReadOnlyBatchLogsNothing) {
  EXPECT_EQ(Result("set", {"a", "1"}), true);
  const uint64_t before = LastSeq();
  EXPECT_EQ(Result("batch", {json::parse(R"([["get","a"],["set","a","2","NX"]])")}),
            json::parse(R"(["1",null])"));
  EXPECT_EQ(LastSeq(), before);
}

TEST_F(BatchTxnProtocolTest, TxnRunsTheBranchItsComparesChoose) {
  EXPECT_EQ(Result("set", {"a", "1"}), true);
  json kwargs = json::parse(R"({"compare":[["value","a","1"],["exists","a"],["absent","z"]],
      "success":[["set","a","2"],["incr","c"],["get","a"]],"failure":[["get","a"]]})");
  EXPECT_EQ(Result("txn", json::array(), kwargs),
            json::parse(R"({"succeeded":true,"results":[true,1,"2"]})"));
  const uint64_t before = LastSeq();
  EXPECT_EQ(Result("txn", json::array(), kwargs),  // a is 2 now: the read-only failure branch
            json::parse(R"({"succeeded":false,"results":["2"]})"));
  EXPECT_EQ(LastSeq(), before);
  EXPECT_EQ(Result("txn", json::parse(R"([[["value","z",null]],[],[["set","z","f"]]])")),
            json::parse(R"({"succeeded":true,"results":[]})"));
  EXPECT_EQ(Result("txn", json::parse(R"([[["absent","a"]],[["set","z","s"]],
      [["set","z","f"],["append","z","!"]]])")),
            json::parse(R"({"succeeded":false,"results":[true,2]})"));
  EXPECT_EQ(Result("get", {"z"}), "f!");
  EXPECT_EQ(Result("txn", json::parse(R"([[],[["set","e","v","PX","10"]]])")),
            json::parse(R"({"succeeded":true,"results":[true]})"));
  env_.AdvanceClock(11'000);  // an expired key is absent to the compares
  EXPECT_EQ(Result("txn", json::parse(R"([[["absent","e"]],[]])"))["succeeded"], true);

  json e = Result("txn", json::parse(R"([[["value","a"]],[]])"))["error"];
  EXPECT_EQ(e["message"].get<std::string>().rfind("compare[0]: a compare is", 0), 0u) << e;
  e = Result("txn", json::parse(R"([[["value","a","2"]],[["incr","z"]]])"))["error"];
  EXPECT_EQ(e["message"], "success[0]: value is not an integer or out of range");
  e = Result("txn", json::parse(R"([[]])"))["error"];
  EXPECT_EQ(e["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(Result("get", {"a"}), "2");
}

TEST_F(BatchTxnProtocolTest, ConcurrentTxnIncrementsEndWithTheExactCountAndReplay) {
  constexpr int kClients = 4;
  constexpr int kIncrementsEach = 40;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&] {
      auto client = Client::Connect("127.0.0.1", server_->port());
      ASSERT_TRUE(client.ok());
      (*client)->set_timeout(60s);
      for (int done = 0; done < kIncrementsEach;) {
        auto got = (*client)->Call("get", {"n"});
        ASSERT_TRUE(got.ok());
        json current = (*got)["result"];
        const int n = current.is_null() ? 0 : std::stoi(current.get<std::string>());
        // compare-then-set on the counter, and a second key written in the same record
        json compare = json::array({json::array({"value", "n", current})});
        json success = json::array(
            {json::array({"set", "n", std::to_string(n + 1)}), json::array({"incr", "shadow"})});
        auto r = (*client)->Call("txn", {compare, success});
        ASSERT_TRUE(r.ok());
        ASSERT_TRUE((*r)["result"].is_object()) << r->dump();
        if ((*r)["result"]["succeeded"].get<bool>()) ++done;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::string total = std::to_string(kClients * kIncrementsEach);
  EXPECT_EQ(Result("get", {"n"}), total);
  EXPECT_EQ(Result("get", {"shadow"}), total);
  Reopen();
  EXPECT_EQ(engine_->Get("n"), total);
  EXPECT_EQ(engine_->Get("shadow"), total);
}

}  // namespace
}  // namespace walkv::rpc
