// Helpers for end-to-end tests that build data directories with the real `walkv serve` and check
// what a (possibly damaged) directory serves afterwards:
//   KvHistory      a model of one client's sequential history of mutations: the state after each
//                  acknowledged mutation, so a served state can be matched to "the state after
//                  the first k mutations" (a prefix of the log).
//   ReadServedState  every key and value a server holds (`keys *`, then `get` each).
//   TryServe       starts `walkv serve` that may legitimately refuse to start (damaged data).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/status.h"
#include "rpc/client.h"
#include "tests/e2e/subprocess.h"

namespace walkv::e2e {

using KvState = std::map<std::string, std::string>;

// One client's history, applied to a fresh data directory by that client alone: then mutation k
// (1-based) is log record k, and state(k) is what a snapshot or recovery at sequence k holds.
class KvHistory {
 public:
  KvHistory() : states_(1) {}

  // Each sends one mutation, checks the server's answer against the model (append's new length,
  // delete's "existed") and records the new state. A failure leaves the model unchanged.
  ::testing::AssertionResult Set(rpc::Client& client, const std::string& key,
                                 const std::string& value);
  ::testing::AssertionResult Append(rpc::Client& client, const std::string& key,
                                    const std::string& value);
  ::testing::AssertionResult Delete(rpc::Client& client, const std::string& key);
  ::testing::AssertionResult FlushAll(rpc::Client& client);

  // A set (55%), append (30%) or delete (15%) of one of `keys` keys ("key00", ...), with a value
  // that was never written before ("<seq>:" plus 30..150 bytes of pseudo-random hex), chosen by
  // `rng` — so a fixed seed gives the same history, and the same files, every run.
  ::testing::AssertionResult RandomMutation(rpc::Client& client, std::mt19937& rng, int keys = 24);

  uint64_t mutations() const { return states_.size() - 1; }
  const KvState& state(uint64_t k) const { return states_.at(k); }
  const KvState& latest() const { return states_.back(); }

  // The largest k in [min_k, mutations()] with state(k) == served; nullopt if there is none
  // (the served state is not a prefix of this history at or after min_k).
  std::optional<uint64_t> MatchPrefix(const KvState& served, uint64_t min_k) const;
  // The largest k with state(k) == served, ignoring any bound; for failure messages.
  std::optional<uint64_t> AnyPrefix(const KvState& served) const {
    return MatchPrefix(served, 0);
  }

 private:
  std::vector<KvState> states_;  // states_[k]: after the first k mutations
};

// A one-line description of how `served` differs from `expected` (first differing keys).
std::string DescribeDifference(const KvState& served, const KvState& expected);

// Connects with a 30 s timeout on every call; nullptr (with a gtest failure) if that fails.
std::unique_ptr<rpc::Client> ConnectClient(const std::string& host, uint16_t port);

// Every key (`keys *`) with its value (`get`).
StatusOr<KvState> ReadServedState(rpc::Client& client);

// `walkv serve` on port 0 that may refuse to start: either it printed its "listening on" line
// (started() is true, and host/port are set), or it exited (exit and err are set).
struct ServeAttempt {
  std::unique_ptr<Subprocess> process;
  std::string host;
  uint16_t port = 0;
  std::optional<ExitStatus> exit;  // set once the process has exited
  std::string err;                 // its stderr (complete once it has exited)

  bool started() const { return port != 0; }
  // SIGTERM a started server and wait; returns its exit status and fills `err`.
  std::optional<ExitStatus> Stop();
};

ServeAttempt TryServe(const std::string& data_dir, const std::vector<std::string>& extra_flags,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace walkv::e2e
