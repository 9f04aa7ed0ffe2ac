// RespParser (rpc/resp_parser.h) and the RESP encoder (rpc/resp_encoder.h), without a socket:
// whole and byte-by-byte feeding, inline quoting, every limit, malformed frames.
#include "rpc/resp_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rpc/resp_encoder.h"
#include "engine/str_cat.h"

namespace walkv::rpc {
namespace {

using Commands = std::vector<std::vector<std::string>>;

// Feeds `input` in pieces of `chunk` bytes; returns every command, and the error if one came.
Commands Parse(std::string_view input, size_t chunk, std::string* error = nullptr,
               RespLimits limits = {}) {
  RespParser parser(limits);
  Commands commands;
  for (size_t at = 0; at < input.size(); at += chunk) {
    parser.Append(input.substr(at, chunk));
    std::vector<std::string> args;
    for (;;) {
      const RespParser::Result r = parser.Next(&args);
      if (r == RespParser::Result::kCommand) {
        commands.push_back(args);
        continue;
      }
      if (r == RespParser::Result::kError) {
        if (error != nullptr) *error = parser.error();
        return commands;
      }
      break;
    }
  }
  return commands;
}

TEST(RespParserTest, MultibulkCommandsWholeAndByteByByteGiveTheSameCommands) {
  const std::string binary("a\0b\r\nc\xff", 7);
  const std::string input = "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\n" + binary +
                            "\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n";
  const Commands expected = {{"PING"}, {"SET", "k", binary}, {"GET", ""}};
  for (size_t chunk : {input.size(), size_t{1}, size_t{2}, size_t{5}}) {
    EXPECT_EQ(Parse(input, chunk), expected) << "chunk " << chunk;
  }
}

TEST(RespParserTest, InlineCommandsSplitLikeRedisCli) {
  const std::string input =
      "PING\r\nset k \"a b\\x41\\n\"\n  get   'it''s'  \r\n\r\n\nECHO 'don\\'t'\r\n";
  // 'it''s' is unbalanced in Redis too (a closing quote must be followed by a space).
  std::string error;
  const Commands got = Parse(input, 1, &error);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::vector<std::string>{"PING"}));
  EXPECT_EQ(got[1], (std::vector<std::string>{"set", "k", "a bA\n"}));
  EXPECT_EQ(error, "Protocol error: unbalanced quotes in request");

  EXPECT_EQ(Parse("ECHO 'don\\'t'\r\nGET \"\"\r\n", 3),
            (Commands{{"ECHO", "don't"}, {"GET", ""}}));
}

TEST(RespParserTest, EmptyMultibulksAndBlankLinesAreSkipped) {
  EXPECT_EQ(Parse("*0\r\n*-1\r\n\r\n \r\n*1\r\n$4\r\nPING\r\n", 1), (Commands{{"PING"}}));
}

TEST(RespParserTest, MalformedFramesAreProtocolErrors) {
  struct Case {
    std::string input;
    std::string error;
  };
  const Case cases[] = {
      {"*x\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\nPING\r\n", "Protocol error: expected '$', got 'P'"},
      {"*1\r\n$x\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$4\r\nPINGxx", "Protocol error: expected '\\r\\n' after bulk data"},
      {"GET \"unterminated\r\n", "Protocol error: unbalanced quotes in request"},
  };
  for (const Case& c : cases) {
    for (size_t chunk : {c.input.size(), size_t{1}}) {
      std::string error;
      EXPECT_THAT(Parse(c.input, chunk, &error), ::testing::IsEmpty()) << c.input;
      EXPECT_EQ(error, c.error) << c.input;
    }
  }
}

TEST(RespParserTest, AfterAnErrorEveryCallSaysErrorAndNothingIsBuffered) {
  RespParser parser;
  parser.Append("*x\r\n*1\r\n$4\r\nPING\r\n");
  std::vector<std::string> args;
  EXPECT_EQ(parser.Next(&args), RespParser::Result::kError);
  parser.Append("*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(parser.Next(&args), RespParser::Result::kError);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(RespParserTest, BulkLengthOverTheLimitIsRefusedFromItsHeaderAlone) {
  RespLimits limits;
  limits.max_bulk_bytes = 10;
  std::string error;
  EXPECT_THAT(Parse("*1\r\n$10\r\n0123456789\r\n", 1, &error, limits),
              ::testing::ElementsAre(::testing::ElementsAre("0123456789")));
  EXPECT_EQ(error, "");
  EXPECT_THAT(Parse("*1\r\n$11\r\n", 1, &error, limits), ::testing::IsEmpty());
  EXPECT_EQ(error, "Protocol error: invalid bulk length");
  // The default (512 MiB, like proto-max-bulk-len): a header announcing more is refused before
  // a single byte of it is buffered.
  error.clear();
  EXPECT_THAT(Parse("*1\r\n$536870913\r\n", 4, &error), ::testing::IsEmpty());
  EXPECT_EQ(error, "Protocol error: invalid bulk length");
  EXPECT_THAT(Parse("*1\r\n$99999999999999999999999\r\n", 4, &error), ::testing::IsEmpty());
  EXPECT_EQ(error, "Protocol error: invalid bulk length");
}

TEST(RespParserTest, MultibulkCountOverTheLimitIsRefused) {
  RespLimits limits;
  limits.max_multibulk_count = 3;
  std::string error;
  EXPECT_THAT(Parse("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", 1, &error, limits),
              ::testing::SizeIs(1));
  EXPECT_THAT(Parse("*4\r\n", 1, &error, limits), ::testing::IsEmpty());
  EXPECT_EQ(error, "Protocol error: invalid multibulk length");
  error.clear();
  EXPECT_THAT(Parse("*1048577\r\n", 1, &error), ::testing::IsEmpty());  // default 1M
  EXPECT_EQ(error, "Protocol error: invalid multibulk length");
}

TEST(RespParserTest, AHugeDeclaredCountReservesNothingUntilArgumentsArrive) {
  RespParser parser;
  parser.Append("*1048576\r\n$1\r\na\r\n");
  std::vector<std::string> args;
  EXPECT_EQ(parser.Next(&args), RespParser::Result::kNeedMore);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_TRUE(parser.mid_command());
}

TEST(RespParserTest, InlineLineOverTheLimitIsRefusedWithoutWaitingForItsEnd) {
  RespLimits limits;
  limits.max_inline_bytes = 16;
  std::string error;
  EXPECT_THAT(Parse(std::string(16, 'a') + "\r\n", 1, &error, limits), ::testing::SizeIs(1));
  EXPECT_EQ(error, "");
  // No newline ever comes: refused once more than the limit is buffered.
  EXPECT_THAT(Parse(std::string(18, 'a'), 1, &error, limits), ::testing::IsEmpty());
  EXPECT_EQ(error, "Protocol error: too big inline request");
  error.clear();
  EXPECT_THAT(Parse(std::string("*").append(20, '1'), 1, &error, limits), ::testing::IsEmpty());
  EXPECT_EQ(error, "Protocol error: too big mbulk count string");
  error.clear();
  EXPECT_THAT(Parse("*1\r\n$" + std::string(20, '1'), 1, &error, limits), ::testing::IsEmpty());
  EXPECT_EQ(error, "Protocol error: too big bulk count string");
  // The default is 64 KiB.
  error.clear();
  EXPECT_THAT(Parse(std::string((64 << 10) + 2, 'a'), 4096, &error), ::testing::IsEmpty());
  EXPECT_EQ(error, "Protocol error: too big inline request");
}

TEST(RespParserTest, ByteByByteFeedingOfALargeBulkBuffersOnlyWhatWasSent) {
  const std::string value(256 << 10, 'v');
  RespParser parser;
  parser.Append(StrCat("*2\r\n$3\r\nGET\r\n$", value.size()) + "\r\n");
  std::vector<std::string> args;
  for (size_t i = 0; i < value.size(); i += 1000) {
    parser.Append(std::string_view(value).substr(i, 1000));
    ASSERT_EQ(parser.Next(&args), RespParser::Result::kNeedMore);
    ASSERT_LE(parser.buffered_bytes(), i + 1000);
  }
  parser.Append("\r\n");
  ASSERT_EQ(parser.Next(&args), RespParser::Result::kCommand);
  EXPECT_EQ(args[1], value);
  EXPECT_FALSE(parser.mid_command());
}

TEST(RespEncoderTest, EveryTypeInBothProtocols) {
  std::string out;
  AppendRespSimple(out, "OK");
  AppendRespError(out, "ERR bad\r\nthing");
  AppendRespInteger(out, -42);
  AppendRespBulk(out, std::string("a\0\r\n", 4));
  AppendRespNull(out, 2);
  AppendRespNull(out, 3);
  AppendRespArrayHeader(out, 2);
  AppendRespMapHeader(out, 2, 2);
  AppendRespMapHeader(out, 2, 3);
  using namespace std::string_literals;
  EXPECT_EQ(out, "+OK\r\n-ERR bad  thing\r\n:-42\r\n$4\r\na\0\r\n\r\n$-1\r\n_\r\n*2\r\n*4\r\n%2\r\n"s);
}

}  // namespace
}  // namespace walkv::rpc
