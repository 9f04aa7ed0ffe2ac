// `walkv verify` and `walkv compact` through the real binary (contract §1, docs/operations.md):
// exit codes (0 clean / 1 damage / 2 could not run for verify; compact's refusal while a server
// holds the directory), verify's human and --json output field by field, verify beside a running
// server that is writing and snapshotting, compact's result (bytes before and after, the same state
// afterwards), compact on damaged and non-data directories, both --help texts, verify's progress
// on a terminal, and the two procedures docs/operations.md gives operators: an online backup
// (snapshot, then copy) and the recovery of a damaged directory with --recovery-mode
// point-in-time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/kv_history.h"
#include "tests/e2e/pty_session.h"
#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kQuiet = {"--snapshot-interval", "0", "--snapshot-wal-bytes", "0"};

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every file of a directory with its bytes (LOCK excluded: its content is only the last holder's
// pid, docs/format.md §5).
std::map<std::string, std::string> DataFiles(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename();
    if (name != "LOCK") files[name] = ReadBytes(entry.path());
  }
  return files;
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Sum of the sizes of the snapshots and log segments (what compact reports).
uint64_t DataBytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& [name, content] : DataFiles(dir)) {
    bool data = (name.rfind("snap-", 0) == 0 && name.ends_with(".snap")) ||
                (name.rfind("wal-", 0) == 0 && name.ends_with(".log"));
    if (data) bytes += content.size();
  }
  return bytes;
}

std::string Padded(const char* prefix, uint64_t seq, const char* suffix) {
  std::string digits = std::to_string(seq);
  return prefix + std::string(20 - digits.size(), '0') + digits + suffix;
}

ProcessResult Walkv(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {WalkvBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

json ParseJson(const ProcessResult& r) {
  json parsed = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << "not JSON:\n" << r.out << r.err;
  return parsed;
}

// Writes random mutations on its own connection until stopped; the history is read after Stop().
class BackgroundWriter {
 public:
  BackgroundWriter(const ServerProcess& server, KvHistory* history, uint32_t seed)
      : thread_([this, host = server.host(), port = server.port(), history, seed] {
          auto client = ConnectClient(host, port);
          if (client == nullptr) return;
          std::mt19937 rng(seed);
          // Bounded, so a stuck test cannot write forever.
          for (int i = 0; i < 200000 && !stop_.load(); ++i) {
            if (!history->RandomMutation(*client, rng)) {
              failed_ = true;
              return;
            }
            std::lock_guard<std::mutex> lock(mu_);
            ++done_;
            cv_.notify_all();
          }
        }) {}
  ~BackgroundWriter() { Stop(); }
  uint64_t done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  // Waits (up to a minute) until `n` mutations were acknowledged; false if the writer stopped.
  bool WaitForAtLeast(uint64_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return done_ >= n; });
  }
  // Joins the thread; false if a mutation failed.
  bool Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return !failed_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t done_ = 0;  // guarded by mu_
  std::atomic<bool> failed_{false};
  std::thread thread_;
};

class MaintenanceTest : public ::testing::Test {
 protected:
  std::string data() const { return dir_.Sub("data"); }

  // `before` mutations, a snapshot, `after` more, clean stop: one snapshot and two log segments.
  void Populate(int before = 150, int after = 60) {
    auto server = ServerProcess::Start(data(), kQuiet);
    ASSERT_NE(server, nullptr);
    auto client = ConnectClient(server->host(), server->port());
    ASSERT_NE(client, nullptr);
    std::mt19937 rng(7);
    for (int i = 0; i < before; ++i) ASSERT_TRUE(history_.RandomMutation(*client, rng, 12));
    ASSERT_TRUE(client->Snapshot().ok());
    for (int i = 0; i < after; ++i) ASSERT_TRUE(history_.RandomMutation(*client, rng, 12));
    ASSERT_EQ(server->Terminate(), 0) << server->stderr_text();
  }

  std::string NewestSegment() const {
    std::string newest;
    for (const std::string& name : Names(data())) {
      if (name.rfind("wal-", 0) == 0 && name.ends_with(".log")) newest = name;
    }
    return newest;
  }

  // Flips one byte in the middle of `file` (inside a record, not its last one).
  void DamageMiddle(const std::string& file) {
    std::string path = data() + "/" + file;
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(fs::file_size(path) / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(fs::file_size(path) / 2));
    c = static_cast<char>(c ^ 0x40);
    f.write(&c, 1);
  }

  KvState Served(const std::vector<std::string>& flags = kQuiet) {
    auto server = ServerProcess::Start(data(), flags);
    EXPECT_NE(server, nullptr);
    if (server == nullptr) return {};
    auto client = ConnectClient(server->host(), server->port());
    EXPECT_NE(client, nullptr);
    if (client == nullptr) return {};
    auto state = ReadServedState(*client);
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    EXPECT_EQ(server->Terminate(), 0) << server->stderr_text();
    return state.ok() ? *state : KvState{};
  }

  testing::TempDir dir_;
  KvHistory history_;
};

// ---------------------------------------------------------------------------------------------
// walkv verify

TEST_F(MaintenanceTest, VerifyCleanDirectoryExitsZeroListsEveryFileAndSaysWhatServeWouldLoad) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  const std::string lock_before = ReadBytes(data() + "/LOCK");
  const auto files_before = DataFiles(data());
  ProcessResult r = Walkv({"verify", "--data-dir", data()});
  EXPECT_EQ(r.exit, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "") << "no progress output when stderr is not a terminal";
  // Read-only: not a byte changes, not even the last holder's pid in LOCK.
  EXPECT_EQ(ReadBytes(data() + "/LOCK"), lock_before);
  EXPECT_FALSE(lock_before.empty());
  EXPECT_EQ(DataFiles(data()), files_before);
  EXPECT_THAT(r.out, HasSubstr("walkv verify " + data() + "\n"));
  for (const std::string& name : Names(data())) {
    if (name == "LOCK") continue;
    EXPECT_TRUE(std::regex_search(r.out, std::regex(name + " +(snapshot|log|head) .* ok\n")))
        << name;
  }
  EXPECT_THAT(r.out, HasSubstr("summary: 1 snapshot(s), 2 log segment(s), 210 records, " +
                               std::to_string(DataBytes(data())) + " bytes; serve would start "
                               "with " + std::to_string(history_.latest().size()) +
                               " keys at sequence 210 from " + Padded("snap-", 150, ".snap")));
  EXPECT_THAT(r.out, HasSubstr("\nresult: clean\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("problem")));
}

TEST_F(MaintenanceTest, VerifyDamageExitsOneNamesFileAndOffsetAndWhatEachModeWouldDo) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  const std::string wal = NewestSegment();
  DamageMiddle(wal);
  ProcessResult r = Walkv({"verify", "--data-dir", data(), "--json"});
  EXPECT_EQ(r.exit, 1);
  json report = ParseJson(r);
  ASSERT_EQ(report["problems"].size(), 1u) << report.dump(2);
  const json& problem = report["problems"][0];
  EXPECT_EQ(problem["file"], wal);
  const uint64_t offset = problem["offset"];
  EXPECT_LE(offset, fs::file_size(data() + "/" + wal) / 2);

  ProcessResult human = Walkv({"verify", "--data-dir", data()});
  EXPECT_EQ(human.exit, 1);
  EXPECT_TRUE(std::regex_search(human.out, std::regex(wal + " +log .* DAMAGED\n"))) << human.out;
  EXPECT_THAT(human.out, HasSubstr("1 problem:\n  " + wal + " at byte " + std::to_string(offset) +
                                   ": [damage] record checksum mismatch (intact records follow at "
                                   "byte "));
  EXPECT_THAT(human.out, HasSubstr("serve --recovery-mode tolerate-tail: would refuse to start"));
  EXPECT_THAT(human.out, HasSubstr("serve --recovery-mode absolute:      would refuse to start"));
  EXPECT_THAT(human.out, HasSubstr("serve --recovery-mode point-in-time: log damage in " + wal));
  EXPECT_THAT(human.out, HasSubstr("\nresult: DAMAGE FOUND\n"));
}

TEST_F(MaintenanceTest, VerifyExitsTwoWhenItCannotRun) {
  ASSERT_NO_FATAL_FAILURE(Populate(10, 5));
  auto expect_cannot_run = [](const ProcessResult& r, const std::string& message) {
    EXPECT_EQ(r.exit, 2) << r.out << r.err;
    EXPECT_EQ(r.out, "") << "no report when verify could not run";
    EXPECT_THAT(r.err, HasSubstr(message));
  };
  expect_cannot_run(Walkv({"verify", "--data-dir", dir_.Sub("missing")}), "does not exist");
  EXPECT_FALSE(fs::exists(dir_.Sub("missing"))) << "verify created the directory";

  std::ofstream(dir_.Sub("a-file")) << "x";
  expect_cannot_run(Walkv({"verify", "--data-dir", dir_.Sub("a-file")}), "Not a directory");

  fs::create_directory(dir_.Sub("not-data"));
  std::ofstream(dir_.Sub("not-data") + "/notes.txt") << "x";
  expect_cannot_run(Walkv({"verify", "--data-dir", dir_.Sub("not-data")}),
                    "is not a walkv data directory");
  fs::create_directory(dir_.Sub("empty"));
  expect_cannot_run(Walkv({"verify", "--data-dir", dir_.Sub("empty")}),
                    "is not a walkv data directory");

  expect_cannot_run(Walkv({"verify"}), "--data-dir");
  expect_cannot_run(Walkv({"verify", "--data-dir", data(), "--bogus"}), "--bogus");
}

// On a terminal, verify shows which file it is reading on stderr, then clears that line; the
// report is the same. (Without a terminal there is no progress at all: see the test above.)
TEST_F(MaintenanceTest, VerifyShowsProgressOnlyOnATerminal) {
  ASSERT_NO_FATAL_FAILURE(Populate(10, 5));
  auto session = PtySession::Start({WalkvBinary(), "verify", "--data-dir", data()});
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->Wait(Within(std::chrono::seconds(30))), 0) << session->output();
  const std::string& out = session->output();
  EXPECT_THAT(out, HasSubstr("\rverify: [1/3] " + Padded("snap-", 10, ".snap")));
  EXPECT_THAT(out, HasSubstr("\rverify: [3/3] " + Padded("wal-", 11, ".log")));
  EXPECT_THAT(out, HasSubstr("result: clean"));
}

// Permission problems: as root nothing is unreadable, so the check runs as user nobody (setpriv)
// when the test runs as root.
TEST_F(MaintenanceTest, VerifyExitsTwoOnPermissionDenied) {
  ASSERT_NO_FATAL_FAILURE(Populate(10, 5));
  std::vector<std::string> prefix;
  if (geteuid() == 0) {
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "root without setpriv";
    prefix = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::others_exec);
  }
  auto verify_as_user = [&] {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), {WalkvBinary(), "verify", "--data-dir", data()});
    return RunProcess(argv);
  };
  fs::permissions(data(), fs::perms::none);
  ProcessResult unreadable_dir = verify_as_user();
  EXPECT_EQ(unreadable_dir.exit, 2) << unreadable_dir.out << unreadable_dir.err;
  EXPECT_THAT(unreadable_dir.err, HasSubstr("Permission denied"));

  fs::permissions(data(), fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  const std::string wal = data() + "/" + NewestSegment();
  fs::permissions(wal, fs::perms::none);
  ProcessResult unreadable_file = verify_as_user();
  EXPECT_EQ(unreadable_file.exit, 2) << unreadable_file.out << unreadable_file.err;
  EXPECT_THAT(unreadable_file.err, HasSubstr("Permission denied"));
  EXPECT_THAT(unreadable_file.err, HasSubstr(wal));
  fs::permissions(wal, fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(data(), fs::perms::owner_all);
}

// Every field docs/operations.md documents for `walkv verify --json`, with its type, on a clean
// and on a damaged directory; and the numbers agree with the files on disk and the history.
TEST_F(MaintenanceTest, VerifyJsonHasEveryDocumentedFieldWithItsType) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  for (bool damaged : {false, true}) {
    SCOPED_TRACE(damaged ? "damaged" : "clean");
    if (damaged) DamageMiddle(NewestSegment());
    ProcessResult r = Walkv({"verify", "--data-dir", data(), "--json"});
    EXPECT_EQ(r.exit, damaged ? 1 : 0);
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one line of JSON";
    json j = ParseJson(r);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["data_dir"], data());
    EXPECT_EQ(j["clean"], !damaged);
    EXPECT_EQ(j["torn_tail_only"], false);
    EXPECT_EQ(j["server_running"], false);
    ASSERT_TRUE(j["notes"].is_array());
    for (const json& note : j["notes"]) EXPECT_TRUE(note.is_string());

    ASSERT_TRUE(j["files"].is_array());
    ASSERT_EQ(j["files"].size(), 4u);
    uint64_t bytes = 0;
    for (const json& f : j["files"]) {
      ASSERT_TRUE(f["name"].is_string());
      const std::string name = f["name"];
      SCOPED_TRACE(name);
      ASSERT_TRUE(f["kind"] == "snapshot" || f["kind"] == "log" || f["kind"] == "head")
          << f.dump();
      EXPECT_TRUE(f["bytes"].is_number_unsigned());
      EXPECT_EQ(f["bytes"], fs::file_size(data() + "/" + name));
      if (f["kind"] == "head") {  // LOGHEAD: which segment it names, no records or entries
        EXPECT_EQ(name, "LOGHEAD");
        EXPECT_EQ(f["names"], NewestSegment());
        EXPECT_EQ(f["seq"], std::stoull(NewestSegment().substr(4, 20)));
        EXPECT_EQ(f["ok"], true);
        EXPECT_EQ(f.size(), 7u) << f.dump();
        continue;
      }
      const bool log = f["kind"] == "log";
      bytes += f["bytes"].get<uint64_t>();
      EXPECT_TRUE(f["seq"].is_number_unsigned());
      EXPECT_TRUE(f["last_seq"].is_number_unsigned());
      EXPECT_TRUE(f[log ? "records" : "entries"].is_number_unsigned());
      EXPECT_FALSE(f.contains(log ? "entries" : "records"));
      EXPECT_TRUE(f["ok"].is_boolean());
      EXPECT_EQ(f.size(), 7u) << f.dump();
      if (!log) {
        EXPECT_EQ(f["seq"], 150u);
        EXPECT_EQ(f["entries"], history_.state(150).size());
      }
    }

    ASSERT_TRUE(j["problems"].is_array());
    EXPECT_EQ(j["problems"].size(), damaged ? 1u : 0u);
    for (const json& p : j["problems"]) {
      EXPECT_TRUE(p["file"].is_string());
      EXPECT_TRUE(p["offset"].is_number_unsigned());
      EXPECT_TRUE(p["what"].is_string());
      EXPECT_EQ(p["kind"], "mid_log_damage");
      EXPECT_EQ(p["class"], "damage");
      ASSERT_TRUE(p["serve"].is_object());
      for (const char* mode : {"tolerate-tail", "absolute", "point-in-time"}) {
        EXPECT_TRUE(p["serve"][mode].is_string()) << mode;
      }
    }

    const json& s = j["summary"];
    ASSERT_TRUE(s.is_object());
    for (const char* field : {"snapshots", "segments", "records", "keys", "bytes", "last_seq"}) {
      EXPECT_TRUE(s[field].is_number_unsigned()) << field;
    }
    EXPECT_EQ(s["snapshots"], 1u);
    EXPECT_EQ(s["segments"], 2u);
    EXPECT_EQ(s["bytes"], bytes);
    EXPECT_EQ(s["bytes"], DataBytes(data()));
    // Summary keys/last_seq are what serve (tolerate-tail) would load: nothing when it refuses.
    EXPECT_EQ(s["last_seq"], damaged ? 0u : history_.mutations());
    EXPECT_EQ(s["keys"], damaged ? 0u : history_.latest().size());
    if (!damaged) {
      EXPECT_EQ(s["records"], 210u);
    }

    ASSERT_TRUE(j["recovery"].is_object());
    for (const char* mode : {"tolerate-tail", "absolute", "point-in-time"}) {
      SCOPED_TRACE(mode);
      const json& o = j["recovery"][mode];
      ASSERT_TRUE(o.is_object());
      EXPECT_TRUE(o["would_start"].is_boolean());
      EXPECT_TRUE(o["summary"].is_string());
      ASSERT_TRUE(o["actions"].is_array());
      for (const json& a : o["actions"]) EXPECT_TRUE(a.is_string());
      const bool starts = !damaged || std::string(mode) == "point-in-time";
      EXPECT_EQ(o["would_start"], starts);
      // Recovery's plan as data: one finding for the damage, with this mode's decision.
      const json& plan = o["plan"];
      ASSERT_TRUE(plan["findings"].is_array());
      ASSERT_TRUE(plan["changes"].is_array());
      ASSERT_EQ(plan["findings"].size(), damaged ? 1u : 0u);
      for (const json& f : plan["findings"]) {
        EXPECT_EQ(f["kind"], "mid_log_damage");
        EXPECT_EQ(f["decision"], starts ? "repair" : "refuse");
        EXPECT_EQ(f["file"], NewestSegment());
        EXPECT_TRUE(f["offset"].is_number_unsigned());
        EXPECT_TRUE(f["bytes"].is_number_unsigned());
      }
      // Point-in-time keeps the tail it drops, then truncates; a refusal changes nothing.
      std::vector<std::string> changes;
      for (const json& c : plan["changes"]) changes.push_back(c["action"]);
      const std::vector<std::string> expected_changes =
          damaged && starts ? std::vector<std::string>{"keep_tail", "truncate"}
                            : std::vector<std::string>{};
      EXPECT_EQ(changes, expected_changes);
    }
    // The history digest of the state serve would start with; null when it would refuse.
    if (damaged) {
      EXPECT_TRUE(j["digest"].is_null());
    } else {
      ASSERT_TRUE(j["digest"].is_object());
      EXPECT_TRUE(j["digest"]["seq"].is_number_unsigned());
      EXPECT_TRUE(j["digest"]["base_seq"].is_number_unsigned());
      EXPECT_TRUE(j["digest"]["value"].is_string());
      EXPECT_EQ(j["digest"]["value"].get<std::string>().size(), 16u);
      EXPECT_EQ(j["digest"]["seq"], j["summary"]["last_seq"]);
    }
    // The REPLICATION file (docs/replication.md §7): none here, so epoch 0.
    ASSERT_TRUE(j["replication"].is_object());
    EXPECT_EQ(j["replication"]["present"], false);
    EXPECT_EQ(j["replication"]["epoch"], 0u);
    EXPECT_EQ(j.size(), 11u) << "a field was added without documenting it: " << j.dump();
  }
}

// Verify is safe beside a server that is writing, rolling segments and snapshotting (and so
// removing files): every run is clean, says a server is running, and the server loses nothing.
TEST_F(MaintenanceTest, VerifyWhileAServerWritesAndSnapshotsIsCleanAndSaysSo) {
  ASSERT_NO_FATAL_FAILURE(Populate(20, 10));
  auto server = ServerProcess::Start(
      data(), {"--snapshot-interval", "0", "--snapshot-wal-bytes", "8192"});
  ASSERT_NE(server, nullptr);
  uint64_t before = history_.mutations();
  {
    BackgroundWriter writer(*server, &history_, 11);
    for (int run = 0; run < 8; ++run) {
      // Spread the runs over about 500 writes: a snapshot (and the cleanup after it) every ~60.
      ASSERT_TRUE(writer.WaitForAtLeast(static_cast<uint64_t>(run) * 60));
      SCOPED_TRACE("verify run " + std::to_string(run) + " after " +
                   std::to_string(writer.done()) + " concurrent writes");
      ProcessResult r = Walkv({"verify", "--data-dir", data(), "--json"});
      EXPECT_EQ(r.exit, 0) << r.out << r.err;
      json j = ParseJson(r);
      EXPECT_EQ(j["clean"], true) << j["problems"].dump(2);
      EXPECT_EQ(j["server_running"], true);
      ASSERT_FALSE(j["notes"].empty());
      EXPECT_THAT(j["notes"][0].get<std::string>(), HasSubstr("a server is running"));
      EXPECT_GE(j["summary"]["last_seq"].get<uint64_t>(), before);
    }
    ASSERT_TRUE(writer.Stop());
  }
  EXPECT_GE(history_.mutations(), before + 420);
  auto client = ConnectClient(server->host(), server->port());
  ASSERT_NE(client, nullptr);
  auto state = ReadServedState(*client);
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(*state == history_.latest()) << DescribeDifference(*state, history_.latest());
  EXPECT_EQ(server->Terminate(), 0) << server->stderr_text();
  const std::string log = server->stderr_text();
  size_t snapshots = 0;
  for (size_t at = log.find("snapshot snap-"); at != std::string::npos;
       at = log.find("snapshot snap-", at + 1)) {
    ++snapshots;
  }
  EXPECT_GE(snapshots, 4u) << "verify did not run beside snapshots and cleanups:\n" << log;
  EXPECT_EQ(Walkv({"verify", "--data-dir", data()}).exit, 0);
}

// ---------------------------------------------------------------------------------------------
// walkv compact

TEST_F(MaintenanceTest, CompactRefusesWhileAServerHoldsTheDirectoryAndPointsAtCliSnapshot) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  auto before = DataFiles(data());
  auto server = ServerProcess::Start(data(), kQuiet);
  ASSERT_NE(server, nullptr);
  before = DataFiles(data());  // the server started a new segment
  ProcessResult r = Walkv({"compact", "--data-dir", data()});
  EXPECT_EQ(r.exit, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("is locked by another process"));
  EXPECT_THAT(r.err, HasSubstr("walkv cli snapshot"));
  EXPECT_EQ(DataFiles(data()), before) << "compact changed a directory a server holds";
  auto client = ConnectClient(server->host(), server->port());
  ASSERT_NE(client, nullptr);
  auto state = ReadServedState(*client);
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(*state == history_.latest());
  EXPECT_EQ(server->Terminate(), 0);
}

TEST_F(MaintenanceTest, CompactOfflineShrinksPrintsBytesBeforeAndAfterAndKeepsEveryKey) {
  ASSERT_NO_FATAL_FAILURE(Populate(300, 200));
  const uint64_t before = DataBytes(data());
  const uint64_t T = history_.mutations();
  ProcessResult r = Walkv({"compact", "--data-dir", data()});
  ASSERT_EQ(r.exit, 0) << r.out << r.err;
  const uint64_t after = DataBytes(data());
  EXPECT_LT(after, before / 2);
  EXPECT_THAT(r.out, HasSubstr("bytes before: " + std::to_string(before) + "\n"));
  EXPECT_THAT(r.out, HasSubstr("bytes after: " + std::to_string(after) + "\n"));
  EXPECT_THAT(r.out, HasSubstr("compacted " + data() + ": "));
  EXPECT_THAT(r.out, HasSubstr("in 3 files -> "));
  EXPECT_THAT(r.out, HasSubstr("snapshot: " + Padded("snap-", T, ".snap") + " (sequence " +
                               std::to_string(T) + ", " +
                               std::to_string(history_.latest().size()) + " keys)"));
  // One snapshot of the whole state and an empty segment to continue the log.
  EXPECT_EQ(Names(data()), (std::vector<std::string>{"LOCK", "LOGHEAD", Padded("snap-", T, ".snap"),
                                                     Padded("wal-", T + 1, ".log")}));
  EXPECT_EQ(Walkv({"verify", "--data-dir", data()}).exit, 0);
  KvState served = Served();
  EXPECT_TRUE(served == history_.latest()) << DescribeDifference(served, history_.latest());
  // Compacting a compacted directory changes nothing that matters and still succeeds.
  ProcessResult again = Walkv({"compact", "--data-dir", data()});
  EXPECT_EQ(again.exit, 0) << again.err;
  EXPECT_TRUE(Served() == history_.latest());
}

// Mid-log damage: compact recovers as serve does by default, so it refuses, names the file and
// byte, and leaves every file as it was.
TEST_F(MaintenanceTest, CompactOnMidLogDamageRefusesAndChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  const std::string wal = NewestSegment();
  DamageMiddle(wal);
  auto before = DataFiles(data());
  ProcessResult r = Walkv({"compact", "--data-dir", data()});
  EXPECT_EQ(r.exit, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("log damage in " + wal + " at byte "));
  EXPECT_THAT(r.err, HasSubstr("walkv verify"));
  EXPECT_THAT(r.err, HasSubstr("nothing was compacted"));
  EXPECT_THAT(r.err, HasSubstr("docs/operations.md"));
  EXPECT_EQ(DataFiles(data()), before);
}

// A torn tail (what a crash leaves): compact truncates it as serve would, says so, and the
// compacted directory holds every mutation before the torn one.
TEST_F(MaintenanceTest, CompactTruncatesATornTailLikeServeAndSaysSo) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  const std::string wal = NewestSegment();
  fs::resize_file(data() + "/" + wal, fs::file_size(data() + "/" + wal) - 5);
  ProcessResult r = Walkv({"compact", "--data-dir", data()});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("log damage in " + wal));
  EXPECT_THAT(r.err, HasSubstr("truncated " + wal));
  EXPECT_EQ(Walkv({"verify", "--data-dir", data()}).exit, 0);
  const KvState& expected = history_.state(history_.mutations() - 1);
  KvState served = Served();
  EXPECT_TRUE(served == expected) << DescribeDifference(served, expected);
}

// A torn tail is its own class: a nightly check can tell it from real damage by the JSON field
// or, with --torn-tail-ok, by the exit status; real damage still exits 1 with that flag.
TEST_F(MaintenanceTest, VerifyReportsATornTailAsItsOwnClass) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  const std::string wal = NewestSegment();
  fs::resize_file(data() + "/" + wal, fs::file_size(data() + "/" + wal) - 5);
  ProcessResult r = Walkv({"verify", "--data-dir", data(), "--json"});
  EXPECT_EQ(r.exit, 1);
  json j = ParseJson(r);
  ASSERT_EQ(j["problems"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["problems"][0]["class"], "torn-tail");
  EXPECT_EQ(j["problems"][0]["kind"], "torn_tail");
  EXPECT_EQ(j["torn_tail_only"], true);
  ProcessResult human = Walkv({"verify", "--data-dir", data()});
  EXPECT_EQ(human.exit, 1);
  EXPECT_THAT(human.out, HasSubstr("[torn-tail]"));
  EXPECT_THAT(human.out, HasSubstr("\nresult: TORN TAIL ONLY"));
  EXPECT_EQ(Walkv({"verify", "--data-dir", data(), "--torn-tail-ok"}).exit, 0);

  DamageMiddle(Padded("wal-", 1, ".log"));  // and now real damage besides
  ProcessResult damaged = Walkv({"verify", "--data-dir", data(), "--torn-tail-ok", "--json"});
  EXPECT_EQ(damaged.exit, 1);
  EXPECT_EQ(ParseJson(damaged)["torn_tail_only"], false);
}

TEST_F(MaintenanceTest, CompactExitsTwoWhenItCannotRunAndCreatesNothing) {
  ProcessResult missing = Walkv({"compact", "--data-dir", dir_.Sub("missing")});
  EXPECT_EQ(missing.exit, 2);
  EXPECT_THAT(missing.err, HasSubstr("does not exist"));
  EXPECT_FALSE(fs::exists(dir_.Sub("missing")));

  fs::create_directory(dir_.Sub("not-data"));
  std::ofstream(dir_.Sub("not-data") + "/notes.txt") << "x";
  ProcessResult not_data = Walkv({"compact", "--data-dir", dir_.Sub("not-data")});
  EXPECT_EQ(not_data.exit, 2);
  EXPECT_THAT(not_data.err, HasSubstr("is not a walkv data directory"));
  EXPECT_EQ(Names(dir_.Sub("not-data")), std::vector<std::string>{"notes.txt"});

  ProcessResult usage = Walkv({"compact"});
  EXPECT_EQ(usage.exit, 2);
  EXPECT_THAT(usage.err, HasSubstr("--data-dir"));
  EXPECT_EQ(Walkv({"compact", "--data-dir", dir_.Sub("x"), "--json"}).exit, 2);
}

TEST_F(MaintenanceTest, HelpOfVerifyAndCompact) {
  ProcessResult verify = Walkv({"verify", "--help"});
  EXPECT_EQ(verify.exit, 0);
  EXPECT_THAT(verify.out, HasSubstr("Usage: walkv verify"));
  EXPECT_THAT(verify.out, HasSubstr("--data-dir"));
  EXPECT_THAT(verify.out, HasSubstr("--json"));
  EXPECT_THAT(verify.out, HasSubstr("Exit 0: clean; 1: damage found; 2: could not run"));
  EXPECT_THAT(verify.out, HasSubstr("Safe while a server runs"));

  ProcessResult compact = Walkv({"compact", "--help"});
  EXPECT_EQ(compact.exit, 0);
  EXPECT_THAT(compact.out, HasSubstr("Usage: walkv compact"));
  EXPECT_THAT(compact.out, HasSubstr("--data-dir"));
  EXPECT_THAT(compact.out, HasSubstr("walkv cli snapshot"));
  EXPECT_THAT(compact.out, HasSubstr("Exit 0: compacted; 1:"));
  EXPECT_THAT(compact.out, HasSubstr("2: could not run"));

  ProcessResult top = Walkv({"--help"});
  EXPECT_THAT(top.out, HasSubstr("verify"));
  EXPECT_THAT(top.out, HasSubstr("compact"));
}

// ---------------------------------------------------------------------------------------------
// The procedures of docs/operations.md

// Online backup: `walkv cli snapshot` (seq S), then copy snap-S.snap, then LOGHEAD, then every
// wal-*.log from wal-(S+1).log on (listed after LOGHEAD was copied), in name order, while writers
// keep going. The copy verifies (at worst a torn
// tail of its newest segment, which tolerate-tail truncates) and serves a prefix of the history
// that contains every mutation acknowledged before the snapshot.
TEST_F(MaintenanceTest, OnlineBackupSnapshotThenCopyServesAPrefixWithEverythingBeforeTheSnapshot) {
  ASSERT_NO_FATAL_FAILURE(Populate(20, 10));
  auto server = ServerProcess::Start(data(), kQuiet);
  ASSERT_NE(server, nullptr);
  const std::string backup = dir_.Sub("backup");
  uint64_t snapshot_seq = 0;
  {
    BackgroundWriter writer(*server, &history_, 23);
    ProcessResult snap = Walkv({"cli", "--port", std::to_string(server->port()), "snapshot"});
    ASSERT_EQ(snap.exit, 0) << snap.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(snap.out, m, std::regex("seq: (\\d+)"))) << snap.out;
    snapshot_seq = std::stoull(m[1]);
    fs::create_directory(backup);
    const std::string first_wal = Padded("wal-", snapshot_seq + 1, ".log");
    fs::copy_file(data() + "/" + Padded("snap-", snapshot_seq, ".snap"),
                  backup + "/" + Padded("snap-", snapshot_seq, ".snap"));
    fs::copy_file(data() + "/LOGHEAD", backup + "/LOGHEAD");
    for (const std::string& name : Names(data())) {
      if (name.rfind("wal-", 0) == 0 && name.ends_with(".log") && name >= first_wal) {
        fs::copy_file(data() + "/" + name, backup + "/" + name);
      }
    }
    ASSERT_TRUE(writer.Stop());
  }
  EXPECT_EQ(server->Terminate(), 0);
  ASSERT_GE(snapshot_seq, 30u);

  ProcessResult verify = Walkv({"verify", "--data-dir", backup, "--json"});
  json j = ParseJson(verify);
  EXPECT_EQ(j["recovery"]["tolerate-tail"]["would_start"], true) << j.dump(2);
  if (verify.exit != 0) {
    EXPECT_EQ(verify.exit, 1);
    ASSERT_EQ(j["problems"].size(), 1u) << j.dump(2);
    EXPECT_EQ(j["problems"][0]["class"], "torn-tail");
  }
  auto copy = TryServe(backup, kQuiet);
  ASSERT_TRUE(copy.started()) << copy.err;
  auto client = ConnectClient(copy.host, copy.port);
  ASSERT_NE(client, nullptr);
  auto state = ReadServedState(*client);
  ASSERT_TRUE(state.ok());
  auto k = history_.MatchPrefix(*state, snapshot_seq);
  EXPECT_TRUE(k.has_value()) << "the backup is not a prefix with everything up to the snapshot "
                             << snapshot_seq << ": "
                             << DescribeDifference(*state, history_.state(snapshot_seq));
  client.reset();
  EXPECT_EQ(copy.Stop(), 0) << copy.err;
}

// Recovering from mid-log damage as docs/operations.md describes: verify names the damage; serve
// refuses; serve --recovery-mode point-in-time serves the state before the damage, truncating the
// damaged segment and moving later ones aside as *.dropped; afterwards verify is clean, the
// .dropped file is ignored, and compact leaves a small directory with that state.
TEST_F(MaintenanceTest, PointInTimeRecoveryProcedureServesThePrefixAndKeepsDroppedFiles) {
  ASSERT_NO_FATAL_FAILURE(Populate(100, 80));
  // A third segment, so damage in the second one has a later segment to drop.
  {
    auto server = ServerProcess::Start(data(), kQuiet);
    ASSERT_NE(server, nullptr);
    auto client = ConnectClient(server->host(), server->port());
    ASSERT_NE(client, nullptr);
    std::mt19937 rng(99);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(history_.RandomMutation(*client, rng, 12));
    ASSERT_EQ(server->Terminate(), 0);
  }
  const std::string middle = Padded("wal-", 101, ".log");
  const std::string newest = Padded("wal-", 181, ".log");
  ASSERT_EQ(NewestSegment(), newest);
  DamageMiddle(middle);

  ProcessResult verify = Walkv({"verify", "--data-dir", data(), "--json"});
  EXPECT_EQ(verify.exit, 1);
  json j = ParseJson(verify);
  ASSERT_EQ(j["problems"].size(), 1u);
  EXPECT_EQ(j["problems"][0]["file"], middle);
  std::smatch m;
  std::string pit = j["recovery"]["point-in-time"]["summary"];
  ASSERT_TRUE(std::regex_search(pit, m, std::regex("at sequence (\\d+)"))) << pit;
  const uint64_t k = std::stoull(m[1]);
  EXPECT_GT(k, 100u);
  EXPECT_LT(k, 180u);

  ServeAttempt refused = TryServe(data(), kQuiet);
  EXPECT_FALSE(refused.started());
  EXPECT_EQ(refused.exit, 1);
  EXPECT_THAT(refused.err, HasSubstr(middle));
  EXPECT_THAT(refused.err, HasSubstr("--recovery-mode point-in-time would serve the state before"));
  EXPECT_THAT(refused.err, HasSubstr("Copy the data directory first"));
  const std::string damaged_segment = ReadBytes(data() + "/" + middle);

  std::vector<std::string> pit_flags = kQuiet;
  pit_flags.insert(pit_flags.end(), {"--recovery-mode", "point-in-time"});
  auto server = ServerProcess::Start(data(), pit_flags);
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(server->stderr_text(), HasSubstr("truncated " + middle));
  EXPECT_THAT(server->stderr_text(), HasSubstr("dropped " + newest));
  auto client = ConnectClient(server->host(), server->port());
  ASSERT_NE(client, nullptr);
  auto state = ReadServedState(*client);
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(*state == history_.state(k)) << DescribeDifference(*state, history_.state(k));
  client.reset();
  EXPECT_EQ(server->Terminate(), 0);
  EXPECT_TRUE(fs::exists(data() + "/" + newest + ".dropped"));
  // What point-in-time cut from inside the damaged segment is kept beside it, byte for byte.
  const std::string kept_segment = ReadBytes(data() + "/" + middle);
  const std::string kept_tail = ReadBytes(
      data() + "/" + middle + ".from-" + std::to_string(kept_segment.size()) + ".dropped");
  EXPECT_EQ(kept_segment + kept_tail, damaged_segment);

  EXPECT_EQ(Walkv({"verify", "--data-dir", data()}).exit, 0);
  EXPECT_EQ(Walkv({"compact", "--data-dir", data()}).exit, 0);
  KvState served = Served();
  EXPECT_TRUE(served == history_.state(k)) << DescribeDifference(served, history_.state(k));
  EXPECT_TRUE(fs::exists(data() + "/" + newest + ".dropped")) << "compact removed a .dropped file";
}

}  // namespace
}  // namespace walkv::e2e
