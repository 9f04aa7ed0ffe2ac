// XXH64 (seed 0) helpers over libxxhash, used by the snapshot format (docs/format.md).
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace walkv {

// XXH64 of `data` with seed 0.
inline uint64_t Xxh64(std::string_view data) { return XXH64(data.data(), data.size(), 0); }

// Incremental XXH64 (seed 0): Update() with consecutive pieces, then Digest() equals Xxh64 of
// their concatenation. Digest() does not end the stream. Not copyable.
class Xxh64Stream {
 public:
  Xxh64Stream() : state_(XXH64_createState()) { Reset(); }
  ~Xxh64Stream() { XXH64_freeState(state_); }
  Xxh64Stream(const Xxh64Stream&) = delete;
  Xxh64Stream& operator=(const Xxh64Stream&) = delete;

  void Reset() { XXH64_reset(state_, 0); }
  void Update(std::string_view data) { XXH64_update(state_, data.data(), data.size()); }
  uint64_t Digest() const { return XXH64_digest(state_); }

 private:
  XXH64_state_t* state_;
};

}  // namespace walkv
