// `walkv-crash-tester self-test`: feeds CheckRecovery() hand-made histories to show that it flags
// each kind of violation and accepts each outcome the promise allows (a checker that never fails
// proves nothing). scripts/crash-test runs it before every campaign.
#include <cstdio>
#include <functional>
#include <string>

#include "tools/crash_history.h"

namespace walkv::tools {
namespace {

using Values = std::vector<std::optional<std::string>>;

// One owned key "o0.0" and one shared key "s0"; both absent at the start.
IterationHistory Empty() {
  IterationHistory h;
  OwnedKey key;
  key.name = "o0.0";
  key.ops.emplace_back();
  h.owned.push_back(key);
  h.shared_names = {"s0"};
  h.shared_base = {std::nullopt};
  h.appends.resize(2);
  h.reads.resize(1);
  return h;
}

uint64_t g_clock = 1;

KeyOp& AddOp(IterationHistory* h, KeyOp::Kind kind, const std::string& token, Outcome outcome) {
  std::vector<KeyOp>& ops = h->owned[0].ops;
  KeyOp op;
  op.kind = kind;
  op.token = token;
  const std::optional<std::string>& prev = ops.back().value_after;
  if (kind == KeyOp::Kind::kSet) op.value_after = token;
  if (kind == KeyOp::Kind::kAppend) op.value_after = prev.value_or("") + token;
  op.outcome = outcome;
  op.send_clock = g_clock++;
  if (outcome == Outcome::kAcked) op.ack_clock = g_clock++;
  ops.push_back(op);
  return ops.back();
}

void AddAppend(IterationHistory* h, int writer, uint64_t op_id, const std::string& token,
               Outcome outcome, uint64_t length) {
  SharedAppend a;
  a.writer = writer;
  a.op_id = op_id;
  a.token = token;
  a.outcome = outcome;
  a.send_clock = g_clock++;
  if (outcome == Outcome::kAcked) a.ack_clock = g_clock++;
  a.length = length;
  h->appends[writer].push_back(a);
}

void AddRead(IterationHistory* h, int key, std::optional<std::string> value) {
  h->reads[0].push_back(ReadRecord{key, std::move(value), g_clock++});
}

int g_failed = 0;
int g_cases = 0;

void Expect(const char* name, bool want_failure, const IterationHistory& h, const Values& values,
            std::vector<std::string> keys = {}, CheckOptions options = {}) {
  ++g_cases;
  if (keys.empty()) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].has_value()) keys.push_back(i == 0 ? "o0.0" : "s0");
    }
  }
  CheckResult r = CheckRecovery(h, values, keys, options);
  if (r.failures.empty() == want_failure) {
    ++g_failed;
    std::printf("self-test FAILED: %s: expected %s, got %s\n", name,
                want_failure ? "a violation" : "no violation",
                r.failures.empty() ? "none" : r.failures[0].c_str());
  }
}

}  // namespace

int SelfTestMain() {
  const std::string a = "<w0.1:a>", b = "<w0.2:b>", c = "<w0.3:c>";
  {
    IterationHistory h = Empty();
    AddOp(&h, KeyOp::Kind::kSet, a, Outcome::kAcked);
    AddOp(&h, KeyOp::Kind::kSet, b, Outcome::kUncertain);
    Expect("uncertain set absent", false, h, {a, std::nullopt});
    Expect("uncertain set present", false, h, {b, std::nullopt});
    Expect("acknowledged set lost", true, h, {std::nullopt, std::nullopt});
    Expect("value never written", true, h, {"<w9.9:z>", std::nullopt});
    Expect("unknown key", true, h, {a, std::nullopt}, {"o0.0", "zzz"});
    AddRead(&h, 0, b);  // a reader saw the unacknowledged set...
    Expect("read of unacknowledged value kept", false, h, {b, std::nullopt});
    Expect("read of unacknowledged value lost", true, h, {a, std::nullopt});
  }
  {
    IterationHistory h = Empty();
    AddOp(&h, KeyOp::Kind::kSet, a, Outcome::kAcked);
    AddOp(&h, KeyOp::Kind::kAppend, b, Outcome::kAcked);
    Expect("append history exact", false, h, {a + b, std::nullopt});
    Expect("append applied twice", true, h, {a + b + b, std::nullopt});
    AddOp(&h, KeyOp::Kind::kDelete, "", Outcome::kUncertain);
    AddRead(&h, 0, std::nullopt);  // sent after the append was acknowledged: saw the delete
    Expect("read absent, delete kept", false, h, {std::nullopt, std::nullopt});
    Expect("read absent, delete lost", true, h, {a + b, std::nullopt});
  }
  {
    IterationHistory h = Empty();
    AddOp(&h, KeyOp::Kind::kSet, a, Outcome::kAcked);
    KeyOp flush;
    flush.kind = KeyOp::Kind::kFlushAll;
    flush.outcome = Outcome::kUncertain;
    flush.send_clock = g_clock++;
    h.owned[0].ops.push_back(flush);
    h.flushes.push_back(FlushRecord{Outcome::kUncertain, flush.send_clock, 0});
    Expect("uncertain flushall applied", false, h, {std::nullopt, std::nullopt});
    Expect("uncertain flushall not applied", false, h, {a, std::nullopt});
  }
  {
    IterationHistory h = Empty();
    const std::string t1 = "[w0.1:x]", t2 = "[w1.1:y]", t3 = "[w0.2:z]";
    AddAppend(&h, 0, 1, t1, Outcome::kAcked, 8);
    AddAppend(&h, 1, 1, t2, Outcome::kAcked, 16);
    AddAppend(&h, 0, 2, t3, Outcome::kUncertain, 0);
    Expect("shared exact", false, h, {std::nullopt, t1 + t2});
    Expect("shared with uncertain", false, h, {std::nullopt, t1 + t2 + t3});
    Expect("shared lost ack", true, h, {std::nullopt, t1});
    Expect("shared duplicate", true, h, {std::nullopt, t1 + t2 + t2});
    Expect("shared order broken", true, h, {std::nullopt, t3 + t1 + t2});
    Expect("shared wrong position", true, h, {std::nullopt, t2 + t1});
    Expect("shared garbage", true, h, {std::nullopt, t1 + t2 + "junk"});
    AddRead(&h, 1, t1 + t2 + t3);
    Expect("shared read kept", false, h, {std::nullopt, t1 + t2 + t3});
    Expect("shared read lost", true, h, {std::nullopt, t1 + t2});
  }
  {
    IterationHistory h = Empty();
    AddOp(&h, KeyOp::Kind::kSet, a, Outcome::kAcked);
    KeyOp& op = AddOp(&h, KeyOp::Kind::kSet, b, Outcome::kAcked);
    op.ack_time = SteadyTime() + std::chrono::seconds(100);
    AddOp(&h, KeyOp::Kind::kSet, c, Outcome::kAcked).ack_time =
        SteadyTime() + std::chrono::seconds(200);
    CheckOptions lossy;
    lossy.lossy = true;
    lossy.lossy_cutoff = SteadyTime() + std::chrono::seconds(150);
    Expect("lossy: tail after the cutoff lost", false, h, {b, std::nullopt}, {}, lossy);
    Expect("lossy: ack before the cutoff lost", true, h, {a, std::nullopt}, {}, lossy);
    // A hole: the shared append was sent after `c` was acknowledged, yet `c` is lost.
    AddAppend(&h, 0, 9, "[w0.9:q]", Outcome::kAcked, 8);
    Expect("lossy: hole", true, h, {b, "[w0.9:q]"}, {}, lossy);
  }
  {
    IterationHistory h = Empty();
    AddOp(&h, KeyOp::Kind::kSet, a, Outcome::kAcked);
    const uint64_t cut = g_clock++;
    AddOp(&h, KeyOp::Kind::kSet, b, Outcome::kAcked);  // acknowledged after the cut
    CheckOptions power;
    power.trust_acks_before = cut;
    Expect("ack after the cut lost", false, h, {a, std::nullopt}, {}, power);
    Expect("ack before the cut lost", true, h, {std::nullopt, std::nullopt}, {}, power);
  }
  {
    IterationHistory h = Empty();
    const std::string t1 = "[w0.1:x]", t2 = "[w1.1:y]";
    h.shared_base = {t1};
    h.flushes.push_back(FlushRecord{Outcome::kUncertain, g_clock++, 0});
    AddAppend(&h, 1, 1, t2, Outcome::kUncertain, 0);
    Expect("uncertain flushall kept with a later append", false, h, {std::nullopt, t2});
    Expect("uncertain flushall lost", false, h, {std::nullopt, t1});
    Expect("append after a lost flushall", true, h, {std::nullopt, t1 + t2});
  }
  std::printf("walkv crash-test self-test: %d cases, %d failed\n", g_cases, g_failed);
  return g_failed == 0 ? 0 : 1;
}

}  // namespace walkv::tools
