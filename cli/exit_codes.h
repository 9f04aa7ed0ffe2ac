// Process exit codes shared by every `walkv` subcommand (docs/cli.md, contract §1).
#pragma once

namespace walkv::cli {

inline constexpr int kExitOk = 0;       // the command did what was asked
inline constexpr int kExitFailure = 1;  // it ran but failed: server error, lock held, I/O error
inline constexpr int kExitUsage = 2;    // wrong usage or a bad flag value; nothing was done

}  // namespace walkv::cli
