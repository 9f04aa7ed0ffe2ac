// Binary-safe keys and values (rpc/binary_json.h, rpc/base64.h): {"b64": ...} arguments store the
// exact bytes; results are {"b64": ...} only for strings that are not UTF-8 and only with
// "encoding":"b64"; without it the answer is still valid JSON (U+FFFD for bad bytes); bad base64
// and bad encodings are refused; a binary-mode Client round-trips every byte value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "rpc/base64.h"
#include "rpc/binary_json.h"
#include "rpc/client.h"
#include "rpc/parse_call.h"
#include "tests/rpc/served_engine.h"
#include "tests/util/temp_dir.h"

namespace walkv::rpc {
namespace {

using json = nlohmann::json;
using walkv::testing::Served;

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

TEST(Base64Test, RoundTripsEveryLength) {
  const std::string bytes = AllBytes();
  for (size_t n = 0; n <= 10; ++n) {
    const std::string part = bytes.substr(250 - n * 20, n);
    EXPECT_EQ(Base64Decode(Base64Encode(part)), part) << n;
  }
  EXPECT_EQ(Base64Encode("\xff"), "/w==");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
}

TEST(Base64Test, RefusesWhatIsNotCanonical) {
  for (const char* bad : {"a", "ab", "abc", "ab=c", "=abc", "a===", "ab c",
                          "YW\n=", "YWJ=", "/x==", "ab-_", "YWI==="}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
  EXPECT_EQ(Base64Decode(""), "");
}

TEST(BinaryJsonTest, OnlyNonUtf8StringsAreEncoded) {
  json v = {"text", "\xc3\xa9", std::string("\xff\x00", 2), {{"k", "\x80"}}};
  EXPECT_TRUE(EncodeNonUtf8Strings(v));
  EXPECT_EQ(v.dump(), R"(["text","é",{"b64":"/wA="},{"k":{"b64":"gA=="}}])");
  DecodeB64Objects(v);
  EXPECT_EQ(v[2], std::string("\xff\x00", 2));
  EXPECT_EQ(v[3]["k"], "\x80");
}

TEST(BinaryArgumentsTest, B64ArgumentsBindToTheirBytes) {
  auto parsed = ParseCallGeneric(R"({"id":1,"method":"set","args":[{"b64":"/w=="},"v"]})");
  ASSERT_TRUE(std::holds_alternative<Call>(parsed));
  EXPECT_EQ(std::get<Call>(parsed).args[0], "\xff");
  EXPECT_FALSE(std::get<Call>(parsed).b64_results);

  auto kw = ParseCall(
      R"({"id":1,"method":"set","kwargs":{"key":"k","value":{"b64":"AAE="}},"encoding":"b64"})");
  ASSERT_TRUE(std::holds_alternative<Call>(kw));
  EXPECT_EQ(std::get<Call>(kw).args[1], std::string("\x00\x01", 2));
  EXPECT_TRUE(std::get<Call>(kw).b64_results);
}

TEST(BinaryArgumentsTest, BadBase64AndBadEncodingsAreRefused) {
  auto bad = ParseCall(R"({"id":1,"method":"get","args":[{"b64":"/w="}]})");
  ASSERT_TRUE(std::holds_alternative<ErrorResponse>(bad));
  EXPECT_EQ(std::get<ErrorResponse>(bad).code, ErrorCode::kInvalidArgument);
  EXPECT_NE(std::get<ErrorResponse>(bad).message.find("not valid base64"), std::string::npos);
  // An object with other members is just a wrong type.
  auto other = ParseCall(R"({"id":1,"method":"get","args":[{"b64":"/w==","x":1}]})");
  ASSERT_TRUE(std::holds_alternative<ErrorResponse>(other));
  EXPECT_EQ(std::get<ErrorResponse>(other).message, "get: key must be a string, got object");
  for (const char* line : {R"({"id":1,"method":"ping","encoding":"hex"})",
                           R"({"id":1,"method":"ping","encoding":1})"}) {
    auto r = ParseCall(line);
    ASSERT_TRUE(std::holds_alternative<ErrorResponse>(r)) << line;
    EXPECT_EQ(std::get<ErrorResponse>(r).code, ErrorCode::kInvalidRequest) << line;
  }
  EXPECT_TRUE(std::holds_alternative<Call>(ParseCall(R"({"method":"ping","encoding":"utf8"})")));
}

TEST(BinaryValuesTest, ExactBytesWithOptInValidJsonWithout) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"));
  auto c = served.Connect();
  const std::string key("k\xff", 2);
  const std::string value = AllBytes();
  ASSERT_TRUE(
      c->SendRaw(
           json({{"id", 1}, {"method", "set"}, {"args", {BytesToJson(key), BytesToJson(value)}}})
               .dump() +
           "\n")
          .ok());
  ASSERT_EQ((*c->Receive())["result"], true);

  // Without opt-in: valid JSON, the bad bytes replaced.
  ASSERT_TRUE(c->SendRaw(R"({"id":2,"method":"get","args":[{"b64":"a/8="}]})"
                         "\n")
                  .ok());
  auto plain = c->ReceiveLine();
  ASSERT_TRUE(plain.ok());
  json parsed = json::parse(*plain, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << *plain;
  EXPECT_TRUE(parsed["result"].is_string());
  EXPECT_NE(parsed["result"].get<std::string>(), value);

  // With opt-in: exact.
  ASSERT_TRUE(c->SendRaw(R"({"id":3,"method":"get","args":[{"b64":"a/8="}],"encoding":"b64"})"
                         "\n")
                  .ok());
  json exact = *c->Receive();
  EXPECT_EQ(BytesFromJson(exact["result"]), value) << exact.dump();
  ASSERT_TRUE(c->SendRaw(R"({"id":4,"method":"keys","encoding":"b64"})"
                         "\n")
                  .ok());
  EXPECT_EQ((*c->Receive())["result"], json::array({{{"b64", "a/8="}}}));
  // UTF-8 results stay plain strings even with the opt-in.
  ASSERT_TRUE(c->Set("plain", "é").ok());
  ASSERT_TRUE(c->SendRaw(R"({"id":6,"method":"get","args":["plain"],"encoding":"b64"})"
                         "\n")
                  .ok());
  EXPECT_EQ((*c->Receive())["result"], "é");
}

TEST(BinaryValuesTest, BinaryClientRoundTripsEveryByte) {
  walkv::testing::TempDir dir;
  Served served(dir.Sub("data"));
  auto c = served.Connect();
  c->set_binary(true);
  const std::string bytes = AllBytes();
  for (size_t i = 0; i < 256; i += 16) {
    const std::string key = std::string("k").append(bytes, i, 16);
    auto set = c->Call("set", {key, bytes.substr(255 - i)});
    ASSERT_EQ((*set)["result"], true) << set->dump();
    auto get = c->Call("get", {key});
    EXPECT_EQ((*get)["result"], bytes.substr(255 - i)) << i;
    auto append = c->Call("append", {key, std::string("\xfe", 1)});
    EXPECT_EQ((*append)["result"], i + 2);
  }
  auto scan = c->Call("scan", {"0", "*", "1000"});
  EXPECT_EQ((*scan)["result"][1].size(), 16u) << scan->dump();
  for (const json& k : (*scan)["result"][1]) EXPECT_TRUE(k.is_string()) << k.dump();
}

}  // namespace
}  // namespace walkv::rpc
