#include "engine/log_head.h"

#include <algorithm>
#include <cassert>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/file_names.h"
#include "engine/str_cat.h"

namespace walkv::log {

void EncodeLogHead(uint64_t newest_first_seq, std::string* dst) {
  const size_t start = dst->size();
  dst->append(kLogHeadMagic);
  PutFixed32(dst, kLogHeadFormatVersion);
  PutFixed64(dst, newest_first_seq);
  PutFixed32(dst, Crc32(std::string_view(*dst).substr(start)));
  assert(dst->size() - start == kLogHeadSize);
}

LogHeadCheck ParseLogHead(std::string_view bytes) {
  LogHeadCheck check;
  check.present = true;
  auto damaged = [&](uint64_t offset, std::string why) {
    check.damage_offset = offset;
    check.problem = std::move(why);
    return check;
  };
  if (bytes.size() < kLogHeadSize) {
    return damaged(bytes.size(),
                   StrCat("truncated (", bytes.size(), " of ", kLogHeadSize, " bytes)"));
  }
  if (bytes.substr(0, kLogHeadMagic.size()) != kLogHeadMagic) return damaged(0, "bad magic");
  const uint32_t version = DecodeFixed32(bytes.data() + 8);
  if (version != kLogHeadFormatVersion) {
    return damaged(8, StrCat("unsupported LOGHEAD format version ", version, " (this build reads ",
                             kLogHeadFormatVersion, ")"));
  }
  if (Crc32(bytes.substr(0, 20)) != DecodeFixed32(bytes.data() + 20)) {
    return damaged(0, "checksum mismatch");
  }
  if (bytes.size() > kLogHeadSize) {
    return damaged(kLogHeadSize, StrCat(bytes.size() - kLogHeadSize, " unexpected bytes after ",
                                        "the ", kLogHeadSize, "-byte content"));
  }
  check.newest = DecodeFixed64(bytes.data() + 12);
  return check;
}

StatusOr<LogHeadCheck> ReadLogHead(Env* env, const std::string& dir) {
  std::string bytes;
  Status s = ReadFileToString(env, JoinPath(dir, LogHeadFileName()), &bytes);
  if (s.IsNotFound()) return LogHeadCheck{};
  if (!s.ok()) return s;
  return ParseLogHead(bytes);
}

Status WriteLogHead(Env* env, const std::string& dir, uint64_t newest_first_seq) {
  std::string bytes;
  EncodeLogHead(newest_first_seq, &bytes);
  return WriteFileAtomically(env, dir, LogHeadFileName(), bytes);
}

bool LogHeadRequired(size_t snapshots, size_t segments, uint64_t oldest_segment) {
  return snapshots > 0 || segments > 1 || (segments == 1 && oldest_segment != 1);
}

std::optional<LogHeadProblem> FindLogHeadProblem(const LogHeadCheck& head, size_t snapshots,
                                                 const std::vector<uint64_t>& segments) {
  using Kind = LogHeadProblem::Kind;
  if (!head.newest) {
    // A LOGHEAD that exists was written whole (renamed into place), so damage to it is never a
    // crash's doing; a missing one is, in a directory that never held more than wal-1.
    if (head.present) return LogHeadProblem{Kind::kDamaged, head.damage_offset, head.problem};
    if (!LogHeadRequired(snapshots, segments.size(), segments.empty() ? 0 : segments.front())) {
      return std::nullopt;
    }
    return LogHeadProblem{Kind::kMissing, 0, "", 0};
  }
  if (std::find(segments.begin(), segments.end(), *head.newest) != segments.end()) {
    return std::nullopt;
  }
  return LogHeadProblem{Kind::kSegmentMissing, 0,
                        StrCat(LogHeadFileName(), " names it as the newest log segment, so the ",
                               "records it held (from sequence ", *head.newest, " on) are lost"),
                        *head.newest};
}

}  // namespace walkv::log
