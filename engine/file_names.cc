#include "engine/file_names.h"

#include <charconv>
#include <cstdio>
#include <string>

namespace walkv {
namespace {

constexpr std::string_view kLogPrefix = "wal-";
constexpr std::string_view kLogSuffix = ".log";
constexpr std::string_view kSnapPrefix = "snap-";
constexpr std::string_view kSnapSuffix = ".snap";
constexpr std::string_view kTempSuffix = ".tmp";
constexpr size_t kSeqDigits = 20;

std::string WithSeq(std::string_view prefix, uint64_t seq, std::string_view suffix) {
  char digits[kSeqDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(seq));
  std::string out(prefix);
  out += digits;
  out += suffix;
  return out;
}

// Parses prefix + exactly 20 digits + suffix.
std::optional<uint64_t> ParseSeq(std::string_view name, std::string_view prefix,
                                 std::string_view suffix) {
  if (name.size() != prefix.size() + kSeqDigits + suffix.size()) return std::nullopt;
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return std::nullopt;
  std::string_view digits = name.substr(prefix.size(), kSeqDigits);
  uint64_t seq = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return seq;
}

}  // namespace

std::string LockFileName() { return "LOCK"; }
std::string LogHeadFileName() { return "LOGHEAD"; }
std::string LogFileName(uint64_t first_seq) { return WithSeq(kLogPrefix, first_seq, kLogSuffix); }
std::string SnapshotFileName(uint64_t seq) { return WithSeq(kSnapPrefix, seq, kSnapSuffix); }
std::string TempFileName(std::string_view final_name) {
  return std::string(final_name) + std::string(kTempSuffix);
}

std::string DroppedFileName(std::string_view segment) {
  return std::string(segment) + ".dropped";
}
std::string DroppedTailFileName(std::string_view segment, uint64_t from_offset) {
  return std::string(segment) + ".from-" + std::to_string(from_offset) + ".dropped";
}

ParsedFileName ParseFileName(std::string_view name) {
  if (name == "LOCK") return {FileKind::kLock, 0};
  if (name == "LOGHEAD") return {FileKind::kLogHead, 0};
  if (name.ends_with(kTempSuffix)) return {FileKind::kTemp, 0};
  if (auto seq = ParseSeq(name, kLogPrefix, kLogSuffix)) return {FileKind::kLogSegment, *seq};
  if (auto seq = ParseSeq(name, kSnapPrefix, kSnapSuffix)) return {FileKind::kSnapshot, *seq};
  return {FileKind::kUnknown, 0};
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

}  // namespace walkv
