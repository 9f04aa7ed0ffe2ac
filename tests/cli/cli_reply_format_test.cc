// How `walkv cli` renders results: redis-cli style on a terminal, raw bytes in pipes, JSON for
// scripts.
#include <gtest/gtest.h>

#include "cli/reply_format.h"

namespace walkv::cli {
namespace {

using nlohmann::json;

TEST(ReplyFormatTest, HumanScalars) {
  EXPECT_EQ(FormatResult("PONG", OutputMode::kHuman, false), "\"PONG\"\n");
  EXPECT_EQ(FormatResult(nullptr, OutputMode::kHuman, false), "(nil)\n");
  EXPECT_EQ(FormatResult(7, OutputMode::kHuman, false), "(integer) 7\n");
  EXPECT_EQ(FormatResult(true, OutputMode::kHuman, true), "OK\n");
  EXPECT_EQ(FormatResult(true, OutputMode::kHuman, false), "(true)\n");
  EXPECT_EQ(FormatResult(false, OutputMode::kHuman, false), "(false)\n");
}

TEST(ReplyFormatTest, HumanStringsEscapeControlBytesButKeepUnicode) {
  EXPECT_EQ(FormatResult("c\nd", OutputMode::kHuman, false), "\"c\\nd\"\n");
  EXPECT_EQ(FormatResult(std::string("a\0b\x7f\"\\", 6), OutputMode::kHuman, false),
            "\"a\\x00b\\x7f\\\"\\\\\"\n");
  EXPECT_EQ(FormatResult("h\xC3\xA9llo \xE2\x9C\x93", OutputMode::kHuman, false),
            "\"h\xC3\xA9llo \xE2\x9C\x93\"\n");
  EXPECT_EQ(QuoteForDisplay("\xC2\x85"), "\"\\xc2\\x85\"");  // a C1 control (NEL)
}

TEST(ReplyFormatTest, BytesThatAreNotUtf8AreEscapedOrB64) {
  EXPECT_EQ(QuoteForDisplay("a\xff\xc3\xa9\xe9"), "\"a\\xff\xc3\xa9\\xe9\"");
  EXPECT_EQ(FormatResult(std::string("\xff\x00", 2), OutputMode::kJson, false),
            "{\"b64\":\"/wA=\"}\n");
  EXPECT_EQ(FormatResult("\xff", OutputMode::kRaw, false), "\xff\n");
}

TEST(ReplyFormatTest, HumanLists) {
  EXPECT_EQ(FormatResult(json::array(), OutputMode::kHuman, false), "(empty array)\n");
  EXPECT_EQ(FormatResult(json({"a", "b"}), OutputMode::kHuman, false), "1) \"a\"\n2) \"b\"\n");
  json ten = json::array();
  for (int i = 0; i < 10; ++i) ten.push_back(std::to_string(i));
  std::string text = FormatResult(ten, OutputMode::kHuman, false);
  EXPECT_EQ(text.substr(0, 8), " 1) \"0\"\n");
  EXPECT_NE(text.find("10) \"9\"\n"), std::string::npos);
  EXPECT_EQ(FormatResult(json::array({json::array({"x", "y"}), "z"}), OutputMode::kHuman, false),
            "1) 1) \"x\"\n   2) \"y\"\n2) \"z\"\n");
}

TEST(ReplyFormatTest, HumanObjectsAreKeyValueLines) {
  json info = {{"keys", 3}, {"ops", {{"get", 1}, {"set", 2}}}, {"version", "0.1.0"}};
  EXPECT_EQ(FormatResult(info, OutputMode::kHuman, false),
            "keys: 3\nops:\n  get: 1\n  set: 2\nversion: 0.1.0\n");
}

TEST(ReplyFormatTest, RawModePrintsBytes) {
  EXPECT_EQ(FormatResult("c\nd", OutputMode::kRaw, false), "c\nd\n");
  EXPECT_EQ(FormatResult(nullptr, OutputMode::kRaw, false), "\n");
  EXPECT_EQ(FormatResult(true, OutputMode::kRaw, true), "OK\n");
  EXPECT_EQ(FormatResult(false, OutputMode::kRaw, false), "false\n");
  EXPECT_EQ(FormatResult(5, OutputMode::kRaw, false), "5\n");
  EXPECT_EQ(FormatResult(json({"a", "b"}), OutputMode::kRaw, false), "a\nb\n");
}

TEST(ReplyFormatTest, JsonModeIsOneLine) {
  EXPECT_EQ(FormatResult("c\nd", OutputMode::kJson, false), "\"c\\nd\"\n");
  EXPECT_EQ(FormatResult(true, OutputMode::kJson, true), "true\n");
  EXPECT_EQ(FormatResult(json({{"a", 1}}), OutputMode::kJson, false), "{\"a\":1}\n");
}

TEST(ReplyFormatTest, Errors) {
  json error = {{"code", "UNKNOWN_METHOD"}, {"message", "no method 'frob'"}};
  EXPECT_EQ(FormatError(error, OutputMode::kHuman), "(error) UNKNOWN_METHOD no method 'frob'\n");
  EXPECT_EQ(FormatError(error, OutputMode::kRaw), "(error) UNKNOWN_METHOD no method 'frob'\n");
  EXPECT_EQ(FormatError(error, OutputMode::kJson),
            "{\"code\":\"UNKNOWN_METHOD\",\"message\":\"no method 'frob'\"}\n");
}

}  // namespace
}  // namespace walkv::cli
