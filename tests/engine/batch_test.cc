// Atomic batches (MutationType::kBatch, engine/record_payload.h): mset and msetnx as one log
// record applied all-or-nothing — after a crash at any byte of that record either every part is
// there or none is — the record's framing round-trips and bad framing is damage, and msetnx
// writes nothing when any key exists (an expired key does not count).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/expiry_requests.h"
#include "engine/file_names.h"
#include "engine/log_head.h"
#include "engine/log_reader.h"
#include "engine/log_writer.h"
#include "engine/record_payload.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";
std::string Path(const std::string& name) { return JoinPath(kDir, name); }

class BatchTest : public ::testing::Test {
 protected:
  BatchTest() { env_.SetManualClock(1'767'225'600'000'000); }
  std::unique_ptr<Engine> Open() {
    auto e = Engine::Open(testing::QuietEngineOptions(&env_, kDir));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  static std::map<std::string, std::string> State(Engine& db) {
    std::map<std::string, std::string> out;
    for (const auto& k : db.Keys("*")) out[k] = db.Get(k).value_or("<missing>");
    return out;
  }
  static std::vector<log::RecordView> Records(const std::string& bytes) {
    std::vector<log::RecordView> out;
    log::ParseSegment(bytes, std::nullopt, [&](const log::RecordView& r) { out.push_back(r); });
    return out;
  }
  FaultInjectionEnv env_{13};
};

TEST_F(BatchTest, MsetSetsEveryKeyAndMsetnxNothingIfAnyExists) {
  auto db = Open();
  ASSERT_TRUE(db->Write(SetRequest("a", "old", {ExpiryRequest::Kind::kRelative, 1000})).ok());
  auto r = db->Write(BatchSetRequest({"a", "1", "b", "2", "c", "3"}, false));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(State(*db), (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(db->Pttl("a"), -1);  // a SET clears the deadline
  r = db->Write(BatchSetRequest({"x", "9", "c", "9"}, true));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->applied);
  EXPECT_EQ(r->seq, 0u);
  EXPECT_EQ(db->Get("x"), std::nullopt);
  ASSERT_TRUE(db->Write(SetRequest("e", "v", {ExpiryRequest::Kind::kRelative, 10})).ok());
  env_.AdvanceClock(10'000);
  r = db->Write(BatchSetRequest({"x", "9", "e", "9"}, true));  // e is expired: absent
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->applied);
  EXPECT_EQ(db->Get("x"), "9");
  EXPECT_EQ(db->Get("e"), "9");
  // Refused up front: an empty batch, a part that is not a plain set or delete.
  Mutation empty;
  empty.type = MutationType::kBatch;
  EXPECT_EQ(db->Write(empty).status().code(), StatusCode::kInvalidArgument);
  Mutation appending = BatchSetRequest({"k", "v"}, false);
  appending.batch[0].type = MutationType::kAppend;
  EXPECT_EQ(db->Write(appending).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(db->Close().ok());
  db = Open();
  EXPECT_EQ(State(*db), (std::map<std::string, std::string>{
                            {"a", "1"}, {"b", "2"}, {"c", "3"}, {"e", "9"}, {"x", "9"}}));
}

TEST_F(BatchTest, AfterACrashAtEveryByteOfTheBatchRecordAllOrNoneOfItIsThere) {
  {
    auto db = Open();
    ASSERT_TRUE(db->Set("a", "before").ok());
    ASSERT_TRUE(db->Write(BatchSetRequest({"a", "1", "b", "2", "c", "3"}, false)).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string wal = Path(LogFileName(1));
  auto original = env_.ReadWholeFile(wal);
  ASSERT_TRUE(original.ok());
  auto records = Records(*original);
  ASSERT_EQ(records.size(), 2u);
  ASSERT_EQ(records[1].type, MutationType::kBatch);
  auto log_head = env_.ReadWholeFile(Path(LogHeadFileName()));
  ASSERT_TRUE(log_head.ok());
  const std::map<std::string, std::string> none{{"a", "before"}};
  const std::map<std::string, std::string> all{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  for (uint64_t cut = records[1].offset; cut <= original->size(); ++cut) {
    SCOPED_TRACE("cut at byte " + std::to_string(cut));
    ASSERT_TRUE(env_.WriteWholeFile(wal, original->substr(0, cut)).ok());
    env_.RemoveFile(Path(LogFileName(2))).IgnoreError();
    env_.RemoveFile(Path(LogFileName(3))).IgnoreError();
    ASSERT_TRUE(env_.WriteWholeFile(Path(LogHeadFileName()), *log_head).ok());
    auto db = Open();
    ASSERT_TRUE(db);
    EXPECT_EQ(State(*db), cut == original->size() ? all : none);
    ASSERT_TRUE(db->Close().ok());
  }
}

TEST_F(BatchTest, PowerLossAtEveryOperationLeavesAllOrNone) {
  uint64_t ops = 0;
  auto run = [](FaultInjectionEnv& env) {
    auto db = Engine::Open(testing::QuietEngineOptions(&env, kDir));
    if (!db.ok()) return false;
    const bool acked =
        (*db)->Write(BatchSetRequest({"a", "1", "b", "2", "c", "3", "d", "4"}, false)).ok();
    (*db)->Close().IgnoreError();
    return acked;
  };
  {
    FaultInjectionEnv probe(1);
    ASSERT_TRUE(run(probe));
    ops = probe.mutating_ops();
  }
  for (uint64_t cut = 1; cut <= ops + 1; ++cut) {
    SCOPED_TRACE("power off after op " + std::to_string(cut) + " of " + std::to_string(ops));
    FaultInjectionEnv env(cut);
    env.PowerOffAfterMutatingOps(cut);
    const bool acked = run(env);
    env.RestartAfterPowerLoss(FaultInjectionEnv::kKeepRandomUnsynced, cut);
    auto db = Engine::Open(testing::QuietEngineOptions(&env, kDir));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    const auto state = State(**db);
    EXPECT_TRUE(state.empty() || state.size() == 4u) << state.size();
    if (acked) {
      EXPECT_EQ(state.size(), 4u);
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
}

TEST(BatchRecordTest, RoundTripsAndBadFramingIsDamage) {
  Mutation m = BatchSetRequest({"k1", "v1", "k2", ""}, false);
  m.batch.push_back({MutationType::kDelete, "gone", ""});
  Mutation with_deadline{MutationType::kSetWithDeadline, "t", "x"};
  with_deadline.deadline_ms = 42;
  m.batch.push_back(with_deadline);
  std::string seg;
  log::EncodeSegmentHeader(1, &seg);
  log::EncodeRecord(1, m, &seg);
  std::vector<log::RecordView> records;
  auto scan =
      log::ParseSegment(seg, 1, [&](const log::RecordView& r) { records.push_back(r); });
  ASSERT_FALSE(scan.damage.has_value());
  ASSERT_EQ(records.size(), 1u);
  std::vector<MutationView> parts;
  ASSERT_TRUE(DecodeBatchParts(records[0].value, &parts));
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0].key, "k1");
  EXPECT_EQ(parts[0].value, "v1");
  EXPECT_EQ(parts[1].value, "");
  EXPECT_EQ(parts[2].type, MutationType::kDelete);
  EXPECT_EQ(parts[2].key, "gone");
  EXPECT_EQ(parts[3].type, MutationType::kSetWithDeadline);
  EXPECT_EQ(parts[3].deadline_ms, 42u);

  // Bad payloads: no parts, a part of a type not allowed in a batch, a part running past the end,
  // bytes left over.
  for (const std::string& payload :
       {std::string("\x00", 1), std::string("\x01\x03\x02\x01k", 5), std::string("\x01\x01\x09\x01k", 5),
        std::string("\x01\x02\x01k" "extra", 9)}) {
    EXPECT_FALSE(DecodeBatchParts(payload, &parts)) << payload.size();
  }
}

}  // namespace
}  // namespace walkv
