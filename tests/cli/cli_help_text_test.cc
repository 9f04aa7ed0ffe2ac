// `walkv cli help` comes from the rpc method table (rpc/methods.h): every method, its parameters
// and its summary, and nothing the table does not hold.
#include <gtest/gtest.h>

#include <string>

#include "cli/aliases.h"
#include "cli/help_text.h"
#include "rpc/methods.h"

namespace walkv::cli {
namespace {

TEST(HelpTextTest, ListsEveryMethodOfTheRpcTableWithItsUsageAndSummary) {
  const std::string help = HelpText();
  size_t method_lines = 0;
  for (const rpc::MethodSpec& m : rpc::MethodTable()) {
    const std::string line = HelpText(m.name);
    EXPECT_EQ(line.rfind("  " + std::string(m.name), 0), 0u) << line;
    EXPECT_NE(line.find(rpc::Usage(m)), std::string::npos) << line;
    std::string aliases;
    for (const Alias& a : Aliases()) {
      if (a.method == m.name) aliases += " Alias: " + std::string(a.alias) + ".";
    }
    EXPECT_NE(line.find(std::string(m.summary) + aliases + "\n"), std::string::npos) << line;
    EXPECT_NE(help.find(line), std::string::npos) << "help lacks " << m.name;
    ++method_lines;
  }
  // The method lines run from the heading to "Prompt commands:", one per table entry.
  const size_t first = help.find('\n') + 1;
  const size_t prompt = help.find("Prompt commands:");
  ASSERT_NE(prompt, std::string::npos);
  size_t lines = 0;
  for (size_t i = first; i < prompt; ++i) lines += help[i] == '\n';
  EXPECT_EQ(lines, method_lines);
}

TEST(HelpTextTest, OneMethodInAnyCase) {
  EXPECT_EQ(HelpText("GET"), HelpText("get"));
  EXPECT_NE(HelpText("keys").find("keys [pattern]"), std::string::npos);
  EXPECT_NE(HelpText("set").find("set key value"), std::string::npos);
  EXPECT_NE(HelpText("exists").find("exists key [key ...]"), std::string::npos);
}

TEST(HelpTextTest, AnAliasShowsItsMethod) {
  EXPECT_EQ(HelpText("del"), HelpText("delete"));
  EXPECT_EQ(HelpText("DEL"), HelpText("delete"));
  EXPECT_NE(HelpText("delete").find("Alias: del."), std::string::npos);
  for (const Alias& a : Aliases()) {
    EXPECT_NE(rpc::FindMethod(a.method), nullptr) << a.alias << " names no method";
    EXPECT_EQ(rpc::FindMethod(a.alias), nullptr) << a.alias << " hides a method";
    EXPECT_EQ(ResolveAlias(a.alias), a.method);
  }
  EXPECT_EQ(ResolveAlias("get"), "get");
}

TEST(HelpTextTest, UnknownMethodSaysSo) {
  EXPECT_NE(HelpText("frob").find("No help for 'frob'"), std::string::npos);
  EXPECT_NE(HelpText("\xc5\xbf"
                     "et")
                .find("No help"),
            std::string::npos);  // not ASCII 's'
}

}  // namespace
}  // namespace walkv::cli
