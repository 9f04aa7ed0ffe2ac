// Power-loss simulation: random concurrent workloads run against the engine on the in-memory
// FaultInjectionEnv, the power is cut at every mutating file-system operation in turn (appends,
// syncs, segment rolls, snapshot writes, renames, directory syncs, cleanup removals), the disk is
// rebuilt from what was durable (two loss models), and recovery must give back:
//   - every acknowledged mutation (AckedWriteSurvivesPowerLoss),
//   - no value that was never acknowledged, except the single in-flight mutation of a writer,
//   - every value a reader ever saw (or something newer) (ReaderNeverSeesUnsyncedValue),
//   - a state that is a prefix of log order, with tolerate-tail recovery succeeding every time.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";
using State = std::map<std::string, std::string>;

void ApplyToModel(const Mutation& m, State* state) {
  switch (m.type) {
    case MutationType::kSet: (*state)[m.key] = m.value; break;
    case MutationType::kAppend: (*state)[m.key] += m.value; break;
    case MutationType::kDelete: state->erase(m.key); break;
    case MutationType::kFlushAll: state->clear(); break;
    default: break;  // this test's writers use no expiry
  }
}

// What one writer did: its mutations in program order, how many were acknowledged, and whether
// one more was in flight (failed) when the power went.
struct WriterHistory {
  std::vector<Mutation> mutations;
  size_t acked = 0;
  uint64_t max_acked_seq = 0;
};

struct Observation {
  std::string key;
  std::string value;
};

struct WorkloadConfig {
  int writers = 4;
  int ops_per_writer = 30;
  int keys_per_writer = 3;
  bool flushall = false;   // only with writers == 1: a flushall spans every key
  int snapshots = 3;       // explicit Snapshot() calls from a snapshotter thread
  uint64_t seed = 1;
  bool prewrite = false;   // EngineOptions::prewrite_segments
};

EngineOptions Options(FaultInjectionEnv* env, bool prewrite = false) {
  EngineOptions o;
  o.prewrite_segments = prewrite;
  o.data_dir = kDir;
  o.env = env;
  o.segment_bytes = 300;          // roll a segment every few batches
  o.snapshot_wal_bytes = 1500;    // and snapshot automatically now and then
  o.snapshot_interval_seconds = 0;
  return o;
}

Mutation RandomMutation(std::mt19937_64& rng, int writer, int op, const WorkloadConfig& cfg) {
  std::string key = "w" + std::to_string(writer) + "k" +
                    std::to_string(rng() % static_cast<uint64_t>(cfg.keys_per_writer));
  uint64_t dice = rng() % 100;
  std::string tag = std::to_string(writer) + "." + std::to_string(op);
  if (cfg.flushall && dice < 4) return {MutationType::kFlushAll, "", ""};
  if (dice < 45) return {MutationType::kSet, key, "set" + tag + std::string(rng() % 40, 'x')};
  if (dice < 85) return {MutationType::kAppend, key, "+" + tag};
  return {MutationType::kDelete, key, ""};
}

struct RunResult {
  std::vector<WriterHistory> writers;
  std::vector<Observation> observations;
};

// Runs the workload until every writer finished or failed. Writers stop at their first failure.
RunResult RunWorkload(Engine& db, const WorkloadConfig& cfg) {
  RunResult result;
  result.writers.resize(cfg.writers);
  std::atomic<int> writers_running{cfg.writers};
  std::mutex obs_mu;
  std::vector<std::thread> threads;
  for (int w = 0; w < cfg.writers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(cfg.seed * 1000 + static_cast<uint64_t>(w));
      WriterHistory& h = result.writers[w];
      for (int op = 0; op < cfg.ops_per_writer; ++op) {
        h.mutations.push_back(RandomMutation(rng, w, op, cfg));
        auto r = db.Write(h.mutations.back());
        if (!r.ok()) break;
        ++h.acked;
        h.max_acked_seq = std::max(h.max_acked_seq, r->seq);
      }
      writers_running.fetch_sub(1);
    });
  }
  threads.emplace_back([&] {  // reader: records what it saw
    std::mt19937_64 rng(cfg.seed);
    for (int i = 0; i < 2000 && writers_running.load() > 0; ++i) {
      std::string key = "w" + std::to_string(rng() % static_cast<uint64_t>(cfg.writers)) + "k" +
                        std::to_string(rng() % static_cast<uint64_t>(cfg.keys_per_writer));
      if (auto v = db.Get(key)) {
        std::lock_guard lock(obs_mu);
        result.observations.push_back({key, *v});
      }
    }
  });
  threads.emplace_back([&] {  // snapshotter
    for (int i = 0; i < cfg.snapshots && writers_running.load() > 0; ++i) {
      if (!db.Snapshot().ok()) break;
    }
  });
  for (auto& t : threads) t.join();
  return result;
}

// Checks the recovered engine against the histories. Writers own disjoint keys, so each key's
// value must be the one after all of its writer's acknowledged mutations, or after one more (the
// in-flight one) if that one reached the disk.
void VerifyRecovered(Engine& db, const RunResult& run, const WorkloadConfig& cfg) {
  State recovered;
  for (const auto& k : db.Keys("*")) recovered[k] = db.Get(k).value();
  uint64_t max_acked_seq = 0;
  size_t applied_in_flight = 0;

  State all_acked;  // for the single-writer (flushall) case
  for (int w = 0; w < cfg.writers; ++w) {
    const WriterHistory& h = run.writers[w];
    max_acked_seq = std::max(max_acked_seq, h.max_acked_seq);
    State acked_state, with_in_flight;
    for (size_t i = 0; i < h.acked; ++i) ApplyToModel(h.mutations[i], &acked_state);
    with_in_flight = acked_state;
    bool in_flight = h.mutations.size() > h.acked;
    if (in_flight) ApplyToModel(h.mutations[h.acked], &with_in_flight);

    // Restrict `recovered` to this writer's keys (or all keys for a single flushall writer).
    std::string prefix = "w" + std::to_string(w) + "k";
    State mine;
    for (const auto& [k, v] : recovered) {
      if (k.starts_with(prefix)) mine[k] = v;
    }
    if (mine == acked_state) continue;
    ASSERT_TRUE(in_flight && mine == with_in_flight)
        << "writer " << w << ": recovered state matches neither its " << h.acked
        << " acknowledged mutations nor those plus the in-flight one" << [&] {
             std::string d = "\n recovered:";
             for (const auto& [k, v] : mine) d += " " + k + "=" + v;
             d += "\n acked:";
             for (const auto& [k, v] : acked_state) d += " " + k + "=" + v;
             return d;
           }();
    ++applied_in_flight;
  }
  // Every acknowledged mutation is inside the recovered log prefix, and no more in-flight
  // mutations were recovered than records exist after the last acknowledged one.
  uint64_t last_seq = db.recovery_summary().last_seq;
  EXPECT_GE(last_seq, max_acked_seq);
  EXPECT_LE(applied_in_flight, last_seq - max_acked_seq);

  // Every value a reader saw is the recovered value or an older state of that key whose
  // successors are all acknowledged: since values are unique per mutation, it suffices that the
  // value appears among the acknowledged states of the key.
  for (const Observation& o : run.observations) {
    int w = std::stoi(o.key.substr(1));
    const WriterHistory& h = run.writers[w];
    State s;
    bool seen_acked = false;
    for (size_t i = 0; i < h.acked && !seen_acked; ++i) {
      ApplyToModel(h.mutations[i], &s);
      auto it = s.find(o.key);
      seen_acked = it != s.end() && it->second == o.value;
    }
    ASSERT_TRUE(seen_acked) << "a reader saw " << o.key << "=" << o.value
                            << ", which no acknowledged mutation produced";
  }
}

struct CrashOutcome {
  bool crashed = false;
};

// One crash point: open, cut the power after `crash_after` mutating ops, run, restart, verify.
CrashOutcome RunCrashPoint(const WorkloadConfig& cfg, uint64_t crash_after, LossModel model) {
  FaultInjectionEnv env(cfg.seed + crash_after);
  RunResult run;
  CrashOutcome outcome;
  {
    auto opened = Engine::Open(Options(&env, cfg.prewrite));
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return outcome;
    env.PowerOffAfterMutatingOps(crash_after);
    run = RunWorkload(**opened, cfg);
    outcome.crashed = env.powered_off();
    (*opened)->Close().IgnoreError();
  }
  env.RestartAfterPowerLoss(model, crash_after);
  auto reopened = Engine::Open(Options(&env, cfg.prewrite));
  EXPECT_TRUE(reopened.ok()) << "crash after op " << crash_after << ": "
                             << reopened.status().ToString();
  if (!reopened.ok()) return outcome;
  VerifyRecovered(**reopened, run, cfg);
  // The recovered directory keeps working: write, restart cleanly, still there.
  EXPECT_TRUE((*reopened)->Set("after-crash", "ok").ok());
  EXPECT_TRUE((*reopened)->Close().ok());
  auto third = Engine::Open(Options(&env, cfg.prewrite));
  EXPECT_TRUE(third.ok()) << third.status().ToString();
  if (third.ok()) {
    EXPECT_EQ((*third)->Get("after-crash"), "ok");
  }
  return outcome;
}

// Counts the mutating operations a full run of the workload performs.
uint64_t CountOps(const WorkloadConfig& cfg) {
  FaultInjectionEnv env(cfg.seed);
  auto opened = Engine::Open(Options(&env, cfg.prewrite));
  EXPECT_TRUE(opened.ok());
  uint64_t before = env.mutating_ops();
  RunWorkload(**opened, cfg);
  uint64_t ops = env.mutating_ops() - before;
  EXPECT_TRUE((*opened)->Close().ok());
  return ops;
}

class PowerLossTest : public ::testing::TestWithParam<LossModel> {};

// Cuts the power after op 1, 2, 3, ... until runs stop crashing because the workload finished
// first (thread timing makes the op count vary a little between runs).
void CrashAtEveryOp(const WorkloadConfig& cfg, LossModel model) {
  const uint64_t ops = CountOps(cfg);
  ASSERT_GT(ops, 50u);
  int crashes = 0, finished_in_a_row = 0;
  for (uint64_t c = 1; c <= 4 * ops && finished_in_a_row < 3; ++c) {
    SCOPED_TRACE("crash after mutating op " + std::to_string(c) + " of ~" + std::to_string(ops));
    bool crashed = RunCrashPoint(cfg, c, model).crashed;
    crashes += crashed;
    finished_in_a_row = crashed ? 0 : finished_in_a_row + 1;
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GE(crashes, static_cast<int>(ops / 2));
  std::printf("power-loss: %d crash points (workload ~%llu mutating ops)\n", crashes,
              static_cast<unsigned long long>(ops));
}

TEST_P(PowerLossTest, AckedWritesOfConcurrentWritersSurvivePowerLossAtEveryOp) {
  WorkloadConfig cfg;
  cfg.writers = 4;
  cfg.ops_per_writer = 30;
  cfg.seed = 11;
  CrashAtEveryOp(cfg, GetParam());
}

TEST_P(PowerLossTest, SingleWriterWithFlushAllSurvivesPowerLossAtEveryOp) {
  WorkloadConfig cfg;
  cfg.writers = 1;
  cfg.ops_per_writer = 80;
  cfg.keys_per_writer = 5;
  cfg.flushall = true;
  cfg.seed = 23;
  CrashAtEveryOp(cfg, GetParam());
}

TEST_P(PowerLossTest, ManyWritersManySnapshotsSurvivePowerLossAtEveryOp) {
  WorkloadConfig cfg;
  cfg.writers = 8;
  cfg.ops_per_writer = 20;
  cfg.snapshots = 6;
  cfg.seed = 37;
  CrashAtEveryOp(cfg, GetParam());
}

// Pre-written segments: the power is also cut while a new segment is being zero-filled (a
// partially zero-filled file, or one whose header never reached the disk), and records overwrite
// zeros, so the recovered log ends in a zero tail that must read as its clean end.
//
// Under kKeepRandomUnsynced this once lost acknowledged SETs (seed 53, cut at op 5): the in-memory
// disk treated an overwritten file like one truncated by NewWritableFile and cut it to a random
// prefix, synced records included. Regression: tests/engine/prewritten_segment_test.cc
// (TwoAckedSetsSurviveACutDuringTheThirdAppend, APowerCutAfterUnsyncedOverwritesKeepsEverySyncedByte).
// With the corrected model (unsynced overwrites reach the disk per sector in any order) a cut
// could then leave a lost sector followed by intact records of the same unsynced write, which
// tolerate-tail refused as mid-log damage; version-3 write frames (engine/log_format.h) fixed it.
TEST_P(PowerLossTest, PrewrittenSegmentsSurvivePowerLossAtEveryOp) {
  WorkloadConfig cfg;
  cfg.writers = 4;
  cfg.ops_per_writer = 30;
  cfg.seed = 53;
  cfg.prewrite = true;
  CrashAtEveryOp(cfg, GetParam());
}

INSTANTIATE_TEST_SUITE_P(LossModels, PowerLossTest,
                         ::testing::Values(LossModel::kDropUnsynced,
                                           LossModel::kKeepRandomUnsynced),
                         [](const ::testing::TestParamInfo<LossModel>& p) {
                           return p.param == LossModel::kDropUnsynced ? "DropUnsynced"
                                                                       : "KeepRandomUnsynced";
                         });

}  // namespace
}  // namespace walkv
