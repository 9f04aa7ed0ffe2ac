// The JSON-lines protocol against the real `walkv serve` process: every method, pipelining,
// concurrency, misbehaving clients, byte-exact Unicode, request size limit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/str_cat.h"
#include "rpc/client.h"
#include "tests/e2e/line_socket.h"
#include "tests/e2e/server_process.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::UnorderedElementsAre;

class ProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Terminate(), 0) << server_->stderr_text();
    }
  }

  void StartServer(const std::vector<std::string>& flags) {
    server_ = ServerProcess::Start(dir_.Sub("data"), flags);
    ASSERT_NE(server_, nullptr);
  }

  std::unique_ptr<rpc::Client> Connect() {
    auto client = rpc::Client::Connect(server_->host(), server_->port());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (!client.ok()) return nullptr;
    (*client)->set_timeout(seconds(30));
    return std::move(client).value();
  }

  std::unique_ptr<LineSocket> Socket() {
    return LineSocket::Connect(server_->host(), server_->port());
  }

  // Sends one raw line, returns the parsed response.
  json Exchange(LineSocket& socket, const std::string& line) {
    EXPECT_TRUE(socket.SendAll(line + "\n", Within(seconds(30))));
    std::optional<std::string> response = socket.ReadLine(Within(seconds(30)));
    EXPECT_TRUE(response.has_value()) << "no response to " << line;
    return response ? json::parse(*response) : json();
  }

  testing::TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ProtocolTest, EveryMethodOverTheRealServer) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto call = [&](std::string_view method, json args) {
    auto response = c->Call(method, std::move(args));
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : json();
  };
  EXPECT_EQ(call("ping", json::array())["result"], "PONG");
  EXPECT_EQ(call("set", {"k", "v"})["result"], true);
  EXPECT_EQ(call("get", {"k"})["result"], "v");
  EXPECT_EQ(call("GET", {"k"})["result"], "v");  // method names are case-insensitive
  EXPECT_EQ(call("get", {"missing"})["result"], nullptr);
  EXPECT_EQ(call("append", {"k", "123"})["result"], 4);
  EXPECT_EQ(call("append", {"new", "ab"})["result"], 2);
  EXPECT_EQ(call("set", {"key:1", "x"})["result"], true);
  EXPECT_EQ(call("set", {"key:2", "y"})["result"], true);
  json keys = call("keys", {"key:*"})["result"];
  EXPECT_THAT(keys.get<std::vector<std::string>>(), UnorderedElementsAre("key:1", "key:2"));
  json all = call("keys", json::array())["result"];
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(call("delete", {"key:1"})["result"], true);
  EXPECT_EQ(call("delete", {"key:1"})["result"], false);
  json snapshot = call("snapshot", json::array())["result"];
  EXPECT_TRUE(snapshot.contains("seq")) << snapshot.dump();
  EXPECT_TRUE(snapshot.contains("bytes")) << snapshot.dump();
  json info = call("info", json::array())["result"];
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["keyspace"]["keys"], 3);
  EXPECT_EQ(call("flushall", json::array())["result"], true);
  EXPECT_EQ(call("keys", json::array())["result"], json::array());
  EXPECT_EQ(call("frobnicate", json::array())["error"]["code"], "UNKNOWN_METHOD");
  EXPECT_EQ(call("get", json::array())["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(call("set", {"k", 5})["error"]["code"], "INVALID_ARGUMENT");

  auto raw = Socket();
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(Exchange(*raw, "{not json")["error"]["code"], "PARSE_ERROR");
  EXPECT_EQ(Exchange(*raw, "[1,2]")["error"]["code"], "INVALID_REQUEST");
  json big_id = Exchange(*raw, R"({"id":12345678901234567890,"method":"ping"})");
  EXPECT_EQ(big_id["id"].dump(), "12345678901234567890");
}

TEST_F(ProtocolTest, TenThousandPipelinedRequestsInOneSendAreAnsweredInOrder) {
  constexpr int kRequests = 10000;
  std::string batch;
  for (int i = 0; i < kRequests; ++i) {
    json request = {{"id", i}};
    if (i % 2 == 0) {
      request["method"] = "set";
      request["args"] = {StrCat("p", i % 100), std::to_string(i)};
    } else {
      request["method"] = "get";
      request["args"] = {StrCat("p", (i - 1) % 100)};
    }
    batch += request.dump() + "\n";
  }
  auto socket = Socket();
  ASSERT_NE(socket, nullptr);
  // One send() of the whole batch, on its own thread: the server may stop reading until we read.
  bool sent = false;
  std::thread sender([&] { sent = socket->SendAll(batch, Within(seconds(120))); });
  for (int i = 0; i < kRequests; ++i) {
    std::optional<std::string> line = socket->ReadLine(Within(seconds(120)));
    ASSERT_TRUE(line.has_value()) << "response " << i << " missing";
    json response = json::parse(*line);
    ASSERT_EQ(response["id"], i);
    if (i % 2 == 0) {
      ASSERT_EQ(response["result"], true) << *line;
    } else {
      ASSERT_EQ(response["result"], std::to_string(i - 1)) << *line;  // sees the set just before
    }
  }
  sender.join();
  EXPECT_TRUE(sent);
}

TEST_F(ProtocolTest, ManyConcurrentClientsOnTheSameKeys) {
  constexpr int kClients = 16;
  constexpr int kAppends = 100;
  std::vector<std::vector<uint64_t>> lengths(kClients);
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto client = rpc::Client::Connect(server_->host(), server_->port());
      if (!client.ok()) return;
      (*client)->set_timeout(seconds(60));
      for (int i = 0; i < kAppends; ++i) {
        auto length = (*client)->Append("shared", "x");
        if (!length.ok()) return;
        lengths[t].push_back(*length);
        if (!(*client)->Set("last", std::to_string(t)).ok()) return;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  // Appends are serialised: every length from 1 to the total was returned exactly once.
  std::set<uint64_t> seen;
  for (int t = 0; t < kClients; ++t) {
    ASSERT_EQ(lengths[t].size(), static_cast<size_t>(kAppends)) << "client " << t << " failed";
    for (size_t i = 1; i < lengths[t].size(); ++i) EXPECT_LT(lengths[t][i - 1], lengths[t][i]);
    seen.insert(lengths[t].begin(), lengths[t].end());
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kClients * kAppends));
  EXPECT_EQ(*seen.begin(), 1u);
  EXPECT_EQ(*seen.rbegin(), static_cast<uint64_t>(kClients * kAppends));
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto value = c->Get("shared");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, std::optional<std::string>(std::string(kClients * kAppends, 'x')));
}

TEST_F(ProtocolTest, StalledHalfLineClientDoesNotDelayOthers) {
  auto stalled = Socket();
  ASSERT_NE(stalled, nullptr);
  ASSERT_TRUE(stalled->SendAll(R"({"id":1,"method":"se)", Within(seconds(10))));
  auto working = Connect();
  ASSERT_NE(working, nullptr);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(working->Set(StrCat("w", i), "v").ok());
    ASSERT_TRUE(working->Ping().ok());
  }
  // The stalled client finishes its line later and is answered normally.
  ASSERT_TRUE(stalled->SendAll("t\",\"args\":[\"late\",\"ok\"]}\n", Within(seconds(10))));
  std::optional<std::string> line = stalled->ReadLine(Within(seconds(30)));
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(json::parse(*line)["result"], true);
}

TEST_F(ProtocolTest, ClientDisconnectingMidPipelineDoesNotHurtTheServer) {
  for (int round = 0; round < 5; ++round) {
    auto quitter = Socket();
    ASSERT_NE(quitter, nullptr);
    std::string batch;
    for (int i = 0; i < 2000; ++i) {
      batch +=
          json({{"id", i}, {"method", "set"}, {"args", {StrCat("q", i), "v"}}}).dump() +
          "\n";
    }
    batch += R"({"id":"half","method":"ge)";
    ASSERT_TRUE(quitter->SendAll(batch, Within(seconds(60))));
    quitter->Abort();  // gone without reading a single response
  }
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Ping().ok());
  EXPECT_TRUE(c->Set("after", "ok").ok());
  auto got = c->Get("after");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::optional<std::string>("ok"));
}

TEST_F(ProtocolTest, UnicodeAndNulRoundTripByteExact) {
  const std::string key = "ключ-\xF0\x9F\x94\x91-\xE4\xBD\xA0\xE5\xA5\xBD";
  const std::string value = std::string("a\0b", 3) + "\xE2\x82\xAC\n\t\"\\" + "\xF0\x9F\x98\x80";
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Set(key, value).ok());
  auto got = c->Get(key);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::optional<std::string>(value));
  auto keys = c->Keys("*");
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, UnorderedElementsAre(key));

  // Written with \u escapes (including a surrogate pair) on the wire.
  auto raw = Socket();
  ASSERT_NE(raw, nullptr);
  json set =
      Exchange(*raw, R"({"id":1,"method":"set","args":["\u0000k","\u0000\ud83d\ude00\u00e9"]})");
  EXPECT_EQ(set["result"], true);
  auto escaped = c->Get(std::string("\0k", 2));
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(*escaped,
            std::optional<std::string>(std::string("\0", 1) + "\xF0\x9F\x98\x80\xC3\xA9"));
  // Invalid UTF-8 is refused and changes nothing.
  json bad = Exchange(*raw, "{\"id\":2,\"method\":\"set\",\"args\":[\"k\",\"\xFF\xFE\"]}");
  EXPECT_EQ(bad["error"]["code"], "PARSE_ERROR");
}

TEST_F(ProtocolTest, OversizedLineGetsTooLarge) {
  ASSERT_EQ(server_->Terminate(), 0);
  StartServer({"--max-request-bytes", "1024"});
  auto socket = Socket();
  ASSERT_NE(socket, nullptr);
  std::string huge =
      json({{"id", 7}, {"method", "set"}, {"args", {"k", std::string(5000, 'v')}}}).dump() + "\n";
  ASSERT_TRUE(socket->SendAll(huge, Within(seconds(30))));
  std::optional<std::string> line = socket->ReadLine(Within(seconds(30)));
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(json::parse(*line)["error"]["code"], "TOO_LARGE") << *line;
  // Nothing was stored, and others are still served.
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto got = c->Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::nullopt);
  EXPECT_TRUE(c->Set("small", std::string(500, 's')).ok());
}

}  // namespace
}  // namespace walkv::e2e
