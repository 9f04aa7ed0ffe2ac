// Tab completion's word list (cli/completion.h): made from the method table, the aliases and the
// prompt's own commands; case-insensitive prefixes.
#include <gtest/gtest.h>

#include "cli/completion.h"
#include "rpc/methods.h"

namespace walkv::cli {
namespace {

using Words = std::vector<std::string>;

TEST(CompletionTest, PrefixesOfMethodsAliasesAndPromptCommands) {
  EXPECT_EQ(CompletionsFor("sca"), Words({"scan"}));
  EXPECT_EQ(CompletionsFor("DEL"), Words({"del", "delete"}));
  EXPECT_EQ(CompletionsFor("q"), Words({"quit"}));
  EXPECT_EQ(CompletionsFor("zz"), Words());
}

TEST(CompletionTest, EveryMethodOfTheTableCompletes) {
  const Words all = CompletionsFor("");
  for (const rpc::MethodSpec& m : rpc::MethodTable()) {
    EXPECT_NE(std::find(all.begin(), all.end(), std::string(m.name)), all.end()) << m.name;
  }
}

}  // namespace
}  // namespace walkv::cli
