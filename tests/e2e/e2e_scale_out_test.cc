// Scale-out on an existing engine (issue 15 item 3, docs/scale-out.md): three real
// `walkv serve --resp-port 0` shards behind twemproxy (Debian's nutcracker, ketama distribution)
// on a generated config. Through the proxy: redis-benchmark finishes with no error; every key
// written lands on exactly one shard (each shard's keys read directly); kill -9 of one shard and
// a restart on the same RESP port loses none of the writes it acknowledged, and the proxy reaches
// it again. nutcracker cannot bind port 0, so its ports are found free by binding port 0 and
// releasing it, and nutcracker is started again on fresh ports if it loses the race for one.
// Every wait polls with a deadline. nutcracker and redis-tools come from scripts/setup; a missing
// one fails the test with that message (RequireTool), it is never skipped.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
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

constexpr char kNutcracker[] = "/usr/sbin/nutcracker";
constexpr auto kToolTimeout = std::chrono::seconds(20);
constexpr auto kReadyTimeout = std::chrono::seconds(10);
constexpr int kShards = 3;
constexpr int kKeys = 1500;

// A loopback port that was free a moment ago: bound to port 0, read back, released. Another
// process may take it before the caller binds it; callers retry on a bind failure.
uint16_t PickFreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string KeyName(int i) { return "user:" + std::to_string(i); }
std::string ValueOf(int i) { return "value " + std::to_string(i); }

// A running nutcracker in front of the shards' RESP ports.
struct Proxy {
  std::unique_ptr<Subprocess> process;
  uint16_t port = 0;
  std::string log_path;
};

// Writes the config (ketama, one server connection per shard, hosts never ejected, so a dead
// shard gives errors rather than moving its keys) and starts nutcracker on fresh free ports until
// one start binds (at most 5 tries). Ready means a SET through it answers OK.
Proxy StartProxy(const std::string& dir, const std::vector<uint16_t>& shard_ports) {
  Proxy proxy;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const uint16_t port = PickFreeLoopbackPort();
    const uint16_t stats_port = PickFreeLoopbackPort();
    const std::string config = dir + "/nutcracker.yml";
    proxy.log_path = dir + "/nutcracker." + std::to_string(attempt) + ".log";
    {
      std::ofstream out(config);
      out << "walkv:\n  listen: 127.0.0.1:" << port
          << "\n  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n"
             "  auto_eject_hosts: false\n  timeout: 5000\n  server_connections: 1\n  servers:\n";
      for (size_t i = 0; i < shard_ports.size(); ++i) {
        out << "   - 127.0.0.1:" << shard_ports[i] << ":1 shard" << i << "\n";
      }
    }
    proxy.process = Subprocess::Start({kNutcracker, "-c", config, "-s", std::to_string(stats_port),
                                       "-a", "127.0.0.1", "-o", proxy.log_path, "-p",
                                       dir + "/nutcracker.pid"});
    if (proxy.process == nullptr) return proxy;
    proxy.process->StartDraining();
    const auto deadline = Within(kReadyTimeout);
    while (Clock::now() < deadline) {
      // Doubles as the pause between probes: returns at once if nutcracker exited.
      if (proxy.process->Wait(Within(std::chrono::milliseconds(20)))) break;
      ProcessResult probe = RedisCli(port, {"SET", "probe", "1"}, "", kToolTimeout);
      if (probe.exit == 0 && probe.out == "OK\n") {
        RedisCli(port, {"DEL", "probe"}, "", kToolTimeout);
        proxy.port = port;
        return proxy;
      }
    }
    const std::string log = ReadFile(proxy.log_path);
    proxy.process.reset();
    if (log.find("Address already in use") == std::string::npos) {
      ADD_FAILURE() << "nutcracker did not become ready; its log:\n" << log;
      return proxy;
    }
  }
  ADD_FAILURE() << "nutcracker lost the race for a free port 5 times";
  return proxy;
}

// Sends `commands` pipelined on one connection and returns the reply lines (without "\r"), as
// many as `reply_lines`; fewer if the connection fails or the deadline passes.
std::vector<std::string> Pipeline(uint16_t port, const std::string& commands, size_t reply_lines) {
  std::vector<std::string> replies;
  std::unique_ptr<LineSocket> socket = LineSocket::Connect("127.0.0.1", port);
  if (socket == nullptr) return replies;
  const auto deadline = Within(kToolTimeout);
  if (!socket->SendAll(commands, deadline)) return replies;
  while (replies.size() < reply_lines) {
    std::optional<std::string> line = socket->ReadLine(deadline);
    if (!line) break;
    if (!line->empty() && line->back() == '\r') line->pop_back();
    replies.push_back(*line);
  }
  return replies;
}

class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RequireTool(kNutcracker, "nutcracker"));
    ASSERT_TRUE(RequireTool("/usr/bin/redis-cli", "redis-tools"));
    ASSERT_TRUE(RequireTool("/usr/bin/redis-benchmark", "redis-tools"));
    for (int i = 0; i < kShards; ++i) {
      shard_dirs_.push_back(dir_.path() + "/shard" + std::to_string(i));
      shards_.push_back(StartRespServer(shard_dirs_.back(), {"--snapshot-interval", "0"}));
      ASSERT_NE(shards_.back().server, nullptr);
      shard_ports_.push_back(shards_.back().resp_port);
    }
    proxy_ = StartProxy(dir_.path(), shard_ports_);
    ASSERT_NE(proxy_.port, 0);
  }

  // Every key a shard holds, read from the shard itself.
  std::vector<std::string> ShardKeys(int shard) {
    ProcessResult r = RedisCli(shard_ports_[shard], {"KEYS", "*"}, "", kToolTimeout);
    EXPECT_EQ(r.exit, 0) << r.err;
    std::vector<std::string> keys = Lines(r.out);
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  walkv::testing::TempDir dir_;
  std::vector<std::string> shard_dirs_;
  std::vector<RespServer> shards_;
  std::vector<uint16_t> shard_ports_;
  Proxy proxy_;
};

TEST_F(ScaleOutTest, RedisBenchmarkThroughTheProxyHasNoErrors) {
  ProcessResult r = RunProcess({"/usr/bin/redis-benchmark", "-p", std::to_string(proxy_.port),
                                "-t", "set,get,incr", "-n", "2000", "-c", "10", "-r", "1000",
                                "--csv"},
                               "", kToolTimeout);
  ASSERT_EQ(r.exit, 0) << "redis-benchmark did not finish cleanly:\n" << r.out << r.err;
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("Error")));
  for (const char* test : {"\"SET\"", "\"GET\"", "\"INCR\""}) EXPECT_THAT(r.out, HasSubstr(test));
  // The benchmark's random keys are spread, each on exactly one shard.
  std::map<std::string, int> homes;
  for (int shard = 0; shard < kShards; ++shard) {
    for (const std::string& key : ShardKeys(shard)) ++homes[key];
  }
  EXPECT_GT(homes.size(), 1u);
  for (const auto& [key, count] : homes) EXPECT_EQ(count, 1) << key;
}

TEST_F(ScaleOutTest, EveryKeyLandsOnExactlyOneShardAndSurvivesKillOfItsShard) {
  // Write through the proxy, pipelined; each +OK is an acknowledged write.
  std::string sets;
  for (int i = 0; i < kKeys; ++i) sets += RespCommand({"SET", KeyName(i), ValueOf(i)});
  const std::vector<std::string> acks = Pipeline(proxy_.port, sets, kKeys);
  ASSERT_EQ(acks.size(), static_cast<size_t>(kKeys));
  for (const std::string& ack : acks) ASSERT_EQ(ack, "+OK");

  // Each key is on exactly one shard, and ketama used every shard.
  std::vector<std::vector<std::string>> keys_of(kShards);
  std::map<std::string, int> home;
  for (int shard = 0; shard < kShards; ++shard) {
    keys_of[shard] = ShardKeys(shard);
    EXPECT_FALSE(keys_of[shard].empty()) << "ketama put no key on shard " << shard;
    for (const std::string& key : keys_of[shard]) {
      EXPECT_TRUE(home.emplace(key, shard).second) << key << " is on two shards";
    }
  }
  ASSERT_EQ(home.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(home.count(KeyName(i)), 1u) << KeyName(i);

  // kill -9 the shard with the most keys, restart it on the same data dir and RESP port.
  const int victim = static_cast<int>(
      std::max_element(keys_of.begin(), keys_of.end(),
                       [](const auto& a, const auto& b) { return a.size() < b.size(); }) -
      keys_of.begin());
  ASSERT_TRUE(shards_[victim].server->Kill().has_value());
  shards_[victim].server = ServerProcess::Start(
      shard_dirs_[victim],
      {"--resp-port", std::to_string(shard_ports_[victim]), "--snapshot-interval", "0"});
  ASSERT_NE(shards_[victim].server, nullptr);
  ASSERT_EQ(ParseRespPort(shards_[victim].server->stderr_text()), shard_ports_[victim]);

  // The restarted shard holds exactly the keys it acknowledged, with their values.
  EXPECT_EQ(ShardKeys(victim), keys_of[victim]);
  std::string gets;
  for (const std::string& key : keys_of[victim]) gets += RespCommand({"GET", key});
  const std::vector<std::string> replies =
      Pipeline(shard_ports_[victim], gets, 2 * keys_of[victim].size());
  ASSERT_EQ(replies.size(), 2 * keys_of[victim].size());
  for (size_t k = 0; k < keys_of[victim].size(); ++k) {
    const int i = std::stoi(keys_of[victim][k].substr(std::string("user:").size()));
    EXPECT_EQ(replies[2 * k + 1], ValueOf(i)) << keys_of[victim][k];
  }

  // The proxy reconnects to the restarted shard: its first request on the dead connection may
  // fail, so poll (bounded) until one of the shard's keys reads back through the proxy.
  const std::string sample = keys_of[victim].front();
  const std::string expected = ValueOf(std::stoi(sample.substr(std::string("user:").size())));
  const auto deadline = Within(kReadyTimeout);
  std::string seen;
  while (Clock::now() < deadline) {
    ProcessResult r = RedisCli(proxy_.port, {"GET", sample}, "", kToolTimeout);
    seen = r.out + r.err;
    if (r.exit == 0 && r.out == expected + "\n") break;
    // Pause between probes without sleeping: returns at once unless nutcracker exits.
    ASSERT_FALSE(proxy_.process->Wait(Within(std::chrono::milliseconds(20))))
        << "nutcracker exited:\n" << ReadFile(proxy_.log_path);
  }
  EXPECT_EQ(seen, expected + "\n") << "through the proxy after the restart";
}

}  // namespace
}  // namespace walkv::e2e
