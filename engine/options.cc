#include "engine/options.h"

namespace walkv {

std::string_view FsyncModeName(FsyncMode mode) {
  switch (mode) {
    case FsyncMode::kAlways: return "always";
    case FsyncMode::kInterval: return "interval";
    case FsyncMode::kNever: return "never";
  }
  return "unknown";
}

std::string_view RecoveryModeName(RecoveryMode mode) {
  switch (mode) {
    case RecoveryMode::kTolerateTail: return "tolerate-tail";
    case RecoveryMode::kAbsolute: return "absolute";
    case RecoveryMode::kPointInTime: return "point-in-time";
  }
  return "unknown";
}

}  // namespace walkv
