#include "engine/snapshot_install.h"

#include <algorithm>
#include <cassert>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/file_names.h"
#include "engine/log_head.h"
#include "engine/log_writer.h"
#include "engine/snapshot_reader.h"
#include "engine/str_cat.h"

namespace walkv::install {
namespace {

// <name>.dropped, or <name>.dropped-2, -3, ... when an earlier install already left one: a file
// moved aside is never replaced.
std::string FreeDroppedName(Env* env, const std::string& dir, const std::string& name) {
  std::string target = DroppedFileName(name);
  for (int n = 2; env->FileExists(JoinPath(dir, target)); ++n) {
    target = StrCat(DroppedFileName(name), "-", n);
  }
  return target;
}

Status MoveAside(Env* env, const std::string& dir, const std::string& name,
                 InstallReport* report) {
  WALKV_RETURN_IF_ERROR(
      env->RenameFile(JoinPath(dir, name), JoinPath(dir, FreeDroppedName(env, dir, name))));
  report->moved_aside.push_back(name);
  return Status::Ok();
}

std::string NewSegmentBytes(uint64_t first_seq) {
  std::string header;
  log::EncodeSegmentHeader(first_seq, &header);
  return header;
}

// Step 3a: the received snapshot becomes snap-<seq>.snap (an older file of that name, from the
// replica's own history, is moved aside first).
Status PublishReceivedSnapshot(Env* env, const std::string& dir, uint64_t seq,
                               InstallReport* report) {
  const std::string received = ReceivedSnapshotFileName(seq);
  const std::string final_name = SnapshotFileName(seq);
  if (!env->FileExists(JoinPath(dir, received))) {
    if (env->FileExists(JoinPath(dir, final_name))) return Status::Ok();  // renamed before
    return Status::Corruption(StrCat(InstallFileName(), " names the snapshot at seq ", seq,
                                     ", but neither ", received, " nor ", final_name, " exists"));
  }
  if (env->FileExists(JoinPath(dir, final_name))) {
    WALKV_RETURN_IF_ERROR(MoveAside(env, dir, final_name, report));
  }
  return env->RenameFile(JoinPath(dir, received), JoinPath(dir, final_name));
}

// Step 3b: every segment and snapshot but snap-<seq> and an empty wal-<seq+1> is moved aside.
// The empty segment is kept so that finishing again after a crash does not move aside the one
// an earlier attempt created (an old segment that holds no record loses nothing by staying).
Status MoveAsideEverythingElse(Env* env, const std::string& dir, uint64_t seq,
                               bool* new_segment_exists, InstallReport* report) {
  auto children = env->GetChildren(dir);
  if (!children.ok()) return children.status();
  std::vector<std::string> names = std::move(*children);
  std::sort(names.begin(), names.end());
  const std::string new_segment = LogFileName(seq + 1);
  *new_segment_exists = false;
  for (const std::string& name : names) {
    const ParsedFileName parsed = ParseFileName(name);
    if (parsed.kind == FileKind::kSnapshot && seq > 0 && parsed.seq == seq) continue;
    if (parsed.kind == FileKind::kLogSegment && name == new_segment) {
      std::string bytes;
      WALKV_RETURN_IF_ERROR(ReadFileToString(env, JoinPath(dir, name), &bytes));
      if (bytes == NewSegmentBytes(seq + 1)) {
        *new_segment_exists = true;
        continue;
      }
    }
    if (parsed.kind == FileKind::kSnapshot || parsed.kind == FileKind::kLogSegment) {
      WALKV_RETURN_IF_ERROR(MoveAside(env, dir, name, report));
    }
  }
  return env->SyncDir(dir);
}

}  // namespace

std::string InstallFileName() { return "INSTALL"; }

std::string ReceivedSnapshotFileName(uint64_t seq) {
  return SnapshotFileName(seq) + ".install.tmp";
}

void EncodeInstall(uint64_t snapshot_seq, std::string* dst) {
  const size_t start = dst->size();
  dst->append(kInstallMagic);
  PutFixed32(dst, kInstallFormatVersion);
  PutFixed64(dst, snapshot_seq);
  PutFixed32(dst, Crc32(std::string_view(*dst).substr(start)));
  assert(dst->size() - start == kInstallFileSize);
}

InstallCheck ParseInstall(std::string_view bytes) {
  InstallCheck check;
  check.present = true;
  if (bytes.size() != kInstallFileSize) {
    check.problem = StrCat("is ", bytes.size(), " bytes long, not ", kInstallFileSize);
  } else if (bytes.substr(0, kInstallMagic.size()) != kInstallMagic) {
    check.problem = "bad magic";
  } else if (DecodeFixed32(bytes.data() + 8) != kInstallFormatVersion) {
    check.problem = StrCat("unsupported INSTALL format version ", DecodeFixed32(bytes.data() + 8),
                           " (this build reads ", kInstallFormatVersion, ")");
  } else if (Crc32(bytes.substr(0, 20)) != DecodeFixed32(bytes.data() + 20)) {
    check.problem = "checksum mismatch";
  } else {
    check.snapshot_seq = DecodeFixed64(bytes.data() + 12);
  }
  return check;
}

StatusOr<InstallCheck> ReadInstall(Env* env, const std::string& dir) {
  std::string bytes;
  Status s = ReadFileToString(env, JoinPath(dir, InstallFileName()), &bytes);
  if (s.IsNotFound()) return InstallCheck{};
  if (!s.ok()) return s;
  return ParseInstall(bytes);
}

Status CommitInstall(Env* env, const std::string& dir, uint64_t seq,
                     std::optional<HistoryDigest> expected_digest) {
  if (seq > 0) {
    const std::string received = ReceivedSnapshotFileName(seq);
    auto check = snapshot::ReadSnapshot(env, JoinPath(dir, received), seq, nullptr);
    if (!check.ok()) return check.status();
    if (check->problem) {
      return Status::Corruption(StrCat("the received snapshot ", received, " is damaged at byte ",
                                       check->problem->offset, ": ", check->problem->reason));
    }
    if (expected_digest && (!check->digest || check->digest->value != expected_digest->value ||
                            check->digest->base_seq != expected_digest->base_seq)) {
      return Status::Corruption(
          StrCat("the received snapshot ", received, "'s history digest ",
                 check->digest ? check->digest->Hex() : std::string("(none)"),
                 " is not the one the primary announced, ", expected_digest->Hex()));
    }
  }
  // The received file's directory entry is durable before INSTALL can name it.
  WALKV_RETURN_IF_ERROR(env->SyncDir(dir));
  std::string bytes;
  EncodeInstall(seq, &bytes);
  return WriteFileAtomically(env, dir, InstallFileName(), bytes);  // the commit point
}

StatusOr<InstallReport> FinishPendingInstall(Env* env, const std::string& dir) {
  InstallReport report;
  auto install = ReadInstall(env, dir);
  if (!install.ok()) return install.status();
  if (!install->present) return report;
  if (!install->snapshot_seq) {
    return Status::Corruption(StrCat(InstallFileName(), " (a snapshot install from the primary) ",
                                     install->problem, "; it was written whole, so this is ",
                                     "damage: restore the directory or remove ",
                                     InstallFileName(), " to start from the state before it"));
  }
  const uint64_t seq = *install->snapshot_seq;
  report.snapshot_seq = seq;
  if (seq > 0) WALKV_RETURN_IF_ERROR(PublishReceivedSnapshot(env, dir, seq, &report));
  bool new_segment_exists = false;
  WALKV_RETURN_IF_ERROR(MoveAsideEverythingElse(env, dir, seq, &new_segment_exists, &report));
  if (!new_segment_exists) {
    WALKV_RETURN_IF_ERROR(
        WriteFileAtomically(env, dir, LogFileName(seq + 1), NewSegmentBytes(seq + 1)));
  }
  WALKV_RETURN_IF_ERROR(log::WriteLogHead(env, dir, seq + 1));
  WALKV_RETURN_IF_ERROR(env->RemoveFile(JoinPath(dir, InstallFileName())));
  WALKV_RETURN_IF_ERROR(env->SyncDir(dir));
  report.finished = true;
  return report;
}

std::optional<std::string> PendingSnapshotFile(Env* env, const std::string& dir, uint64_t seq) {
  if (seq == 0) return std::nullopt;
  if (env->FileExists(JoinPath(dir, ReceivedSnapshotFileName(seq)))) {
    return ReceivedSnapshotFileName(seq);
  }
  if (env->FileExists(JoinPath(dir, SnapshotFileName(seq)))) return SnapshotFileName(seq);
  return std::nullopt;
}

}  // namespace walkv::install
