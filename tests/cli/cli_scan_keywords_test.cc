// redis-cli's SCAN keywords at the walkv cli prompt (cli/scan_keywords.h).
#include <gtest/gtest.h>

#include "cli/scan_keywords.h"

namespace walkv::cli {
namespace {

using Words = std::vector<std::string>;

TEST(ScanKeywordsTest, MatchAndCountInEitherOrderAndAnyCase) {
  EXPECT_EQ(RewriteScanKeywords({"scan", "0", "MATCH", "u:*", "COUNT", "100"}),
            Words({"scan", "0", "u:*", "100"}));
  EXPECT_EQ(RewriteScanKeywords({"SCAN", "7", "count", "5", "match", "a"}),
            Words({"SCAN", "7", "a", "5"}));
  EXPECT_EQ(RewriteScanKeywords({"scan", "0", "count", "5"}), Words({"scan", "0", "*", "5"}));
  EXPECT_EQ(RewriteScanKeywords({"scan", "0", "match", "x*"}), Words({"scan", "0", "x*", "10"}));
}

TEST(ScanKeywordsTest, EverythingElseIsLeftAlone) {
  for (const Words& words : {Words{"scan", "0", "u:*", "100"}, Words{"scan", "0", "u:*"},
                             Words{"scan", "0", "match", "a", "match", "b"},
                             Words{"scan", "0", "limit", "5"}, Words{"get", "0", "match", "a"}}) {
    EXPECT_EQ(RewriteScanKeywords(words), words);
  }
}

}  // namespace
}  // namespace walkv::cli
