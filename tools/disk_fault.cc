#include "tools/disk_fault.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "engine/str_cat.h"
#include "rpc/client.h"
#include "tools/walkv_process.h"

namespace walkv::tools {
namespace {

constexpr int kWriters = 2;
constexpr int kMutationsAfterFailure = 10;  // per writer: each must be refused

struct Config {
  std::string mode;
  std::string walkv;
  std::string work_dir;
  std::string data_dir;  // default: work_dir/data
  std::string ballast;   // disk-full: deleted to free space before the restart
  std::string shim;      // sync-eio: the LD_PRELOAD library
  std::string label;     // for the summary: the file system, e.g. "ext4-loop"
  int max_seconds = 120;
  size_t value_bytes = 2000;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

class DiskFaultTest {
 public:
  explicit DiskFaultTest(Config config) : c_(std::move(config)) {}
  int Run();

 private:
  bool eio() const { return c_.mode == "sync-eio"; }
  std::string Trigger() const { return c_.work_dir + "/eio-trigger"; }
  // True if `text` gives the reason this mode provokes.
  bool NamesReason(const std::string& text) const {
    std::string t = Lower(text);
    return eio() ? t.find("input/output error") != std::string::npos
                 : t.find("no space") != std::string::npos || t.find("enospc") != std::string::npos;
  }
  void Fail(const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    if (failures_++ < 30) std::cerr << "FAILURE: " << c_.mode << ": " << message << "\n";
  }
  void Writer(int w);
  void CheckPoisoned(rpc::Client* client, int w);
  bool CheckRecovered(const char* when);

  Config c_;
  std::unique_ptr<WalkvProcess> server_;
  std::atomic<bool> give_up_{false};
  std::atomic<bool> fault_off_{false};  // sync-eio: the trigger file is gone again
  std::atomic<uint64_t> refused_{0};
  std::mutex mu_;                                 // guards everything below
  std::map<std::string, std::string> acked_;      // key -> value every acked set left
  std::map<std::string, std::string> uncertain_;  // key -> value of a refused/unanswered set
  std::set<std::string> written_;                 // every key a client tried to write
  std::string first_error_;
  uint64_t failures_ = 0;
  uint64_t acked_count_ = 0;
};

void DiskFaultTest::Writer(int w) {
  auto connected = rpc::Client::Connect("127.0.0.1", server_->port());
  if (!connected.ok()) {
    Fail("connect: " + connected.status().ToString());
    return;
  }
  std::unique_ptr<rpc::Client> client = std::move(*connected);
  client->set_timeout(std::chrono::seconds(60));
  std::mt19937_64 rng(static_cast<uint64_t>(w) * 7919);
  for (uint64_t n = 0; !give_up_; ++n) {
    std::string key = StrCat("f", w) + StrCat(".", n);
    std::string value = StrCat("v", w) + StrCat(".", n) + ":";
    while (value.size() < c_.value_bytes) value.push_back(static_cast<char>('a' + rng() % 26));
    {
      std::lock_guard<std::mutex> lock(mu_);
      written_.insert(key);
    }
    Status s = client->Set(key, value);
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) {
      acked_[key] = value;
      ++acked_count_;
      continue;
    }
    uncertain_[key] = value;
    if (first_error_.empty()) first_error_ = s.ToString();
    if (s.ToString().find("STORAGE_ERROR") == std::string::npos) {
      Fail(StrCat("writer ", w) + " got " + s.ToString() + ", expected STORAGE_ERROR");
    } else if (!NamesReason(s.message())) {
      Fail("STORAGE_ERROR does not give the reason: " + s.ToString());
    }
    break;
  }
  // sync-eio: wait (bounded) until the fault is switched off again, then try more mutations.
  for (int i = 0; i < 1000 && eio() && !fault_off_ && !give_up_; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!give_up_) CheckPoisoned(client.get(), w);
}

// Every later mutation is refused, even once the fault is gone (sync-eio removes the trigger
// before this runs): the log stays poisoned.
void DiskFaultTest::CheckPoisoned(rpc::Client* client, int w) {
  for (int i = 0; i < kMutationsAfterFailure; ++i) {
    std::string key = StrCat("p", w) + StrCat(".", i);
    std::string what;
    Status s = Status::Ok();
    {
      std::lock_guard<std::mutex> lock(mu_);
      written_.insert(key);
    }
    switch (i % 4) {
      case 0:
        what = "set";
        s = client->Set(key, "x");
        break;
      case 1:
        what = "append";
        s = client->Append(key, "y").status();
        break;
      case 2: {
        what = "delete";
        std::string victim;
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!acked_.empty()) victim = acked_.begin()->first;
        }
        if (victim.empty()) continue;
        s = client->Delete(victim).status();
        if (s.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          acked_.erase(victim);
        }
        break;
      }
      default:
        what = "flushall";
        if (w != 0) continue;  // one writer is enough
        s = client->FlushAll();
        if (s.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          acked_.clear();
        }
        break;
    }
    if (s.ok()) {
      Fail(what + " was acknowledged after the log was poisoned");
    } else if (s.ToString().find("STORAGE_ERROR") == std::string::npos) {
      Fail(what + " after the failure got " + s.ToString() + ", expected STORAGE_ERROR");
    } else {
      ++refused_;
    }
  }
}

bool DiskFaultTest::CheckRecovered(const char* when) {
  auto connected = rpc::Client::Connect("127.0.0.1", server_->port());
  if (!connected.ok()) {
    Fail(std::string(when) + ": connect: " + connected.status().ToString());
    return false;
  }
  rpc::Client& client = **connected;
  client.set_timeout(std::chrono::seconds(60));
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t lost = 0;
  for (const auto& [key, value] : acked_) {
    auto got = client.Get(key);
    if (!got.ok()) {
      Fail(std::string(when) + ": get " + key + ": " + got.status().ToString());
      return false;
    }
    if (*got != value && lost++ < 5) {
      Fail(std::string(when) + ": acknowledged key " + key + " is " +
           (got->has_value() ? "\"" + got->value().substr(0, 40) + "...\"" : "absent"));
    }
  }
  for (const auto& [key, value] : uncertain_) {
    auto got = client.Get(key);
    if (got.ok() && got->has_value() && **got != value) {
      Fail(std::string(when) + ": unacknowledged key " + key + " has a value never written");
    }
  }
  auto keys = client.Keys("*");
  if (!keys.ok()) {
    Fail(std::string(when) + ": keys: " + keys.status().ToString());
    return false;
  }
  for (const std::string& k : *keys) {
    if (!written_.count(k)) Fail(std::string(when) + ": key " + k + " was never written");
  }
  return lost == 0;
}

int DiskFaultTest::Run() {
  const auto started = std::chrono::steady_clock::now();
  if (c_.data_dir.empty()) c_.data_dir = c_.work_dir + "/data";
  const std::string log_path = c_.work_dir + "/server.log";
  std::vector<std::string> flags = {"--snapshot-interval", "1", "--snapshot-wal-bytes", "262144"};
  std::vector<std::string> env;
  if (eio()) {
    env = {"LD_PRELOAD=" + c_.shim, "WALKV_FAULT_TRIGGER=" + Trigger(), "WALKV_FAULT_MATCH=wal-"};
    ::unlink(Trigger().c_str());
  }
  std::string error;
  server_ = WalkvProcess::Start(c_.walkv, c_.data_dir, flags, env, log_path,
                                std::chrono::seconds(60), &error);
  if (server_ == nullptr) {
    Fail("start: " + error);
    return 1;
  }

  // Phase 1: write until the fault.
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back(&DiskFaultTest::Writer, this, w);
  const auto deadline = started + std::chrono::seconds(c_.max_seconds);
  bool faulted = false;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      faulted = !first_error_.empty();
      if (eio() && !faulted && acked_count_ >= 300 && ::access(Trigger().c_str(), F_OK) != 0) {
        int fd = ::open(Trigger().c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);  // fault on
        if (fd >= 0) ::close(fd);
      }
    }
    if (faulted) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the writers' progress
  }
  if (eio() && faulted) {
    ::unlink(Trigger().c_str());  // fault off: writes must stay refused
    fault_off_ = true;
  }
  if (!faulted) {
    give_up_ = true;
    Fail(eio() ? "no mutation failed after the fdatasync fault was switched on"
               : StrCat("the file system never filled up within ", c_.max_seconds) + "s");
  }
  for (std::thread& t : writers) t.join();

  // Phase 2: reads still served, info and the log say why.
  uint64_t reads_after = 0;
  if (faulted) {
    auto connected = rpc::Client::Connect("127.0.0.1", server_->port());
    if (!connected.ok()) {
      Fail("the server stopped serving after the fault: " + connected.status().ToString());
    } else {
      rpc::Client& client = **connected;
      client.set_timeout(std::chrono::seconds(60));
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [key, value] : acked_) {
        if (reads_after >= 200) break;
        auto got = client.Get(key);
        if (!got.ok() || *got != value) {
          Fail("read of acknowledged " + key + " after the fault: " +
               (got.ok() ? std::string("wrong value") : got.status().ToString()));
        }
        ++reads_after;
      }
      auto info = client.Info();
      if (!info.ok()) {
        Fail("info after the fault: " + info.status().ToString());
      } else if (!NamesReason(info->value("poisoned_reason", ""))) {
        Fail("info.poisoned_reason does not give the reason: " + info->dump().substr(0, 300));
      }
    }
    if (!NamesReason(server_->LogSinceStart())) {
      Fail("the server log does not say why writes fail:\n" + Tail(server_->LogSinceStart()));
    }
  }

  // Phase 3: stop (SIGTERM for a full disk, a crash for EIO), free space, restart, check.
  std::optional<int> exit_code;
  if (eio()) {
    server_->Kill();
  } else {
    exit_code = server_->Terminate(std::chrono::seconds(60));
    if (!exit_code.has_value()) Fail("SIGTERM on a full disk: the server did not exit in 60s");
  }
  if (!c_.ballast.empty()) std::filesystem::remove(c_.ballast);
  server_ = WalkvProcess::Start(c_.walkv, c_.data_dir, flags, {}, log_path,
                                std::chrono::seconds(60), &error);
  if (server_ == nullptr) {
    Fail("restart after freeing space: " + error);
  } else {
    CheckRecovered("after restart");
    auto connected = rpc::Client::Connect("127.0.0.1", server_->port());
    if (connected.ok()) {
      Status s = (*connected)->Set("after-restart", "ok");
      if (!s.ok()) Fail("a write after freeing space and restarting failed: " + s.ToString());
    }
    std::optional<int> code = server_->Terminate(std::chrono::seconds(60));
    if (code != 0) Fail("SIGTERM after recovery: exit " + (code ? std::to_string(*code) : "?"));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::lock_guard<std::mutex> lock(mu_);
  std::string reason = Tail(first_error_, 90);
  std::printf(
      "walkv %s-test: fs=%s acked_writes=%llu refused_after_fault=%llu reads_after_fault=%llu "
      "sigterm_exit=%s failures=%llu first_error=\"%s\" (%.1fs)\n",
      c_.mode.c_str(), c_.label.c_str(), static_cast<unsigned long long>(acked_count_),
      static_cast<unsigned long long>(refused_.load()),
      static_cast<unsigned long long>(reads_after),
      exit_code ? std::to_string(*exit_code).c_str() : "-",
      static_cast<unsigned long long>(failures_), reason.c_str(), seconds);
  if (failures_ > 0) std::printf("server log: %s\n", log_path.c_str());
  return failures_ == 0 ? 0 : 1;
}

}  // namespace

int DiskFaultMain(const std::string& mode, const std::vector<std::string>& args) {
  Config c;
  c.mode = mode;
  c.label = mode == "sync-eio" ? "ld-preload" : "?";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) Usage("missing value for " + flag);
    const std::string& v = args[++i];
    if (flag == "--walkv") {
      c.walkv = v;
    } else if (flag == "--work-dir") {
      c.work_dir = v;
    } else if (flag == "--data-dir") {
      c.data_dir = v;
    } else if (flag == "--ballast") {
      c.ballast = v;
    } else if (flag == "--shim") {
      c.shim = v;
    } else if (flag == "--label") {
      c.label = v;
    } else if (flag == "--max-seconds") {
      c.max_seconds = std::atoi(v.c_str());
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (c.walkv.empty() || c.work_dir.empty()) Usage("--walkv and --work-dir are required");
  if (mode == "sync-eio" && c.shim.empty()) Usage("sync-eio needs --shim");
  if (c.max_seconds <= 0) Usage("--max-seconds must be positive");
  return DiskFaultTest(c).Run();
}

}  // namespace walkv::tools
