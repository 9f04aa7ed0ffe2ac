// Workload: what the load generator asks for — the operation mix, the keys and the values.
//
// Keys are "<prefix><index>" with the index zero-padded to a fixed width (at least 8 digits), so
// every key has the same length and a run's payload per request is known exactly. Values are
// drawn from a pool of 1,024 distinct random alphanumeric strings: incompressible enough that
// neither zlib (walkv snapshots, 32 KiB window) nor LZF (Redis RDB) gets an unfair advantage,
// and free of characters that need JSON escaping, so both protocols carry the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walkv::loadgen {

struct WorkloadSpec {
  double set_fraction = 1.0;  // 1 = all SET, 0 = all GET, 0.1 = 10 % SET / 90 % GET
  uint64_t keyspace = 100'000;
  size_t value_size = 100;
  std::string key_prefix = "key:";
  bool sequential = false;  // keys 0, 1, 2, ... in issue order instead of uniform random
  uint64_t seed = 1;
};

class Workload {
 public:
  explicit Workload(const WorkloadSpec& spec);

  const WorkloadSpec& spec() const { return spec_; }
  size_t key_size() const { return spec_.key_prefix.size() + digits_; }
  // Writes key number `index` into *buf (resized to key_size()).
  void FormatKey(uint64_t index, std::string* buf) const;
  std::string_view Value(uint64_t pick) const { return values_[pick % values_.size()]; }

 private:
  WorkloadSpec spec_;
  size_t digits_;
  std::vector<std::string> values_;
};

// xorshift64*: a per-thread pseudo-random generator that costs a few cycles.
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed == 0 ? 0x9e3779b97f4a7c15ull : seed) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dull;
  }
  // In [0, bound) (bound > 0); the modulo bias is below 2^-40 for the key spaces used here.
  uint64_t Below(uint64_t bound) { return Next() % bound; }
  double Unit() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t state_;
};

}  // namespace walkv::loadgen
