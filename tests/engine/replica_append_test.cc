// Engine::AppendReplicatedRecords (engine/replica_apply.cc; docs/replication.md §3): a primary
// written through ordinary Submit (sets, deletes, appends, expiring keys, expiry sweeps, batches,
// flushall), its records read back with ReadCommittedRecords and appended to a replica engine:
// equal state, equal history digest, equal `verify` digest after restart; a gap, a duplicate, a
// flipped byte or a cut record is refused with nothing written; a power cut at every file
// operation of a replica's appends keeps a prefix of the primary's history, digest included.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/coding.h"
#include "engine/engine.h"
#include "engine/expiry_requests.h"
#include "engine/history_digest.h"
#include "engine/log_format.h"
#include "engine/verify.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kPrimaryDir[] = "/primary";
constexpr char kReplicaDir[] = "/replica";
constexpr uint64_t kStartMicros = 1'767'225'600'000'000;

using State = std::map<std::string, std::string>;

State StateOf(Engine& db) {
  State out;
  for (const auto& k : db.Keys("*")) out[k] = db.Get(k).value_or("<missing>");
  return out;
}

// The framed records in `bytes`, one view each.
std::vector<std::string_view> SplitRecords(std::string_view bytes) {
  std::vector<std::string_view> out;
  while (bytes.size() >= log::kRecordHeaderSize) {
    const size_t size = log::kRecordHeaderSize + DecodeFixed32(bytes.data() + 4);
    out.push_back(bytes.substr(0, size));
    bytes.remove_prefix(size);
  }
  return out;
}

// records[first, end) as one contiguous byte string.
std::string Join(const std::vector<std::string_view>& records, size_t first, size_t end) {
  std::string out;
  for (size_t i = first; i < end; ++i) out.append(records[i]);
  return out;
}

EngineOptions ReplicaOptions(FaultInjectionEnv* env) {
  EngineOptions o = testing::QuietEngineOptions(env, kReplicaDir);
  o.replica = true;
  o.segment_bytes = 300;  // several rolls (and LOGHEAD rewrites) in a short history
  return o;
}

class ReplicaAppendTest : public ::testing::Test {
 protected:
  ReplicaAppendTest() {
    primary_env_.SetManualClock(kStartMicros);
    replica_env_.SetManualClock(kStartMicros);
  }

  // Writes a history with every kind of record on a primary, reads it back and closes it.
  void SetUp() override {
    EngineOptions o = testing::QuietEngineOptions(&primary_env_, kPrimaryDir);
    o.segment_bytes = 400;
    auto opened = Engine::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Engine& db = **opened;
    ASSERT_TRUE(db.Set("a", "1").ok());
    ASSERT_TRUE(db.Set("b", "2").ok());
    ASSERT_TRUE(db.Append("a", "+x").ok());
    ASSERT_TRUE(db.Delete("b").ok());
    ASSERT_TRUE(db.Write(SetRequest("ttl-short", "gone", {ExpiryRequest::Kind::kRelative, 500}))
                    .ok());
    ASSERT_TRUE(db.Write(SetRequest("ttl-long", "stays",
                                    {ExpiryRequest::Kind::kRelative, 3'600'000}))
                    .ok());
    ASSERT_TRUE(db.Write(BatchSetRequest({"m1", "v1", "m2", "v2", "m3", "v3"}, false)).ok());
    ASSERT_TRUE(db.IncrBy("counter", 41).ok());
    ASSERT_TRUE(db.IncrBy("counter", 1).ok());
    ASSERT_TRUE(db.Expire("m3", 200).ok());
    ASSERT_TRUE(db.Snapshot().ok());
    ASSERT_TRUE(db.FlushAll().ok());
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(db.Set("k" + std::to_string(i % 7), std::string(i * 3, 'v')).ok());
    }
    ASSERT_TRUE(db.Write(SetRequest("ttl-mid", "x", {ExpiryRequest::Kind::kRelative, 1000})).ok());
    primary_env_.AdvanceClock(2'000'000);  // ttl-mid expires; the primary sweeps it (a DELETE)
    ASSERT_EQ(*db.SweepExpired(), 1u);
    ASSERT_TRUE(db.Set("last", "one").ok());
    primary_state_ = StateOf(db);
    primary_stats_ = db.Stats();
    ASSERT_TRUE(db.ReadCommittedRecords(1, 1 << 20, &records_).ok());
    ASSERT_TRUE(db.Close().ok());
    split_ = SplitRecords(records_);
    ASSERT_EQ(split_.size(), primary_stats_.last_seq);
    // The primary's digest at every seq, for the prefix checks.
    HistoryDigest d;
    digest_at_.push_back(d);
    for (std::string_view r : split_) {
      d.AdvanceRecord(r);
      digest_at_.push_back(d);
    }
    ASSERT_EQ(digest_at_.back(), primary_stats_.digest);
    replica_env_.AdvanceClock(2'000'000);  // the replica's clock agrees with the primary's
  }

  std::unique_ptr<Engine> OpenReplica() {
    auto e = Engine::Open(ReplicaOptions(&replica_env_));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }

  FaultInjectionEnv primary_env_{1};
  FaultInjectionEnv replica_env_{2};
  std::string records_;
  std::vector<std::string_view> split_;
  State primary_state_;
  EngineStats primary_stats_;
  std::vector<HistoryDigest> digest_at_;  // [s]: the primary's digest at seq s
};

TEST_F(ReplicaAppendTest, ShippedHistoryGivesEqualStateDigestAndVerifyLine) {
  auto replica = OpenReplica();
  ASSERT_NE(replica, nullptr);
  // The listener sees exactly the shipped bytes, so a replica can feed a replica.
  std::string heard;
  replica->AddCommitListener(
      [&](uint64_t, uint64_t, std::string_view records) { heard.append(records); });
  // Batches of 1, 2, 3, ... records; a snapshot on the replica half way.
  size_t next = 0;
  for (size_t n = 1; next < split_.size(); ++n) {
    const size_t end = std::min(split_.size(), next + n);
    Status s = replica->AppendReplicatedRecords(Join(split_, next, end));
    ASSERT_TRUE(s.ok()) << "records " << next + 1 << ".." << end << ": " << s.ToString();
    EXPECT_EQ(replica->Stats().digest, digest_at_[end]);
    next = end;
    if (n == 4) {
      ASSERT_TRUE(replica->Snapshot().ok());
    }
  }
  EXPECT_EQ(heard, records_);
  EXPECT_EQ(StateOf(*replica), primary_state_);
  EXPECT_EQ(replica->Stats().digest, primary_stats_.digest);
  EXPECT_EQ(replica->Stats().last_seq, primary_stats_.last_seq);
  EXPECT_GT(replica->Stats().log_segments, 1u);

  // A replica writes nothing of its own: no client write, no expiry sweep.
  EXPECT_EQ(replica->Set("x", "y").code(), StatusCode::kNotSupported);
  EXPECT_EQ(*replica->SweepExpired(), 0u);
  EXPECT_EQ(replica->Stats().last_seq, primary_stats_.last_seq);

  ASSERT_TRUE(replica->Close().ok());
  replica = OpenReplica();
  ASSERT_NE(replica, nullptr);
  EXPECT_EQ(StateOf(*replica), primary_state_);
  EXPECT_EQ(replica->Stats().digest, primary_stats_.digest);
  ASSERT_TRUE(replica->Close().ok());

  auto replica_report = VerifyDataDir(&replica_env_, kReplicaDir);
  auto primary_report = VerifyDataDir(&primary_env_, kPrimaryDir);
  ASSERT_TRUE(replica_report.ok() && primary_report.ok());
  EXPECT_TRUE(replica_report->clean());
  ASSERT_TRUE(replica_report->digest.has_value() && primary_report->digest.has_value());
  EXPECT_EQ(DescribeDigest(*replica_report->digest), DescribeDigest(*primary_report->digest));
}

TEST_F(ReplicaAppendTest, ExpiredKeysAreHiddenButStayUntilThePrimarysDeleteArrives) {
  auto replica = OpenReplica();
  ASSERT_NE(replica, nullptr);
  // Up to and including the SET of ttl-mid (the record before the sweep's DELETE).
  const size_t sweep_delete = split_.size() - 2;  // then "last"
  ASSERT_TRUE(replica->AppendReplicatedRecords(Join(split_, 0, sweep_delete)).ok());
  EXPECT_EQ(replica->Get("ttl-mid"), std::nullopt);  // expired: hidden from reads
  const uint64_t size_before = replica->Size();
  EXPECT_EQ(*replica->SweepExpired(), 0u);  // but never deleted by the replica itself
  EXPECT_EQ(replica->Size(), size_before);
  ASSERT_TRUE(replica->AppendReplicatedRecords(Join(split_, sweep_delete, split_.size())).ok());
  EXPECT_EQ(replica->Size(), size_before);  // the DELETE went, "last" came
  EXPECT_EQ(replica->Stats().digest, primary_stats_.digest);
}

TEST_F(ReplicaAppendTest, GapsDuplicatesAndDamageAreRefusedAndWriteNothing) {
  auto replica = OpenReplica();
  ASSERT_NE(replica, nullptr);
  ASSERT_TRUE(replica->AppendReplicatedRecords(Join(split_, 0, 5)).ok());
  const EngineStats before = replica->Stats();
  auto refused = [&](const std::string& bytes) {
    Status s = replica->AppendReplicatedRecords(bytes);
    const EngineStats after = replica->Stats();
    EXPECT_EQ(after.last_seq, before.last_seq);
    EXPECT_EQ(after.log_bytes, before.log_bytes);
    EXPECT_EQ(after.digest, before.digest);
    return s.code();
  };
  EXPECT_EQ(refused(Join(split_, 6, 9)), StatusCode::kInvalidArgument);  // a gap: 7 after 5
  EXPECT_EQ(refused(Join(split_, 4, 7)), StatusCode::kInvalidArgument);  // 5 again
  EXPECT_EQ(refused(Join(split_, 0, 1)), StatusCode::kInvalidArgument);  // from the start
  std::string inner_gap = Join(split_, 5, 6) + Join(split_, 7, 8);  // 6 then 8
  EXPECT_EQ(refused(inner_gap), StatusCode::kCorruption);
  std::string good = Join(split_, 5, 9);
  for (size_t i = 0; i < good.size(); ++i) {
    if (i >= 8 && i < 16) {
      continue;  // the first seq: a different seq is kInvalidArgument
    }
    std::string flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    EXPECT_EQ(refused(flipped), StatusCode::kCorruption) << "byte " << i;
  }
  const size_t first_record_end = split_[5].size();
  for (size_t cut = 1; cut < first_record_end; ++cut) {  // a record cut short anywhere
    EXPECT_EQ(refused(good.substr(0, cut)), StatusCode::kCorruption) << "cut at " << cut;
  }
  const std::string two = Join(split_, 5, 7);
  for (size_t cut = first_record_end + 1; cut < two.size(); ++cut) {  // whole, then cut short
    EXPECT_EQ(refused(two.substr(0, cut)), StatusCode::kCorruption) << "cut at " << cut;
  }
  EXPECT_EQ(refused(good + std::string(20, '\0')), StatusCode::kCorruption);
  // And the right records still go on after all that.
  ASSERT_TRUE(replica->AppendReplicatedRecords(good).ok());
  EXPECT_EQ(replica->Stats().digest, digest_at_[9]);
}

TEST_F(ReplicaAppendTest, PowerLossAtEveryOperationKeepsAPrefixOfThePrimarysHistory) {
  // A clean run first: how many mutating operations the appends take.
  const uint64_t ops_before = replica_env_.mutating_ops();
  {
    auto replica = OpenReplica();
    ASSERT_NE(replica, nullptr);
    for (size_t i = 0; i < split_.size(); i += 3) {
      ASSERT_TRUE(replica
                      ->AppendReplicatedRecords(
                          Join(split_, i, std::min(split_.size(), i + 3)))
                      .ok());
    }
    ASSERT_TRUE(replica->Close().ok());
  }
  const uint64_t ops_per_run = replica_env_.mutating_ops() - ops_before;
  ASSERT_GT(ops_per_run, 10u);

  for (uint64_t n = 1; n <= ops_per_run; ++n) {
    for (auto model : {LossModel::kDropUnsynced, LossModel::kKeepRandomUnsynced}) {
      SCOPED_TRACE("power off at operation " + std::to_string(n));
      FaultInjectionEnv env(n);
      env.SetManualClock(kStartMicros + 2'000'000);
      uint64_t acked_seq = 0;
      {
        auto opened = Engine::Open(ReplicaOptions(&env));
        ASSERT_TRUE(opened.ok()) << opened.status().ToString();
        env.PowerOffAfterMutatingOps(n);
        for (size_t i = 0; i < split_.size(); i += 3) {
          const size_t end = std::min(split_.size(), i + 3);
          if (!(*opened)->AppendReplicatedRecords(Join(split_, i, end)).ok()) break;
          acked_seq = end;
        }
        (*opened)->Close().IgnoreError();
      }
      env.RestartAfterPowerLoss(model, n);
      auto reopened = Engine::Open(ReplicaOptions(&env));
      ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
      const EngineStats stats = (*reopened)->Stats();
      EXPECT_GE(stats.last_seq, acked_seq);  // every acknowledged append survived
      ASSERT_LE(stats.last_seq, primary_stats_.last_seq);
      EXPECT_EQ(stats.digest, digest_at_[stats.last_seq]);
      // And it goes on from there to the primary's end.
      ASSERT_TRUE((*reopened)
                      ->AppendReplicatedRecords(
                          Join(split_, stats.last_seq, split_.size()))
                      .ok());
      EXPECT_EQ((*reopened)->Stats().digest, primary_stats_.digest);
      EXPECT_EQ(StateOf(**reopened), primary_state_);
      ASSERT_TRUE((*reopened)->Close().ok());
    }
  }
}

}  // namespace
}  // namespace walkv
