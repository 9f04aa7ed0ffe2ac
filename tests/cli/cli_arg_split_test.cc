// SplitArgs follows redis-cli's quoting (sdssplitargs).
#include <gtest/gtest.h>

#include "cli/arg_split.h"

namespace walkv::cli {
namespace {

using Words = std::vector<std::string>;

TEST(SplitArgsTest, BlanksSeparateWords) {
  EXPECT_EQ(SplitArgs("  set   a\tb  "), Words({"set", "a", "b"}));
  EXPECT_EQ(SplitArgs(""), Words{});
  EXPECT_EQ(SplitArgs("   "), Words{});
}

TEST(SplitArgsTest, DoubleQuotesKeepBlanksAndUnderstandEscapes) {
  EXPECT_EQ(SplitArgs(R"(set "a b" "c\nd")"), Words({"set", "a b", "c\nd"}));
  EXPECT_EQ(SplitArgs(R"("\r\t\b\a\\\"\q")"), Words({"\r\t\b\a\\\"q"}));
  EXPECT_EQ(SplitArgs(R"("\x41\x00\xff")"), Words({std::string("A\0\xff", 3)}));
  EXPECT_EQ(SplitArgs(R"("\x4")"), Words({"x4"}));  // not two hex digits: \x is just x
  EXPECT_EQ(SplitArgs(R"("")"), Words({""}));
}

TEST(SplitArgsTest, SingleQuotesOnlyUnderstandEscapedQuote) {
  EXPECT_EQ(SplitArgs(R"('a\nb' 'it\'s')"), Words({"a\\nb", "it's"}));
}

TEST(SplitArgsTest, QuotesMayStartInsideAWord) {
  EXPECT_EQ(SplitArgs(R"(a"b c")"), Words({"ab c"}));
}

TEST(SplitArgsTest, UnbalancedQuotesAreAnError) {
  EXPECT_FALSE(SplitArgs(R"(set "a b)").has_value());
  EXPECT_FALSE(SplitArgs("set 'a b").has_value());
  EXPECT_FALSE(SplitArgs(R"(set "a\)").has_value());
}

TEST(SplitArgsTest, ClosingQuoteMustBeFollowedByABlank) {
  EXPECT_FALSE(SplitArgs(R"("a"b)").has_value());
  EXPECT_FALSE(SplitArgs("'a'b").has_value());
  EXPECT_EQ(SplitArgs("\"a\"\t'b'"), Words({"a", "b"}));
}

TEST(SplitArgsTest, NumbersStayText) {
  EXPECT_EQ(SplitArgs("set n 007"), Words({"set", "n", "007"}));
}

}  // namespace
}  // namespace walkv::cli
