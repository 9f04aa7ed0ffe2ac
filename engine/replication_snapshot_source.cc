#include "engine/replication_snapshot_source.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "engine/file_names.h"
#include "engine/snapshot_reader.h"
#include "engine/str_cat.h"

namespace walkv::replication {
namespace {

// Snapshot seqs in dir at or below max_seq, newest first.
StatusOr<std::vector<uint64_t>> SnapshotSeqs(Env* env, const std::string& dir, uint64_t max_seq) {
  auto children = env->GetChildren(dir);
  if (!children.ok()) return children.status();
  std::vector<uint64_t> seqs;
  for (const std::string& name : *children) {
    const ParsedFileName parsed = ParseFileName(name);
    if (parsed.kind == FileKind::kSnapshot && parsed.seq <= max_seq) seqs.push_back(parsed.seq);
  }
  std::sort(seqs.begin(), seqs.end(), std::greater<>());
  return seqs;
}

// Verifies dir's snapshot at seq: its footer digest, or nullopt if it is damaged or gone.
StatusOr<std::optional<snapshot::SnapshotCheck>> Verify(Env* env, const std::string& dir,
                                                        uint64_t seq) {
  const std::string path = JoinPath(dir, SnapshotFileName(seq));
  auto check = snapshot::ReadSnapshot(env, path, seq, [](std::string_view, std::string_view) {});
  if (!check.ok()) {
    if (!env->FileExists(path)) return std::optional<snapshot::SnapshotCheck>();
    return check.status();
  }
  if (check->problem) return std::optional<snapshot::SnapshotCheck>();
  return std::optional<snapshot::SnapshotCheck>(std::move(*check));
}

HistoryDigest DigestOf(const snapshot::SnapshotCheck& check) {
  return check.digest.value_or(HistoryDigest::StartingAt(check.seq));
}

}  // namespace

Status SnapshotSource::Read(size_t max_bytes, std::string* out) {
  out->clear();
  const uint64_t left = bytes_ - read_;
  if (left == 0) return Status::Ok();
  WALKV_RETURN_IF_ERROR(file_->Read(static_cast<size_t>(std::min<uint64_t>(left, max_bytes)), out));
  if (out->empty()) {
    return Status::Corruption(StrCat(SnapshotFileName(seq_), " ended after ", read_, " of ",
                                     bytes_, " bytes"));
  }
  read_ += out->size();
  return Status::Ok();
}

StatusOr<std::unique_ptr<SnapshotSource>> OpenNewestSnapshot(Env* env, const std::string& dir) {
  auto seqs = SnapshotSeqs(env, dir, UINT64_MAX);
  if (!seqs.ok()) return seqs.status();
  for (uint64_t seq : *seqs) {
    // Open first, then verify by path: if cleanup removes it after the open, the open file still
    // holds the verified bytes; if before, verifying finds it gone and an older one is tried (a
    // newer one made it obsolete, so the caller may retry for that one).
    auto file = env->NewSequentialFile(JoinPath(dir, SnapshotFileName(seq)));
    if (!file.ok()) continue;
    auto check = Verify(env, dir, seq);
    if (!check.ok()) return check.status();
    if (!check->has_value()) continue;
    const snapshot::SnapshotCheck& c = **check;
    return std::make_unique<SnapshotSource>(seq, c.bytes, DigestOf(c), std::move(*file));
  }
  return Status::NotFound(StrCat("no intact snapshot in ", dir));
}

StatusOr<HistoryDigest> NewestSnapshotDigestAtOrBelow(Env* env, const std::string& dir,
                                                      uint64_t max_seq) {
  auto seqs = SnapshotSeqs(env, dir, max_seq);
  if (!seqs.ok()) return seqs.status();
  for (uint64_t seq : *seqs) {
    auto check = Verify(env, dir, seq);
    if (!check.ok()) return check.status();
    if (check->has_value()) return DigestOf(**check);
  }
  return Status::NotFound(StrCat("no intact snapshot at or below seq ", max_seq));
}

}  // namespace walkv::replication
