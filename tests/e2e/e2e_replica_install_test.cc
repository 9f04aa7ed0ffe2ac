// The replica's SNAPSHOT install through the real binary (docs/replication.md §4): a replica killed
// with -9 while the primary writes on and snapshots with `--replication-backlog-bytes 0` (so the
// replica's seq is no longer on the primary's disk) catches up with exactly one snapshot installed
// and an equal digest, every acknowledged write present; a replica whose log holds a record that
// is valid but not the primary's (a flipped payload byte with its crc recomputed) is found out at
// the handshake and repaired by exactly one snapshot, every time, its own segments kept as
// *.dropped; a replica with a foreign history and a primary that has no snapshot at all drops its
// history (the empty-state install) and takes the primary's log from seq 1; a replica of a
// replica that installs a snapshot catches up as well. Observed through
// `info replication` and reads, polled with a deadline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/log_format.h"
#include "rpc/client.h"
#include "tests/e2e/replica_helpers.h"
#include "tests/e2e/server_process.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::vector<std::string> kQuiet = {"--snapshot-interval", "0"};

std::vector<std::string> ReplicaOf(const ServerProcess& primary) {
  std::vector<std::string> flags = kQuiet;
  flags.push_back("--replica-of");
  flags.push_back(Address(primary));
  return flags;
}

int CountFiles(const std::string& dir, std::string_view prefix, std::string_view contains) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.find(contains) != std::string::npos) ++n;
  }
  return n;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// In the replica's live log (wal-*.log, not *.dropped), flips the last payload byte of the
// `index`-th record (counting from the oldest segment) and recomputes its crc: a record that
// recovery accepts but that is not the primary's. Returns the seq of the changed record, 0 if
// there are not that many records.
uint64_t FlipRecord(const std::string& dir, size_t index) {
  std::vector<fs::path> segments;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("wal-") && name.ends_with(".log")) segments.push_back(entry.path());
  }
  std::sort(segments.begin(), segments.end());
  for (const fs::path& path : segments) {
    std::string bytes = ReadFile(path);
    size_t at = log::kSegmentHeaderSize;
    while (at + log::kRecordHeaderSize <= bytes.size()) {
      const uint32_t length = DecodeFixed32(bytes.data() + at + 4);
      if (length == 0 && DecodeFixed32(bytes.data() + at) == 0) break;  // a zero tail
      const size_t end = at + log::kRecordHeaderSize + length;
      if (end > bytes.size()) break;
      if (index == 0 && length > 0) {
        bytes[end - 1] = static_cast<char>(bytes[end - 1] ^ 0x01);
        const uint32_t crc = Crc32(std::string_view(bytes).substr(at + 4, end - at - 4));
        std::string fixed;
        PutFixed32(&fixed, crc);
        bytes.replace(at, 4, fixed);
        WriteFile(path, bytes);
        return DecodeFixed64(bytes.data() + at + 8);
      }
      if (length > 0) --index;
      at = end;
    }
  }
  return 0;
}

TEST(ReplicaInstallTest, AReplicaBeyondTheBacklogCatchesUpWithExactlyOneSnapshot) {
  testing::TempDir dir;
  std::vector<std::string> primary_flags = kQuiet;
  primary_flags.insert(primary_flags.end(), {"--replication-backlog-bytes", "0"});
  auto primary = ServerProcess::Start(dir.Sub("primary"), primary_flags);
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  std::map<std::string, std::string> acked;
  auto write = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string key = "k" + std::to_string(i % 60);
      const std::string value = "v" + std::to_string(i);
      ASSERT_TRUE(p->Set(key, value).ok());
      acked[key] = value;
    }
  };
  write(0, 100);
  auto replica = ServerProcess::Start(dir.Sub("replica"), ReplicaOf(*primary));
  ASSERT_NE(replica, nullptr);
  auto r = ConnectTo(*replica);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }));
  EXPECT_EQ(Replication(r.get())["snapshots_installed"], 0);
  const uint64_t replica_seq = Replication(r.get())["applied_seq"].get<uint64_t>();

  r.reset();
  replica->Kill();  // kill -9
  // The primary writes on and snapshots twice: the segments holding the replica's next record
  // are removed (no backlog kept), so only a snapshot can bring it back.
  write(100, 250);
  ASSERT_TRUE(p->Call("snapshot", json::array()).ok());
  write(250, 400);
  auto snap = p->Call("snapshot", json::array());
  ASSERT_TRUE(snap.ok() && snap->contains("result")) << snap->dump();
  write(400, 450);

  replica = ServerProcess::Start(dir.Sub("replica"), ReplicaOf(*primary));
  ASSERT_NE(replica, nullptr);
  r = ConnectTo(*replica);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }))
      << Replication(p.get()).dump() << "\n" << Replication(r.get()).dump();
  const json info = Replication(r.get());
  EXPECT_EQ(info["snapshots_installed"], 1) << info.dump();
  EXPECT_GT(info["last_install_seq"].get<uint64_t>(), replica_seq);
  EXPECT_THAT(replica->stderr_text(), ::testing::HasSubstr("installed the primary's state"));
  for (const auto& [key, value] : acked) {
    auto v = r->Get(key);
    ASSERT_TRUE(v.ok() && v->has_value()) << key;
    EXPECT_EQ(**v, value) << key;
  }
  EXPECT_EQ(State(r.get()), State(p.get()));
  // The replica's own segments were moved aside, not deleted.
  EXPECT_GE(CountFiles(dir.Sub("replica"), "wal-", ".dropped"), 1);
  // It keeps following after the install.
  write(450, 460);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }));
  EXPECT_EQ(Replication(r.get())["snapshots_installed"], 1);
}

TEST(ReplicaInstallTest, AFlippedRecordIsFoundAndRepairedByOneSnapshotEveryTime) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), kQuiet);
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  int next = 0;
  auto write = [&](int n) {
    for (int i = 0; i < n; ++i, ++next) {
      ASSERT_TRUE(p->Set("k" + std::to_string(next % 40), "value-" + std::to_string(next)).ok());
    }
  };
  write(50);
  ASSERT_TRUE(p->Call("snapshot", json::array()).ok());
  write(30);
  const std::string replica_dir = dir.Sub("replica");
  auto replica = ServerProcess::Start(replica_dir, ReplicaOf(*primary));
  ASSERT_NE(replica, nullptr);
  auto r = ConnectTo(*replica);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }));

  for (size_t round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    write(20);  // records in the replica's live log to flip
    ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }));
    r.reset();
    ASSERT_TRUE(replica->Terminate().has_value());
    const int dropped_before = CountFiles(replica_dir, "wal-", ".dropped");
    const uint64_t flipped = FlipRecord(replica_dir, 3 + 5 * round);
    ASSERT_NE(flipped, 0u);

    replica = ServerProcess::Start(replica_dir, ReplicaOf(*primary));
    ASSERT_NE(replica, nullptr);
    r = ConnectTo(*replica);
    ASSERT_NE(r, nullptr);
    ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }))
        << Replication(p.get()).dump() << "\n" << Replication(r.get()).dump();
    const json info = Replication(r.get());
    EXPECT_EQ(info["snapshots_installed"], 1) << info.dump();
    EXPECT_EQ(State(r.get()), State(p.get()));
    EXPECT_GT(CountFiles(replica_dir, "wal-", ".dropped"), dropped_before);
    EXPECT_THAT(replica->stderr_text(), ::testing::HasSubstr("snapshot"));
  }
}

TEST(ReplicaInstallTest, AForeignHistoryIsDroppedForAPrimaryWithoutSnapshot) {
  testing::TempDir dir;
  auto primary = ServerProcess::Start(dir.Sub("primary"), kQuiet);
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p->Set("p" + std::to_string(i), "x").ok());
  {  // The replica's directory holds seqs 1..2 of another history.
    auto other = ServerProcess::Start(dir.Sub("replica"), kQuiet);
    ASSERT_NE(other, nullptr);
    auto o = ConnectTo(*other);
    ASSERT_NE(o, nullptr);
    ASSERT_TRUE(o->Set("not", "the primary's").ok());
    ASSERT_TRUE(o->Set("nor", "this").ok());
    ASSERT_TRUE(other->Terminate().has_value());
  }
  auto replica = ServerProcess::Start(dir.Sub("replica"), ReplicaOf(*primary));
  ASSERT_NE(replica, nullptr);
  auto r = ConnectTo(*replica);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), r.get()); }))
      << Replication(p.get()).dump() << "\n" << Replication(r.get()).dump();
  const json info = Replication(r.get());
  EXPECT_EQ(info["snapshots_installed"], 1) << info.dump();
  EXPECT_EQ(info["last_install_seq"], 0);
  EXPECT_EQ(State(r.get()), State(p.get()));
  EXPECT_GE(CountFiles(dir.Sub("replica"), "wal-", ".dropped"), 1);
}

// A chain primary -> middle -> last: the middle one, killed and brought back beyond the
// primary's backlog, installs a snapshot while the last one follows it; the last one is then
// cut off or shown a differing digest and repairs itself the same way. All three end equal.
TEST(ReplicaInstallTest, AReplicaOfAnInstallingReplicaCatchesUpToo) {
  testing::TempDir dir;
  std::vector<std::string> primary_flags = kQuiet;
  primary_flags.insert(primary_flags.end(), {"--replication-backlog-bytes", "0"});
  auto primary = ServerProcess::Start(dir.Sub("primary"), primary_flags);
  ASSERT_NE(primary, nullptr);
  auto p = ConnectTo(*primary);
  ASSERT_NE(p, nullptr);
  int next = 0;
  auto write = [&](int n) {
    for (int i = 0; i < n; ++i, ++next) {
      ASSERT_TRUE(p->Set("k" + std::to_string(next % 30), "v" + std::to_string(next)).ok());
    }
  };
  write(50);
  auto middle = ServerProcess::Start(dir.Sub("middle"), ReplicaOf(*primary));
  ASSERT_NE(middle, nullptr);
  const uint16_t middle_port = middle->port();
  auto last = ServerProcess::Start(dir.Sub("last"), ReplicaOf(*middle));
  ASSERT_NE(last, nullptr);
  auto l = ConnectTo(*last);
  ASSERT_NE(l, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), l.get()); }));

  middle->Kill();
  write(100);
  ASSERT_TRUE(p->Call("snapshot", json::array()).ok());
  write(100);
  ASSERT_TRUE(p->Call("snapshot", json::array()).ok());
  write(10);
  std::vector<std::string> middle_flags = ReplicaOf(*primary);
  middle_flags.insert(middle_flags.end(), {"--port", std::to_string(middle_port)});
  middle = ServerProcess::Start(dir.Sub("middle"), middle_flags);
  ASSERT_NE(middle, nullptr);
  auto m = ConnectTo(*middle);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), m.get()); }))
      << Replication(p.get()).dump() << "\n" << Replication(m.get()).dump();
  EXPECT_EQ(Replication(m.get())["snapshots_installed"], 1);
  write(10);
  ASSERT_TRUE(Eventually([&] { return CaughtUp(p.get(), l.get()); }))
      << Replication(p.get()).dump() << "\n" << Replication(l.get()).dump();
  EXPECT_EQ(State(l.get()), State(p.get()));
}

}  // namespace
}  // namespace walkv::e2e
