// The RPC server end to end in-process: a Server on an ephemeral loopback port in front of a
// FakeEngine, driven by the blocking Client. No sleeps as synchronisation: waits poll an
// observable condition with a deadline.
#include "rpc/server.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "rpc/client.h"
#include "tests/rpc/fake_engine.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using testing::FakeEngine;
using namespace std::chrono_literals;

// Polls `pred` until it holds or `timeout` passes.
template <typename Pred>
bool WaitUntil(Pred pred, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// A running server; shut down and joined on destruction.
class TestServer {
 public:
  explicit TestServer(Engine& engine, ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    if (options.threads == 0) options.threads = 2;
    server_ = std::make_unique<Server>(engine, options);
    Status s = server_->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    thread_ = std::thread([this] {
      server_->Run();
      returned_ = true;
    });
  }
  ~TestServer() { Stop(); }

  void Stop() {
    server_->Shutdown();
    if (thread_.joinable()) thread_.join();
  }
  bool run_returned() const { return returned_; }
  Server& server() { return *server_; }
  uint16_t port() const { return server_->port(); }

  std::unique_ptr<Client> Connect() {
    auto c = Client::Connect("127.0.0.1", port());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return nullptr;
    (*c)->set_timeout(60s);  // a hung server fails the test instead of hanging it
    return std::move(*c);
  }

  // The "server" object of info().
  json ServerInfo() {
    auto c = Connect();
    auto info = c->Info();
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? (*info)["clients"] : json();
  }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<bool> returned_{false};
};

std::string Line(const json& request) { return request.dump() + "\n"; }

// "k<i>". Built with += because GCC 12 at -O3 reports a false -Wrestrict for "k" + to_string(i).
std::string Key(int i) {
  std::string key = "k";
  key += std::to_string(i);
  return key;
}

std::string ErrorCodeOf(const json& response) {
  auto e = RpcErrorOf(response);
  return e ? e->code : "";
}

TEST(ServerTest, EveryMethodWorks) {
  FakeEngine engine;
  TestServer ts(engine);
  auto c = ts.Connect();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->Ping().ok());
  EXPECT_EQ((*c->Call("ping"))["result"], "PONG");
  EXPECT_TRUE(c->Set("a", "1").ok());
  EXPECT_TRUE(c->Set("b", "2").ok());
  EXPECT_EQ(*c->Get("a"), std::optional<std::string>("1"));
  EXPECT_EQ(*c->Get("missing"), std::nullopt);
  EXPECT_EQ(*c->Append("a", "23"), 3u);
  EXPECT_EQ(*c->Append("new", "xy"), 2u);
  EXPECT_EQ(*c->Keys(), (std::vector<std::string>{"a", "b", "new"}));
  EXPECT_EQ(*c->Keys("[ab]"), (std::vector<std::string>{"a", "b"}));
  json by_kwarg = *c->Call("keys", json::array(), {{"pattern", "n*"}});
  EXPECT_EQ(by_kwarg["result"], json({"new"}));
  EXPECT_EQ(*c->Delete("a"), true);
  EXPECT_EQ(*c->Delete("a"), false);
  auto snap = c->Snapshot();
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  for (const char* field : {"seq", "bytes", "file", "keys"}) EXPECT_TRUE(snap->contains(field));
  EXPECT_EQ((*snap)["keys"], 2);
  auto info = c->Info();
  ASSERT_TRUE(info.ok());
  for (const char* field :
       {"log_bytes", "log_segments", "last_seq", "fsync_count", "fsync_p50_micros",
        "fsync_p99_micros", "fsync_max_micros", "last_snapshot", "recovery"}) {
    EXPECT_TRUE((*info)["persistence"].contains(field)) << field;
  }
  EXPECT_EQ((*info)["keyspace"]["keys"], 2);
  EXPECT_TRUE((*info)["memory"].contains("approx_memory_bytes"));
  EXPECT_TRUE((*info)["server"].contains("uptime_micros"));
  EXPECT_EQ((*info)["persistence"]["last_snapshot"]["keys"], 2);
  EXPECT_EQ((*info)["stats"]["ops"]["set"], 2);
  EXPECT_GE((*info)["clients"]["connections_current"], 1);
  EXPECT_TRUE(c->FlushAll().ok());
  EXPECT_TRUE(c->Keys()->empty());
}

TEST(ServerTest, ErrorResponsesCarryCodesAndIds) {
  FakeEngine engine;
  TestServer ts(engine);
  auto c = ts.Connect();
  ASSERT_TRUE(c->SendRaw("not json\n"
                         "[1]\n"
                         "{\"id\":123456789012345678901234567890,\"method\":\"nope\"}\n"
                         "{\"id\":1.0,\"method\":\"get\",\"args\":[1]}\n"
                         "{\"id\":1e5,\"method\":\"GET\",\"args\":[\"k\"]}\n"
                         "{\"id\":\"s\",\"method\":\"set\",\"args\":[\"k\",\"\xff\"]}\n")
                  .ok());
  EXPECT_EQ(*c->ReceiveLine(),
            R"({"id":null,"error":{"code":"PARSE_ERROR","message":"request is not valid JSON: )"
            R"(requests are JSON objects, one per line, e.g. )"
            R"({\"id\":1,\"method\":\"get\",\"args\":[\"k\"]}"}})");
  EXPECT_EQ(ErrorCodeOf(*c->Receive()), "INVALID_REQUEST");
  std::string unknown = *c->ReceiveLine();
  EXPECT_EQ(
      unknown.rfind(R"({"id":123456789012345678901234567890,"error":{"code":"UNKNOWN_METHOD")", 0),
      0u)
      << unknown;
  std::string bad_arg = *c->ReceiveLine();
  EXPECT_EQ(bad_arg.rfind(R"({"id":1.0,"error":{"code":"INVALID_ARGUMENT")", 0), 0u) << bad_arg;
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":1e5,"result":null})");
  EXPECT_EQ(ErrorCodeOf(*c->Receive()), "PARSE_ERROR");
  // The connection is still usable after every kind of bad input.
  EXPECT_TRUE(c->Ping().ok());
}

TEST(ServerTest, BlankLinesAreIgnored) {
  FakeEngine engine;
  TestServer ts(engine);
  auto c = ts.Connect();
  ASSERT_TRUE(c->SendRaw("\n\r\n  \n{\"id\":1,\"method\":\"ping\"}\r\n").ok());
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":1,"result":"PONG"})");
}

TEST(ServerTest, NulAndUnicodeRoundTripByteExact) {
  FakeEngine engine;
  TestServer ts(engine);
  auto c = ts.Connect();
  const std::string key("k\0\xc3\xa9", 4);
  const std::string value("\0v\n\xe4\xb8\xad\xf0\x9f\x98\x80\x7f", 11);
  ASSERT_TRUE(c->Set(key, value).ok());
  EXPECT_EQ(engine.Get(key), value);
  EXPECT_EQ(*c->Get(key), value);
  EXPECT_EQ(*c->Keys(), std::vector<std::string>{key});
  ASSERT_TRUE(c->SendRaw("{\"id\":2,\"method\":\"get\",\"args\":[\"k\\u0000\\u00e9\"]}\n").ok());
  EXPECT_EQ(*c->ReceiveLine(),
            "{\"id\":2,\"result\":\"\\u0000v\\n\xe4\xb8\xad\xf0\x9f\x98\x80\x7f\"}");
  // Bytes that are not UTF-8 cannot travel as JSON strings: the client refuses to send them.
  EXPECT_EQ(c->Set("k", "\xff").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(c->Ping().ok());
}

TEST(ServerTest, StorageFailureIsStorageErrorAndReadsKeepWorking) {
  FakeEngine engine;
  TestServer ts(engine);
  auto c = ts.Connect();
  ASSERT_TRUE(c->Set("k", "v").ok());
  engine.FailWrites(Status::NoSpace("write wal-1.log: No space left on device"));
  Status s = c->Set("k", "w");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(s.message(), "STORAGE_ERROR: write wal-1.log: No space left on device");
  EXPECT_EQ(ErrorCodeOf(*c->Call("append", {"k", "x"})), "STORAGE_ERROR");
  EXPECT_EQ(*c->Get("k"), std::optional<std::string>("v"));
  engine.FailWrites(Status::ShuttingDown("engine closing"));
  EXPECT_EQ(ErrorCodeOf(*c->Call("delete", {"k"})), "SHUTTING_DOWN");
}

TEST(ServerTest, PipelinedTenThousandRequestsAnsweredInOrder) {
  FakeEngine engine;
  TestServer ts(engine);
  auto c = ts.Connect();
  constexpr int kRequests = 10000;
  std::string batch;
  for (int i = 1; i <= kRequests; ++i) {
    json req = {{"id", i}};
    switch (i % 3) {
      case 0:
        req["method"] = "append";
        req["args"] = {"log", "x"};
        break;
      case 1:
        req["method"] = "set";
        req["args"] = {Key(i), std::to_string(i)};
        break;
      default:
        req["method"] = "get";
        req["args"] = {Key(i - 1)};
        break;
    }
    batch += Line(req);
  }
  // Sent from another thread: the server stops reading when too much is unanswered, so one
  // thread writing everything before reading could deadlock on full socket buffers.
  std::thread sender([&] { EXPECT_TRUE(c->SendRaw(batch).ok()); });
  uint64_t appends = 0;
  for (int i = 1; i <= kRequests; ++i) {
    auto r = c->Receive();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ((*r)["id"], i);
    switch (i % 3) {
      case 0:
        EXPECT_EQ((*r)["result"], ++appends);
        break;
      case 1:
        EXPECT_EQ((*r)["result"], true);
        break;
      default:
        EXPECT_EQ((*r)["result"], std::to_string(i - 1));
        break;
    }
  }
  sender.join();
}

TEST(ServerTest, PipelinedReadSeesEarlierWriteOfSameConnection) {
  FakeEngine engine;
  TestServer ts(engine);
  auto c = ts.Connect();
  engine.HoldWrites(true);
  ASSERT_TRUE(c->SendRaw(Line({{"id", 1}, {"method", "set"}, {"args", {"k", "v"}}}) +
                         Line({{"id", 2}, {"method", "get"}, {"args", {"k"}}}) +
                         Line({{"id", 3}, {"method", "set"}, {"args", {"k", "w"}}}))
                  .ok());
  ASSERT_TRUE(engine.WaitHeld(1));
  // The get waits for the set before it; the second set waits behind the get.
  engine.HoldWrites(false);
  EXPECT_EQ(engine.ReleaseWrites(), 1u);
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":1,"result":true})");
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":2,"result":"v"})");
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":3,"result":true})");
  EXPECT_EQ(*c->Get("k"), std::optional<std::string>("w"));
}

TEST(ServerTest, ResponsesKeepRequestOrderWhenCallsCompleteOutOfOrder) {
  FakeEngine engine;
  TestServer ts(engine);
  auto c = ts.Connect();
  engine.HoldSnapshot(true);
  ASSERT_TRUE(c->SendRaw(Line({{"id", 1}, {"method", "snapshot"}}) +
                         Line({{"id", 2}, {"method", "set"}, {"args", {"k", "v"}}}) +
                         Line({{"id", 3}, {"method", "append"}, {"args", {"k", "w"}}}))
                  .ok());
  // Both writes complete while the snapshot before them is still running.
  ASSERT_TRUE(WaitUntil([&] { return engine.Get("k") == std::optional<std::string>("vw"); }));
  engine.HoldSnapshot(false);
  auto first = c->Receive();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["id"], 1);
  EXPECT_TRUE((*first)["result"].contains("seq"));
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":2,"result":true})");
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":3,"result":2})");
}

TEST(ServerTest, ManyConcurrentClientsShareKeys) {
  FakeEngine engine;
  ServerOptions options;
  options.threads = 4;
  TestServer ts(engine, options);
  constexpr int kClients = 16;
  constexpr int kOps = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto c = ts.Connect();
      if (!c) return ++failures, void();
      for (int i = 0; i < kOps; ++i) {
        if (!c->Append("shared", "x").ok()) ++failures;
        if (!c->Set("last", std::to_string(t)).ok()) ++failures;
        auto v = c->Get("last");
        if (!v.ok() || !v->has_value()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  auto c = ts.Connect();
  EXPECT_EQ((*c->Get("shared"))->size(), static_cast<size_t>(kClients * kOps));
}

TEST(ServerTest, StalledHalfLineDoesNotDelayOthers) {
  FakeEngine engine;
  ServerOptions options;
  options.threads = 1;
  TestServer ts(engine, options);
  auto stalled = ts.Connect();
  ASSERT_TRUE(stalled->SendRaw(R"({"id":1,"method":"se)").ok());
  auto other = ts.Connect();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(other->Set(Key(i), "v").ok());
    ASSERT_TRUE(other->Get(Key(i)).ok());
  }
  ASSERT_TRUE(stalled
                  ->SendRaw(R"(t","args":["a","b"]})"
                            "\n")
                  .ok());
  EXPECT_EQ(*stalled->ReceiveLine(), R"({"id":1,"result":true})");
}

TEST(ServerTest, ThousandsOfIdleConnectionsDoNotDelayOthers) {
  // Client and server ends share this process's descriptor limit.
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const size_t idle_count = std::min<size_t>(10000, (limit.rlim_cur - 200) / 2);
  if (idle_count < 1000) GTEST_SKIP() << "RLIMIT_NOFILE too low: " << limit.rlim_cur;
  FakeEngine engine;
  ServerOptions options;
  options.max_connections = idle_count + 10;
  TestServer ts(engine, options);
  std::vector<std::unique_ptr<Client>> idle;
  idle.reserve(idle_count);
  for (size_t i = 0; i < idle_count; ++i) {
    idle.push_back(ts.Connect());
    ASSERT_TRUE(idle.back());
    // Half of them hold half a request.
    if (i % 2 == 0) {
      ASSERT_TRUE(idle.back()->SendRaw(R"({"id":1,"meth)").ok());
    }
  }
  auto c = ts.Connect();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(c->Set("k", std::to_string(i)).ok());
  EXPECT_TRUE(WaitUntil(
      [&] { return ts.ServerInfo()["connections_current"].get<size_t>() >= idle_count + 1; }));
  // Every idle connection is still served when it finally speaks.
  for (size_t i = 0; i < idle_count; i += 97) {
    ASSERT_TRUE(idle[i]
                    ->SendRaw(i % 2 == 0 ? "od\":\"ping\"}\n" : "{\"id\":1,\"method\":\"ping\"}\n")
                    .ok());
    EXPECT_EQ(*idle[i]->ReceiveLine(), R"({"id":1,"result":"PONG"})");
  }
}

TEST(ServerTest, UnterminatedLastLineIsAnsweredAtEof) {
  FakeEngine engine;
  TestServer ts(engine);
  auto c = ts.Connect();
  ASSERT_TRUE(c->SendRaw(R"({"id":1,"method":"ping"})"
                         "\n"
                         R"({"id":2,"method":"ping"})")
                  .ok());
  ASSERT_TRUE(c->CloseSend().ok());
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":1,"result":"PONG"})");
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":2,"result":"PONG"})");
  EXPECT_FALSE(c->ReceiveLine().ok());  // then the server closes
}

TEST(ServerTest, ClientDisconnectingMidPipelineLeavesServerHealthy) {
  FakeEngine engine;
  TestServer ts(engine);
  engine.HoldWrites(true);
  {
    auto quitter = ts.Connect();
    std::string batch;
    for (int i = 0; i < 1000; ++i) {
      batch += Line({{"id", i}, {"method", i % 2 ? "set" : "get"}, {"args", {"k", "v"}}});
    }
    batch.resize(batch.size() - 1);
    ASSERT_TRUE(quitter->SendRaw(batch.substr(0, batch.size() / 2)).ok());
    ASSERT_TRUE(engine.WaitHeld(1));
  }  // closed without reading, with writes in flight and half a line sent
  engine.HoldWrites(false);
  engine.ReleaseWrites();
  auto c = ts.Connect();
  EXPECT_TRUE(c->Set("after", "1").ok());
  EXPECT_EQ(*c->Get("after"), std::optional<std::string>("1"));
  // The departed connection is released once its in-flight writes have completed.
  engine.ReleaseWrites();
  EXPECT_TRUE(WaitUntil([&] { return ts.ServerInfo()["connections_current"] == 2; }));
}

TEST(ServerTest, PipeliningClientThatNeverReadsIsPausedNotBuffered) {
  FakeEngine engine;
  ServerOptions options;
  options.threads = 1;
  options.max_pending_requests = 64;
  options.max_pending_output_bytes = 256 * 1024;
  options.shutdown_grace_ms = 200;
  TestServer ts(engine, options);
  const std::string big_value(64 * 1024, 'v');
  ASSERT_TRUE(ts.Connect()->Set("big", big_value).ok());

  // 4,000 gets of a 64 KiB value = 256 MiB of responses the client never reads.
  constexpr int kRequests = 4000;
  std::string batch;
  for (int i = 0; i < kRequests; ++i)
    batch += Line({{"id", i}, {"method", "get"}, {"args", {"big"}}});
  auto hog = ts.Connect();
  hog->set_timeout(0ms);
  std::thread sender([&] { (void)hog->SendRaw(batch); });  // blocks once the server stops reading

  EXPECT_TRUE(WaitUntil([&] {
    json s = ts.ServerInfo();
    return s["connections_paused"] == 1 && s["read_pauses"] >= 1;
  }));
  // Others are still served.
  auto c = ts.Connect();
  EXPECT_TRUE(c->Set("k", "v").ok());
  EXPECT_EQ(*c->Get("k"), std::optional<std::string>("v"));
  // The server stopped executing the hog's requests: what it answered fits in the bounds plus
  // the kernel's socket buffers, far from all of them.
  const json info = *c->Info();
  EXPECT_LT(info["stats"]["ops"]["get"].get<uint64_t>(), 1000u) << info.dump();
  EXPECT_EQ(info["clients"]["connections_paused"], 1);

  // Shutdown closes the hog after the grace period; its blocked send then fails.
  ts.Stop();
  EXPECT_TRUE(ts.run_returned());
  sender.join();
}

TEST(ServerTest, PausedConnectionResumesWhenItsClientReads) {
  FakeEngine engine;
  ServerOptions options;
  options.max_pending_requests = 16;
  options.max_pending_output_bytes = 128 * 1024;
  TestServer ts(engine, options);
  const std::string big_value(64 * 1024, 'v');
  auto c = ts.Connect();
  ASSERT_TRUE(c->Set("big", big_value).ok());
  constexpr int kRequests = 500;  // 32 MiB of responses: more than any socket buffers
  std::string batch;
  for (int i = 0; i < kRequests; ++i) {
    batch += Line({{"id", i}, {"method", "get"}, {"args", {"big"}}});
  }
  std::thread sender([&] { EXPECT_TRUE(c->SendRaw(batch).ok()); });
  EXPECT_TRUE(WaitUntil([&] { return ts.ServerInfo()["connections_paused"] == 1; }));
  for (int i = 0; i < kRequests; ++i) {
    auto r = c->Receive();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ((*r)["id"], i);
    ASSERT_EQ((*r)["result"].get_ref<const std::string&>().size(), big_value.size());
  }
  sender.join();
  const json s = ts.ServerInfo();
  EXPECT_GE(s["read_pauses"].get<uint64_t>(), 1u);
  EXPECT_EQ(s["connections_paused"], 0);
}

TEST(ServerTest, OversizedLineIsTooLargeThenClosed) {
  FakeEngine engine;
  ServerOptions options;
  options.max_request_bytes = 1024;
  TestServer ts(engine, options);
  auto c = ts.Connect();
  const std::string ok_line = R"({"id":1,"method":"set","args":["k",")";
  const std::string exact = ok_line + std::string(1024 - ok_line.size() - 3, 'v') + "\"]}";
  ASSERT_EQ(exact.size(), 1024u);
  ASSERT_TRUE(c->SendRaw(exact + "\n" + std::string(5000, 'x') + "\n").ok());
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":1,"result":true})");
  auto r = c->Receive();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)["id"].is_null());
  EXPECT_EQ(ErrorCodeOf(*r), "TOO_LARGE");
  EXPECT_NE(RpcErrorOf(*r)->message.find("--max-request-bytes=1024"), std::string::npos);
  EXPECT_FALSE(c->ReceiveLine().ok());

  // An unterminated line is refused as soon as it passes the limit.
  auto d = ts.Connect();
  ASSERT_TRUE(d->SendRaw(std::string(2000, '{')).ok());
  EXPECT_EQ(ErrorCodeOf(*d->Receive()), "TOO_LARGE");
  EXPECT_TRUE(ts.Connect()->Ping().ok());
}

TEST(ServerTest, ConnectionsOverMaxAreRefused) {
  FakeEngine engine;
  ServerOptions options;
  options.max_connections = 2;
  TestServer ts(engine, options);
  auto a = ts.Connect();
  auto b = ts.Connect();
  ASSERT_TRUE(a->Ping().ok());
  ASSERT_TRUE(b->Ping().ok());
  auto refused = ts.Connect();
  auto line = refused->ReceiveLine();
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(*line, R"({"id":null,"error":{"code":"TOO_MANY_CONNECTIONS","message":"too many )"
                   R"(connections: the server allows --max-connections=2"}})");
  EXPECT_FALSE(refused->ReceiveLine().ok());
  refused.reset();
  b.reset();
  // Once a slot frees up, new clients are served again.
  std::unique_ptr<Client> c;
  EXPECT_TRUE(WaitUntil([&] {
    c = ts.Connect();
    return c->Ping().ok();
  }));
  auto info = c->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_GE((*info)["clients"]["connections_refused"], 1);
}

TEST(ServerTest, BlockingSnapshotDoesNotStallIoThreads) {
  FakeEngine engine;
  ServerOptions options;
  options.threads = 1;
  TestServer ts(engine, options);
  engine.HoldSnapshot(true);
  auto a = ts.Connect();
  ASSERT_TRUE(a->Send("snapshot", json::array()).ok());
  ASSERT_TRUE(engine.WaitSnapshotStarted());
  auto b = ts.Connect();
  EXPECT_TRUE(b->Set("k", "v").ok());
  EXPECT_TRUE(b->Ping().ok());
  engine.HoldSnapshot(false);
  auto r = a->Receive();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["result"]["keys"], 1);
}

TEST(ServerTest, ShutdownAnswersInFlightRequests) {
  FakeEngine engine;
  ServerOptions options;
  options.max_pending_requests = 2;
  TestServer ts(engine, options);
  auto c = ts.Connect();
  auto idle = ts.Connect();
  ASSERT_TRUE(idle->Ping().ok());
  engine.HoldWrites(true);
  // Two writes fill the connection's bound, so the ping stays read-but-unprocessed.
  ASSERT_TRUE(c->SendRaw(Line({{"id", 1}, {"method", "set"}, {"args", {"a", "1"}}}) +
                         Line({{"id", 2}, {"method", "set"}, {"args", {"b", "2"}}}) +
                         Line({{"id", 3}, {"method", "ping"}}))
                  .ok());
  ASSERT_TRUE(engine.WaitHeld(2));
  ts.server().Shutdown();
  // The listening socket closes after every connection has been told to shut down.
  ASSERT_TRUE(WaitUntil([&] { return !Client::Connect("127.0.0.1", ts.port()).ok(); }));
  // Run() cannot return while writes are in flight.
  EXPECT_FALSE(ts.run_returned());
  engine.HoldWrites(false);
  EXPECT_EQ(engine.ReleaseWrites(), 2u);
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":1,"result":true})");
  EXPECT_EQ(*c->ReceiveLine(), R"({"id":2,"result":true})");
  auto third = c->Receive();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)["id"], 3);
  EXPECT_EQ(ErrorCodeOf(*third), "SHUTTING_DOWN");
  EXPECT_FALSE(c->ReceiveLine().ok());
  EXPECT_FALSE(idle->ReceiveLine().ok());
  EXPECT_TRUE(WaitUntil([&] { return ts.run_returned(); }));
  EXPECT_EQ(engine.Get("b"), std::optional<std::string>("2"));
  EXPECT_FALSE(Client::Connect("127.0.0.1", ts.port()).ok());
}

TEST(ServerTest, ShutdownWithoutClientsReturnsFromRun) {
  FakeEngine engine;
  TestServer ts(engine);
  ts.server().Shutdown();
  ts.server().Shutdown();  // idempotent
  EXPECT_TRUE(WaitUntil([&] { return ts.run_returned(); }));
}

TEST(ServerTest, BusyPortIsAClearError) {
  FakeEngine engine;
  TestServer ts(engine);
  ServerOptions options;
  options.port = ts.port();
  Server second(engine, options);
  Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "127.0.0.1:" + std::to_string(ts.port()) + ": address already in use");
  EXPECT_EQ(ts.server().address(), "127.0.0.1:" + std::to_string(ts.port()));
}

TEST(ClientTest, RefusedConnectionIsOneLine) {
  // Find a free port by binding and closing a server.
  uint16_t port;
  {
    FakeEngine engine;
    ServerOptions options;
    options.port = 0;
    Server s(engine, options);
    ASSERT_TRUE(s.Start().ok());
    port = s.port();
  }
  auto c = Client::Connect("127.0.0.1", port);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "could not connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

}  // namespace
}  // namespace walkv::rpc
