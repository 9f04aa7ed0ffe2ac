// Request parsing and binding (rpc/request.h, rpc/bind.h, rpc/parse_call.h): a line in, a Call or the error
// response out — no socket, no engine.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "rpc/ascii.h"
#include "rpc/line_framer.h"
#include "rpc/methods.h"
#include "rpc/parse_call.h"
#include "rpc/request.h"
#include "rpc/response.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;

Call MustBind(std::string_view line) {
  auto r = ParseCall(line);
  if (auto* e = std::get_if<ErrorResponse>(&r)) {
    ADD_FAILURE() << "unexpected " << ErrorCodeName(e->code) << ": " << e->message << " for "
                  << line;
    return Call{};
  }
  return std::get<Call>(std::move(r));
}

ErrorResponse MustFail(std::string_view line) {
  auto r = ParseCall(line);
  if (auto* e = std::get_if<ErrorResponse>(&r)) return *e;
  ADD_FAILURE() << "expected an error for " << line;
  return ErrorResponse{};
}

TEST(RequestParserTest, ParsesFullRequest) {
  Call c = MustBind(R"({"id": 7, "method": "set", "args": ["k", "v"], "kwargs": {}})");
  ASSERT_NE(c.method, nullptr);
  EXPECT_EQ(c.method->name, "set");
  EXPECT_EQ(c.id, "7");
  EXPECT_EQ(c.args, (std::vector<std::string>{"k", "v"}));
}

TEST(RequestParserTest, ArgsKwargsAndIdAreOptional) {
  Call c = MustBind(R"({"method":"ping"})");
  EXPECT_EQ(c.method->name, "ping");
  EXPECT_EQ(c.id, "null");
  EXPECT_TRUE(c.args.empty());
}

TEST(RequestParserTest, MethodNamesAreCaseInsensitive) {
  EXPECT_EQ(MustBind(R"({"method":"PING"})").method->name, "ping");
  EXPECT_EQ(MustBind(R"({"method":"FlushAll"})").method->name, "flushall");
  EXPECT_EQ(MustBind(R"({"method":"gEt","args":["a"]})").method->name, "get");
}

TEST(RequestParserTest, IdIsEchoedExactly) {
  const char* ids[] = {"123456789012345678901234567890",
                       "-123456789012345678901234567890",
                       "1.0",
                       "1e5",
                       "1E+5",
                       "-0.5",
                       "18446744073709551615",
                       "18446744073709551616",
                       "-9223372036854775808",
                       "42",
                       "0",
                       "\"abc\"",
                       "\"\"",
                       "true",
                       "false",
                       "null"};
  for (const char* id : ids) {
    Call c = MustBind(std::string(R"({"method":"ping","id":)") + id + "}");
    EXPECT_EQ(c.id, id);
    EXPECT_EQ(EncodeResult(c.id, "PONG"), std::string("{\"id\":") + id + ",\"result\":\"PONG\"}\n");
  }
}

TEST(RequestParserTest, StringIdWithUnicodeRoundTrips) {
  Call c = MustBind(R"({"method":"ping","id":"caf\u00e9 \"q\" \n"})");
  EXPECT_EQ(json::parse(c.id), json("café \"q\" \n"));
}

TEST(RequestParserTest, IdOfErrorResponseIsEchoedWhenKnown) {
  ErrorResponse e = MustFail(R"({"id": 1e5, "method": "nope"})");
  EXPECT_EQ(e.code, ErrorCode::kUnknownMethod);
  EXPECT_EQ(e.id, "1e5");
  e = MustFail(R"({"id": 123456789012345678901234567890, "method": 5})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(e.id, "123456789012345678901234567890");
}

TEST(RequestParserTest, LastDuplicateIdWins) {
  EXPECT_EQ(MustBind(R"({"id":1.50,"id":"x","method":"ping"})").id, "\"x\"");
  EXPECT_EQ(MustBind(R"({"id":"x","id":2.50,"method":"ping"})").id, "2.50");
}

TEST(RequestParserTest, NestedIdMembersAreNotTheRequestId) {
  EXPECT_EQ(MustBind(R"({"x":{"id":1.5},"method":"ping","id":2})").id, "2");
}

TEST(RequestParserTest, NotJsonIsParseError) {
  for (const char* line : {"hello", "{", R"({"method":"ping")", "{\"method\":\"ping\"} x", "[1,]",
                           R"({"method":'ping'})"}) {
    ErrorResponse e = MustFail(line);
    EXPECT_EQ(e.code, ErrorCode::kParseError) << line;
    EXPECT_EQ(e.id, "null");
  }
}

TEST(RequestParserTest, InvalidUtf8IsParseError) {
  EXPECT_EQ(MustFail("{\"method\":\"set\",\"args\":[\"k\",\"\xff\"]}").code,
            ErrorCode::kParseError);
  EXPECT_EQ(MustFail("{\"method\":\"set\",\"args\":[\"\xc3\x28\",\"v\"]}").code,
            ErrorCode::kParseError);
  // A lone surrogate escape is not a Unicode scalar value.
  EXPECT_EQ(MustFail(R"({"method":"set","args":["\ud800","v"]})").code, ErrorCode::kParseError);
}

TEST(RequestParserTest, ParseErrorMessageIsValidUtf8AndBounded) {
  std::string line = "{\"method\":\"" + std::string(10000, 'a') + "\xff\"}";
  ErrorResponse e = MustFail(line);
  EXPECT_EQ(e.code, ErrorCode::kParseError);
  const std::string encoded = EncodeError(e.id, e.code, e.message);
  EXPECT_LT(encoded.size(), 1000u);
  EXPECT_TRUE(json::accept(encoded));
}

TEST(RequestParserTest, NonObjectIsInvalidRequest) {
  for (const char* line : {"[]", "1", "\"ping\"", "null", "[{\"method\":\"ping\"}]"}) {
    EXPECT_EQ(MustFail(line).code, ErrorCode::kInvalidRequest) << line;
  }
}

TEST(RequestParserTest, MissingOrNonStringMethodIsInvalidRequest) {
  EXPECT_EQ(MustFail(R"({"id":1})").code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(MustFail(R"({"id":1,"method":null})").code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(MustFail(R"({"id":1,"method":["ping"]})").code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(MustFail(R"({"id":1,"method":1})").code, ErrorCode::kInvalidRequest);
}

TEST(RequestParserTest, ArgsNotListIsInvalidRequest) {
  EXPECT_EQ(MustFail(R"({"method":"get","args":"k"})").code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(MustFail(R"({"method":"get","args":{"key":"k"}})").code, ErrorCode::kInvalidRequest);
}

TEST(RequestParserTest, KwargsNotObjectIsInvalidRequest) {
  EXPECT_EQ(MustFail(R"({"method":"keys","kwargs":["*"]})").code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(MustFail(R"({"method":"keys","kwargs":"*"})").code, ErrorCode::kInvalidRequest);
}

TEST(RequestParserTest, StructuredIdIsInvalidRequestWithNullId) {
  ErrorResponse e = MustFail(R"({"id":[1],"method":"ping"})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(e.id, "null");
  EXPECT_EQ(MustFail(R"({"id":{"a":1},"method":"ping"})").code, ErrorCode::kInvalidRequest);
}

TEST(RequestParserTest, DeepNestingIsInvalidRequest) {
  std::string deep =
      R"({"method":"ping","x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(MustFail(deep).code, ErrorCode::kInvalidRequest);
  // ... but broken deep nesting is still a parse error.
  std::string broken = R"({"method":"ping","x":)" + std::string(100000, '[') + "}";
  EXPECT_EQ(MustFail(broken).code, ErrorCode::kParseError);
}

TEST(RequestParserTest, UnknownMethodIsUnknownMethod) {
  ErrorResponse e = MustFail(R"({"id":"a","method":"frobnicate"})");
  EXPECT_EQ(e.code, ErrorCode::kUnknownMethod);
  EXPECT_EQ(e.id, "\"a\"");
  EXPECT_NE(e.message.find("frobnicate"), std::string::npos);
  EXPECT_EQ(MustFail(R"({"method":""})").code, ErrorCode::kUnknownMethod);
}

TEST(RequestParserTest, UnknownMethodSuggestsTheClosestAndListsAll) {
  for (auto [sent, suggested] : {std::pair{"incrr", "incr"}, std::pair{"GTE", "get"},
                                 std::pair{"del", "delete"}, std::pair{"exist", "exists"},
                                 std::pair{"DBSIZ", "dbsize"}, std::pair{"mgte", "mget"}}) {
    ErrorResponse e = MustFail(R"({"method":")" + std::string(sent) + R"("})");
    EXPECT_EQ(e.code, ErrorCode::kUnknownMethod);
    EXPECT_NE(e.message.find("; did you mean \"" + std::string(suggested) + "\"?"),
              std::string::npos)
        << e.message;
  }
  ErrorResponse far = MustFail(R"({"method":"frobnicate"})");
  EXPECT_EQ(far.message.find("did you mean"), std::string::npos) << far.message;
  std::string all;
  for (const MethodSpec& m : MethodTable()) all += (all.empty() ? "" : ", ") + std::string(m.name);
  EXPECT_EQ(far.message, "unknown method \"frobnicate\". Methods: " + all);
}

TEST(RequestParserTest, NotJsonSaysWhatToSendInstead) {
  const std::string example = R"(e.g. {"id":1,"method":"get","args":["k"]})";
  for (const char* line : {"GET k", "  ping", "set a b"}) {
    ErrorResponse e = MustFail(line);
    EXPECT_EQ(e.code, ErrorCode::kParseError);
    EXPECT_EQ(e.message, "request is not valid JSON: requests are JSON objects, one per line, " +
                             example);
  }
  for (const char* line : {"{'method':'get'}", "{method:\"get\"}", "{ 'id': 1}"}) {
    ErrorResponse e = MustFail(line);
    EXPECT_EQ(e.code, ErrorCode::kParseError);
    EXPECT_EQ(e.message, "request is not valid JSON: member names and strings are in double "
                         "quotes, " + example) << line;
  }
  // Other syntax errors keep the parser's own description.
  EXPECT_NE(MustFail("[1,]").message.find("syntax error"), std::string::npos);
}

TEST(RequestParserTest, InvalidUtf8NamesTheByte) {
  ErrorResponse e = MustFail("{\"method\":\"set\",\"args\":[\"k\",\"ab\xff\"]}");
  EXPECT_EQ(e.code, ErrorCode::kParseError);
  EXPECT_EQ(e.message, "request is not valid UTF-8: byte 0xFF at offset 31 is not part of a "
                       "UTF-8 character; send UTF-8 text");
  EXPECT_NE(MustFail("\xc3\x28").message.find("byte 0xC3 at offset 0"), std::string::npos);
}

TEST(RequestParserTest, RepeatedKeyMethodsTakeAnyNumberOfKeys) {
  for (const char* method : {"exists", "mget"}) {
    std::string keys;
    for (int i = 0; i < 10; ++i) keys += (i ? ",\"k" : "\"k") + std::to_string(i) + "\"";
    Call c = MustBind(R"({"method":")" + std::string(method) + R"(","args":[)" + keys + "]}");
    ASSERT_EQ(c.args.size(), 10u);
    EXPECT_EQ(c.args[9], "k9");
    EXPECT_EQ(MustBind(R"({"method":")" + std::string(method) + R"(","args":["a"]})").args,
              std::vector<std::string>{"a"});
    ErrorResponse none = MustFail(R"({"method":")" + std::string(method) + R"("})");
    EXPECT_EQ(none.code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(none.message,
              std::string(method) + " takes at least 1 argument, got 0 (missing \"key\")");
    EXPECT_EQ(MustFail(R"({"method":")" + std::string(method) +
                       R"(","args":["a","b","c","d","e",7]})")
                  .message,
              std::string(method) + ": key must be a string, got number");
    EXPECT_EQ(MustFail(R"({"method":")" + std::string(method) + R"(","kwargs":{"key":"a"}})")
                  .message,
              std::string(method) + " takes no keyword arguments");
  }
}

TEST(RequestParserTest, CounterMethodsCheckArityAndTypes) {
  EXPECT_EQ(MustBind(R"({"method":"incrby","kwargs":{"key":"k","delta":"5"}})").args,
            (std::vector<std::string>{"k", "5"}));
  EXPECT_EQ(MustFail(R"({"method":"incr","args":["k","1"]})").message,
            "incr takes 1 argument, got 2");
  EXPECT_EQ(MustFail(R"({"method":"decrby","args":["k"]})").message,
            "decrby takes 2 arguments, got 1 (missing \"delta\")");
  EXPECT_EQ(MustFail(R"({"method":"incrby","args":["k",5]})").message,
            "incrby: delta must be a string, got number");
  EXPECT_EQ(MustFail(R"({"method":"strlen","args":[]})").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustFail(R"({"method":"dbsize","args":["k"]})").code, ErrorCode::kInvalidArgument);
}

TEST(RequestParserTest, WrongArityIsInvalidArgument) {
  EXPECT_EQ(MustFail(R"({"method":"get"})").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustFail(R"({"method":"get","args":["a","b"]})").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustFail(R"({"method":"set","args":["a"]})").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustFail(R"({"method":"ping","args":[1]})").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustFail(R"({"method":"keys","args":["a","b"]})").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustFail(R"({"method":"append","args":["a","b","c"]})").code,
            ErrorCode::kInvalidArgument);
}

TEST(RequestParserTest, NonStringKeyOrValueIsInvalidArgument) {
  for (const char* line :
       {R"({"method":"set","args":[1,"v"]})", R"({"method":"set","args":["k",1]})",
        R"({"method":"set","args":["k",null]})", R"({"method":"set","args":["k",true]})",
        R"({"method":"set","args":["k",["v"]]})", R"({"method":"get","args":[{"k":1}]})",
        R"({"method":"keys","args":[7]})"}) {
    EXPECT_EQ(MustFail(line).code, ErrorCode::kInvalidArgument) << line;
  }
}

TEST(RequestParserTest, OversizedKeyIsInvalidArgument) {
  const std::string big(kMaxKeyBytes + 1, 'k');
  EXPECT_EQ(MustFail(R"({"method":"get","args":[")" + big + "\"]}").code,
            ErrorCode::kInvalidArgument);
  MustBind(R"({"method":"get","args":[")" + std::string(kMaxKeyBytes, 'k') + "\"]}");
}

TEST(RequestParserTest, KwargsBindByName) {
  Call c = MustBind(R"({"method":"keys","kwargs":{"pattern":"a*"}})");
  EXPECT_EQ(c.args, (std::vector<std::string>{"a*"}));
  c = MustBind(R"({"method":"set","args":["k"],"kwargs":{"value":"v"}})");
  EXPECT_EQ(c.args, (std::vector<std::string>{"k", "v"}));
  c = MustBind(R"({"method":"set","kwargs":{"value":"v","key":"k"}})");
  EXPECT_EQ(c.args, (std::vector<std::string>{"k", "v"}));
  EXPECT_TRUE(MustBind(R"({"method":"keys"})").args.empty());
}

TEST(RequestParserTest, BadKwargsAreInvalidArgument) {
  EXPECT_EQ(MustFail(R"({"method":"keys","kwargs":{"patern":"a*"}})").code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustFail(R"({"method":"keys","args":["a"],"kwargs":{"pattern":"b"}})").code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustFail(R"({"method":"ping","kwargs":{"x":1}})").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(MustFail(R"({"method":"set","kwargs":{"value":"v"}})").code,
            ErrorCode::kInvalidArgument);
}

TEST(RequestParserTest, NulAndUnicodeArgumentsAreExactUtf8Bytes) {
  Call c = MustBind(R"({"method":"set","args":["a\u0000b","\u00e9\u4e2d\ud83d\ude00"]})");
  EXPECT_EQ(c.args[0], std::string("a\0b", 3));
  EXPECT_EQ(c.args[1], "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
  // Raw (unescaped) UTF-8 in the line is the same bytes.
  Call raw =
      MustBind("{\"method\":\"set\",\"args\":[\"k\",\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"]}");
  EXPECT_EQ(raw.args[1], c.args[1]);
}

TEST(RequestParserTest, ResponsesEncodeNulAndUnicodeOnOneLine) {
  const std::string value("a\0b\n\xc3\xa9", 6);
  const std::string line = EncodeResult("1", json(value));
  EXPECT_EQ(line, "{\"id\":1,\"result\":\"a\\u0000b\\n\xc3\xa9\"}\n");
  EXPECT_EQ(json::parse(line)["result"].get<std::string>(), value);
}

TEST(RequestParserTest, ErrorResponseShape) {
  const json e = json::parse(EncodeError("null", ErrorCode::kTooLarge, "too \"big\""));
  EXPECT_TRUE(e["id"].is_null());
  EXPECT_EQ(e["error"]["code"], "TOO_LARGE");
  EXPECT_EQ(e["error"]["message"], "too \"big\"");
}

TEST(RequestParserTest, EveryTableMethodIsFoundAndConsistent) {
  for (const MethodSpec& m : MethodTable()) {
    EXPECT_EQ(FindMethod(m.name), &m);
    EXPECT_LE(m.min_args, m.max_args);
    if (m.max_args == kUnlimited) {  // the last required parameter repeats, positionally only
      EXPECT_GE(m.min_args, 1u) << m.name;
      EXPECT_LE(m.min_args, kMaxParams) << m.name;
      // set alone also names its fixed parameters (key, value) in kwargs; its options are
      // positional words.
      EXPECT_TRUE(!m.kwargs_allowed || m.name == "set") << m.name;
    } else {
      EXPECT_LE(m.max_args, kMaxParams) << m.name;
    }
    for (size_t i = 0; i < std::min(m.max_args, kMaxParams); ++i) {
      EXPECT_FALSE(ParamAt(m, i).name.empty()) << m.name;
    }
    EXPECT_FALSE(m.summary.empty()) << m.name;
  }
}

TEST(RequestParserTest, UsageNamesRequiredAndOptionalParameters) {
  EXPECT_EQ(Usage(*FindMethod("set")), "key value [option ...]");
  EXPECT_EQ(Usage(*FindMethod("get")), "key");
  EXPECT_EQ(Usage(*FindMethod("keys")), "[pattern]");
  EXPECT_EQ(Usage(*FindMethod("ping")), "");
  EXPECT_EQ(Usage(*FindMethod("mget")), "key [key ...]");
  EXPECT_EQ(Usage(*FindMethod("incrby")), "key delta");
  EXPECT_EQ(Usage(*FindMethod("mset")), "key value [key value ...]");
}

TEST(RequestParserTest, OnlySetAndFlushallAnswerDone) {
  for (const MethodSpec& m : MethodTable()) {
    EXPECT_EQ(ResultMeansDone(m), m.name == "set" || m.name == "flushall" || m.name == "mset")
        << m.name;
  }
}

// Method names fold ASCII letters only, whatever the locale: no Unicode look-alike binds.
TEST(RequestParserTest, MethodNamesFoldAsciiCaseOnly) {
  EXPECT_EQ(FindMethod("GeT"), FindMethod("get"));
  EXPECT_EQ(FindMethod("FLUSHALL"), FindMethod("flushall"));
  EXPECT_EQ(FindMethod("\xc5\xbf"
                       "et"),
            nullptr);                                // U+017F LONG S folds to 's' in Unicode
  EXPECT_EQ(FindMethod("\xc4\xb0nfo"), nullptr);  // U+0130 capital I with dot above
  EXPECT_EQ(FindMethod(std::string_view("ping\0", 5)), nullptr);
  EXPECT_TRUE(EqualsIgnoreAsciiCase("a-Z@[`{", "A-z@[`{"));
  EXPECT_FALSE(EqualsIgnoreAsciiCase("@", "`"));  // 0x40 and 0x60 differ only in the case bit
  EXPECT_FALSE(EqualsIgnoreAsciiCase("[", "{"));
}

TEST(RequestParserTest, StorageFailuresMapToStorageError) {
  EXPECT_EQ(FailureFromStatus(Status::IOError("EIO")).code, ErrorCode::kStorageError);
  EXPECT_EQ(FailureFromStatus(Status::NoSpace("full")).code, ErrorCode::kStorageError);
  EXPECT_EQ(FailureFromStatus(Status::Poisoned("earlier")).code, ErrorCode::kStorageError);
  EXPECT_EQ(FailureFromStatus(Status::ShuttingDown("bye")).code, ErrorCode::kShuttingDown);
  EXPECT_EQ(FailureFromStatus(Status::InvalidArgument("x")).code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(FailureFromStatus(Status::Corruption("x")).code, ErrorCode::kInternalError);
}

// --- framing ---

TEST(LineFramerTest, SplitsLinesAcrossAppends) {
  LineFramer f(100);
  std::string_view line;
  f.Append("ab");
  EXPECT_EQ(f.Next(&line), LineFramer::Result::kNeedMore);
  f.Append("c\nde\n\nf");
  ASSERT_EQ(f.Next(&line), LineFramer::Result::kLine);
  EXPECT_EQ(line, "abc");
  ASSERT_EQ(f.Next(&line), LineFramer::Result::kLine);
  EXPECT_EQ(line, "de");
  ASSERT_EQ(f.Next(&line), LineFramer::Result::kLine);
  EXPECT_EQ(line, "");
  EXPECT_EQ(f.Next(&line), LineFramer::Result::kNeedMore);
  EXPECT_EQ(f.TakeRemainder(), "f");
  EXPECT_EQ(f.buffered_bytes(), 0u);
}

TEST(LineFramerTest, LineAtLimitIsAcceptedOverLimitIsTooLarge) {
  LineFramer f(4);
  std::string_view line;
  f.Append("abcd\nabcde\n");
  ASSERT_EQ(f.Next(&line), LineFramer::Result::kLine);
  EXPECT_EQ(line, "abcd");
  EXPECT_EQ(f.Next(&line), LineFramer::Result::kTooLarge);
  EXPECT_EQ(f.Next(&line), LineFramer::Result::kTooLarge);
}

TEST(LineFramerTest, UnterminatedLineOverLimitIsTooLargeBeforeItsEnd) {
  LineFramer f(10);
  std::string_view line;
  f.Append(std::string(11, 'x'));
  EXPECT_EQ(f.Next(&line), LineFramer::Result::kTooLarge);
  EXPECT_EQ(f.buffered_bytes(), 0u);
}

TEST(LineFramerTest, DrainedFramerHoldsNoBytes) {
  LineFramer f(1 << 20);
  std::string_view line;
  f.Append(std::string(200000, 'x') + "\n");
  ASSERT_EQ(f.Next(&line), LineFramer::Result::kLine);
  EXPECT_EQ(f.Next(&line), LineFramer::Result::kNeedMore);
  EXPECT_EQ(f.buffered_bytes(), 0u);
}

}  // namespace
}  // namespace walkv::rpc
