#include "tools/crash_history.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace walkv::tools {
namespace {

std::string Show(const std::optional<std::string>& v) {
  if (!v.has_value()) return "(absent)";
  if (v->size() <= 90) return "\"" + *v + "\"";
  std::string out = "\"";
  out.append(*v, 0, 40).append("...").append(*v, v->size() - 40, std::string::npos);
  out.append("\" (").append(std::to_string(v->size())).append(" bytes)");
  return out;
}

std::string Pad(size_t n, uint64_t salt) {
  std::string pad;
  for (size_t i = 0; i < n; ++i) {
    salt = salt * 6364136223846793005ull + 1442695040888963407ull;
    pad.push_back(static_cast<char>('a' + (salt >> 59) % 26));
  }
  return pad;
}

const char* KindName(KeyOp::Kind kind) {
  switch (kind) {
    case KeyOp::Kind::kBaseline:
      return "baseline";
    case KeyOp::Kind::kSet:
      return "set";
    case KeyOp::Kind::kAppend:
      return "append";
    case KeyOp::Kind::kDelete:
      return "delete";
    case KeyOp::Kind::kFlushAll:
      return "flushall";
  }
  return "?";
}

std::string Describe(const KeyOp& op, size_t index) {
  std::string s = "op #" + std::to_string(index) + " " + KindName(op.kind);
  if (!op.token.empty()) s.append(" ").append(op.token, 0, op.token.find(':')).append(">");
  s += op.outcome == Outcome::kAcked ? " (acknowledged)" : " (unacknowledged)";
  return s;
}

// The last "<...>" token of an owned-key value, or "".
std::string LastOwnedToken(const std::string& value) {
  if (value.empty() || value.back() != '>') return "";
  size_t open = value.rfind('<');
  return open == std::string::npos ? "" : value.substr(open);
}

struct OwnedResult {
  size_t f_min = 0;  // smallest / largest history index whose value matches the recovered one
  size_t f_max = 0;
  bool matched = false;
};

}  // namespace

std::string OwnedToken(int writer, uint64_t op_id, size_t pad, uint64_t salt) {
  return "<w" + std::to_string(writer) + "." + std::to_string(op_id) + ":" + Pad(pad, salt) + ">";
}

std::string SharedToken(int writer, uint64_t op_id, size_t pad, uint64_t salt) {
  return "[w" + std::to_string(writer) + "." + std::to_string(op_id) + ":" + Pad(pad, salt) + "]";
}

CheckResult CheckRecovery(const IterationHistory& history,
                          const std::vector<std::optional<std::string>>& recovered,
                          const std::vector<std::string>& all_keys, const CheckOptions& options) {
  // Acknowledgements that arrived after the crash began are not trusted (see CheckOptions).
  IterationHistory h = history;
  auto distrust = [&options](Outcome* outcome, uint64_t ack_clock) {
    if (*outcome == Outcome::kAcked && ack_clock >= options.trust_acks_before) {
      *outcome = Outcome::kUncertain;
    }
  };
  for (OwnedKey& key : h.owned) {
    for (KeyOp& op : key.ops) distrust(&op.outcome, op.ack_clock);
  }
  for (auto& per_writer : h.appends) {
    for (SharedAppend& a : per_writer) distrust(&a.outcome, a.ack_clock);
  }
  for (FlushRecord& f : h.flushes) distrust(&f.outcome, f.ack_clock);
  for (auto& per_reader : h.reads) {
    std::erase_if(per_reader, [&options](const ReadRecord& r) {
      return r.recv_clock >= options.trust_acks_before;
    });
  }
  CheckResult result;
  auto fail = [&result](std::string message) { result.failures.push_back(std::move(message)); };
  auto must_survive = [&options](Outcome outcome, SteadyTime ack_time) {
    if (outcome != Outcome::kAcked) return false;
    return !options.lossy || ack_time < options.lossy_cutoff;
  };
  const size_t owned_count = h.owned.size();

  // --- no key that was never written ---
  std::set<std::string> universe;
  for (const OwnedKey& k : h.owned) universe.insert(k.name);
  for (const std::string& s : h.shared_names) universe.insert(s);
  for (const std::string& k : all_keys) {
    if (!universe.count(k)) fail("recovered key \"" + k + "\" that no client ever wrote");
  }

  // --- owned keys: the recovered value is the value after some op the promise allows ---
  std::vector<OwnedResult> owned_results(owned_count);
  for (size_t ki = 0; ki < owned_count; ++ki) {
    const OwnedKey& key = h.owned[ki];
    const std::vector<KeyOp>& ops = key.ops;
    size_t must = 0;  // the last op that must survive
    for (size_t i = 0; i < ops.size(); ++i) {
      if (i == 0 || must_survive(ops[i].outcome, ops[i].ack_time)) must = i;
      if (i > 0 && ops[i].outcome == Outcome::kAcked && ops[i].kind != KeyOp::Kind::kFlushAll) {
        ++result.acked_checked;
      }
    }
    OwnedResult& r = owned_results[ki];
    for (size_t i = must; i < ops.size(); ++i) {
      // Strict mode: after `must` (the last acknowledged op) only unacknowledged ops follow.
      if (ops[i].value_after == recovered[ki]) {
        if (!r.matched) r.f_min = i;
        r.f_max = i;
        r.matched = true;
      }
    }
    if (!r.matched) {
      std::string msg = "key " + key.name + ": recovered " + Show(recovered[ki]) + ", expected " +
                        Show(ops[must].value_after) + " (after " + Describe(ops[must], must) + ")";
      if (must + 1 < ops.size()) {
        msg += " or a later unacknowledged state, e.g. " + Show(ops.back().value_after);
      }
      bool older = false;
      for (size_t i = 0; i < must; ++i) older |= ops[i].value_after == recovered[ki];
      if (older) msg += "; the recovered value is an OLDER state: an acknowledged write was lost";
      fail(msg);
      r.f_min = r.f_max = must;  // check the reads against the promised state
    }
  }

  // --- shared append keys ---
  // At most one flushall per iteration. Acknowledged: the value is what was appended after it.
  // Unacknowledged: either that, or the flushall is not in the recovered log and neither is any
  // append sent after it.
  const FlushRecord* flush = h.flushes.empty() ? nullptr : &h.flushes.back();
  if (flush != nullptr && flush->outcome == Outcome::kAcked) ++result.acked_checked;
  std::vector<const SharedAppend*> present_tokens;  // for the hole check below
  std::vector<bool> shared_flushed(h.shared_names.size(), false);
  uint64_t segment_start = 0;  // appends sent before this are wiped by a recovered flushall
  for (size_t si = 0; si < h.shared_names.size(); ++si) {
    const std::string& name = h.shared_names[si];
    const std::string value = recovered[owned_count + si].value_or("");
    for (const auto& per_writer : h.appends) {
      for (const SharedAppend& a : per_writer) {
        if (a.key == static_cast<int>(si) && a.outcome == Outcome::kAcked) ++result.acked_checked;
      }
    }
    // Checks `value` against base + appends sent in (lo, hi); returns the failures.
    auto check = [&](const std::string& base, uint64_t lo, uint64_t hi,
                     std::vector<const SharedAppend*>* present) {
      std::vector<std::string> failures;
      std::unordered_map<std::string, const SharedAppend*> segment;
      for (const auto& per_writer : h.appends) {
        for (const SharedAppend& a : per_writer) {
          if (a.key == static_cast<int>(si) && a.send_clock > lo && a.send_clock < hi) {
            segment[a.token] = &a;
          }
        }
      }
      if (value.compare(0, base.size(), base) != 0) {
        failures.push_back("shared key " + name + ": recovered " + Show(value) +
                           " does not start with its value before this run " + Show(base));
        return failures;
      }
      std::map<const SharedAppend*, int> seen;
      std::map<int, uint64_t> last_op_of_writer;
      size_t pos = base.size();
      while (pos < value.size()) {
        size_t close = value.find(']', pos);
        if (value[pos] != '[' || close == std::string::npos) {
          failures.push_back(
              "shared key " + name + ": bytes at offset " + std::to_string(pos) +
              " are not a token any client appended: " + Show(value.substr(pos, 60)));
          return failures;
        }
        std::string token = value.substr(pos, close + 1 - pos);
        auto it = segment.find(token);
        if (it == segment.end()) {
          failures.push_back("shared key " + name + ": token " + token.substr(0, 24) +
                             " at offset " + std::to_string(pos) +
                             " was never appended (since the last flushall)");
          return failures;
        }
        const SharedAppend* a = it->second;
        if (++seen[a] > 1) {
          failures.push_back("shared key " + name + ": token " + token.substr(0, 24) +
                             " appears twice");
        }
        auto last = last_op_of_writer.find(a->writer);
        if (last != last_op_of_writer.end() && last->second > a->op_id) {
          failures.push_back("shared key " + name + ": writer " + std::to_string(a->writer) +
                             "'s op " + std::to_string(a->op_id) + " comes after its later op " +
                             std::to_string(last->second));
        }
        last_op_of_writer[a->writer] = a->op_id;
        pos = close + 1;
        if (a->outcome == Outcome::kAcked && a->length != pos) {
          failures.push_back("shared key " + name + ": token " + token.substr(0, 24) +
                             " ends at byte " + std::to_string(pos) +
                             " but its append returned length " + std::to_string(a->length));
        }
        present->push_back(a);
      }
      for (const auto& [token, a] : segment) {
        if (must_survive(a->outcome, a->ack_time) && !seen.count(a)) {
          failures.push_back("shared key " + name + ": acknowledged append " + token.substr(0, 24) +
                             " (length " + std::to_string(a->length) + ") is missing from " +
                             Show(value));
        }
      }
      return failures;
    };
    const std::string base = h.shared_base[si].value_or("");
    std::vector<const SharedAppend*> present;
    std::vector<std::string> failures;
    if (flush == nullptr) {
      failures = check(base, 0, UINT64_MAX, &present);
    } else {
      failures = check("", flush->send_clock, UINT64_MAX, &present);
      if (failures.empty()) {
        shared_flushed[si] = true;
        segment_start = flush->send_clock;
      } else if (flush->outcome != Outcome::kAcked) {
        present.clear();
        failures = check(base, 0, flush->send_clock, &present);
      }
    }
    for (std::string& f : failures) fail(std::move(f));
    present_tokens.insert(present_tokens.end(), present.begin(), present.end());
  }

  // --- no holes: whatever was acknowledged before a recovered mutation was sent is recovered ---
  uint64_t newest_send = 0;
  for (size_t ki = 0; ki < owned_count; ++ki) {
    newest_send = std::max(newest_send, h.owned[ki].ops[owned_results[ki].f_min].send_clock);
  }
  for (const SharedAppend* a : present_tokens) newest_send = std::max(newest_send, a->send_clock);
  for (size_t si = 0; si < h.shared_names.size(); ++si) {
    if (!options.lossy) continue;  // strict: a missing acknowledged append is reported above
    const uint64_t lo = shared_flushed[si] ? segment_start : 0;
    for (const auto& per_writer : h.appends) {
      for (const SharedAppend& a : per_writer) {
        if (a.key != static_cast<int>(si) || a.send_clock < lo) continue;
        if (a.outcome != Outcome::kAcked || a.ack_clock >= newest_send) continue;
        if (std::find(present_tokens.begin(), present_tokens.end(), &a) == present_tokens.end()) {
          fail("hole: shared key " + h.shared_names[si] + " lost acknowledged append " +
               a.token.substr(0, 24) + " although a mutation sent after it is recovered");
        }
      }
    }
  }
  for (size_t ki = 0; ki < owned_count; ++ki) {
    const std::vector<KeyOp>& ops = h.owned[ki].ops;
    for (size_t i = owned_results[ki].f_max + 1; i < ops.size(); ++i) {
      if (ops[i].outcome == Outcome::kAcked && ops[i].ack_clock < newest_send) {
        fail("hole: key " + h.owned[ki].name + " lost " + Describe(ops[i], i) +
             " although a mutation sent after it was acknowledged is recovered");
        break;
      }
    }
  }

  if (options.lossy) return result;

  // --- reads: every value read survives unless superseded ---
  for (const auto& per_reader : h.reads) {
    for (const ReadRecord& read : per_reader) {
      if (read.key < static_cast<int>(owned_count)) {
        const OwnedKey& key = h.owned[read.key];
        const std::vector<KeyOp>& ops = key.ops;
        const OwnedResult& r = owned_results[read.key];
        ++result.reads_checked;
        if (read.value.has_value()) {
          std::string token = LastOwnedToken(*read.value);
          size_t index = 0;
          bool found = false;
          for (size_t i = 1; i < ops.size() && !token.empty(); ++i) {
            if (ops[i].token == token) {
              index = i;
              found = true;
            }
          }
          if (!found && read.value != ops[0].value_after) {
            fail("key " + key.name + ": a reader saw " + Show(read.value) +
                 ", a value no client wrote");
            continue;
          }
          if (found && read.value != ops[index].value_after) {
            fail("key " + key.name + ": a reader saw " + Show(read.value) + " but " +
                 Describe(ops[index], index) + " gives " + Show(ops[index].value_after));
            continue;
          }
          if (index > r.f_max) {
            fail("key " + key.name + ": a reader saw the value of " + Describe(ops[index], index) +
                 ", but recovery lost it (recovered " + Show(recovered[read.key]) + ")");
          }
        } else {
          // The state when the read was sent was at least op p; the reader saw an absent key, so
          // some op q >= p left it absent, and q must be recovered.
          size_t p = 0;
          for (size_t i = 0; i < ops.size(); ++i) {
            if (ops[i].outcome == Outcome::kAcked && ops[i].ack_clock < read.send_clock) p = i;
          }
          bool explained = false;
          for (size_t q = p; q <= r.f_max && q < ops.size(); ++q) {
            explained |= !ops[q].value_after.has_value();
          }
          if (!explained) {
            fail("key " + key.name + ": a reader saw it absent after " + Describe(ops[p], p) +
                 ", but recovery restored " + Show(recovered[read.key]) +
                 ": the delete/flushall the reader saw was lost");
          }
        }
      } else {
        size_t si = read.key - owned_count;
        // Checkable only if every flushall of this run was sent (and acknowledged, if it was)
        // before the read was sent; otherwise a flushall may supersede what was read.
        bool superseded = false;
        for (const FlushRecord& f : h.flushes) {
          if (f.send_clock >= read.send_clock) superseded = true;
          if (f.outcome == Outcome::kAcked && f.ack_clock >= read.send_clock) superseded = true;
        }
        if (superseded || shared_flushed[si]) {
          ++result.reads_superseded;
          continue;
        }
        ++result.reads_checked;
        const std::string value = recovered[owned_count + si].value_or("");
        const std::string seen = read.value.value_or("");
        if (value.compare(0, seen.size(), seen) != 0) {
          fail("shared key " + h.shared_names[si] + ": a reader saw " + Show(seen) +
               ", but the recovered value " + Show(value) + " does not start with it");
        }
      }
    }
  }
  return result;
}

}  // namespace walkv::tools
