// `walkv compact --data-dir DIR`: offline compaction (engine/compact.h). Refuses while a server
// holds DIR and points at the online alternative, `walkv cli snapshot`.
// Exit 0: compacted; 1: not done (locked, recovery refused, I/O); 2: could not run (usage,
// missing directory, not a data directory).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "engine/compact.h"
#include "engine/env.h"

namespace walkv::cli {
namespace {

struct CompactFlags {
  std::string data_dir;
};

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char out[32];
  std::snprintf(out, sizeof(out), unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return out;
}

int RunCompact(const CompactFlags& flags) {
  EngineOptions options;
  options.data_dir = flags.data_dir;
  options.log = [](LogLevel level, std::string_view msg) {
    if (level >= LogLevel::kWarn) {
      std::fprintf(stderr, "walkv compact: %.*s\n", static_cast<int>(msg.size()), msg.data());
    }
  };
  std::fprintf(stderr, "walkv compact: recovering %s and writing a fresh snapshot...\n",
               flags.data_dir.c_str());
  auto result = CompactDataDir(options);
  if (!result.ok()) {
    const Status& s = result.status();
    std::fprintf(stderr, "walkv compact: %s\n", s.message().c_str());
    if (s.code() == StatusCode::kBusy) {
      std::fprintf(stderr,
                   "walkv compact works offline only. To compact while the server runs, use: "
                   "walkv cli snapshot\n");
    } else if (s.code() == StatusCode::kCorruption) {
      std::fprintf(stderr,
                   "walkv compact: nothing was compacted. compact recovers the directory as "
                   "`walkv serve` does by default (--recovery-mode tolerate-tail); see "
                   "docs/operations.md for recovering a damaged data directory.\n");
    }
    // A missing directory or one that is not a data directory: compact could not run at all.
    return s.code() == StatusCode::kNotFound || s.code() == StatusCode::kInvalidArgument
               ? kExitUsage
               : kExitFailure;
  }
  std::printf("compacted %s: %s in %llu files -> %s in %llu files\n", flags.data_dir.c_str(),
              HumanBytes(result->bytes_before).c_str(),
              static_cast<unsigned long long>(result->files_before),
              HumanBytes(result->bytes_after).c_str(),
              static_cast<unsigned long long>(result->files_after));
  std::printf("bytes before: %llu\nbytes after: %llu\nsnapshot: %s (sequence %llu, %llu keys)\n",
              static_cast<unsigned long long>(result->bytes_before),
              static_cast<unsigned long long>(result->bytes_after), result->snapshot.file.c_str(),
              static_cast<unsigned long long>(result->snapshot.seq),
              static_cast<unsigned long long>(result->snapshot.keys));
  return kExitOk;
}

}  // namespace

void AddCompactCommand(CLI::App& app, CommandAction* action) {
  auto flags = std::make_shared<CompactFlags>();
  CLI::App* compact = app.add_subcommand(
      "compact",
      "Offline: recover a data directory, write a fresh snapshot and remove the log segments and "
      "snapshots it makes obsolete. Refuses while a server runs on the directory (use `walkv cli "
      "snapshot` then). Crash-safe at every step. Exit 0: compacted; 1: not done (a server holds "
      "the directory, recovery refused, I/O error); 2: could not run (usage, missing directory, "
      "not a data directory).");
  compact->add_option("--data-dir", flags->data_dir, "The data directory to compact.")->required();
  compact->callback([flags, action] { *action = [flags] { return RunCompact(*flags); }; });
}

}  // namespace walkv::cli
