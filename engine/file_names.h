// Names of every file in a data directory, in one place.
//
//   LOCK                      flock'ed by the running server; holds its pid as text (for messages)
//   LOGHEAD                   names the newest log segment (engine/log_head.h)
//   wal-<20-digit seq>.log    log segment whose first record has sequence number <seq>
//   snap-<20-digit seq>.snap  snapshot of the state after applying every record up to <seq>
//   *.tmp                     a file being written; ignored and removed at startup
//   <segment>.dropped         a whole segment point-in-time recovery (or a cut-short creation)
//                             moved aside; never read again
//   <segment>.from-<N>.dropped  bytes N.. of a segment point-in-time recovery truncated at N
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace walkv {

enum class FileKind { kLock, kLogHead, kLogSegment, kSnapshot, kTemp, kUnknown };

struct ParsedFileName {
  FileKind kind = FileKind::kUnknown;
  uint64_t seq = 0;  // for kLogSegment / kSnapshot
};

std::string LockFileName();
std::string LogHeadFileName();
std::string LogFileName(uint64_t first_seq);
std::string SnapshotFileName(uint64_t seq);
std::string TempFileName(std::string_view final_name);
std::string DroppedFileName(std::string_view segment);
std::string DroppedTailFileName(std::string_view segment, uint64_t from_offset);
ParsedFileName ParseFileName(std::string_view name);

// dir + "/" + name.
std::string JoinPath(std::string_view dir, std::string_view name);

}  // namespace walkv
