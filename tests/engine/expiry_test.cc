// Expiry through the engine (engine/expiry.h) on the in-memory FaultInjectionEnv with its manual
// clock: Redis's TTL numbers and SET NX/XX/GET/KEEPTTL rules, which mutations keep or clear a
// deadline, expired keys invisible to every read, deadlines logged as absolute times so a
// restart (log replay or snapshot) gives them back exactly, a crash at any byte of a SET ... PX
// record never leaves the key alive past its deadline, the sweep's deletes are logged so a clock
// jumping backwards cannot resurrect a swept key, and data directories written by the version-1
// formats still open.
#include <gtest/gtest.h>
#include <zlib.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/coding.h"
#include "engine/engine.h"
#include "engine/expiry_requests.h"
#include "engine/file_names.h"
#include "engine/hash.h"
#include "engine/log_format.h"
#include "engine/log_head.h"
#include "engine/log_reader.h"
#include "engine/log_writer.h"
#include "engine/snapshot_format.h"
#include "engine/str_cat.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";
constexpr uint64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

std::string Path(const std::string& name) { return JoinPath(kDir, name); }

ExpiryRequest Px(int64_t ms) { return {ExpiryRequest::Kind::kRelative, ms}; }
constexpr ExpiryRequest kNoExpiry{};
constexpr ExpiryRequest kKeepTtl{ExpiryRequest::Kind::kKeep, 0};

class ExpiryTest : public ::testing::Test {
 protected:
  ExpiryTest() { env_.SetManualClock(kStartMs * 1000); }

  // active_sweep false: only SweepExpired() deletes expired keys, so a test can tell what is
  // counted before a sweep from what is after it.
  std::unique_ptr<Engine> Open(bool active_sweep = true) {
    EngineOptions options = testing::QuietEngineOptions(&env_, kDir);
    options.active_expiry_sweep = active_sweep;
    auto e = Engine::Open(options);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  void AdvanceMs(uint64_t ms) { env_.AdvanceClock(ms * 1000); }

  static MutationResult MustWrite(Engine& db, Mutation m) {
    auto r = db.Write(std::move(m));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : MutationResult{};
  }
  static std::vector<log::RecordView> Records(const std::string& bytes) {
    std::vector<log::RecordView> out;
    log::ParseSegment(bytes, std::nullopt, [&](const log::RecordView& r) { out.push_back(r); });
    return out;
  }

  FaultInjectionEnv env_{11};
};

TEST_F(ExpiryTest, TtlAndPttlAnswerLikeRedis) {
  auto db = Open();
  EXPECT_EQ(db->Pttl("absent"), -2);
  ASSERT_TRUE(db->Set("plain", "v").ok());
  EXPECT_EQ(db->Pttl("plain"), -1);
  MustWrite(*db, SetRequest("k", "v", Px(1500)));
  EXPECT_EQ(db->Pttl("k"), 1500);
  AdvanceMs(1499);
  EXPECT_EQ(db->Pttl("k"), 1);
  EXPECT_EQ(db->Get("k"), "v");
  AdvanceMs(1);  // the deadline itself: expired
  EXPECT_EQ(db->Pttl("k"), -2);
}

TEST_F(ExpiryTest, AnExpiredKeyIsAbsentForEveryReadButCountedByDbsizeUntilSwept) {
  auto db = Open(/*active_sweep=*/false);  // else the background step may sweep it mid-test
  ASSERT_TRUE(db->Set("stay", "1").ok());
  MustWrite(*db, SetRequest("gone", "22", Px(50)));
  EXPECT_EQ(db->Keys("*").size(), 2u);
  AdvanceMs(50);
  EXPECT_EQ(db->Get("gone"), std::nullopt);
  EXPECT_EQ(db->ValueLength("gone"), std::nullopt);  // exists, strlen
  EXPECT_EQ(db->Keys("*"), std::vector<std::string>{"stay"});
  EXPECT_EQ(db->Keys("gone"), std::vector<std::string>{});  // the literal-pattern path
  EXPECT_EQ(db->Size(), 2u);  // dbsize: held until the sweep deletes it (as Redis's DBSIZE)
  EXPECT_EQ(*db->SweepExpired(), 1u);
  EXPECT_EQ(db->Size(), 1u);
  EXPECT_EQ(*db->Delete("gone"), false);
}

TEST_F(ExpiryTest, SetNxXxAndGet) {
  auto db = Open();
  MutationResult r = MustWrite(*db, SetRequest("k", "1", kNoExpiry, {.only_if_present = true}));
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(r.seq, 0u);  // no record
  EXPECT_EQ(db->Get("k"), std::nullopt);
  r = MustWrite(*db, SetRequest("k", "1", kNoExpiry, {.only_if_absent = true}));
  EXPECT_TRUE(r.applied);
  r = MustWrite(*db, SetRequest("k", "2", kNoExpiry, {.only_if_absent = true}));
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(db->Get("k"), "1");
  r = MustWrite(*db, SetRequest("k", "3", kNoExpiry, {.only_if_present = true, .return_old = true}));
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.old_value, "1");
  r = MustWrite(*db, SetRequest("new", "x", kNoExpiry, {.return_old = true}));
  EXPECT_TRUE(r.return_old);
  EXPECT_EQ(r.old_value, std::nullopt);
  EXPECT_EQ(db->Get("k"), "3");
  // An expired key counts as absent for NX and for GET.
  MustWrite(*db, SetRequest("e", "old", Px(10)));
  AdvanceMs(10);
  r = MustWrite(*db, SetRequest("e", "fresh", kNoExpiry, {.only_if_absent = true, .return_old = true}));
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.old_value, std::nullopt);
  EXPECT_EQ(db->Get("e"), "fresh");
  EXPECT_EQ(db->Pttl("e"), -1);
}

TEST_F(ExpiryTest, InvalidExpireTimesAreRefusedAndChangeNothing) {
  auto db = Open();
  for (int64_t ms : {int64_t{0}, int64_t{-5}, INT64_MAX}) {
    auto r = db->Write(SetRequest("k", "v", Px(ms)));
    ASSERT_FALSE(r.ok()) << ms;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(db->Get("k"), std::nullopt);
  EXPECT_EQ(db->Write(InvalidRequest("because")).status().message(), "because");
}

TEST_F(ExpiryTest, SetClearsTheDeadlineUnlessKeepTtlWhileIncrAndAppendKeepIt) {
  auto db = Open();
  MustWrite(*db, SetRequest("s", "v", Px(1000)));
  ASSERT_TRUE(db->Set("s", "w").ok());
  EXPECT_EQ(db->Pttl("s"), -1);

  MustWrite(*db, SetRequest("kt", "v", Px(1000)));
  MustWrite(*db, SetRequest("kt", "w", kKeepTtl));
  EXPECT_EQ(db->Pttl("kt"), 1000);
  EXPECT_EQ(db->Get("kt"), "w");

  MustWrite(*db, SetRequest("c", "10", Px(1000)));
  EXPECT_EQ(*db->IncrBy("c", 5), 15);
  EXPECT_EQ(db->Pttl("c"), 1000);

  MustWrite(*db, SetRequest("a", "x", Px(1000)));
  EXPECT_EQ(*db->Append("a", "yz"), 3u);
  EXPECT_EQ(db->Pttl("a"), 1000);

  AdvanceMs(1000);  // all expired: counters start from 0, appends from nothing, no deadline
  EXPECT_EQ(*db->IncrBy("c", 1), 1);
  EXPECT_EQ(db->Pttl("c"), -1);
  EXPECT_EQ(*db->Append("a", "new"), 3u);
  EXPECT_EQ(db->Get("a"), "new");
  EXPECT_EQ(db->Pttl("a"), -1);
  // ... and a restart (replay, no clock involved) agrees.
  ASSERT_TRUE(db->Close().ok());
  db = Open();
  EXPECT_EQ(db->Get("c"), "1");
  EXPECT_EQ(db->Get("a"), "new");
  EXPECT_EQ(db->Pttl("a"), -1);
  EXPECT_EQ(db->Get("kt"), std::nullopt);
}

TEST_F(ExpiryTest, ExpireAndPersist) {
  auto db = Open();
  EXPECT_FALSE(*db->Expire("absent", 100));
  EXPECT_FALSE(*db->Persist("absent"));
  ASSERT_TRUE(db->Set("k", "v").ok());
  EXPECT_FALSE(*db->Persist("k"));  // no deadline to remove
  EXPECT_TRUE(*db->Expire("k", 100));
  EXPECT_EQ(db->Pttl("k"), 100);
  EXPECT_TRUE(*db->Persist("k"));
  EXPECT_EQ(db->Pttl("k"), -1);
  AdvanceMs(200);
  EXPECT_EQ(db->Get("k"), "v");
  EXPECT_TRUE(*db->Expire("k", 0));  // a deadline not in the future deletes the key, logged
  EXPECT_EQ(db->Size(), 0u);
  MustWrite(*db, SetRequest("e", "v", Px(10)));
  AdvanceMs(10);
  EXPECT_FALSE(*db->Expire("e", 1000));  // expired: absent, and not brought back
  EXPECT_EQ(db->Get("e"), std::nullopt);
  auto at = db->Write(ExpireRequest("gone", {ExpiryRequest::Kind::kAbsolute, 1}));
  EXPECT_FALSE(at->existed);
}

TEST_F(ExpiryTest, DeadlinesSurviveReplayAndSnapshotsExactly) {
  auto db = Open();
  MustWrite(*db, SetRequest("in_snapshot", "a", Px(5000)));
  MustWrite(*db, SetRequest("persisted", "b", Px(5000)));
  EXPECT_TRUE(*db->Persist("persisted"));
  ASSERT_TRUE(db->Snapshot().ok());
  MustWrite(*db, SetRequest("in_log", "c", Px(7000)));
  EXPECT_TRUE(*db->Expire("in_snapshot", 6000));
  ASSERT_TRUE(db->Close().ok());
  AdvanceMs(1000);
  db = Open();
  EXPECT_EQ(db->recovery_summary().snapshot_keys, 2u);
  EXPECT_EQ(db->Pttl("in_snapshot"), 5000);
  EXPECT_EQ(db->Pttl("in_log"), 6000);
  EXPECT_EQ(db->Pttl("persisted"), -1);
  // A snapshot of the current state, and only it: the deadlines come from the snapshot.
  ASSERT_TRUE(db->SnapshotKeeping(1).ok());
  ASSERT_TRUE(db->Close().ok());
  db = Open();
  EXPECT_EQ(db->recovery_summary().records_replayed, 0u);
  EXPECT_EQ(db->Pttl("in_snapshot"), 5000);
  EXPECT_EQ(db->Pttl("in_log"), 6000);
  AdvanceMs(5000);
  EXPECT_EQ(db->Get("in_snapshot"), std::nullopt);
  EXPECT_EQ(db->Get("in_log"), "c");
}

// A SET ... PX 50 cut by a crash at any byte of its record: after the restart the key is either
// absent (the record was lost: it was never acknowledged) or present with its 50 ms deadline;
// once 50 ms have passed it is gone in both cases. Never present without a deadline.
TEST_F(ExpiryTest, KeySetWithPx50IsGoneAfterRestartAtEveryCrashPointOfItsRecord) {
  {
    auto db = Open();
    ASSERT_TRUE(db->Set("before", "1").ok());
    MustWrite(*db, SetRequest("k", "value", Px(50)));
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string wal = Path(LogFileName(1));
  auto original = env_.ReadWholeFile(wal);
  ASSERT_TRUE(original.ok());
  auto records = Records(*original);
  ASSERT_EQ(records.size(), 2u);
  ASSERT_EQ(records[1].type, MutationType::kSetWithDeadline);
  EXPECT_EQ(records[1].deadline_ms, kStartMs + 50);
  auto log_head = env_.ReadWholeFile(Path(LogHeadFileName()));
  ASSERT_TRUE(log_head.ok());
  for (uint64_t cut = records[1].offset; cut <= original->size(); ++cut) {
    SCOPED_TRACE(StrCat("cut at byte ", cut));
    env_.SetManualClock(kStartMs * 1000);
    ASSERT_TRUE(env_.WriteWholeFile(wal, original->substr(0, cut)).ok());
    // The segment a previous iteration's open started (wal-2 or wal-3) must not mask the cut.
    env_.RemoveFile(Path(LogFileName(2))).IgnoreError();
    env_.RemoveFile(Path(LogFileName(3))).IgnoreError();
    ASSERT_TRUE(env_.WriteWholeFile(Path(LogHeadFileName()), *log_head).ok());
    auto db = Open();
    ASSERT_TRUE(db);
    EXPECT_EQ(db->Get("before"), "1");
    const bool kept = cut == original->size();
    EXPECT_EQ(db->Pttl("k"), kept ? 50 : -2);
    AdvanceMs(50);
    EXPECT_EQ(db->Get("k"), std::nullopt);
    EXPECT_EQ(db->Keys("*"), std::vector<std::string>{"before"});
    ASSERT_TRUE(db->Close().ok());
  }
}

// The same through real power loss: the machine dies at every mutating operation of a run that
// sets a key with PX 50; after the restart and 50 ms, the key is never there.
TEST_F(ExpiryTest, KeySetWithPx50IsGoneAfterPowerLossAtEveryOperation) {
  uint64_t ops = 0;
  {
    FaultInjectionEnv probe(3);
    probe.SetManualClock(kStartMs * 1000);
    auto db = Engine::Open(testing::QuietEngineOptions(&probe, kDir));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Write(SetRequest("k", "v", Px(50))).ok());
    ASSERT_TRUE((*db)->Close().ok());
    ops = probe.mutating_ops();
  }
  for (uint64_t cut = 1; cut <= ops + 1; ++cut) {
    SCOPED_TRACE(StrCat("power off after ", cut) + StrCat(" of ", ops));
    FaultInjectionEnv env(cut);
    env.SetManualClock(kStartMs * 1000);
    env.PowerOffAfterMutatingOps(cut);
    {
      auto db = Engine::Open(testing::QuietEngineOptions(&env, kDir));
      if (db.ok()) {
        (*db)->Write(SetRequest("k", "v", Px(50))).status().IgnoreError();
        (*db)->Close().IgnoreError();
      }
    }
    env.RestartAfterPowerLoss(FaultInjectionEnv::kKeepRandomUnsynced, cut);
    auto db = Engine::Open(testing::QuietEngineOptions(&env, kDir));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    const int64_t pttl = (*db)->Pttl("k");
    EXPECT_TRUE(pttl == -2 || pttl == 50) << pttl;
    env.AdvanceClock(50'000);
    EXPECT_EQ((*db)->Get("k"), std::nullopt);
    ASSERT_TRUE((*db)->Close().ok());
  }
}

TEST_F(ExpiryTest, ClockJumpingBackDoesNotResurrectASweptKey) {
  auto db = Open();
  MustWrite(*db, SetRequest("k", "v", Px(50)));
  AdvanceMs(100);
  EXPECT_EQ(*db->SweepExpired(), 1u);
  env_.SetManualClock(kStartMs * 1000);  // back to before the deadline
  EXPECT_EQ(db->Get("k"), std::nullopt);
  EXPECT_EQ(db->Pttl("k"), -2);
  ASSERT_TRUE(db->Close().ok());
  db = Open();  // replay with the clock still behind
  EXPECT_EQ(db->Get("k"), std::nullopt);
  EXPECT_EQ(db->Size(), 0u);
  auto wal = env_.ReadWholeFile(Path(LogFileName(1)));
  ASSERT_TRUE(wal.ok());
  auto records = Records(*wal);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].type, MutationType::kDelete);  // the sweep's delete is in the log
}

TEST_F(ExpiryTest, TheSweepLeavesAKeySetAgainAlone) {
  auto db = Open();
  for (int i = 0; i < 300; ++i) MustWrite(*db, SetRequest(StrCat("k", i), "v", Px(10)));
  MustWrite(*db, SetRequest("long", "v", Px(100000)));
  AdvanceMs(10);
  ASSERT_TRUE(db->Set("k7", "again").ok());  // no longer expiring
  EXPECT_EQ(*db->SweepExpired(), 299u);
  EXPECT_EQ(db->Size(), 2u);
  EXPECT_EQ(db->Get("k7"), "again");
  EXPECT_EQ(db->Pttl("long"), 100000 - 10);
}

// --- data directories written by walkv before format version 2 ---

// A version-1 snapshot, assembled byte by byte as the version-1 writer wrote it (entries without
// a deadline field).
std::string VersionOneSnapshot(uint64_t seq, const std::map<std::string, std::string>& entries) {
  std::string out(snapshot::kSnapshotMagic);
  PutFixed32(&out, 1);
  PutFixed32(&out, 0);
  PutFixed64(&out, seq);
  PutFixed64(&out, Xxh64(out));
  std::string raw;
  for (const auto& [k, v] : entries) {
    PutVarint32(&raw, static_cast<uint32_t>(k.size()));
    raw += k;
    PutVarint32(&raw, static_cast<uint32_t>(v.size()));
    raw += v;
  }
  uLongf comp_len = compressBound(static_cast<uLong>(raw.size()));
  std::string comp(comp_len, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(comp.data()), &comp_len,
                      reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                      1),
            Z_OK);
  comp.resize(comp_len);
  std::string head;
  PutFixed32(&head, static_cast<uint32_t>(raw.size()));
  PutFixed32(&head, static_cast<uint32_t>(comp.size()));
  PutFixed32(&head, static_cast<uint32_t>(entries.size()));
  PutFixed64(&head, Xxh64(head + comp));
  out += head + comp;
  out += snapshot::kFooterMagic;
  PutFixed64(&out, 1);
  PutFixed64(&out, entries.size());
  PutFixed64(&out, Xxh64(out));
  return out;
}

TEST_F(ExpiryTest, VersionOneSnapshotAndSegmentStillOpen) {
  ASSERT_TRUE(env_.CreateDirIfMissing(kDir).ok());
  ASSERT_TRUE(
      env_.WriteWholeFile(Path(SnapshotFileName(2)), VersionOneSnapshot(2, {{"a", "1"}, {"b", "2"}}))
          .ok());
  // Records of types 1-4 are encoded the same in both versions; only the header differs.
  std::string segment;
  log::EncodeSegmentHeader(3, &segment, 1);
  log::EncodeRecord(3, {MutationType::kAppend, "a", "0"}, &segment);
  log::EncodeRecord(4, {MutationType::kDelete, "b", ""}, &segment);
  log::EncodeRecord(5, {MutationType::kSet, "c", "3"}, &segment);
  ASSERT_TRUE(env_.WriteWholeFile(Path(LogFileName(3)), segment).ok());
  ASSERT_TRUE(log::WriteLogHead(&env_, kDir, 3).ok());

  auto db = Open();
  ASSERT_TRUE(db);
  EXPECT_EQ(db->recovery_summary().snapshot_keys, 2u);
  EXPECT_EQ(db->recovery_summary().records_replayed, 3u);
  EXPECT_EQ(db->Get("a"), "10");
  EXPECT_EQ(db->Get("b"), std::nullopt);
  EXPECT_EQ(db->Get("c"), "3");
  EXPECT_EQ(db->Pttl("a"), -1);
  // New writes (with deadlines) go to a version-2 segment; a restart reads both.
  MustWrite(*db, SetRequest("d", "4", Px(1000)));
  ASSERT_TRUE(db->Close().ok());
  db = Open();
  EXPECT_EQ(db->Get("a"), "10");
  EXPECT_EQ(db->Pttl("d"), 1000);
  auto newest = env_.ReadWholeFile(Path(LogFileName(6)));
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(DecodeFixed32(newest->data() + 8), log::kLogFormatVersion);
}

}  // namespace
}  // namespace walkv
