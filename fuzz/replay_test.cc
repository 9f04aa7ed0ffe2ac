// FuzzReplay: every checked-in input of one fuzz target (its seed corpus fuzz/corpus/<target>/
// and its regression inputs fuzz/regressions/<target>/) run once through the target's
// LLVMFuzzerTestOneInput, as a GoogleTest in the normal suite. So the invariants the fuzzers
// check hold in every build — g++, the ASan+UBSan and TSan builds included — and an input that
// once crashed a target stays a test after it is fixed, without clang or libFuzzer.
//
// Built once per target by fuzz/CMakeLists.txt, with WALKV_FUZZ_CORPUS_DIR and
// WALKV_FUZZ_REGRESSIONS_DIR naming the two directories. A violated invariant abort()s
// (FUZZ_CHECK), so the name of the input being run is printed before it runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

TEST(FuzzReplay, EveryCheckedInInputKeepsTheTargetsInvariants) {
  std::vector<std::filesystem::path> inputs;
  for (const std::string dir : {WALKV_FUZZ_CORPUS_DIR, WALKV_FUZZ_REGRESSIONS_DIR}) {
    if (!std::filesystem::is_directory(dir)) continue;  // a target may have no regressions yet
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) inputs.push_back(entry.path());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  ASSERT_FALSE(inputs.empty()) << "no inputs in " << WALKV_FUZZ_CORPUS_DIR;
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << path;
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", path.c_str(), bytes.size());
    // A copy in its own heap block, as libFuzzer does, so ASan sees reads past the end.
    std::vector<uint8_t> data(bytes.begin(), bytes.end());
    EXPECT_EQ(LLVMFuzzerTestOneInput(data.data(), data.size()), 0) << path;
  }
  std::fprintf(stderr, "replayed %zu inputs\n", inputs.size());
}

}  // namespace
