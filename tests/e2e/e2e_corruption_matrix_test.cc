// The corruption matrix (issue 5, contract §1 and §3): a real data directory made by `walkv serve`
// through its protocol — two snapshots, three log segments holding a known history of sets,
// appends, deletes and a flushall, and LOGHEAD naming the newest segment — is damaged one file at
// a time: a flipped bit, overwritten
// bytes, a truncation, a zeroed 4 KiB block (each at six offsets: the magic, the rest of the
// header, the first record or block, the middle, the last record's header or the snapshot footer,
// and the last bytes of the file), or the file deleted. For every case it proves:
//
//  - `walkv verify --json` exits 1 and reports the damaged file, at a byte offset inside the
//    record, block, header or footer that was damaged (or, for a truncation, just before the cut);
//    the file is listed as not ok; and its prediction of what each recovery mode does matches what
//    `walkv serve` then really does;
//  - `walkv serve` in each --recovery-mode (on a fresh copy of the damaged directory) either
//    refuses with exit 1 and a message naming the file and `walkv verify`, or serves EXACTLY the
//    state after the first k acknowledged mutations, where k is what the contract allows: the whole
//    history when the damage is in a file recovery does not need (or a snapshot it can fall back
//    from); the records before the damage for a torn tail of the newest segment (tolerate-tail)
//    or for any log damage (point-in-time). `absolute` refuses on any damage, even in a file it
//    does not need. Never a wrong value or a value that was never written.
//    Refusing and starting are both pinned per case, from the contract's damage policy.
//
// Some deletions leave a consistent directory: deleting either snapshot, or the segment only the
// older snapshot needed, loses nothing, and verify rightly calls the result clean. Deleting the
// newest log segment is seen through LOGHEAD, which names it: verify reports it missing, and
// serve refuses (point-in-time serves the history before it). A truncation exactly between two
// records of the newest segment is the one loss no one can see — it looks like writes that never
// happened — so truncations here always cut inside a record or header (docs/operations.md "What
// verify cannot see").
//
// Each TEST_P is one (file, kind of damage) pair and builds its own directory, so ctest runs them
// in parallel; a failure names file, offset and damage through SCOPED_TRACE.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/e2e/kv_history.h"
#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// The pristine directory.

enum class Role {
  kOlderSnapshot,
  kNewestSnapshot,
  kOldestSegment,
  kMiddleSegment,
  kNewestSegment,
  kLogHead
};
enum class Damage { kFlipBit, kOverwrite, kTruncate, kZeroBlock, kDelete };

const char* RoleName(Role role) {
  switch (role) {
    case Role::kOlderSnapshot: return "OlderSnapshot";
    case Role::kNewestSnapshot: return "NewestSnapshot";
    case Role::kOldestSegment: return "OldestSegment";
    case Role::kMiddleSegment: return "MiddleSegment";
    case Role::kNewestSegment: return "NewestSegment";
    case Role::kLogHead: return "LogHead";
  }
  return "?";
}

const char* DamageName(Damage damage) {
  switch (damage) {
    case Damage::kFlipBit: return "FlipBit";
    case Damage::kOverwrite: return "Overwrite";
    case Damage::kTruncate: return "Truncate";
    case Damage::kZeroBlock: return "ZeroBlock";
    case Damage::kDelete: return "Delete";
  }
  return "?";
}

bool IsSnapshot(Role role) { return role == Role::kOlderSnapshot || role == Role::kNewestSnapshot; }

// docs/format.md §2: 20-digit zero-padded sequence numbers.
std::string WalName(uint64_t first_seq) {
  char name[64];
  std::snprintf(name, sizeof(name), "wal-%020" PRIu64 ".log", first_seq);
  return name;
}
std::string SnapName(uint64_t seq) {
  char name[64];
  std::snprintf(name, sizeof(name), "snap-%020" PRIu64 ".snap", seq);
  return name;
}

constexpr int kMutationsPerPhase = 90;
const std::vector<std::string> kBuildFlags = {"--fsync", "never", "--snapshot-interval", "0",
                                              "--snapshot-wal-bytes", "0",
                                              "--replication-backlog-bytes", "0"};

// What BuildPristine made. Sequence numbers: the older snapshot covers 1..s1, the newest 1..s2;
// wal-(s1+1) holds s1+1..s2 (needed only to fall back to the older snapshot), wal-(s2+1) holds
// s2+1..s3, and wal-(s3+1), started by the restart, holds s3+1..total.
struct Pristine {
  KvHistory history;
  uint64_t s1 = 0, s2 = 0, s3 = 0, total = 0;

  std::string File(Role role) const {
    switch (role) {
      case Role::kOlderSnapshot: return SnapName(s1);
      case Role::kNewestSnapshot: return SnapName(s2);
      case Role::kOldestSegment: return WalName(s1 + 1);
      case Role::kMiddleSegment: return WalName(s2 + 1);
      case Role::kNewestSegment: return WalName(s3 + 1);
      case Role::kLogHead: return "LOGHEAD";
    }
    return "";
  }
  uint64_t FirstSeq(Role role) const {
    switch (role) {
      case Role::kOldestSegment: return s1 + 1;
      case Role::kMiddleSegment: return s2 + 1;
      case Role::kNewestSegment: return s3 + 1;
      default: return 0;
    }
  }
};

::testing::AssertionResult RunPhase(rpc::Client& client, KvHistory& history, std::mt19937& rng,
                                    bool with_flushall) {
  for (int i = 0; i < kMutationsPerPhase; ++i) {
    auto done = with_flushall && i == kMutationsPerPhase / 2 ? history.FlushAll(client)
                                                              : history.RandomMutation(client, rng);
    if (!done) return done;
  }
  return ::testing::AssertionSuccess();
}

// Phase A (with a flushall) into wal-1, snapshot s1, phase B, snapshot s2 (which removes wal-1),
// phase C, clean stop; restart (a new segment), phase D, clean stop.
void BuildPristine(const std::string& dir, Pristine* p) {
  std::mt19937 rng(20261125);
  {
    auto server = ServerProcess::Start(dir, kBuildFlags);
    ASSERT_NE(server, nullptr);
    auto client = ConnectClient(server->host(), server->port());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(RunPhase(*client, p->history, rng, /*with_flushall=*/true));
    auto snap = client->Snapshot();
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    p->s1 = (*snap)["seq"].get<uint64_t>();
    ASSERT_EQ(p->s1, p->history.mutations());
    ASSERT_TRUE(RunPhase(*client, p->history, rng, false));
    snap = client->Snapshot();
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    p->s2 = (*snap)["seq"].get<uint64_t>();
    ASSERT_EQ(p->s2, p->history.mutations());
    ASSERT_TRUE(RunPhase(*client, p->history, rng, false));
    p->s3 = p->history.mutations();
    ASSERT_EQ(server->Terminate(), 0) << server->stderr_text();
  }
  {
    auto server = ServerProcess::Start(dir, kBuildFlags);
    ASSERT_NE(server, nullptr);
    auto client = ConnectClient(server->host(), server->port());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(RunPhase(*client, p->history, rng, false));
    ASSERT_EQ(server->Terminate(), 0) << server->stderr_text();
  }
  p->total = p->history.mutations();
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  std::vector<std::string> expected = {"LOCK", p->File(Role::kLogHead),
                                       p->File(Role::kOlderSnapshot),
                                       p->File(Role::kNewestSnapshot),
                                       p->File(Role::kOldestSegment),
                                       p->File(Role::kMiddleSegment),
                                       p->File(Role::kNewestSegment)};
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(names, expected) << "the pristine directory does not have the expected layout";
}

// ---------------------------------------------------------------------------------------------
// File layout, parsed here from docs/format.md (independently of the product's readers).

struct Piece {
  uint64_t start = 0, end = 0;  // [start, end)
  uint64_t seq = 0;             // log: the record's seq (the header: the segment's first seq)
};

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

uint64_t LoadU(const std::string& b, uint64_t at, int size) {
  uint64_t v = 0;
  for (int i = size - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

// Log: the 24-byte header, then records (17-byte header + payload). Snapshot: the 32-byte header,
// blocks (20-byte header + comp_len bytes), the footer (48 bytes from version 3, which holds the
// history digest; 32 before). LOGHEAD: one 24-byte unit.
std::vector<Piece> Layout(const std::string& b, Role role, uint64_t first_seq) {
  std::vector<Piece> pieces;
  if (role == Role::kLogHead) {
    pieces.push_back({0, b.size(), 0});
  } else if (IsSnapshot(role)) {
    const uint64_t footer = LoadU(b, 8, 4) >= 3 ? 48 : 32;
    pieces.push_back({0, 32, 0});
    uint64_t at = 32;
    while (at + 20 <= b.size() - footer) {
      uint64_t end = at + 20 + LoadU(b, at + 4, 4);
      pieces.push_back({at, end, 0});
      at = end;
    }
    pieces.push_back({b.size() - footer, b.size(), 0});
  } else {
    pieces.push_back({0, 24, first_seq});
    uint64_t at = 24;
    while (at + 17 <= b.size()) {
      uint64_t end = at + 17 + LoadU(b, at + 4, 4);
      pieces.push_back({at, end, LoadU(b, at + 8, 8)});
      at = end;
    }
  }
  return pieces;
}

const Piece& PieceAt(const std::vector<Piece>& pieces, uint64_t offset) {
  for (const Piece& p : pieces) {
    if (offset >= p.start && offset < p.end) return p;
  }
  return pieces.back();
}

// ---------------------------------------------------------------------------------------------
// One case: a damage at an offset, what it changed, and what the contract expects.

struct Case {
  Damage damage;
  std::string where;  // which sample: "magic", "header", ..., "last bytes"
  uint64_t offset = 0;
};

// The sampled offsets of one file. A truncation lands inside a record, never on a boundary: a log
// cut exactly between records is indistinguishable from a shorter log (see the header comment).
std::vector<Case> CasesFor(Damage damage, const std::vector<Piece>& pieces, uint64_t size) {
  if (damage == Damage::kDelete) return {{damage, "whole file", 0}};
  if (pieces.size() == 1) {  // LOGHEAD: magic, the sequence number it names, the checksum
    return {{damage, "magic", 2}, {damage, "first sequence", 13}, {damage, "checksum", 21}};
  }
  std::vector<Case> cases = {{damage, "magic", 2},
                             {damage, "header", 13},
                             {damage, "first record/block", pieces[1].start + 25},
                             {damage, "middle", size / 2},
                             {damage, "last record's header/footer", pieces.back().start + 5},
                             {damage, "last bytes", size - 3}};
  for (Case& c : cases) {
    for (const Piece& p : pieces) {
      if (damage == Damage::kTruncate && c.offset == p.start && c.offset != 0) ++c.offset;
    }
  }
  return cases;
}

// Applies the damage to `path`; returns the first and one-past-the-last changed byte (a
// truncation "changes" everything from the cut to the old end; a deletion, the whole file).
std::pair<uint64_t, uint64_t> Apply(const Case& c, const std::string& path) {
  std::string before = ReadBytes(path);
  if (c.damage == Damage::kDelete) {
    fs::remove(path);
    return {0, before.size()};
  }
  if (c.damage == Damage::kTruncate) {
    fs::resize_file(path, c.offset);
    return {c.offset, before.size()};
  }
  std::string after = before;
  const uint64_t end = std::min<uint64_t>(
      after.size(), c.offset + (c.damage == Damage::kFlipBit    ? 1
                                : c.damage == Damage::kOverwrite ? 8
                                                                 : 4096));
  static constexpr char kPattern[] = "\xde\xad\xbe\xef\x00\xff\x55\xaa";
  for (uint64_t i = c.offset; i < end; ++i) {
    switch (c.damage) {
      case Damage::kFlipBit: after[i] = static_cast<char>(after[i] ^ (1 << (c.offset % 8))); break;
      case Damage::kOverwrite: after[i] = kPattern[i - c.offset]; break;
      default: after[i] = '\0'; break;
    }
  }
  WriteBytes(path, after);
  uint64_t first = c.offset, last = end;
  while (first < end && before[first] == after[first]) ++first;
  while (last > first && before[last - 1] == after[last - 1]) --last;
  return {first, last};
}

enum Mode { kTolerateTail, kAbsolute, kPointInTime };
constexpr std::array<const char*, 3> kModeNames = {"tolerate-tail", "absolute", "point-in-time"};

struct ModeExpectation {
  bool starts = false;
  uint64_t k = 0;             // if it starts: the number of mutations whose state it must serve
  std::string names_file;     // refuses: the message names it; starts with a loss: logged
};

struct Expectation {
  std::string reported_file;          // verify reports a problem in this file...
  uint64_t offset_lo = 0, offset_hi = 0;  // ...at an offset in [lo, hi]
  bool verify_clean = false;          // verify must find nothing (deletions that lose nothing)
  std::array<ModeExpectation, 3> modes;
};

// The contract's damage policy (§3, docs/durability.md), case by case. `first_changed` and
// `end_changed` are what Apply() returned; `pieces` the layout of the undamaged file.
Expectation Expect(const Pristine& p, Role role, const Case& c, const std::vector<Piece>& pieces,
                   uint64_t first_changed, uint64_t end_changed) {
  Expectation e;
  const std::string file = p.File(role);
  const uint64_t T = p.total;
  e.reported_file = file;
  if (c.damage == Damage::kTruncate) {
    e.offset_hi = c.offset;
    const uint64_t footer = pieces.back().end - pieces.back().start;  // snapshots
    e.offset_lo = IsSnapshot(role) ? (c.offset < 32 + footer ? 0 : c.offset - footer)
                                   : PieceAt(pieces, c.offset).start;
  } else {
    e.offset_lo = PieceAt(pieces, first_changed).start;
    e.offset_hi = PieceAt(pieces, end_changed - 1).end - 1;
  }
  auto all = [&](bool starts, uint64_t k, const std::string& names) {
    for (ModeExpectation& m : e.modes) m = {starts, k, names};
  };

  if (c.damage == Damage::kDelete) {
    switch (role) {
      case Role::kOlderSnapshot:
      case Role::kNewestSnapshot:  // the other snapshot and the log recover everything
      case Role::kOldestSegment:   // only the older snapshot needed it; a normal cleanup state
        e.verify_clean = true;
        all(true, T, "");
        break;
      case Role::kMiddleSegment:  // a sequence gap before the newest segment
        e.reported_file = p.File(Role::kNewestSegment);
        e.offset_lo = e.offset_hi = 0;
        all(false, 0, p.File(Role::kNewestSegment));
        e.modes[kPointInTime] = {true, p.s2, p.File(Role::kNewestSegment)};
        break;
      case Role::kNewestSegment:  // LOGHEAD names it: its records are known to be lost
        e.offset_lo = e.offset_hi = 0;
        all(false, 0, file);
        e.modes[kPointInTime] = {true, p.s3, file};
        break;
      case Role::kLogHead:  // nothing would show a lost newest segment: refuse to guess
        all(false, 0, file);
        e.modes[kPointInTime] = {true, T, file};
        break;
    }
    return e;
  }

  // The first record the damage touches; the state before it is what point-in-time serves.
  const uint64_t damaged_seq = PieceAt(pieces, first_changed).seq;
  // Nothing intact after the damage: a torn tail (for the newest segment, what a crash leaves).
  const bool tail = c.damage == Damage::kTruncate || pieces.back().start < end_changed;
  switch (role) {
    case Role::kOlderSnapshot:  // not needed: the newer snapshot is intact
    case Role::kOldestSegment:  // not needed: holds only records the newest snapshot covers
      all(true, T, "");
      e.modes[kAbsolute] = {false, 0, file};  // which still refuses on any damage
      break;
    case Role::kNewestSnapshot:  // falls back to the older snapshot, which the log covers
      all(true, T, file);
      e.modes[kAbsolute] = {false, 0, file};
      break;
    case Role::kMiddleSegment:
      all(false, 0, file);
      e.modes[kPointInTime] = {true, damaged_seq - 1, file};
      break;
    case Role::kNewestSegment:
      all(false, 0, file);
      e.modes[kPointInTime] = {true, damaged_seq - 1, file};
      // A cut inside the header is no crash's doing: LOGHEAD names the segment, and LOGHEAD is
      // written only after the segment's header is durable.
      if (tail && !(c.damage == Damage::kTruncate && c.offset < 24)) {
        e.modes[kTolerateTail] = {true, damaged_seq - 1, file};
      }
      break;
    case Role::kLogHead:  // damaged: whether the newest segment is all there cannot be told
      all(false, 0, file);
      e.modes[kPointInTime] = {true, T, file};
      break;
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Checking one case.

struct VerifyRun {
  int exit = -1;
  json report;
};

VerifyRun RunVerify(const std::string& dir) {
  ProcessResult r = RunProcess({WalkvBinary(), "verify", "--data-dir", dir, "--json"});
  VerifyRun run;
  run.exit = r.exit.value_or(-1);
  run.report = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(run.report.is_discarded()) << "verify --json did not print JSON:\n" << r.out << r.err;
  return run;
}

// "would start with N keys at sequence S ..." -> S.
std::optional<uint64_t> PredictedSeq(const json& outcome) {
  std::string summary = outcome.value("summary", "");
  size_t at = summary.find("at sequence ");
  if (at == std::string::npos) return std::nullopt;
  return std::stoull(summary.substr(at + 12));
}

void CheckVerify(const Expectation& e, const VerifyRun& run, const std::string& file) {
  const json& r = run.report;
  if (e.verify_clean) {
    EXPECT_EQ(run.exit, 0) << r.dump(2);
    EXPECT_EQ(r["clean"], true);
    return;
  }
  EXPECT_EQ(run.exit, 1) << "verify did not report the damage:\n" << r.dump(2);
  EXPECT_EQ(r["clean"], false);
  bool reported = false;
  for (const json& problem : r["problems"]) {
    uint64_t offset = problem["offset"].get<uint64_t>();
    if (problem["file"] == e.reported_file && offset >= e.offset_lo && offset <= e.offset_hi) {
      reported = true;
      EXPECT_FALSE(problem["what"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(reported) << "no problem names " << e.reported_file << " at a byte in ["
                        << e.offset_lo << ", " << e.offset_hi << "]:\n"
                        << r["problems"].dump(2);
  for (const json& f : r["files"]) {
    if (f["name"] == file) {
      EXPECT_EQ(f["ok"], false) << file << " is listed as ok";
    }
  }
}

void CheckServe(const Pristine& p, const std::string& dir, Mode mode, const ModeExpectation& want,
                const json& prediction) {
  SCOPED_TRACE(std::string("walkv serve --recovery-mode ") + kModeNames[mode]);
  ServeAttempt serve =
      TryServe(dir, {"--recovery-mode", kModeNames[mode], "--snapshot-interval", "0"});
  ASSERT_NE(serve.process, nullptr);
  EXPECT_EQ(prediction["would_start"], serve.started())
      << "verify predicted otherwise: " << prediction.dump();

  if (!serve.started()) {
    EXPECT_FALSE(want.starts) << "refused to start, but the contract says it serves the state "
                                 "after " << want.k << " mutations:\n" << serve.err;
    EXPECT_EQ(serve.exit, 1) << serve.err;
    EXPECT_THAT(serve.err, HasSubstr("cannot open data directory"));
    EXPECT_THAT(serve.err, HasSubstr(want.names_file));
    EXPECT_THAT(serve.err, HasSubstr("walkv verify"));
    return;
  }
  auto client = ConnectClient(serve.host, serve.port);
  ASSERT_NE(client, nullptr);
  auto served = ReadServedState(*client);
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  client.reset();
  EXPECT_EQ(serve.Stop(), 0) << serve.err;

  std::optional<uint64_t> matched = p.history.AnyPrefix(*served);
  ASSERT_TRUE(matched.has_value())
      << "served a state that is no prefix of the history (a wrong or never-written value): "
      << DescribeDifference(*served, p.history.latest());
  EXPECT_TRUE(want.starts) << "started and served the state after " << *matched
                           << " mutations, but the contract says it must refuse";
  if (!want.starts) return;
  EXPECT_TRUE(*served == p.history.state(want.k))
      << "served the state after " << *matched << " mutations, expected after " << want.k
      << " (of " << p.total << "): " << DescribeDifference(*served, p.history.state(want.k));
  std::optional<uint64_t> predicted = PredictedSeq(prediction);
  EXPECT_EQ(predicted, want.k) << "verify predicted " << prediction.dump();
  if (!want.names_file.empty()) {
    EXPECT_THAT(serve.err, HasSubstr(want.names_file)) << "the damage was not logged";
  }
}

class CorruptionMatrixTest : public ::testing::TestWithParam<std::tuple<Role, Damage>> {};

TEST_P(CorruptionMatrixTest, VerifyReportsItAndServeRefusesOrServesTheAllowedPrefix) {
  const auto [role, damage] = GetParam();
  testing::TempDir tmp;
  Pristine p;
  ASSERT_NO_FATAL_FAILURE(BuildPristine(tmp.Sub("pristine"), &p));
  const std::string file = p.File(role);
  const std::string original = ReadBytes(tmp.Sub("pristine") + "/" + file);
  const std::vector<Piece> pieces = Layout(original, role, p.FirstSeq(role));

  int n = 0;
  for (const Case& c : CasesFor(damage, pieces, original.size())) {
    SCOPED_TRACE(file + " (" + RoleName(role) + "): " + DamageName(damage) + " at byte " +
                 std::to_string(c.offset) + " (" + c.where + ") of " +
                 std::to_string(original.size()));
    const std::string damaged = tmp.Sub("case" + std::to_string(++n));
    fs::copy(tmp.Sub("pristine"), damaged);
    auto [first, end] = Apply(c, damaged + "/" + file);
    ASSERT_LT(first, end) << "the damage changed no byte";
    Expectation e = Expect(p, role, c, pieces, first, end);

    VerifyRun verify = RunVerify(damaged);
    ASSERT_FALSE(verify.report.is_discarded());
    CheckVerify(e, verify, file);
    for (Mode mode : {kTolerateTail, kAbsolute, kPointInTime}) {
      // Recovery repairs what it may (truncation, *.dropped): each mode gets its own copy.
      const std::string copy = damaged + "-" + kModeNames[mode];
      fs::copy(damaged, copy);
      CheckServe(p, copy, mode, e.modes[mode], verify.report["recovery"][kModeNames[mode]]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryFileEveryDamage, CorruptionMatrixTest,
    ::testing::Combine(::testing::Values(Role::kOlderSnapshot, Role::kNewestSnapshot,
                                         Role::kOldestSegment, Role::kMiddleSegment,
                                         Role::kNewestSegment, Role::kLogHead),
                       ::testing::Values(Damage::kFlipBit, Damage::kOverwrite, Damage::kTruncate,
                                         Damage::kZeroBlock, Damage::kDelete)),
    [](const ::testing::TestParamInfo<std::tuple<Role, Damage>>& param) {
      return std::string(RoleName(std::get<0>(param.param))) +
             DamageName(std::get<1>(param.param));
    });

// The pristine directory itself: verify is clean and every mode serves the whole history. Without
// this the matrix could pass on a directory that was broken before it was damaged.
TEST(CorruptionMatrixBaseline, PristineDirectoryIsCleanAndServesTheWholeHistoryInEveryMode) {
  testing::TempDir tmp;
  Pristine p;
  ASSERT_NO_FATAL_FAILURE(BuildPristine(tmp.Sub("pristine"), &p));
  EXPECT_GT(p.s1, 0u);
  EXPECT_LT(p.s1, p.s2);
  EXPECT_LT(p.s2, p.s3);
  EXPECT_LT(p.s3, p.total);
  VerifyRun verify = RunVerify(tmp.Sub("pristine"));
  EXPECT_EQ(verify.exit, 0) << verify.report.dump(2);
  EXPECT_EQ(verify.report["summary"]["last_seq"], p.total);
  for (Mode mode : {kTolerateTail, kAbsolute, kPointInTime}) {
    const std::string copy = tmp.Sub(kModeNames[mode]);
    fs::copy(tmp.Sub("pristine"), copy);
    CheckServe(p, copy, mode, {true, p.total, ""}, verify.report["recovery"][kModeNames[mode]]);
  }
}

}  // namespace
}  // namespace walkv::e2e
