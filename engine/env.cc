// Helpers on top of the Env interface, shared by every Env implementation.
#include "engine/env.h"

#include <memory>
#include <string>

#include "engine/file_names.h"

namespace walkv {

Status ReadFileToString(Env* env, const std::string& path, std::string* out) {
  out->clear();
  StatusOr<std::unique_ptr<SequentialFile>> file = env->NewSequentialFile(path);
  if (!file.ok()) return file.status();
  // The size is only a hint (the file may still grow): reading goes on until a short read. One
  // allocation up front instead of doubling spares large snapshots and segments repeated copies
  // and page faults.
  if (StatusOr<uint64_t> size = env->GetFileSize(path); size.ok()) out->reserve(*size);
  constexpr size_t kChunk = 1024 * 1024;
  std::string chunk;
  while (true) {
    WALKV_RETURN_IF_ERROR((*file)->Read(kChunk, &chunk));
    out->append(chunk);
    if (chunk.size() < kChunk) return Status::Ok();
  }
}

Status WriteFileAtomically(Env* env, const std::string& dir, const std::string& name,
                           std::string_view data) {
  const std::string final_path = JoinPath(dir, name);
  const std::string temp_path = JoinPath(dir, TempFileName(name));
  Status s;
  {
    StatusOr<std::unique_ptr<WritableFile>> file = env->NewWritableFile(temp_path);
    if (!file.ok()) return file.status();
    s = (*file)->Append(data);
    if (s.ok()) s = (*file)->Sync();
    Status close = (*file)->Close();
    if (s.ok()) s = close;
  }
  // The temp file's bytes are durable before it gets the final name, so after a crash `name`
  // holds either the old or the new content, never a torn mix.
  if (s.ok()) s = env->RenameFile(temp_path, final_path);
  if (!s.ok()) {
    // Best effort: a leftover *.tmp is harmless and removed at the next startup.
    env->RemoveFile(temp_path).IgnoreError();
    return s;
  }
  return env->SyncDir(dir);
}

}  // namespace walkv
