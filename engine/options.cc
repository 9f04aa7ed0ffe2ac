#include "engine/options.h"

namespace walkv {

namespace {

template <typename Mode, size_t N>
std::string_view NameOf(const std::array<ModeSpelling<Mode>, N>& spellings, Mode mode) {
  for (const ModeSpelling<Mode>& s : spellings) {
    if (s.mode == mode) return s.name;
  }
  return "unknown";
}

template <typename Mode, size_t N>
std::optional<Mode> ModeNamed(const std::array<ModeSpelling<Mode>, N>& spellings,
                              std::string_view name) {
  for (const ModeSpelling<Mode>& s : spellings) {
    if (s.name == name) return s.mode;
  }
  return std::nullopt;
}

}  // namespace

std::string_view FsyncModeName(FsyncMode mode) { return NameOf(kFsyncModeSpellings, mode); }

std::string_view RecoveryModeName(RecoveryMode mode) {
  return NameOf(kRecoveryModeSpellings, mode);
}

std::optional<FsyncMode> ParseFsyncMode(std::string_view name) {
  return ModeNamed(kFsyncModeSpellings, name);
}

std::optional<RecoveryMode> ParseRecoveryMode(std::string_view name) {
  return ModeNamed(kRecoveryModeSpellings, name);
}

}  // namespace walkv
