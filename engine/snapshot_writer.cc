#include "engine/snapshot_writer.h"

#include <xxhash.h>
#include <zlib.h>

#include "engine/coding.h"
#include "engine/file_names.h"
#include "engine/hash.h"
#include "engine/snapshot_format.h"

namespace walkv::snapshot {
namespace {

// Level 1 (Z_BEST_SPEED): a snapshot is written while the server keeps serving and competes with
// it for CPU; level 1 deflates several times faster than the default level 6 and typically loses
// only a few percent of ratio on key-value data. Snapshot size matters less than how quickly the
// log can be trimmed. The reader does not care which level was used.
constexpr int kCompressionLevel = 1;

XXH64_state_t* HashState(void* p) { return static_cast<XXH64_state_t*>(p); }

Status UnusableError() {
  return Status::InvalidArgument("snapshot writer is unusable after an earlier error or Finish()");
}

}  // namespace

SnapshotWriter::SnapshotWriter(Env* env, std::string dir, uint64_t seq,
                               std::unique_ptr<WritableFile> file)
    : env_(env),
      dir_(std::move(dir)),
      seq_(seq),
      file_(std::move(file)),
      digest_(HistoryDigest::StartingAt(seq)),
      file_hash_state_(XXH64_createState()) {
  XXH64_reset(HashState(file_hash_state_), 0);
}

StatusOr<std::unique_ptr<SnapshotWriter>> SnapshotWriter::Create(Env* env, const std::string& dir,
                                                                 uint64_t seq) {
  const std::string tmp_path = JoinPath(dir, TempFileName(SnapshotFileName(seq)));
  StatusOr<std::unique_ptr<WritableFile>> file = env->NewWritableFile(tmp_path);
  if (!file.ok()) return file.status();
  std::unique_ptr<SnapshotWriter> writer(new SnapshotWriter(env, dir, seq, std::move(*file)));

  std::string header;
  header.append(kSnapshotMagic);
  PutFixed32(&header, kSnapshotFormatVersion);
  PutFixed32(&header, 0);  // flags
  PutFixed64(&header, seq);
  PutFixed64(&header, Xxh64(header));
  Status s = writer->file_->Append(header);
  if (!s.ok()) return s;  // ~SnapshotWriter removes the temp file
  XXH64_update(HashState(writer->file_hash_state_), header.data(), header.size());
  return writer;
}

SnapshotWriter::~SnapshotWriter() {
  if (!finished_) {
    if (file_ != nullptr) file_->Close().IgnoreError();
    env_->RemoveFile(JoinPath(dir_, TempFileName(SnapshotFileName(seq_)))).IgnoreError();
  }
  XXH64_freeState(HashState(file_hash_state_));
}

Status SnapshotWriter::Add(std::string_view key, std::string_view value, uint64_t deadline_ms) {
  if (file_ == nullptr || finished_) return UnusableError();
  const uint64_t entry_bytes = VarintLength32(static_cast<uint32_t>(key.size())) + key.size() +
                               VarintLength32(static_cast<uint32_t>(value.size())) + value.size() +
                               8;
  if (key.size() > UINT32_MAX || value.size() > UINT32_MAX || entry_bytes > kMaxBlockRawBytes) {
    return Status::InvalidArgument("snapshot entry of " + std::to_string(entry_bytes) +
                                   " bytes is larger than a block may be");
  }
  if (!block_.empty() && block_.size() + entry_bytes > kTargetBlockRawBytes) {
    WALKV_RETURN_IF_ERROR(FlushBlock());
  }
  PutVarint32(&block_, static_cast<uint32_t>(key.size()));
  block_.append(key);
  PutVarint32(&block_, static_cast<uint32_t>(value.size()));
  block_.append(value);
  PutFixed64(&block_, deadline_ms);
  ++block_entries_;
  ++entries_;
  // An entry that alone reaches the target size gets a block of its own.
  if (block_.size() >= kTargetBlockRawBytes) return FlushBlock();
  return Status::Ok();
}

Status SnapshotWriter::FlushBlock() {
  if (block_entries_ == 0) return Status::Ok();
  uLongf comp_len = compressBound(static_cast<uLong>(block_.size()));
  std::string out(kBlockHeaderSize + comp_len, '\0');
  const int rc = compress2(reinterpret_cast<Bytef*>(out.data() + kBlockHeaderSize), &comp_len,
                           reinterpret_cast<const Bytef*>(block_.data()),
                           static_cast<uLong>(block_.size()), kCompressionLevel);
  if (rc != Z_OK) {
    file_.reset();  // the writer is unusable from here on; the destructor removes the temp file
    return Status::IOError("zlib compress2 failed with code " + std::to_string(rc));
  }
  out.resize(kBlockHeaderSize + comp_len);
  EncodeFixed32(out.data(), static_cast<uint32_t>(block_.size()));
  EncodeFixed32(out.data() + 4, static_cast<uint32_t>(comp_len));
  EncodeFixed32(out.data() + 8, block_entries_);
  Xxh64Stream block_hash;
  block_hash.Update(std::string_view(out).substr(0, 12));
  block_hash.Update(std::string_view(out).substr(kBlockHeaderSize));
  EncodeFixed64(out.data() + 12, block_hash.Digest());

  Status s = file_->Append(out);
  if (!s.ok()) {
    // The file's tail is unknown now: never finish it into a snapshot.
    file_->Close().IgnoreError();
    file_.reset();
    return s;
  }
  XXH64_update(HashState(file_hash_state_), out.data(), out.size());
  ++blocks_;
  block_.clear();
  block_entries_ = 0;
  return Status::Ok();
}

StatusOr<WrittenSnapshot> SnapshotWriter::Finish() {
  if (file_ == nullptr || finished_) return UnusableError();
  WALKV_RETURN_IF_ERROR(FlushBlock());

  std::string footer;
  footer.append(kFooterMagic);
  PutFixed64(&footer, blocks_);
  PutFixed64(&footer, entries_);
  PutFixed64(&footer, digest_.base_seq);
  PutFixed64(&footer, digest_.value);
  XXH64_update(HashState(file_hash_state_), footer.data(), footer.size());
  PutFixed64(&footer, XXH64_digest(HashState(file_hash_state_)));

  const std::string final_name = SnapshotFileName(seq_);
  const std::string tmp_path = JoinPath(dir_, TempFileName(final_name));
  Status s = file_->Append(footer);
  if (s.ok()) s = file_->Sync();
  const uint64_t bytes = file_->Size();
  Status close = file_->Close();
  if (s.ok()) s = std::move(close);
  file_.reset();
  if (!s.ok()) return s;
  WALKV_RETURN_IF_ERROR(env_->RenameFile(tmp_path, JoinPath(dir_, final_name)));
  // From here the temp name is gone; a failed SyncDir leaves a complete, synced snapshot under the
  // final name that may or may not survive a crash, and the caller is told it is not durable.
  finished_ = true;
  WALKV_RETURN_IF_ERROR(env_->SyncDir(dir_));

  WrittenSnapshot written;
  written.file_name = final_name;
  written.seq = seq_;
  written.bytes = bytes;
  written.entries = entries_;
  return written;
}

}  // namespace walkv::snapshot
