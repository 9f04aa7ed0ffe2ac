// LOGHEAD: the one file that says which log segment is the newest, so that losing it — a deleted
// or emptied wal-<seq>.log — is seen at startup instead of silently serving a shorter log.
//
// Log segments chain through sequence numbers (docs/format.md §2), so a missing segment in the
// middle shows as a gap; but nothing in the older files can show that the NEWEST one existed.
// LOGHEAD names it. It is 24 bytes, written only with WriteFileAtomically (temp file, sync,
// rename, directory sync), so after any crash it holds either the old or the new name, never a
// torn mix:
//
//     magic      8 bytes  "WALKVHED"
//     version    u32 LE   kLogHeadFormatVersion
//     first_seq  u64 LE   first sequence number of the newest segment: it names wal-<first_seq>.log
//     crc        u32 LE   crc32 (zlib) of the preceding 20 bytes
//
// The invariant the engine keeps: the segment LOGHEAD names exists, and every record written
// after LOGHEAD was last updated is in that segment. The engine creates (and syncs) a segment
// first and only then points LOGHEAD at it, and writes no record into the new segment before
// LOGHEAD is durable. So a crash leaves LOGHEAD naming either the newest segment or the one before
// it (whose successor then holds no record yet).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/env.h"
#include "engine/status.h"

namespace walkv::log {

inline constexpr std::string_view kLogHeadMagic = "WALKVHED";
inline constexpr uint32_t kLogHeadFormatVersion = 1;
inline constexpr size_t kLogHeadSize = 24;

// Appends the 24-byte LOGHEAD content naming wal-<newest_first_seq>.log to *dst.
void EncodeLogHead(uint64_t newest_first_seq, std::string* dst);

// What reading LOGHEAD found.
struct LogHeadCheck {
  bool present = false;            // the file exists
  std::optional<uint64_t> newest;  // the first seq it names, when the file is intact
  uint64_t damage_offset = 0;      // when present && !newest: where the damage is
  std::string problem;             // when present && !newest: what is wrong
};

// Parses LOGHEAD's bytes (never fails; findings go into the result, with present = true).
LogHeadCheck ParseLogHead(std::string_view bytes);

// Reads dir/LOGHEAD. Fails only if the file exists but cannot be read.
StatusOr<LogHeadCheck> ReadLogHead(Env* env, const std::string& dir);

// Points LOGHEAD at wal-<newest_first_seq>.log. When it returns OK the new content is durable.
Status WriteLogHead(Env* env, const std::string& dir, uint64_t newest_first_seq);

// Whether a directory holding these files must have an intact LOGHEAD. Every directory does,
// except one that holds no snapshot and no log segment other than wal-1: the server may have
// stopped between creating its first segment and writing LOGHEAD, and such a directory cannot
// have lost a segment that LOGHEAD would have named.
// `oldest_segment` is the first seq of the oldest segment (ignored when there is none).
bool LogHeadRequired(size_t snapshots, size_t segments, uint64_t oldest_segment);

// What is wrong with LOGHEAD in a directory: the one rule that recovery and `walkv verify` both
// apply (docs/format.md §6.3); each words it for its own report.
struct LogHeadProblem {
  enum class Kind {
    kDamaged,         // LOGHEAD exists but does not parse: at `offset`, `detail` says why
    kMissing,         // LOGHEAD is missing from a directory that must have one
    kSegmentMissing,  // the segment LOGHEAD names (`newest`) is not among the segments; `detail`
                      // says what that loses
  };
  Kind kind;
  uint64_t offset = 0;
  std::string detail;
  uint64_t newest = 0;
};

// Checks `head` against the directory's snapshot count and the first sequence numbers of its
// segments (ascending). nullopt: nothing is wrong.
std::optional<LogHeadProblem> FindLogHeadProblem(const LogHeadCheck& head, size_t snapshots,
                                                 const std::vector<uint64_t>& segments);

}  // namespace walkv::log
