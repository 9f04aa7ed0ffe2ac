// Engine options for tests on an in-memory FaultInjectionEnv: data in `dir`, and no timed or
// log-size snapshots, so the only snapshots are the ones a test asks for.
#pragma once

#include <string>

#include "engine/env.h"
#include "engine/options.h"

namespace walkv::testing {

inline EngineOptions QuietEngineOptions(Env* env, const std::string& dir,
                                        RecoveryMode mode = RecoveryMode::kTolerateTail) {
  EngineOptions o;
  o.data_dir = dir;
  o.env = env;
  o.snapshot_interval_seconds = 0;
  o.snapshot_wal_bytes = 0;
  o.recovery_mode = mode;
  return o;
}

}  // namespace walkv::testing
