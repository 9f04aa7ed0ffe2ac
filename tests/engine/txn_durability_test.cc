// Durability of the conditional and multi-part requests — cas, batch and txn
// (MutationRequest::kCompareAndSet / kAtomicBatch / kTransaction, engine/mutation_resolver.h):
// each is logged as ONE record of what it resolved to, so
//   - a crash at any byte of that record leaves all of it or none of it after recovery,
//   - a power cut at any file operation, under both loss models, leaves all or none, and all
//     when the request was acknowledged,
//   - concurrent writers incrementing through txn reach the exact count, before and after replay.
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/expiry_requests.h"
#include "engine/file_names.h"
#include "engine/log_head.h"
#include "engine/log_reader.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";
constexpr uint64_t kStartMicros = 1'767'225'600'000'000;
using State = std::map<std::string, std::string>;

std::string Path(const std::string& name) { return JoinPath(kDir, name); }

// Every key's value, and each expiring key's deadline as "<key>@pttl".
State StateOf(Engine& db) {
  State out;
  for (const auto& k : db.Keys("*")) {
    out[k] = db.Get(k).value_or("<missing>");
    if (const int64_t pttl = db.Pttl(k); pttl >= 0) out[k + "@pttl"] = std::to_string(pttl);
  }
  return out;
}

Mutation Part(MutationType type, std::string key, std::string value,
              MutationRequest request = MutationRequest::kAsIs) {
  Mutation m;
  m.type = type;
  m.key = std::move(key);
  m.value = std::move(value);
  m.request = request;
  return m;
}
Mutation Incr(std::string key, std::string by) {
  return Part(MutationType::kSet, std::move(key), std::move(by), MutationRequest::kIncrBy);
}
Mutation Read(std::string key) {
  return Part(MutationType::kSet, std::move(key), "", MutationRequest::kRead);
}

Mutation Batch(std::vector<Mutation> parts) {
  Mutation m;
  m.type = MutationType::kBatch;
  m.request = MutationRequest::kAtomicBatch;
  m.batch = std::move(parts);
  return m;
}

Mutation Txn(std::vector<KeyCompare> compares, std::vector<Mutation> success,
             std::vector<Mutation> failure) {
  Mutation m;
  m.type = MutationType::kBatch;
  m.request = MutationRequest::kTransaction;
  m.compares = std::move(compares);
  m.batch = std::move(success);
  m.otherwise = std::move(failure);
  return m;
}

// The state every case starts from, written (and synced) before the request under test.
void WritePrefix(Engine& db) {
  ASSERT_TRUE(db.Set("a", "before").ok());
  ASSERT_TRUE(db.Set("s", "text").ok());
  ASSERT_TRUE(db.Set("n", "5").ok());
  ASSERT_TRUE(db.Set("d", "doomed").ok());
}

struct Case {
  std::string name;
  Mutation (*request)();
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

const Case kCases[] = {
    {"Cas", [] { return CompareAndSetRequest("a", "before", "after"); }},
    {"Batch",
     [] {
       return Batch({Part(MutationType::kDelete, "d", ""), Incr("n", "3"), Incr("n", "4"),
                     Part(MutationType::kAppend, "s", "+more"), Read("n"),
                     SetRequest("b", "new", {ExpiryRequest::Kind::kRelative, 60'000}),
                     ExpireRequest("a", {ExpiryRequest::Kind::kRelative, 100'000}),
                     Part(MutationType::kAppend, "fresh", "x")});
     }},
    {"Txn",
     [] {
       return Txn({{KeyCompare::Kind::kValueEquals, "a", "before"},
                   {KeyCompare::Kind::kExists, "n", ""},
                   {KeyCompare::Kind::kAbsent, "zz", ""}},
                  {Part(MutationType::kSet, "a", "1"), Incr("n", "1"),
                   Part(MutationType::kDelete, "d", ""), Read("a")},
                  {Part(MutationType::kSet, "failed", "1")});
     }},
};

class TxnDurabilityTest : public ::testing::TestWithParam<Case> {
 protected:
  TxnDurabilityTest() { env_.SetManualClock(kStartMicros); }
  std::unique_ptr<Engine> Open(FaultInjectionEnv& env) {
    auto e = Engine::Open(testing::QuietEngineOptions(&env, kDir));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  // The states before (none) and after (all) the request, on a scratch env.
  void ExpectedStates(State* none, State* all) {
    FaultInjectionEnv scratch(3);
    scratch.SetManualClock(kStartMicros);
    auto db = Open(scratch);
    ASSERT_TRUE(db);
    WritePrefix(*db);
    *none = StateOf(*db);
    auto r = db->Write(GetParam().request());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_NE(r->seq, 0u);  // every case writes
    *all = StateOf(*db);
    ASSERT_NE(*none, *all);
    ASSERT_TRUE(db->Close().ok());
    db = Open(scratch);  // replay gives the same state
    EXPECT_EQ(StateOf(*db), *all);
    ASSERT_TRUE(db->Close().ok());
  }
  FaultInjectionEnv env_{11};
};

TEST_P(TxnDurabilityTest, AfterACrashAtEveryByteOfItsRecordAllOrNoneOfItIsThere) {
  State none, all;
  ASSERT_NO_FATAL_FAILURE(ExpectedStates(&none, &all));
  {
    auto db = Open(env_);
    ASSERT_TRUE(db);
    WritePrefix(*db);
    ASSERT_TRUE(db->Write(GetParam().request()).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string wal = Path(LogFileName(1));
  auto original = env_.ReadWholeFile(wal);
  ASSERT_TRUE(original.ok());
  std::vector<log::RecordView> records;
  log::ParseSegment(*original, std::nullopt,
                    [&](const log::RecordView& r) { records.push_back(r); });
  ASSERT_EQ(records.size(), 5u);  // the prefix's four SETs, then the one record of the request
  ASSERT_GT(original->size(), records[4].offset + 17);  // a header and a payload to cut into
  auto log_head = env_.ReadWholeFile(Path(LogHeadFileName()));
  ASSERT_TRUE(log_head.ok());
  for (uint64_t cut = records[4].offset; cut <= original->size(); ++cut) {
    SCOPED_TRACE("cut at byte " + std::to_string(cut) + " of " + std::to_string(original->size()));
    ASSERT_TRUE(env_.WriteWholeFile(wal, original->substr(0, cut)).ok());
    // The segments a previous iteration's reopen created (the next record's sequence number).
    env_.RemoveFile(Path(LogFileName(5))).IgnoreError();
    env_.RemoveFile(Path(LogFileName(6))).IgnoreError();
    ASSERT_TRUE(env_.WriteWholeFile(Path(LogHeadFileName()), *log_head).ok());
    auto db = Open(env_);
    ASSERT_TRUE(db);
    EXPECT_EQ(StateOf(*db), cut == original->size() ? all : none);
    ASSERT_TRUE(db->Close().ok());
  }
}

TEST_P(TxnDurabilityTest, PowerLossAtEveryFileOperationLeavesAllOrNone) {
  State none, all;
  ASSERT_NO_FATAL_FAILURE(ExpectedStates(&none, &all));
  // Prefix written cleanly; then the request in a second session, where the power is cut.
  auto prepare = [&](FaultInjectionEnv& env) {
    env.SetManualClock(kStartMicros);
    auto db = Open(env);
    ASSERT_TRUE(db);
    WritePrefix(*db);
    ASSERT_TRUE(db->Close().ok());
  };
  auto run = [&](FaultInjectionEnv& env) {
    auto db = Engine::Open(testing::QuietEngineOptions(&env, kDir));
    if (!db.ok()) return false;
    const bool acked = (*db)->Write(GetParam().request()).ok();
    (*db)->Close().IgnoreError();
    return acked;
  };
  uint64_t ops = 0;
  {
    FaultInjectionEnv probe(1);
    ASSERT_NO_FATAL_FAILURE(prepare(probe));
    const uint64_t before = probe.mutating_ops();
    ASSERT_TRUE(run(probe));
    ops = probe.mutating_ops() - before;
  }
  ASSERT_GE(ops, 3u);  // at least the record's append, its sync, and the new segment
  for (LossModel model : {LossModel::kDropUnsynced, LossModel::kKeepRandomUnsynced}) {
    for (uint64_t cut = 1; cut <= ops + 1; ++cut) {
      SCOPED_TRACE(
          "power off after op " + std::to_string(cut) + " of " + std::to_string(ops) +
          (model == LossModel::kDropUnsynced ? ", unsynced dropped" : ", unsynced kept at random"));
      FaultInjectionEnv env(cut);
      ASSERT_NO_FATAL_FAILURE(prepare(env));
      env.PowerOffAfterMutatingOps(cut);
      const bool acked = run(env);
      env.RestartAfterPowerLoss(model, cut);
      auto db = Open(env);
      ASSERT_TRUE(db);
      const State state = StateOf(*db);
      if (acked) {
        EXPECT_EQ(state, all);
      } else {
        EXPECT_TRUE(state == none || state == all) << "neither before nor after the request";
      }
      ASSERT_TRUE(db->Close().ok());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Requests, TxnDurabilityTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

TEST(TxnConcurrencyTest, ConcurrentTxnIncrementsReachTheExactCountAndReplay) {
  FaultInjectionEnv env(5);
  auto opened = Engine::Open(testing::QuietEngineOptions(&env, kDir));
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Engine> db = std::move(*opened);
  constexpr int kWriters = 4;
  constexpr int kIncrementsEach = 50;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int done = 0; done < kIncrementsEach;) {
        const std::optional<std::string> seen = db->Get("n");
        const int n = seen ? std::stoi(*seen) : 0;
        std::vector<KeyCompare> compares;
        if (seen) {
          compares.push_back({KeyCompare::Kind::kValueEquals, "n", *seen});
        } else {
          compares.push_back({KeyCompare::Kind::kAbsent, "n", ""});
        }
        auto r = db->Write(Txn(std::move(compares),
                               {Part(MutationType::kSet, "n", std::to_string(n + 1)),
                                Part(MutationType::kAppend, "trail", "."), Read("n")},
                               {}));
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        if (!r->applied) continue;
        ASSERT_EQ(r->parts.size(), 3u);
        EXPECT_EQ(r->parts[2].old_value, std::to_string(n + 1));  // the txn reads its own write
        ++done;
      }
    });
  }
  for (std::thread& t : writers) t.join();
  const int total = kWriters * kIncrementsEach;
  EXPECT_EQ(db->Get("n"), std::to_string(total));
  EXPECT_EQ(db->Get("trail"), std::string(total, '.'));
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  opened = Engine::Open(testing::QuietEngineOptions(&env, kDir));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ((*opened)->Get("n"), std::to_string(total));
  EXPECT_EQ((*opened)->Get("trail"), std::string(total, '.'));
  EXPECT_TRUE((*opened)->Close().ok());
}

}  // namespace
}  // namespace walkv
