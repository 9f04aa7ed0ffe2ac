// `walkv cli batch` / `txn` / `cas` against a real `walkv serve`: a JSON list typed as one
// argument (in a shell: one argv word; at the prompt: a double-quoted word with \" escapes) is
// sent as its JSON text and parsed by the server; results print like any list or object; a bad
// list is an error with exit 1; an acknowledged batch survives kill -9.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/server_process.h"
#include "tests/e2e/subprocess.h"
#include "tests/util/temp_dir.h"

namespace walkv::e2e {
namespace {

using ::testing::HasSubstr;

class CliTxnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start(dir_.Sub("data"));
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Terminate(), 0);
    }
  }
  ProcessResult Cli(std::vector<std::string> words, std::string_view input = "") {
    std::vector<std::string> argv = {WalkvBinary(), "cli", "--port",
                                     std::to_string(server_->port())};
    argv.insert(argv.end(), words.begin(), words.end());
    return RunProcess(argv, input);
  }
  testing::TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CliTxnTest, BatchTxnAndCasFromTheCommandLine) {
  ProcessResult batch = Cli({"batch", R"([["set","a","1"],["incr","n"],["get","a"]])"});
  EXPECT_EQ(batch.exit, 0) << batch.err;
  EXPECT_EQ(batch.out, "true\n1\n1\n");
  ProcessResult txn = Cli({"--json", "txn", R"([["value","a","1"]])",
                           R"([["set","a","2"],["get","a"]])", R"([["get","a"]])"});
  EXPECT_EQ(txn.exit, 0) << txn.err;
  EXPECT_EQ(txn.out, "{\"results\":[true,\"2\"],\"succeeded\":true}\n");
  txn = Cli({"--json", "txn", R"([["value","a","1"]])", "[]", R"([["get","a"]])"});
  EXPECT_EQ(txn.out, "{\"results\":[\"2\"],\"succeeded\":false}\n");
  ProcessResult cas = Cli({"cas", "a", "2", "3"});
  EXPECT_EQ(cas.out, "true\n");
  ProcessResult bad = Cli({"batch", R"([["incr","a"],["incr","x")"});
  EXPECT_EQ(bad.exit, 1);
  EXPECT_THAT(bad.err, HasSubstr("INVALID_ARGUMENT ops must be a JSON list"));
  bad = Cli({"batch", R"([["set","b","1"],["append","a"]])"});
  EXPECT_EQ(bad.exit, 1);
  EXPECT_THAT(bad.err, HasSubstr("ops[1]: append takes 2 arguments"));
  EXPECT_EQ(Cli({"exists", "b"}).out, "0\n");
}

TEST_F(CliTxnTest, JsonListsTypedAtThePrompt) {
  ProcessResult piped =
      Cli({}, "batch \"[[\\\"set\\\",\\\"k\\\",\\\"v\\\"],[\\\"get\\\",\\\"k\\\"]]\"\n");
  EXPECT_EQ(piped.exit, 0) << piped.err;
  EXPECT_THAT(piped.out, HasSubstr("v"));
  EXPECT_EQ(Cli({"get", "k"}).out, "v\n");
}

TEST_F(CliTxnTest, AcknowledgedBatchSurvivesKill9) {
  ProcessResult batch =
      Cli({"batch", R"([["set","x","1"],["set","y","2"],["incrby","z","7"],["delete","x"]])"});
  ASSERT_EQ(batch.exit, 0) << batch.err;
  server_->Kill();  // the server is gone: start a new one on the same directory
  server_ = ServerProcess::Start(dir_.Sub("data"));
  ASSERT_NE(server_, nullptr);
  EXPECT_EQ(Cli({"--json", "mget", "x", "y", "z"}).out, "[null,\"2\",\"7\"]\n");
}

}  // namespace
}  // namespace walkv::e2e
