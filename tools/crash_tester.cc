// walkv-crash-tester: crash and disk-fault campaigns against the real `walkv serve`
// (docs/testing.md, "Crash test" and "Full disk"). Run it through scripts/crash-test and
// scripts/disk-full-test, which build it and prepare the file systems.
//
//   walkv-crash-tester crash --walkv BIN --work-dir DIR [--iterations N] [--seed S]
//       [--fsync always|interval] [--power-loss-image IMG --mountpoint MNT] ...
//   walkv-crash-tester self-test
//   walkv-crash-tester disk-full --walkv BIN --data-dir DIR --ballast FILE
//   walkv-crash-tester sync-eio --walkv BIN --work-dir DIR --shim LIB
//
// `crash` loop: start the server, compare what it recovered with what the clients were told,
// run concurrent writers, readers and a rare flushall, then kill -9 the server (or, with
// --power-loss-image, shut the ext4 file system down first so that every byte not yet synced is
// lost, like a power cut) at a random moment, and start again. See crash_history.h for the model.
#include <fcntl.h>
#include <linux/types.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <shared_mutex>
#include <thread>
#include <type_traits>

#include "engine/str_cat.h"
#include "rpc/client.h"
#include "tools/crash_history.h"
#include "tools/disk_fault.h"
#include "tools/walkv_process.h"

namespace walkv::tools {
namespace {

// ext4 "going down" ioctl (also XFS_IOC_GOINGDOWN): with NOLOGFLUSH the file system stops at
// once, the journal is not flushed and dirty pages are never written — what a power cut leaves.
constexpr unsigned long kExt4IocShutdown = _IOR('X', 125, __u32);
constexpr __u32 kShutdownNoLogFlush = 2;

constexpr auto kClientTimeout = std::chrono::seconds(30);

struct Config {
  std::string walkv;
  std::string work_dir;
  int iterations = 20;
  uint64_t seed = 0;
  std::string fsync = "always";
  int fsync_interval_ms = 100;
  int writers = 4;
  int readers = 2;
  int keys_per_writer = 16;
  int shared_keys = 2;
  int min_kill_ms = 20;
  int max_kill_ms = 1500;
  uint64_t snapshot_wal_bytes = 8 * 1024;
  double flush_probability = 0.2;
  std::string power_image;
  std::string mountpoint;
  int time_limit_s = 900;
  std::string check = "auto";  // full | lossy | auto (lossy only for fsync interval + power loss)
  int max_printed_failures = 30;
  std::vector<std::string> serve_flags;  // --serve-flag, passed to every `walkv serve` as is
};

class CrashTester {
 public:
  explicit CrashTester(Config config) : c_(std::move(config)) {}
  int Run();

 private:
  bool power() const { return !c_.power_image.empty(); }
  bool lossy() const {
    if (c_.check == "full") return false;
    if (c_.check == "lossy") return true;
    return power() && c_.fsync != "always";
  }
  std::string DataDir() const { return power() ? c_.mountpoint + "/data" : c_.work_dir + "/data"; }
  std::string Tag() const {
    return std::string(power() ? "power-loss" : "kill") + " fsync=" + c_.fsync +
           (lossy() ? " check=lossy" : "");
  }
  void Fail(std::string message);
  // Mounts the image, with data=ordered or (every other mount, by the seed) data=writeback, where
  // a file's new size can reach the journal before its data: unsynced tails read back as zeros.
  bool Mount();
  bool Unmount();
  bool ReadState(std::vector<std::optional<std::string>>* values, std::vector<std::string>* keys,
                 std::string* error);
  void ResetHistory(const std::vector<std::optional<std::string>>& values);
  // Runs one workload round and crashes the server; false if the crash could not be made.
  bool RunWorkload(int iteration);
  // Counts a crash that left a snapshot's temporary file behind (recovery removes it).
  void CountSnapshotInProgress();
  // Runs `walkv verify --json` on the directory a crash left: it must say that serve starts in
  // the default mode, and report nothing but a torn tail (all a crash may leave). Empty if so,
  // else what is wrong.
  std::string VerifyAfterCrash();
  void Writer(int w, uint64_t seed);
  void Reader(int r, uint64_t seed);
  void Flusher(uint64_t seed, std::chrono::milliseconds kill_delay);
  std::unique_ptr<rpc::Client> Connect(const char* who);

  Config c_;
  std::unique_ptr<WalkvProcess> server_;
  IterationHistory history_;
  std::vector<uint64_t> next_op_;
  SteadyTime crash_time_{};
  uint64_t mounts_ = 0;
  uint64_t cut_clock_ = std::numeric_limits<uint64_t>::max();  // power loss: the cut
  std::string kept_state_;  // copy of the data directory before the pending recovery

  // Per-iteration workload state.
  std::shared_mutex barrier_;  // writers hold it shared per request, a flushall exclusively
  std::atomic<bool> flush_wanted_{false};  // writers step aside so the flusher is not starved
  std::atomic<bool> stop_{false};
  std::atomic<bool> any_failed_{false};
  std::atomic<bool> crashing_{false};
  std::atomic<uint64_t> clock_{1};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;

  std::mutex failures_mu_;
  uint64_t failures_ = 0;
  uint64_t acked_ = 0;  // acknowledged mutations checked
  uint64_t reads_checked_ = 0;
  uint64_t reads_superseded_ = 0;
  uint64_t crashes_mid_snapshot_ = 0;
  uint64_t mutations_sent_ = 0;
  uint64_t torn_tails_verified_ = 0;  // crashes after which verify reported a torn tail
};

void CrashTester::Fail(std::string message) {
  std::lock_guard<std::mutex> lock(failures_mu_);
  if (failures_++ < static_cast<uint64_t>(c_.max_printed_failures)) {
    std::cerr << "FAILURE: " << message << "\n";
  }
}

bool CrashTester::Mount() {
  const bool writeback = (c_.seed + mounts_++) % 2 == 1;
  const std::string options =
      std::string("loop,commit=60,data=") + (writeback ? "writeback" : "ordered");
  int rc =
      RunCommand({"mount", "-o", options, c_.power_image, c_.mountpoint}, std::chrono::seconds(60));
  if (rc != 0) std::cerr << "crash-test: mount " << c_.power_image << " failed\n";
  return rc == 0;
}

bool CrashTester::Unmount() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (RunCommand({"umount", c_.mountpoint}, std::chrono::seconds(60)) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * (attempt + 1)));  // busy: retry
  }
  std::cerr << "crash-test: umount " << c_.mountpoint << " failed\n";
  return false;
}

std::unique_ptr<rpc::Client> CrashTester::Connect(const char* who) {
  auto client = rpc::Client::Connect("127.0.0.1", server_->port());
  if (!client.ok()) {
    if (!crashing_) Fail(std::string(who) + ": " + client.status().ToString());
    return nullptr;
  }
  (*client)->set_timeout(kClientTimeout);
  return std::move(*client);
}

bool CrashTester::ReadState(std::vector<std::optional<std::string>>* values,
                            std::vector<std::string>* keys, std::string* error) {
  auto client = rpc::Client::Connect("127.0.0.1", server_->port());
  if (!client.ok()) {
    *error = client.status().ToString();
    return false;
  }
  (*client)->set_timeout(kClientTimeout);
  values->clear();
  std::vector<std::string> names;
  for (const OwnedKey& k : history_.owned) names.push_back(k.name);
  for (const std::string& s : history_.shared_names) names.push_back(s);
  for (const std::string& name : names) {
    auto v = (*client)->Get(name);
    if (!v.ok()) {
      *error = "get " + name + ": " + v.status().ToString();
      return false;
    }
    values->push_back(std::move(*v));
  }
  auto k = (*client)->Keys("*");
  if (!k.ok()) {
    *error = "keys: " + k.status().ToString();
    return false;
  }
  *keys = std::move(*k);
  return true;
}

void CrashTester::ResetHistory(const std::vector<std::optional<std::string>>& values) {
  const size_t owned = history_.owned.size();
  for (size_t i = 0; i < owned; ++i) {
    KeyOp base;
    base.value_after = values[i];
    history_.owned[i].ops.assign(1, base);
  }
  for (size_t i = 0; i < history_.shared_names.size(); ++i) {
    history_.shared_base[i] = values[owned + i];
  }
  for (auto& a : history_.appends) a.clear();
  for (auto& r : history_.reads) r.clear();
  history_.flushes.clear();
}

void CrashTester::Writer(int w, uint64_t seed) {
  std::unique_ptr<rpc::Client> client = Connect("writer connect");
  if (client == nullptr) return;
  std::mt19937_64 rng(seed);
  uint64_t sent = 0;
  while (!stop_) {
    while (flush_wanted_ && !stop_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::shared_lock<std::shared_mutex> lock(barrier_);
    if (stop_ || any_failed_) break;
    const uint64_t op_id = next_op_[w]++;
    const int dice = static_cast<int>(rng() % 100);
    Status status = Status::Ok();
    ++sent;
    if (dice < 70 || c_.shared_keys == 0) {
      const int first_key = w * c_.keys_per_writer;
      const int ki = first_key + static_cast<int>(rng() % c_.keys_per_writer);
      // A batch sets this key and one other key of this writer's, in one request.
      const bool batch = dice >= 58 && dice < 64 && c_.keys_per_writer > 1;
      const bool cas = dice >= 25 && dice < 35;
      int kj = ki;
      if (batch) {  // any other key of this writer's
        const int offset = 1 + static_cast<int>(rng() % (c_.keys_per_writer - 1));
        kj = first_key + (ki - first_key + offset) % c_.keys_per_writer;
      }
      OwnedKey& key = history_.owned[ki];
      OwnedKey& other = history_.owned[kj];
      const std::optional<std::string> prev = key.ops.back().value_after;
      KeyOp op;
      if (dice < 35 || batch) {  // set, cas (to the value the writer knows is there) or batch
        op.kind = KeyOp::Kind::kSet;
        op.token = OwnedToken(w, op_id, rng() % 400, rng());
        op.value_after = op.token;
      } else if (dice < 58) {
        op.kind = KeyOp::Kind::kAppend;
        op.token = OwnedToken(w, op_id, rng() % 40, rng());
        op.value_after = prev.value_or("") + op.token;
      } else {
        op.kind = KeyOp::Kind::kDelete;
      }
      op.outcome = Outcome::kPending;
      op.send_clock = clock_.fetch_add(1);
      key.ops.push_back(op);
      const size_t index = key.ops.size() - 1;
      size_t other_index = 0;
      if (batch) {
        KeyOp second = op;  // the batch's set of the other key, with a token of its own
        second.token = OwnedToken(w, op_id, rng() % 400, rng());
        second.value_after = second.token;
        other.ops.push_back(second);
        other_index = other.ops.size() - 1;
        const nlohmann::json ops =
            nlohmann::json::array({nlohmann::json::array({"set", key.name, op.token}),
                                   nlohmann::json::array({"set", other.name, second.token})});
        auto result = client->CallForResult("batch", nlohmann::json::array({ops}));
        status = result.status();
        if (result.ok() && *result != nlohmann::json::array({true, true})) {
          Fail("batch of sets of " + key.name + " and " + other.name + " returned " +
               result->dump());
        }
      } else if (cas) {
        const nlohmann::json expected = prev.has_value() ? nlohmann::json(*prev) : nullptr;
        auto result =
            client->CallForResult("cas", nlohmann::json::array({key.name, expected, op.token}));
        status = result.status();
        if (result.ok() && *result != true) {
          Fail("cas of " + key.name + " from the value its only writer last wrote returned " +
               result->dump());
        }
      } else if (op.kind == KeyOp::Kind::kSet) {
        status = client->Set(key.name, op.token);
      } else if (op.kind == KeyOp::Kind::kAppend) {
        auto length = client->Append(key.name, op.token);
        status = length.status();
        if (length.ok() && *length != op.value_after->size()) {
          Fail("append to " + key.name + StrCat(" returned length ", *length) +
               StrCat(", expected ", op.value_after->size()));
        }
      } else {
        auto existed = client->Delete(key.name);
        status = existed.status();
        if (existed.ok() && *existed != prev.has_value()) {
          Fail("delete " + key.name + " returned " + (*existed ? "true" : "false") +
               " but the key was " + (prev.has_value() ? "present" : "absent"));
        }
      }
      std::vector<KeyOp*> done = {&key.ops[index]};
      if (batch) done.push_back(&other.ops[other_index]);
      for (KeyOp* d : done) {
        if (status.ok()) {
          d->ack_clock = clock_.fetch_add(1);
          d->ack_time = std::chrono::steady_clock::now();
          d->outcome = Outcome::kAcked;
        } else {
          d->outcome = Outcome::kUncertain;
        }
      }
    } else {
      SharedAppend a;
      a.key = static_cast<int>(rng() % c_.shared_keys);
      a.writer = w;
      a.op_id = op_id;
      a.token = SharedToken(w, op_id, rng() % 8, rng());
      a.send_clock = clock_.fetch_add(1);
      auto length = client->Append(history_.shared_names[a.key], a.token);
      status = length.status();
      if (length.ok()) {
        a.ack_clock = clock_.fetch_add(1);
        a.ack_time = std::chrono::steady_clock::now();
        a.length = *length;
        a.outcome = Outcome::kAcked;
      } else {
        a.outcome = Outcome::kUncertain;
      }
      history_.appends[w].push_back(std::move(a));
    }
    if (!status.ok()) {
      any_failed_ = true;  // set while holding the barrier: no flushall follows this request
      if (!crashing_) Fail(StrCat("writer ", w) + ": " + status.ToString());
      break;
    }
  }
  std::lock_guard<std::mutex> guard(failures_mu_);
  mutations_sent_ += sent;
}

void CrashTester::Reader(int r, uint64_t seed) {
  std::unique_ptr<rpc::Client> client = Connect("reader connect");
  if (client == nullptr) return;
  std::mt19937_64 rng(seed);
  const size_t universe = history_.owned.size() + history_.shared_names.size();
  std::vector<ReadRecord>& reads = history_.reads[r];
  constexpr size_t kMaxReads = 200000;
  while (!stop_ && reads.size() < kMaxReads) {
    ReadRecord read;
    read.key = static_cast<int>(rng() % universe);
    const std::string& name = read.key < static_cast<int>(history_.owned.size())
                                  ? history_.owned[read.key].name
                                  : history_.shared_names[read.key - history_.owned.size()];
    read.send_clock = clock_.load();
    auto value = client->Get(name);
    if (!value.ok()) {
      if (!crashing_) Fail(StrCat("reader ", r) + ": " + value.status().ToString());
      break;
    }
    read.value = std::move(*value);
    read.recv_clock = clock_.fetch_add(1);
    reads.push_back(std::move(read));
  }
}

void CrashTester::Flusher(uint64_t seed, std::chrono::milliseconds kill_delay) {
  std::mt19937_64 rng(seed);
  const double dice = std::uniform_real_distribution<double>(0, 1)(rng);
  const bool flush = !lossy() && dice < c_.flush_probability;
  const bool snapshot = !flush && dice < 0.5;
  if (!flush && !snapshot) return;
  std::unique_ptr<rpc::Client> client = Connect("flusher connect");
  if (client == nullptr) return;
  auto at = std::chrono::steady_clock::now() +
            std::chrono::milliseconds(rng() % (kill_delay.count() + 1));
  {
    std::unique_lock<std::mutex> lock(stop_mu_);
    if (stop_cv_.wait_until(lock, at, [this] { return stop_.load(); })) return;
  }
  if (snapshot) {
    auto info = client->Snapshot();  // only to crash during more snapshots; not checked
    if (!info.ok() && !crashing_) Fail("snapshot: " + info.status().ToString());
    return;
  }
  flush_wanted_ = true;
  std::unique_lock<std::shared_mutex> lock(barrier_);
  flush_wanted_ = false;
  if (stop_ || any_failed_) return;
  FlushRecord record;
  record.send_clock = clock_.fetch_add(1);
  KeyOp op;
  op.kind = KeyOp::Kind::kFlushAll;
  op.outcome = Outcome::kPending;
  op.send_clock = record.send_clock;
  for (OwnedKey& key : history_.owned) key.ops.push_back(op);
  Status status = client->FlushAll();
  if (status.ok()) {
    record.ack_clock = clock_.fetch_add(1);
    record.outcome = Outcome::kAcked;
  } else {
    record.outcome = Outcome::kUncertain;
    any_failed_ = true;
    if (!crashing_) Fail("flushall: " + status.ToString());
  }
  const SteadyTime now = std::chrono::steady_clock::now();
  for (OwnedKey& key : history_.owned) {
    key.ops.back().outcome = record.outcome;
    key.ops.back().ack_clock = record.ack_clock;
    key.ops.back().ack_time = now;
  }
  history_.flushes.push_back(record);
}

bool CrashTester::RunWorkload(int iteration) {
  stop_ = false;
  any_failed_ = false;
  flush_wanted_ = false;
  crashing_ = false;
  clock_ = 1;
  cut_clock_ = std::numeric_limits<uint64_t>::max();
  std::mt19937_64 rng(c_.seed * 1000003 + static_cast<uint64_t>(iteration));
  const auto kill_delay = std::chrono::milliseconds(
      c_.min_kill_ms + static_cast<int>(rng() % (c_.max_kill_ms - c_.min_kill_ms + 1)));
  std::vector<std::thread> threads;
  for (int w = 0; w < c_.writers; ++w) {
    threads.emplace_back(&CrashTester::Writer, this, w, rng());
  }
  for (int r = 0; r < c_.readers; ++r) {
    threads.emplace_back(&CrashTester::Reader, this, r, rng());
  }
  threads.emplace_back(&CrashTester::Flusher, this, rng(), kill_delay);

  std::this_thread::sleep_for(kill_delay);  // the random crash moment, not a synchronisation
  crashing_ = true;
  crash_time_ = std::chrono::steady_clock::now();
  bool ok = true;
  if (power()) {
    // Never shut down the wrong file system: the mount point must be on its own device.
    struct stat mnt_st, parent_st;
    const std::string parent = c_.mountpoint + "/..";
    const bool mounted = ::stat(c_.mountpoint.c_str(), &mnt_st) == 0 &&
                         ::stat(parent.c_str(), &parent_st) == 0 &&
                         mnt_st.st_dev != parent_st.st_dev;
    cut_clock_ = clock_.fetch_add(1);
    int fd = mounted ? ::open(c_.mountpoint.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    __u32 flags = kShutdownNoLogFlush;
    if (!mounted) errno = EINVAL;
    if (fd < 0 || ::ioctl(fd, kExt4IocShutdown, &flags) != 0) {
      std::cerr << "crash-test: cannot shut down " << c_.mountpoint << ": " << std::strerror(errno)
                << "\n";
      ok = false;
    }
    if (fd >= 0) ::close(fd);
  }
  server_->Kill();
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  for (std::thread& t : threads) t.join();

  return ok;
}

void CrashTester::CountSnapshotInProgress() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(DataDir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("snap-") && name.ends_with(".tmp")) {
      ++crashes_mid_snapshot_;
      break;
    }
  }
}

std::string CrashTester::VerifyAfterCrash() {
  const std::string out = c_.work_dir + "/verify.json";
  // sh only redirects; the arguments reach walkv unquoted and unsplit.
  int code = RunCommand({"sh", "-c", "exec \"$0\" verify --data-dir \"$1\" --json > \"$2\"",
                         c_.walkv, DataDir(), out},
                        std::chrono::seconds(120));
  std::ifstream in(out);
  nlohmann::json report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (code != 0 && code != 1) return StrCat("exited with ", code);
  if (report.is_discarded()) return "did not print a JSON report";
  const nlohmann::json& tolerate = report["recovery"]["tolerate-tail"];
  if (tolerate.value("would_start", false) != true) {
    return "predicts that serve refuses: " + tolerate.value("summary", std::string("?"));
  }
  for (const nlohmann::json& problem : report["problems"]) {
    const std::string what = problem.value("what", "");
    if (problem.value("class", "") != "torn-tail") {
      return "reports damage a crash cannot leave: " + problem.value("file", "") + " at byte " +
             std::to_string(problem.value("offset", uint64_t{0})) + ": " + what;
    }
  }
  if (!report["problems"].empty() && report.value("torn_tail_only", false) != true) {
    return "lists only torn tails but does not say torn_tail_only";
  }
  if (code == 1) ++torn_tails_verified_;
  return "";
}

int CrashTester::Run() {
  const auto started = std::chrono::steady_clock::now();
  std::cerr << "crash-test: " << Tag() << " seed=" << c_.seed << " iterations=" << c_.iterations
            << " data=" << DataDir() << "\n";
  for (int w = 0; w < c_.writers; ++w) {
    for (int k = 0; k < c_.keys_per_writer; ++k) {
      OwnedKey key;
      key.name = StrCat("o", w) + StrCat(".", k);
      key.ops.emplace_back();  // baseline: absent
      history_.owned.push_back(std::move(key));
    }
  }
  for (int s = 0; s < c_.shared_keys; ++s) history_.shared_names.push_back(StrCat("s", s));
  history_.shared_base.assign(c_.shared_keys, std::nullopt);
  history_.appends.resize(c_.writers);
  history_.reads.resize(c_.readers);
  next_op_.assign(c_.writers, 0);

  std::vector<std::string> flags = {"--fsync", c_.fsync, "--snapshot-interval", "1"};
  flags.push_back("--snapshot-wal-bytes");
  flags.push_back(std::to_string(c_.snapshot_wal_bytes));
  if (c_.fsync != "always") {
    flags.push_back("--fsync-interval-ms");
    flags.push_back(std::to_string(c_.fsync_interval_ms));
  }
  flags.insert(flags.end(), c_.serve_flags.begin(), c_.serve_flags.end());
  if (power() && !Mount()) return 2;
  const std::string log_path = c_.work_dir + "/server.log";
  int done_iterations = 0;
  bool fatal = false;
  for (int it = 0; it <= c_.iterations; ++it) {
    std::string error;
    {
      std::ofstream marker(log_path, std::ios::app);
      marker << "=== crash-test: server start " << it << " (seed " << c_.seed << ") ===\n";
    }
    if (it > 0) {
      if (std::string verdict = VerifyAfterCrash(); !verdict.empty()) {
        Fail(StrCat("after crash ", it) + StrCat(" (seed ", c_.seed) +
             "): walkv verify: " + verdict);
      }
    }
    server_ = WalkvProcess::Start(c_.walkv, DataDir(), flags, {}, log_path,
                                  std::chrono::seconds(120), &error);
    if (server_ == nullptr) {
      Fail(StrCat("iteration ", it) + ": restart failed: " + error);
      fatal = true;
      break;
    }
    std::vector<std::optional<std::string>> values;
    std::vector<std::string> keys;
    if (!ReadState(&values, &keys, &error)) {
      Fail(StrCat("iteration ", it) + ": reading the recovered state: " + error);
      fatal = true;
      break;
    }
    CheckOptions options;
    options.lossy = lossy();
    options.lossy_cutoff =
        crash_time_ - std::chrono::milliseconds(c_.fsync_interval_ms) - std::chrono::seconds(1);
    options.trust_acks_before = cut_clock_;
    CheckResult result = CheckRecovery(history_, values, keys, options);
    acked_ += result.acked_checked;
    reads_checked_ += result.reads_checked;
    reads_superseded_ += result.reads_superseded;
    for (std::string& f : result.failures) {
      Fail(StrCat("after crash ", it) + StrCat(" (seed ", c_.seed) + "): " + f);
    }
    if (!kept_state_.empty()) {
      if (result.failures.empty()) {
        std::filesystem::remove_all(kept_state_);
      } else {
        std::cerr << "crash-test: the data directory as the crash left it (before recovery) is in "
                  << kept_state_ << "\n";
      }
      kept_state_.clear();
    }
    ResetHistory(values);
    const bool out_of_time =
        std::chrono::steady_clock::now() - started > std::chrono::seconds(c_.time_limit_s);
    if (it == c_.iterations || out_of_time) {
      if (out_of_time && it < c_.iterations) {
        std::cerr << "crash-test: time limit reached after " << it << " iterations\n";
      }
      std::optional<int> code = server_->Terminate(std::chrono::seconds(60));
      if (code != 0) {
        Fail("SIGTERM: server exited with " + (code ? std::to_string(*code) : "a timeout"));
      }
      break;
    }
    if (!RunWorkload(it)) {
      fatal = true;
      break;
    }
    ++done_iterations;
    if (power() && (!Unmount() || !Mount())) {
      fatal = true;
      break;
    }
    CountSnapshotInProgress();  // after a power loss: only if the temporary file survived
    // Keep the directory as the crash left it until recovery has been checked.
    kept_state_ = c_.work_dir + StrCat("/crash-state-", it + 1);
    std::error_code ec;
    std::filesystem::copy(DataDir(), kept_state_, std::filesystem::copy_options::recursive, ec);
    if (ec) kept_state_.clear();
  }
  server_.reset();
  if (power()) (void)Unmount();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "walkv crash-test: mode=%s seed=%llu iterations=%d mutations_sent=%llu "
      "acked_mutations_checked=%llu reads_checked=%llu reads_superseded=%llu "
      "crashes_mid_snapshot=%llu verify_torn_tails=%llu failures=%llu%s (%.1fs)\n",
      Tag().c_str(), static_cast<unsigned long long>(c_.seed), done_iterations,
      static_cast<unsigned long long>(mutations_sent_), static_cast<unsigned long long>(acked_),
      static_cast<unsigned long long>(reads_checked_),
      static_cast<unsigned long long>(reads_superseded_),
      static_cast<unsigned long long>(crashes_mid_snapshot_),
      static_cast<unsigned long long>(torn_tails_verified_),
      static_cast<unsigned long long>(failures_), fatal ? " ABORTED" : "", seconds);
  if (failures_ > 0) std::fprintf(stdout, "server log: %s\n", log_path.c_str());
  return failures_ == 0 && !fatal ? 0 : 1;
}

}  // namespace

[[noreturn]] void Usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "walkv-crash-tester: " << problem << "\n";
  std::cerr << "usage: walkv-crash-tester crash --walkv BIN --work-dir DIR [--iterations N]\n"
               "         [--seed S] [--fsync always|interval] [--fsync-interval-ms MS]\n"
               "         [--writers N] [--readers N] [--min-kill-ms MS] [--max-kill-ms MS]\n"
               "         [--snapshot-wal-bytes N] [--time-limit-s S] [--check auto|full|lossy]\n"
               "         [--power-loss-image IMG --mountpoint MNT] [--max-printed-failures N]\n"
               "         [--serve-flag FLAG]... (one extra `walkv serve` flag each)\n"
               "       walkv-crash-tester disk-full --walkv BIN --work-dir DIR --data-dir DIR\n"
               "         --ballast FILE\n"
               "       walkv-crash-tester sync-eio --walkv BIN --work-dir DIR --shim LIB\n"
               "       walkv-crash-tester self-test\n";
  std::exit(2);
}

namespace {

int CrashMain(const std::vector<std::string>& args) {
  Config c;
  c.seed = static_cast<uint64_t>(std::random_device{}()) % 1000000;
  auto text = [](std::string* field) { return [field](const std::string& v) { *field = v; }; };
  auto number = [](auto* field) {
    return [field](const std::string& v) {
      *field = static_cast<std::remove_pointer_t<decltype(field)>>(std::stoll(v));
    };
  };
  const std::map<std::string, std::function<void(const std::string&)>> setters = {
      {"--walkv", text(&c.walkv)},
      {"--work-dir", text(&c.work_dir)},
      {"--iterations", number(&c.iterations)},
      {"--seed", number(&c.seed)},
      {"--fsync", text(&c.fsync)},
      {"--fsync-interval-ms", number(&c.fsync_interval_ms)},
      {"--writers", number(&c.writers)},
      {"--readers", number(&c.readers)},
      {"--min-kill-ms", number(&c.min_kill_ms)},
      {"--max-kill-ms", number(&c.max_kill_ms)},
      {"--snapshot-wal-bytes", number(&c.snapshot_wal_bytes)},
      {"--time-limit-s", number(&c.time_limit_s)},
      {"--check", text(&c.check)},
      {"--max-printed-failures", number(&c.max_printed_failures)},
      {"--power-loss-image", text(&c.power_image)},
      {"--mountpoint", text(&c.mountpoint)},
      {"--serve-flag", [&c](const std::string& v) { c.serve_flags.push_back(v); }},
  };
  for (size_t i = 0; i < args.size(); i += 2) {
    auto setter = setters.find(args[i]);
    if (setter == setters.end()) Usage("unknown flag " + args[i]);
    if (i + 1 >= args.size()) Usage("missing value for " + args[i]);
    try {
      setter->second(args[i + 1]);
    } catch (const std::exception&) {
      Usage("bad value for " + args[i] + ": " + args[i + 1]);
    }
  }
  if (c.walkv.empty() || c.work_dir.empty()) Usage("--walkv and --work-dir are required");
  if (c.fsync != "always" && c.fsync != "interval" && c.fsync != "never") {
    Usage("--fsync must be always, interval or never");
  }
  if (c.check != "auto" && c.check != "full" && c.check != "lossy") {
    Usage("--check must be auto, full or lossy");
  }
  if (c.power_image.empty() != c.mountpoint.empty()) {
    Usage("--power-loss-image and --mountpoint go together");
  }
  if (c.iterations < 0 || c.writers < 1 || c.readers < 0 || c.min_kill_ms < 0 ||
      c.max_kill_ms < c.min_kill_ms) {
    Usage("bad iteration, thread or kill-time bounds");
  }
  return CrashTester(c).Run();
}

}  // namespace
}  // namespace walkv::tools

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) walkv::tools::Usage("");
  std::string mode = args[0];
  args.erase(args.begin());
  if (mode == "crash") return walkv::tools::CrashMain(args);
  if (mode == "self-test") return walkv::tools::SelfTestMain();
  if (mode == "disk-full" || mode == "sync-eio") return walkv::tools::DiskFaultMain(mode, args);
  walkv::tools::Usage("unknown mode " + mode);
}
