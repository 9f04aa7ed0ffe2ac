// `info [section]` over the protocol in front of the real engine: every section is there with the
// documented fields, `info <section>` answers that section alone (any case), an unknown section is
// INVALID_ARGUMENT naming the sections.
#include "rpc/info_method.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "rpc/client.h"
#include "tests/rpc/served_engine.h"
#include "tests/util/temp_dir.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using walkv::testing::Served;

TEST(InfoMethodTest, EverySectionHasItsFields) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"), {.max_keys_reply = 123});
  auto c = served.Connect();
  ASSERT_TRUE(c->Set("a", "1").ok());
  auto info = c->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  for (std::string_view name : InfoSectionNames()) {
    EXPECT_TRUE((*info)[std::string(name)].is_object()) << name;
  }
  const json& server = (*info)["server"];
  EXPECT_FALSE(server["version"].get<std::string>().empty());
  EXPECT_EQ(server["pid"], static_cast<int64_t>(::getpid()));  // the server runs in this process
  EXPECT_EQ(server["port"], served.port());
  EXPECT_EQ(server["data_dir"], dir.Sub("data"));
  EXPECT_EQ(server["fsync"], "never");
  EXPECT_EQ(server["max_keys_reply"], 123);
  for (const char* field : {"host", "fsync_interval_ms", "snapshot_interval_seconds",
                            "snapshot_wal_bytes", "recovery_mode", "uptime_seconds"}) {
    EXPECT_TRUE(server.contains(field)) << field;
  }
  EXPECT_EQ((*info)["keyspace"]["keys"], 1);
  EXPECT_EQ((*info)["keyspace"]["keys_with_deadline"], 0);
  EXPECT_EQ(server["resp_port"], 0);  // Served starts no RESP listener
  ASSERT_TRUE(c->Call("set", {"b", "2", "EX", "100"}).ok());
  auto after = c->Info();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)["keyspace"], json({{"keys", 2}, {"keys_with_deadline", 1}}));
  EXPECT_GE((*info)["stats"]["ops"]["set"], 1);
  EXPECT_EQ((*info)["persistence"]["recovery"]["keys"], 0);
  EXPECT_GE((*info)["clients"]["connections_current"], 1);
  EXPECT_GT((*info)["memory"]["approx_memory_bytes"], 0);
}

// The contract's info() (no section): the counters earlier releases answered keep their names and
// places next to the sections, including the old server object's ops and connection counters.
TEST(InfoMethodTest, WithoutASectionTheOriginalCountersStayAtTheirPlaces) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"), {});
  auto c = served.Connect();
  ASSERT_TRUE(c->Set("a", "1").ok());
  auto info = c->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ((*info)["keys"], 1);
  EXPECT_GT((*info)["approx_memory_bytes"], 0);
  EXPECT_GT((*info)["log_bytes"], 0);
  EXPECT_GE((*info)["fsync_count"], 0);
  EXPECT_TRUE((*info).contains("last_snapshot"));
  EXPECT_TRUE((*info).contains("uptime_micros"));
  EXPECT_EQ((*info)["recovery"]["keys"], 0);
  EXPECT_GE((*info)["server"]["ops"]["set"], 1);
  EXPECT_GE((*info)["server"]["connections_current"], 1);
  // A named section (or "all") answers the sections alone.
  auto all = c->Call("info", {"all"});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ((*all)["result"].size(), InfoSectionNames().size()) << all->dump();
  EXPECT_FALSE((*all)["result"].contains("keys"));
}

TEST(InfoMethodTest, OneSectionAnyCase) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"));
  auto c = served.Connect();
  for (const char* name : {"keyspace", "KEYSPACE", "Keyspace"}) {
    auto r = c->Call("info", {name});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)["result"], json({{"keyspace", {{"keys", 0}, {"keys_with_deadline", 0}}}}))
        << r->dump();
  }
  auto by_name = c->Call("info", json::array(), {{"section", "persistence"}});
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ((*by_name)["result"].size(), 1u);
  EXPECT_TRUE((*by_name)["result"]["persistence"].contains("fsync_count")) << by_name->dump();
  auto all = c->Call("info", {"all"});
  EXPECT_EQ((*all)["result"].size(), InfoSectionNames().size());
}

TEST(InfoMethodTest, UnknownSectionListsTheSections) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"));
  auto c = served.Connect();
  auto r = c->Call("info", {"cpu"});
  ASSERT_TRUE(r.ok());
  auto error = RpcErrorOf(*r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "INVALID_ARGUMENT");
  EXPECT_NE(error->message.find("server, clients, memory, persistence, replication, stats, keyspace"),
            std::string::npos)
      << error->message;
}

}  // namespace
}  // namespace walkv::rpc
