// The fast request decoder (rpc/fast_request.h) against the generic nlohmann decoder
// (ParseRequest), ParseCall against ParseCallGeneric, and the JSON string writer (rpc/json_text.h)
// against nlohmann's dump(): whatever the fast code accepts it must decode exactly as the
// reference does, and the server's answer must be the reference's.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "rpc/error_code.h"
#include "rpc/fast_request.h"
#include "rpc/json_text.h"
#include "rpc/methods.h"
#include "rpc/parse_call.h"
#include "rpc/request.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;

// Fast decoder (if it accepts) == generic decoder, and ParseCall == ParseCallGeneric. Returns
// whether the fast decoder accepted the line.
bool ExpectEquivalent(std::string_view line) {
  const std::optional<FastRequest> fast = FastParseRequest(line);
  if (fast) {
    const std::variant<Request, ErrorResponse> generic = ParseRequest(line);
    const Request* g = std::get_if<Request>(&generic);
    if (g == nullptr) {
      ADD_FAILURE() << "fast decoder accepted a line the generic one rejects ("
                    << std::get<ErrorResponse>(generic).message << "): " << line;
      return true;
    }
    EXPECT_EQ(fast->id, g->id) << line;
    EXPECT_EQ(fast->method, g->method) << line;
    EXPECT_TRUE(g->kwargs.empty()) << line;
    std::vector<json> args(fast->args.begin(), fast->args.begin() + fast->arg_count);
    EXPECT_EQ(json(args), g->args) << line;
  }
  EXPECT_TRUE(ParseCall(line) == ParseCallGeneric(line)) << line;
  return fast.has_value();
}

TEST(FastRequestTest, AcceptsTheCommonShapes) {
  const std::vector<std::string> lines = {
      R"({"id":1,"method":"set","args":["key:00000001","value"]})",
      R"({"method":"set","args":["k","v"],"id":2})",
      R"({"args":["k","v"],"id":"abc","method":"SET"})",
      R"(  { "id" : 3 , "method" : "get" , "args" : [ "k" ] , "kwargs" : { } }  )",
      "\t{\"id\":4,\r\n\"method\":\"get\",\"args\":[\"k\"]}\r",
      R"({"id":null,"method":"ping"})",
      R"({"id":true,"method":"ping","args":null,"kwargs":null})",
      R"({"id":false,"method":"ping","args":[]})",
      R"({"id":-0,"method":"ping"})",
      R"({"id":-17,"method":"delete","args":["k"]})",
      R"({"id":123456789012345678,"method":"get","args":["k"]})",
      R"({"id":-123456789012345678,"method":"get","args":["k"]})",
      R"({"id":0,"method":"keys"})",
      R"({"id":0,"method":"keys","args":["user:[12]*"]})",
      R"({"id":"caf\u00e9 \"q\" \n\u0001\u001f\u007f\/","method":"ping"})",
      R"({"id":5,"method":"set","args":["nul\u0000key","caf\u00e9 \u2615 \ud83d\ude00"]})",
      "{\"id\":6,\"method\":\"append\",\"args\":[\"caf\xc3\xa9\",\"\xe2\x98\x95\xf0\x9f\x98\x80\"]}",
      R"({"id":7,"method":"set","args":["\b\f\n\r\t\\\"","\u00E9\u00e9"]})",
      R"({"id":8,"method":"flushall"})",
      R"({"id":9,"method":"info"})",
      R"({"id":10,"method":"snapshot"})",
      R"({"id":"","method":"set","args":["",""]})",
  };
  for (const std::string& line : lines) {
    EXPECT_TRUE(ExpectEquivalent(line)) << "fast decoder declined: " << line;
  }
}

TEST(FastRequestTest, EchoesIdsLikeTheGenericPath) {
  EXPECT_EQ(FastParseRequest(R"({"id":-0,"method":"ping"})")->id, "0");
  EXPECT_EQ(FastParseRequest(R"({"id":"\u0041\n","method":"ping"})")->id, "\"A\\n\"");
  EXPECT_EQ(FastParseRequest(R"({"id":"\u0001","method":"ping"})")->id, "\"\\u0001\"");
  EXPECT_EQ(FastParseRequest(R"({"method":"ping"})")->id, "null");
}

// The fast decoder knows no method and no argument rule: it decodes these, and Bind answers them
// with the very error the generic path gives.
TEST(FastRequestTest, DecodesRequestsThatBindRefuses) {
  const std::vector<std::pair<std::string, ErrorCode>> lines = {
      {R"({"id":1,"method":"get","args":["a","b"]})", ErrorCode::kInvalidArgument},
      {R"({"id":1,"method":"get"})", ErrorCode::kInvalidArgument},
      {R"({"id":1,"method":"ping","args":["x"]})", ErrorCode::kInvalidArgument},
      {R"({"id":1,"method":"frob","args":["k"]})", ErrorCode::kUnknownMethod},
      {R"({"id":1,"method":"get","args":[")" + std::string(kMaxKeyBytes + 1, 'k') + R"("]})",
       ErrorCode::kInvalidArgument},
  };
  for (const auto& [line, code] : lines) {
    EXPECT_TRUE(ExpectEquivalent(line)) << "fast decoder declined: " << line;
    const std::variant<Call, ErrorResponse> parsed = ParseCall(line);
    ASSERT_TRUE(std::holds_alternative<ErrorResponse>(parsed)) << line;
    EXPECT_EQ(std::get<ErrorResponse>(parsed).code, code) << line;
    EXPECT_EQ(std::get<ErrorResponse>(parsed).id, "1") << line;
  }
}

TEST(FastRequestTest, DefersEverythingElse) {
  const std::vector<std::string> lines = {
      "",
      "   ",
      "hello",
      "[1,2]",
      "{}",
      "\xef\xbb\xbf{\"method\":\"ping\"}",  // BOM: the generic path decides
      R"({"id":1.0,"method":"ping"})",
      R"({"id":1e5,"method":"ping"})",
      R"({"id":1234567890123456789,"method":"ping"})",
      R"({"id":123456789012345678901234567890,"method":"ping"})",
      R"({"id":01,"method":"ping"})",
      R"({"id":-,"method":"ping"})",
      R"({"id":[1],"method":"ping"})",
      R"({"id":{},"method":"ping"})",
      R"({"id":1,"id":2,"method":"ping"})",
      R"({"id":1,"method":"ping","method":"get","args":["k"]})",
      R"({"id":1,"method":"get","args":["k"],"args":["j"]})",
      R"({"id":1,"method":"ping","extra":1})",
      R"({"\u0069d":1,"method":"ping"})",
      R"({"id":1,"method":"set","kwargs":{"key":"k","value":"v"}})",
      R"({"id":1,"method":"get","args":"k"})",
      R"({"id":1,"method":"get","args":[1]})",
      R"({"id":1,"method":"get","args":[null]})",
      R"({"id":1,"method":"set","args":["a","b","c","d","e"]})",
      R"({"id":1,"method":5})",
      R"({"id":1,"args":[]})",
      R"({"id":1,"method":"ping"} x)",
      R"({"id":1,"method":"ping",})",
      R"({"id":1,"method":"ping")",
      R"({"id":1,"method":"set","args":["k","\ud800"]})",
      R"({"id":1,"method":"set","args":["k","\udc00"]})",
      R"({"id":1,"method":"set","args":["k","\ud800\u0041"]})",
      R"({"id":1,"method":"set","args":["k","\x"]})",
      R"({"id":1,"method":"set","args":["k","\u12"]})",
      "{\"id\":1,\"method\":\"set\",\"args\":[\"k\",\"\xff\"]}",
      "{\"id\":1,\"method\":\"set\",\"args\":[\"k\",\"\xc0\x80\"]}",
      "{\"id\":1,\"method\":\"set\",\"args\":[\"k\",\"\xed\xa0\x80\"]}",
      "{\"id\":1,\"method\":\"set\",\"args\":[\"k\",\"\xf4\x90\x80\x80\"]}",
      "{\"id\":1,\"method\":\"set\",\"args\":[\"k\",\"a\tb\"]}",
      std::string(R"({"id":1,"method":"set","args":["k","v"]})") + std::string(1, '\0'),
      R"({"id":truex,"method":"ping"})",
      R"({"id":1,"method":"ping","kwargs":[]})",
      R"({"id":1,"method":"ping","args":null,"kwargs":{"a":1}})",
  };
  for (const std::string& line : lines) {
    EXPECT_FALSE(ExpectEquivalent(line)) << "fast decoder accepted: " << line;
  }
}

TEST(FastRequestTest, KeyAtTheLimitIsAccepted) {
  const std::string key(kMaxKeyBytes, 'k');
  EXPECT_TRUE(ExpectEquivalent(R"({"id":1,"method":"get","args":[")" + key + R"("]})"));
}

// Every special byte (control, quote, backslash, non-ASCII, DEL) at every position of strings
// longer than the scanner's 8-byte steps, in keys, values and ids.
TEST(FastRequestTest, SpecialBytesAtEveryPositionOfLongStrings) {
  const std::vector<std::string> specials = {
      std::string(1, '\0'), "\x01", "\x1f", " ", "\"", "\\", "\\\"", "\\u00e9",
      "\x7f", "\x80", "\xc3\xa9", "\xe2\x98\x95", "\xf0\x9f\x98\x80", "\xff", "\t", "\n"};
  for (const std::string& special : specials) {
    for (size_t at = 0; at <= 24; ++at) {
      std::string text(24, 'a');
      text.insert(at, special);
      for (const std::string& line :
           {R"({"id":1,"method":"set","args":[")" + text + R"(","v"]})",
            R"({"id":1,"method":"set","args":["k",")" + text + R"("]})",
            R"({"id":")" + text + R"(","method":"ping"})"}) {
        ExpectEquivalent(line);
        if (HasFailure()) return;
      }
    }
  }
}

// Random edits of valid requests: the fast and generic paths must agree on every one.
TEST(FastRequestTest, RandomMutationsAgreeWithTheGenericPath) {
  const std::vector<std::string> seeds = {
      R"({"id":12,"method":"set","args":["k\u00e9y","v\ud83d\ude00al"],"kwargs":{}})",
      R"({"id":13,"method":"set","args":["key:00000042","abcdefghijklmnopqrstuvwxyz0123456789"]})",
      R"({ "method" : "get", "args" : [ "key" ], "id" : "x\"y" })",
      R"({"id":-0,"method":"KEYS","args":null,"kwargs":null})",
      "{\"id\":true,\"method\":\"append\",\"args\":[\"\xc3\xa9\",\"\xf0\x9f\x98\x80\"]}",
  };
  const std::string alphabet = "{}[]:,\"\\/ -0123456789eE.+untrfalsbx\x7f\xc3\xa9\xed\xf0\x80";
  std::mt19937 rng(42);
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string line = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !line.empty(); ++e) {
      const size_t at = rng() % line.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          line[at] = c;
          break;
        case 1:
          line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          line.erase(at, 1);
      }
    }
    if (ExpectEquivalent(line)) ++accepted;
    if (HasFailure()) break;
  }
  EXPECT_GT(accepted, 1000);  // the mutations do exercise the fast path
}

std::string NlohmannDump(const std::string& s) {
  return json(s).dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::strict);
}

// AppendJsonString == nlohmann's dump, refusing exactly what nlohmann refuses, for every string
// of one and two bytes, and for three- and four-byte strings over the UTF-8 range boundaries.
TEST(JsonTextTest, AppendJsonStringMatchesNlohmann) {
  auto check = [](const std::string& s) {
    std::string fast = "<";
    const bool ok = AppendJsonString(fast, s);
    std::string ref;
    bool ref_ok = true;
    try {
      ref = NlohmannDump(s);
    } catch (const json::type_error&) {
      ref_ok = false;
    }
    ASSERT_EQ(ok, ref_ok) << json(s).dump(-1, ' ', true, json::error_handler_t::replace);
    ASSERT_EQ(fast, ok ? "<" + ref : "<");
  };
  const int edges[] = {0x00, 0x1F, 0x22, 0x41, 0x5C, 0x7F, 0x80, 0x8F, 0x90,
                       0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF4, 0xFF};
  auto ch = [](int c) { return static_cast<char>(c); };
  for (int a = 0; a < 256; ++a) {
    check(std::string(1, ch(a)));
    for (int b = 0; b < 256; ++b) {
      check(std::string{ch(a), ch(b)});
      if (a < 0xE0) continue;
      for (int c : edges) check(std::string{ch(a), ch(b), ch(c)});
    }
    if (a < 0xF0) continue;
    for (int b : edges) {
      for (int c : edges) {
        for (int d : edges) check(std::string{ch(a), ch(b), ch(c), ch(d), 'z'});
      }
    }
  }
}

TEST(JsonTextTest, LenientMatchesNlohmannReplace) {
  for (const std::string& s : {std::string("ok"), std::string("a\xff"), std::string("\xc3"),
                              std::string("\xed\xa0\x80z"), std::string("\"\n\x01\xc3\xa9")}) {
    std::string out;
    AppendJsonStringLenient(out, s);
    EXPECT_EQ(out, json(s).dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

TEST(JsonTextTest, AppendUint) {
  std::string out = "n=";
  AppendUint(out, 0);
  AppendUint(out, 18446744073709551615ull);
  EXPECT_EQ(out, "n=018446744073709551615");
}

}  // namespace
}  // namespace walkv::rpc
