// The history digest through the real binary (docs/replication.md §1): two servers fed the same
// writes report the same digest in `info replication`, whatever their snapshots; `walkv verify`
// prints that digest for the stopped directories, also after a kill -9; a different history
// gives a different line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "rpc/client.h"
#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::vector<std::string> kQuiet = {"--snapshot-interval", "0", "--snapshot-wal-bytes", "0"};

struct Digest {
  std::string hex;
  uint64_t seq = 0;
  uint64_t base_seq = 0;
};

Digest InfoDigest(rpc::Client* client) {
  auto info = client->Call("info", json::array({"replication"}));
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  if (!info.ok()) return {};
  EXPECT_TRUE(info->contains("result")) << info->dump();
  if (!info->contains("result")) return {};
  const json& r = (*info)["result"]["replication"];
  EXPECT_EQ(r["role"], "primary");
  return {r["digest"].get<std::string>(), r["digest_seq"].get<uint64_t>(),
          r["digest_base_seq"].get<uint64_t>()};
}

std::string VerifyDigestLine(const std::string& dir) {
  ProcessResult r = RunProcess({WalkvBinary(), "verify", "--data-dir", dir});
  EXPECT_EQ(r.exit, 0) << r.out << r.err;
  std::smatch m;
  if (!std::regex_search(r.out, m, std::regex("digest at seq [0-9]+: [0-9a-f]{16} \\(history "
                                              "since seq [0-9]+\\)\n"))) {
    ADD_FAILURE() << "no digest line in:\n" << r.out;
    return "";
  }
  return m.str();
}

std::string Line(const Digest& d) {
  return "digest at seq " + std::to_string(d.seq) + ": " + d.hex + " (history since seq " +
         std::to_string(d.base_seq) + ")\n";
}

void WriteHistory(rpc::Client* client, int from, int to) {
  for (int i = from; i < to; ++i) {
    ASSERT_TRUE(client->Set("key" + std::to_string(i % 13), "value" + std::to_string(i)).ok());
    if (i % 7 == 0) {
      ASSERT_TRUE(client->Append("key1", "+").ok());
    }
    if (i % 9 == 0) {
      ASSERT_TRUE(client->Delete("key2").ok());
    }
  }
}

TEST(ReplicationDigestE2eTest, SameWritesSameDigestInInfoAndVerifyWhateverTheSnapshots) {
  testing::TempDir dir;
  auto a = ServerProcess::Start(dir.Sub("a"), kQuiet);
  auto b = ServerProcess::Start(dir.Sub("b"), kQuiet);
  ASSERT_TRUE(a && b);
  auto ca = rpc::Client::Connect(a->host(), a->port());
  auto cb = rpc::Client::Connect(b->host(), b->port());
  ASSERT_TRUE(ca.ok() && cb.ok());
  ASSERT_NO_FATAL_FAILURE(WriteHistory(ca->get(), 0, 100));
  ASSERT_NO_FATAL_FAILURE(WriteHistory(cb->get(), 0, 50));
  ASSERT_TRUE((*cb)->Call("snapshot").ok());  // b's files differ from a's; its history does not
  ASSERT_NO_FATAL_FAILURE(WriteHistory(cb->get(), 50, 100));
  const Digest da = InfoDigest(ca->get());
  const Digest db = InfoDigest(cb->get());
  EXPECT_EQ(da.seq, db.seq);
  EXPECT_EQ(da.base_seq, 0u);
  EXPECT_EQ(da.hex, db.hex);
  ASSERT_TRUE(a->Terminate().has_value());
  ASSERT_TRUE(b->Terminate().has_value());
  EXPECT_EQ(VerifyDigestLine(dir.Sub("a")), Line(da));
  EXPECT_EQ(VerifyDigestLine(dir.Sub("b")), Line(db));

  // verify --json carries it too.
  ProcessResult r = RunProcess({WalkvBinary(), "verify", "--data-dir", dir.Sub("b"), "--json"});
  json report = json::parse(r.out);
  EXPECT_EQ(report["digest"]["value"], db.hex);
  EXPECT_EQ(report["digest"]["seq"], db.seq);

  // One more write on a only: its line changes, b's stays.
  auto again = ServerProcess::Start(dir.Sub("a"), kQuiet);
  ASSERT_TRUE(again);
  auto client = rpc::Client::Connect(again->host(), again->port());
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(InfoDigest(client->get()).hex, da.hex);  // recovered, not recomputed differently
  ASSERT_TRUE((*client)->Set("extra", "x").ok());
  ASSERT_TRUE(again->Terminate().has_value());
  EXPECT_NE(VerifyDigestLine(dir.Sub("a")), Line(da));
}

TEST(ReplicationDigestE2eTest, AcknowledgedDigestSurvivesKillNine) {
  testing::TempDir dir;
  auto server = ServerProcess::Start(dir.Sub("data"), kQuiet);
  ASSERT_TRUE(server);
  auto client = rpc::Client::Connect(server->host(), server->port());
  ASSERT_TRUE(client.ok());
  ASSERT_NO_FATAL_FAILURE(WriteHistory(client->get(), 0, 60));
  ASSERT_TRUE((*client)->Call("snapshot").ok());
  ASSERT_NO_FATAL_FAILURE(WriteHistory(client->get(), 60, 80));
  const Digest acked = InfoDigest(client->get());
  server->Kill();
  EXPECT_EQ(VerifyDigestLine(dir.Sub("data")), Line(acked));
}

}  // namespace
}  // namespace walkv::e2e
