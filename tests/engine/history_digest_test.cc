// The rolling history digest (docs/replication.md §1): equal histories give equal digests, the
// digest survives restart, snapshots, compaction and power loss, a different history gives a
// different digest, and directories written before digests existed still open.
#include "engine/history_digest.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/engine.h"
#include "engine/file_names.h"
#include "engine/hash.h"
#include "engine/log_reader.h"
#include "engine/snapshot_format.h"
#include "engine/snapshot_reader.h"
#include "engine/str_cat.h"
#include "engine/verify.h"
#include "tests/util/engine_options.h"
#include "tests/util/fault_injection_env.h"

namespace walkv {
namespace {

constexpr char kDir[] = "/db";

std::unique_ptr<Engine> MustOpen(FaultInjectionEnv* env) {
  auto db = Engine::Open(testing::QuietEngineOptions(env, kDir));
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(*db) : nullptr;
}

// A history touching every kind of record without a clock-dependent deadline.
void WriteHistory(Engine* db, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(db->Set(StrCat("k", i % 7), StrCat("v", i)).ok());
    if (i % 5 == 0) {
      ASSERT_TRUE(db->Append("k1", "+").ok());
    }
    if (i % 11 == 0) {
      ASSERT_TRUE(db->Delete("k2").ok());
    }
    if (i % 13 == 0) {
      ASSERT_TRUE(db->IncrBy("counter", 3).ok());
    }
  }
  Mutation batch{.type = MutationType::kBatch};
  batch.batch.push_back(Mutation{.type = MutationType::kSet, .key = "b1", .value = "x"});
  batch.batch.push_back(Mutation{.type = MutationType::kDelete, .key = "b2"});
  ASSERT_TRUE(db->Write(std::move(batch)).ok());
}

HistoryDigest DigestOf(Engine* db) { return db->Stats().digest; }

// The digest recomputed from the documented formula over every record in the log segments.
HistoryDigest RecomputeFromLog(FaultInjectionEnv* env) {
  HistoryDigest d;
  auto children = env->GetChildren(kDir);
  EXPECT_TRUE(children.ok());
  std::vector<std::string> names = *children;
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (name.rfind("wal-", 0) != 0 || name.size() != LogFileName(1).size()) continue;
    std::string bytes = env->ReadWholeFile(JoinPath(kDir, name)).value();
    log::ParseSegment(bytes, std::nullopt, [&](const log::RecordView& r) {
      d.value = XXH64(bytes.data() + r.offset + 4, r.size - 4, d.value);
      d.seq = r.seq;
    });
  }
  return d;
}

TEST(HistoryDigestTest, FollowsTheDocumentedFormula) {
  FaultInjectionEnv env(1);
  auto db = MustOpen(&env);
  WriteHistory(db.get(), 40);
  const HistoryDigest live = DigestOf(db.get());
  EXPECT_EQ(live.seq, db->Stats().last_seq);
  EXPECT_EQ(live.base_seq, 0u);
  EXPECT_NE(live.value, 0u);
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(RecomputeFromLog(&env), live);
}

TEST(HistoryDigestTest, TwoEnginesFedTheSameMutationsHaveEqualDigests) {
  FaultInjectionEnv env_a(1), env_b(2);
  auto a = MustOpen(&env_a);
  // b rolls a segment every few records and takes a snapshot half way: its segment layout
  // differs from a's, its history does not.
  EngineOptions small = testing::QuietEngineOptions(&env_b, kDir);
  small.segment_bytes = 256;
  auto opened = Engine::Open(small);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Engine> b = std::move(*opened);
  WriteHistory(a.get(), 15);
  WriteHistory(a.get(), 15);
  WriteHistory(b.get(), 15);
  ASSERT_TRUE(b->Snapshot().ok());
  WriteHistory(b.get(), 15);
  EXPECT_GT(b->Stats().log_segments, 2u);
  EXPECT_EQ(DigestOf(a.get()), DigestOf(b.get()));
  // One more record on one side only.
  ASSERT_TRUE(b->Set("extra", "x").ok());
  EXPECT_NE(DigestOf(a.get()).value, DigestOf(b.get()).value);
}

TEST(HistoryDigestTest, ConcurrentWritersThenReplayGiveTheLiveDigest) {
  FaultInjectionEnv env(1);
  auto db = MustOpen(&env);
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(db->Set(StrCat("t", t), std::to_string(i)).ok());
      }
    });
  }
  for (std::thread& w : writers) w.join();
  const HistoryDigest live = DigestOf(db.get());
  EXPECT_EQ(live.seq, 200u);
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  // Group commit interleaved the writers in some order; replaying the log gives its digest.
  auto reopened = MustOpen(&env);
  EXPECT_EQ(DigestOf(reopened.get()), live);
  EXPECT_EQ(RecomputeFromLog(&env), live);
}

TEST(HistoryDigestTest, UnchangedByRestartSnapshotAndCompaction) {
  FaultInjectionEnv env(1);
  HistoryDigest before;
  {
    auto db = MustOpen(&env);
    WriteHistory(db.get(), 25);
    before = DigestOf(db.get());
    ASSERT_TRUE(db->Close().ok());
  }
  {
    auto db = MustOpen(&env);
    EXPECT_EQ(DigestOf(db.get()), before);  // replayed from the log
    ASSERT_TRUE(db->Snapshot().ok());
    EXPECT_EQ(DigestOf(db.get()), before);
    ASSERT_TRUE(db->Close().ok());
  }
  {
    auto db = MustOpen(&env);
    EXPECT_EQ(db->recovery_summary().records_replayed, 0u);  // all from the snapshot's footer
    EXPECT_EQ(DigestOf(db.get()), before);
    ASSERT_TRUE(db->Set("after", "snapshot").ok());
    before = DigestOf(db.get());
    // Compaction: one snapshot kept, every segment it covers removed.
    ASSERT_TRUE(db->SnapshotKeeping(1).ok());
    EXPECT_EQ(DigestOf(db.get()), before);
    ASSERT_TRUE(db->Set("after", "compaction").ok());
    before = DigestOf(db.get());
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = MustOpen(&env);
  EXPECT_EQ(db->recovery_summary().records_replayed, 1u);
  EXPECT_EQ(DigestOf(db.get()), before);
  EXPECT_EQ(before.base_seq, 0u);
}

TEST(HistoryDigestTest, SnapshotFooterHoldsTheDigestAtItsSeq) {
  FaultInjectionEnv env(1);
  auto db = MustOpen(&env);
  WriteHistory(db.get(), 10);
  const HistoryDigest at_cut = DigestOf(db.get());
  auto info = db->Snapshot();
  ASSERT_TRUE(info.ok());
  ASSERT_TRUE(db->Set("later", "x").ok());
  auto check = snapshot::ReadSnapshot(&env, JoinPath(kDir, info->file), info->seq, nullptr);
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->problem.has_value());
  EXPECT_EQ(check->version, 3u);
  ASSERT_TRUE(check->digest.has_value());
  EXPECT_EQ(*check->digest, at_cut);
}

TEST(HistoryDigestTest, DifferentHistoriesGiveDifferentDigests) {
  // Same final state, same number of records, different history.
  FaultInjectionEnv env_a(1), env_b(2);
  auto a = MustOpen(&env_a);
  auto b = MustOpen(&env_b);
  ASSERT_TRUE(a->Set("k", "1").ok());
  ASSERT_TRUE(a->Set("k", "2").ok());
  ASSERT_TRUE(b->Set("k", "3").ok());
  ASSERT_TRUE(b->Set("k", "2").ok());
  EXPECT_EQ(a->Get("k"), b->Get("k"));
  EXPECT_EQ(DigestOf(a.get()).seq, DigestOf(b.get()).seq);
  EXPECT_NE(DigestOf(a.get()), DigestOf(b.get()));
  // Reordered records differ too.
  FaultInjectionEnv env_c(3), env_d(4);
  auto c = MustOpen(&env_c);
  auto d = MustOpen(&env_d);
  ASSERT_TRUE(c->Set("x", "1").ok());
  ASSERT_TRUE(c->Set("y", "1").ok());
  ASSERT_TRUE(d->Set("y", "1").ok());
  ASSERT_TRUE(d->Set("x", "1").ok());
  EXPECT_NE(DigestOf(c.get()), DigestOf(d.get()));
}

TEST(HistoryDigestTest, AckedDigestSurvivesPowerLoss) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    FaultInjectionEnv env(seed);
    HistoryDigest acked;
    {
      auto db = MustOpen(&env);
      WriteHistory(db.get(), 12);
      ASSERT_TRUE(db->Snapshot().ok());
      WriteHistory(db.get(), 6);
      acked = DigestOf(db.get());
      env.PowerOff();
      db.reset();
    }
    env.RestartAfterPowerLoss(FaultInjectionEnv::LossModel::kDropUnsynced, seed);
    auto db = MustOpen(&env);
    EXPECT_EQ(DigestOf(db.get()), acked) << "seed " << seed;
  }
}

// A version-2 snapshot (written before digests existed): the v3 file's footer without the two
// digest fields, version 2, hashes recomputed.
std::string AsVersion2(std::string v3) {
  using namespace snapshot;
  const size_t footer_at = v3.size() - kDigestFooterSize;
  std::string v2 = v3.substr(0, footer_at + 24);  // header, blocks, magic, blocks, entries
  EncodeFixed32(v2.data() + 8, 2);
  EncodeFixed64(v2.data() + 24, Xxh64(std::string_view(v2).substr(0, 24)));
  PutFixed64(&v2, Xxh64(v2));
  return v2;
}

TEST(HistoryDigestTest, Version2SnapshotOpensWithAChainStartingAtItsSeq) {
  FaultInjectionEnv env(1);
  uint64_t snap_seq = 0;
  std::string snap_file;
  {
    auto db = MustOpen(&env);
    WriteHistory(db.get(), 10);
    auto info = db->SnapshotKeeping(1);
    ASSERT_TRUE(info.ok());
    snap_seq = info->seq;
    snap_file = info->file;
    ASSERT_TRUE(db->Set("after", "1").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string path = JoinPath(kDir, snap_file);
  ASSERT_TRUE(env.WriteWholeFile(path, AsVersion2(env.ReadWholeFile(path).value())).ok());
  auto check = snapshot::ReadSnapshot(&env, path, snap_seq, nullptr);
  ASSERT_TRUE(check.ok());
  ASSERT_FALSE(check->problem.has_value()) << check->problem->reason;
  EXPECT_EQ(check->version, 2u);
  EXPECT_FALSE(check->digest.has_value());

  HistoryDigest expected = HistoryDigest::StartingAt(snap_seq);
  std::string wal = env.ReadWholeFile(JoinPath(kDir, LogFileName(snap_seq + 1))).value();
  log::ParseSegment(wal, snap_seq + 1, [&](const log::RecordView& r) {
    expected.AdvanceRecord(std::string_view(wal).substr(r.offset, r.size));
  });
  EXPECT_EQ(expected.seq, snap_seq + 1);

  auto db = MustOpen(&env);
  EXPECT_EQ(db->Get("after"), "1");
  EXPECT_EQ(DigestOf(db.get()), expected);
  EXPECT_EQ(DigestOf(db.get()).base_seq, snap_seq);
  // The next snapshot is version 3 and carries the chain on.
  ASSERT_TRUE(db->Set("more", "2").ok());
  const HistoryDigest now = DigestOf(db.get());
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  auto again = MustOpen(&env);
  EXPECT_EQ(DigestOf(again.get()), now);
}

TEST(HistoryDigestTest, VerifyReportsTheDigestServeWouldStartWith) {
  FaultInjectionEnv env(1);
  HistoryDigest closed;
  {
    auto db = MustOpen(&env);
    WriteHistory(db.get(), 10);
    ASSERT_TRUE(db->Snapshot().ok());
    ASSERT_TRUE(db->Set("tail", "x").ok());
    closed = DigestOf(db.get());
    ASSERT_TRUE(db->Close().ok());
  }
  auto report = VerifyDataDir(&env, kDir);
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->digest.has_value());
  EXPECT_EQ(*report->digest, closed);
  EXPECT_EQ(DescribeDigest(closed), StrCat("digest at seq ", closed.seq) + ": " +
                                        closed.Hex() + " (history since seq 0)");
}

// Injected divergence: one byte of one record's value changed and its crc fixed, so recovery
// takes the record as intact. The state differs in that key only; the digest exposes it, at
// every seq from that record on.
TEST(HistoryDigestTest, AValidButDifferentRecordChangesTheDigest) {
  for (int victim = 1; victim <= 20; ++victim) {
    SCOPED_TRACE(StrCat("record ", victim));
    FaultInjectionEnv env(victim);
    HistoryDigest original;
    {
      auto db = MustOpen(&env);
      for (int i = 1; i <= 20; ++i) {
        ASSERT_TRUE(db->Set(StrCat("k", i), StrCat("value", i)).ok());
      }
      original = DigestOf(db.get());
      ASSERT_TRUE(db->Close().ok());
    }
    const std::string path = JoinPath(kDir, LogFileName(1));
    std::string wal = env.ReadWholeFile(path).value();
    log::ParseSegment(wal, 1, [&](const log::RecordView& r) {
      if (r.seq != static_cast<uint64_t>(victim)) return;
      wal[r.offset + r.size - 1] ^= 0x01;  // last byte of the value
      EncodeFixed32(wal.data() + r.offset,
                    Crc32(std::string_view(wal).substr(r.offset + 4, r.size - 4)));
    });
    ASSERT_TRUE(env.WriteWholeFile(path, wal).ok());
    auto report = VerifyDataDir(&env, kDir);
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->clean()) << "a record with a valid crc is not damage";
    ASSERT_TRUE(report->digest.has_value());
    EXPECT_EQ(report->digest->seq, original.seq);
    EXPECT_NE(report->digest->value, original.value);
    auto db = MustOpen(&env);
    EXPECT_NE(DigestOf(db.get()), original);
  }
}

TEST(HistoryDigestTest, HexRoundTrips) {
  HistoryDigest d{0, 1, 0x0123456789abcdefULL};
  EXPECT_EQ(d.Hex(), "0123456789abcdef");
  uint64_t v = 0;
  EXPECT_TRUE(ParseDigestHex("0123456789ABCDEF", &v));
  EXPECT_EQ(v, d.value);
  EXPECT_FALSE(ParseDigestHex("0123456789abcde", &v));
  EXPECT_FALSE(ParseDigestHex("0123456789abcdeg", &v));
}

}  // namespace
}  // namespace walkv
