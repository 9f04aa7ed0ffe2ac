#include "benchmarks/loadgen/load_runner.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "benchmarks/loadgen/net.h"

namespace walkv::loadgen {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000u;

uint64_t ToNanos(double seconds) { return static_cast<uint64_t>(seconds * 1e9); }

struct Pending {
  uint64_t send_ns;
  bool is_set;
};

struct Conn {
  int fd = -1;
  std::string out;
  size_t out_sent = 0;
  std::string in;  // the unparsed tail of earlier reads
  std::vector<Pending> ring;
  size_t head = 0;
  size_t count = 0;
  bool want_write = false;
  uint64_t next_id = 1;
};

// State shared by the workers and the trigger. Written before the workers start, except the
// atomics.
struct Shared {
  const RunOptions* options;
  const Workload* workload;
  bool count_mode;
  uint64_t measure_start_ns;
  uint64_t stop_ns;       // duration mode: end of the measured window (if the trigger is done)
  uint64_t hard_stop_ns;  // every mode
  std::atomic<uint64_t> issued{0};
  std::atomic<bool> failed{false};
  std::atomic<bool> trigger_done{true};
  std::atomic<uint64_t> trigger_start_ns{UINT64_MAX};
  std::atomic<uint64_t> trigger_end_ns{UINT64_MAX};
  std::mutex error_mu;
  std::string error;

  void Fail(const std::string& message) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (error.empty()) error = message;
    failed.store(true);
  }
};

struct WorkerResult {
  uint64_t ops = 0, sets = 0, gets = 0, errors = 0, misses = 0;
  std::string first_error;
  Histogram all, set_latency, get_latency, during_trigger;
  uint64_t end_ns = 0;
};

class Worker {
 public:
  Worker(Shared* shared, std::vector<std::unique_ptr<Conn>> conns, uint64_t seed)
      : shared_(shared), conns_(std::move(conns)), random_(seed) {}
  ~Worker() {
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  void Run() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return shared_->Fail(std::string("epoll_create1: ") + strerror(errno));
    const int pipeline = shared_->options->pipeline;
    for (auto& conn : conns_) {
      conn->ring.resize(static_cast<size_t>(pipeline));
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = conn.get();
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, conn->fd, &ev) != 0) {
        return shared_->Fail(std::string("epoll_ctl: ") + strerror(errno));
      }
    }
    const uint64_t start = MonotonicNanos();
    for (auto& conn : conns_) {
      Refill(conn.get(), start);
      if (!Flush(conn.get())) return;
    }
    std::vector<epoll_event> events(256);
    for (;;) {
      const uint64_t now = MonotonicNanos();
      if (shared_->failed.load(std::memory_order_relaxed)) break;
      if (now >= shared_->hard_stop_ns) {
        if (shared_->count_mode && Outstanding() > 0) {
          shared_->Fail("time cap (--max-seconds) reached with requests outstanding");
        }
        break;
      }
      if (shared_->count_mode) {
        if (exhausted_ && Outstanding() == 0) break;
      } else if (now >= shared_->stop_ns && shared_->trigger_done.load(std::memory_order_acquire)) {
        break;
      }
      const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 5);
      if (n < 0) {
        if (errno == EINTR) continue;
        return shared_->Fail(std::string("epoll_wait: ") + strerror(errno));
      }
      for (int i = 0; i < n; ++i) {
        Conn* conn = static_cast<Conn*>(events[i].data.ptr);
        if ((events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 && !Read(conn)) return;
        if ((events[i].events & EPOLLOUT) != 0 && !Flush(conn)) return;
        Refill(conn, MonotonicNanos());
        if (!Flush(conn)) return;
      }
    }
    result_.end_ns = MonotonicNanos();
  }

  WorkerResult& result() { return result_; }
  void CloseAll() {
    for (auto& conn : conns_) {
      if (conn->fd >= 0) close(conn->fd);
      conn->fd = -1;
    }
  }

 private:
  size_t Outstanding() const {
    size_t total = 0;
    for (const auto& conn : conns_) total += conn->count;
    return total;
  }

  // Claims the next request; false once the request bound is reached. *seq numbers requests
  // across all workers (for sequential keys).
  bool Claim(uint64_t* seq) {
    if (exhausted_) return false;
    const RunOptions& options = *shared_->options;
    if (options.requests == 0 && !shared_->workload->spec().sequential) {
      *seq = 0;
      return true;
    }
    *seq = shared_->issued.fetch_add(1, std::memory_order_relaxed);
    if (options.requests > 0 && *seq >= options.requests) {
      exhausted_ = true;
      return false;
    }
    return true;
  }

  void Refill(Conn* conn, uint64_t now) {
    const Workload& workload = *shared_->workload;
    const WorkloadSpec& spec = workload.spec();
    const Protocol protocol = shared_->options->protocol;
    if (!shared_->count_mode && now >= shared_->stop_ns &&
        shared_->trigger_done.load(std::memory_order_relaxed)) {
      return;
    }
    while (conn->count < conn->ring.size()) {
      uint64_t seq;
      if (!Claim(&seq)) return;
      const bool is_set = spec.set_fraction >= 1.0 ||
                          (spec.set_fraction > 0.0 && random_.Unit() < spec.set_fraction);
      const uint64_t index = spec.sequential ? seq % spec.keyspace : random_.Below(spec.keyspace);
      workload.FormatKey(index, &key_);
      if (is_set) {
        AppendSet(protocol, conn->next_id++, key_, workload.Value(random_.Next()), &conn->out);
      } else {
        AppendGet(protocol, conn->next_id++, key_, &conn->out);
      }
      conn->ring[(conn->head + conn->count) % conn->ring.size()] = Pending{now, is_set};
      ++conn->count;
    }
  }

  bool Flush(Conn* conn) {
    while (conn->out_sent < conn->out.size()) {
      const ssize_t n = send(conn->fd, conn->out.data() + conn->out_sent,
                             conn->out.size() - conn->out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return SetWantWrite(conn, true);
        shared_->Fail(std::string("send: ") + strerror(errno));
        return false;
      }
      conn->out_sent += static_cast<size_t>(n);
    }
    conn->out.clear();
    conn->out_sent = 0;
    return SetWantWrite(conn, false);
  }

  bool SetWantWrite(Conn* conn, bool want) {
    if (conn->want_write == want) return true;
    conn->want_write = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.ptr = conn;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn->fd, &ev) != 0) {
      shared_->Fail(std::string("epoll_ctl: ") + strerror(errno));
      return false;
    }
    return true;
  }

  bool Read(Conn* conn) {
    for (;;) {
      const ssize_t n = recv(conn->fd, buf_, sizeof(buf_), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        shared_->Fail(std::string("recv: ") + strerror(errno));
        return false;
      }
      if (n == 0) {
        shared_->Fail("the server closed a connection");
        return false;
      }
      const uint64_t now = MonotonicNanos();
      std::string_view data;
      if (conn->in.empty()) {
        data = std::string_view(buf_, static_cast<size_t>(n));
      } else {
        conn->in.append(buf_, static_cast<size_t>(n));
        data = conn->in;
      }
      size_t used = 0;
      for (;;) {
        Reply reply;
        const ptrdiff_t r = ParseReply(shared_->options->protocol, data.substr(used), &reply);
        if (r < 0) {
          shared_->Fail("malformed reply: " + std::string(data.substr(used, 120)));
          return false;
        }
        if (r == 0) break;
        used += static_cast<size_t>(r);
        if (conn->count == 0) {
          shared_->Fail("a reply arrived with no request outstanding");
          return false;
        }
        const Pending pending = conn->ring[conn->head];
        conn->head = (conn->head + 1) % conn->ring.size();
        --conn->count;
        Count(pending, reply, now);
      }
      if (conn->in.empty()) {
        conn->in.assign(data.substr(used));
      } else {
        conn->in.erase(0, used);
      }
      if (static_cast<size_t>(n) < sizeof(buf_)) return true;
    }
  }

  void Count(const Pending& pending, const Reply& reply, uint64_t now) {
    if (pending.send_ns < shared_->measure_start_ns) return;
    const uint64_t latency = now - pending.send_ns;
    ++result_.ops;
    result_.all.Record(latency);
    if (pending.is_set) {
      ++result_.sets;
      result_.set_latency.Record(latency);
    } else {
      ++result_.gets;
      result_.get_latency.Record(latency);
    }
    if (reply.kind == ReplyKind::kError) {
      if (result_.errors++ == 0) result_.first_error = std::string(reply.payload.substr(0, 200));
    } else if (reply.kind == ReplyKind::kNil) {
      ++result_.misses;
    }
    if (pending.send_ns >= shared_->trigger_start_ns.load(std::memory_order_relaxed) &&
        pending.send_ns < shared_->trigger_end_ns.load(std::memory_order_relaxed)) {
      result_.during_trigger.Record(latency);
    }
  }

  Shared* shared_;
  std::vector<std::unique_ptr<Conn>> conns_;
  FastRandom random_;
  int epoll_fd_ = -1;
  bool exhausted_ = false;
  std::string key_;
  WorkerResult result_;
  char buf_[65536];
};

void SleepUntil(uint64_t when_ns, const Shared& shared) {
  for (;;) {
    const uint64_t now = MonotonicNanos();
    if (now >= when_ns || shared.failed.load()) return;
    std::this_thread::sleep_for(
        std::chrono::nanoseconds(std::min<uint64_t>(when_ns - now, 10'000'000u)));
  }
}

double CpuSeconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

bool InfoFieldIsZero(const std::string& info, std::string_view field) {
  const size_t at = info.find(field);
  if (at == std::string::npos) return true;
  const size_t value = at + field.size();
  return value < info.size() && info[value] == '0';
}

// Runs the trigger on its own blocking connection and waits until it has finished.
void RunTrigger(Shared* shared, RunResult* result) {
  const RunOptions& options = *shared->options;
  std::string error;
  const int fd = ConnectTcp(options.host, options.port, /*nonblocking=*/false, &error);
  if (fd < 0) {
    result->trigger_error = error;
    return;
  }
  BlockingConn conn(options.protocol, fd);
  const int timeout_ms = static_cast<int>(options.max_seconds * 1000);
  ReplyKind kind;
  std::string payload;
  const uint64_t start = MonotonicNanos();
  shared->trigger_start_ns.store(start);
  bool ok = conn.Call({options.trigger}, timeout_ms, &kind, &payload, &error);
  if (ok && kind == ReplyKind::kError) {
    ok = false;
    error = options.trigger + " failed: " + payload;
  }
  // Redis answers BGREWRITEAOF / BGSAVE at once and works in a child; poll until it is done.
  const bool aof = options.trigger == "bgrewriteaof";
  const bool rdb = options.trigger == "bgsave";
  while (ok && (aof || rdb) && MonotonicNanos() < shared->hard_stop_ns) {
    if (!conn.Call({"INFO", "persistence"}, timeout_ms, &kind, &payload, &error)) {
      ok = false;
      break;
    }
    const bool done = aof ? InfoFieldIsZero(payload, "aof_rewrite_in_progress:") &&
                                InfoFieldIsZero(payload, "aof_rewrite_scheduled:")
                          : InfoFieldIsZero(payload, "rdb_bgsave_in_progress:");
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const uint64_t end = MonotonicNanos();
  shared->trigger_end_ns.store(end);
  if (ok) {
    result->trigger_seconds = static_cast<double>(end - start) / kNanosPerSecond;
  } else {
    result->trigger_error = error;
  }
}

}  // namespace

bool RunLoad(const RunOptions& options, const Workload& workload, RunResult* result,
             std::string* error) {
  if (options.connections < 1 || options.pipeline < 1 || options.threads < 1) {
    *error = "--connections, --pipeline and --threads must be at least 1";
    return false;
  }
  const int threads = std::min(options.threads, options.connections);
  std::vector<std::vector<std::unique_ptr<Conn>>> per_worker(static_cast<size_t>(threads));
  for (int i = 0; i < options.connections; ++i) {
    auto conn = std::make_unique<Conn>();
    conn->fd = ConnectTcp(options.host, options.port, /*nonblocking=*/true, error);
    if (conn->fd < 0) {
      for (auto& list : per_worker) {
        for (auto& c : list) close(c->fd);
      }
      return false;
    }
    per_worker[static_cast<size_t>(i % threads)].push_back(std::move(conn));
  }

  Shared shared;
  shared.options = &options;
  shared.workload = &workload;
  shared.count_mode = options.requests > 0;
  const uint64_t start = MonotonicNanos();
  shared.measure_start_ns = start + ToNanos(options.warmup_seconds);
  shared.stop_ns =
      shared.count_mode ? UINT64_MAX : shared.measure_start_ns + ToNanos(options.seconds);
  shared.hard_stop_ns = start + ToNanos(options.max_seconds);
  if (!options.trigger.empty()) shared.trigger_done.store(false);

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<Worker>(&shared,
                                               std::move(per_worker[static_cast<size_t>(i)]),
                                               workload.spec().seed * 1'000'003u + i + 1));
  }
  std::vector<std::thread> running;
  for (auto& worker : workers) running.emplace_back([&worker] { worker->Run(); });

  SleepUntil(shared.measure_start_ns, shared);
  rusage usage_start{};
  getrusage(RUSAGE_SELF, &usage_start);
  if (!options.trigger.empty()) {
    SleepUntil(shared.measure_start_ns + ToNanos(options.trigger_at), shared);
    if (!shared.failed.load()) RunTrigger(&shared, result);
    shared.trigger_done.store(true, std::memory_order_release);
  }
  for (auto& thread : running) thread.join();
  rusage usage_end{};
  getrusage(RUSAGE_SELF, &usage_end);

  uint64_t end_ns = shared.measure_start_ns;
  for (auto& worker : workers) {
    WorkerResult& w = worker->result();
    result->ops += w.ops;
    result->sets += w.sets;
    result->gets += w.gets;
    result->errors += w.errors;
    result->misses += w.misses;
    if (result->first_error.empty()) result->first_error = w.first_error;
    result->all.Merge(w.all);
    result->set_latency.Merge(w.set_latency);
    result->get_latency.Merge(w.get_latency);
    result->during_trigger.Merge(w.during_trigger);
    end_ns = std::max(end_ns, w.end_ns);
    worker->CloseAll();
  }
  result->seconds = static_cast<double>(end_ns - shared.measure_start_ns) / kNanosPerSecond;
  result->cpu_user_seconds = CpuSeconds(usage_end.ru_utime) - CpuSeconds(usage_start.ru_utime);
  result->cpu_system_seconds = CpuSeconds(usage_end.ru_stime) - CpuSeconds(usage_start.ru_stime);
  if (shared.failed.load()) {
    *error = shared.error;
    return false;
  }
  return true;
}

}  // namespace walkv::loadgen
