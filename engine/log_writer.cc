#include "engine/log_writer.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

#include "engine/coding.h"
#include "engine/crc.h"
#include "engine/file_names.h"
#include "engine/log_format.h"
#include "engine/record_payload.h"

namespace walkv::log {

void EncodeSegmentHeader(uint64_t first_seq, std::string* dst, uint32_t version) {
  const size_t start = dst->size();
  dst->append(kSegmentMagic);
  PutFixed32(dst, version);
  PutFixed64(dst, first_seq);
  PutFixed32(dst, Crc32(std::string_view(*dst).substr(start)));
  assert(dst->size() - start == kSegmentHeaderSize);
}

void EncodeWriteFrame(std::string_view records, std::string* dst) {
  const size_t start = dst->size();
  dst->append(4, '\0');
  PutFixed32(dst, static_cast<uint32_t>(records.size()));
  dst->append(records);
  EncodeFixed32(dst->data() + start, Crc32(std::string_view(*dst).substr(start + 4)));
}

void EncodeRecord(uint64_t seq, const Mutation& m, std::string* dst) {
  if (m.request != MutationRequest::kAsIs) {
    // Its type would say SET and its value would be the delta: a record that was never the
    // state. Stop before it can reach the disk.
    std::fputs("walkv: bug: an unresolved request reached the log writer\n", stderr);
    std::abort();
  }
  const size_t start = dst->size();
  // crc and length are filled in once the payload is in place.
  dst->append(8, '\0');
  PutFixed64(dst, seq);
  dst->push_back(static_cast<char>(m.type));
  EncodeRecordPayload(m, dst);
  const size_t payload = dst->size() - start - kRecordHeaderSize;
  // Callers bound key and value sizes far below this (the RPC layer's request limit).
  assert(payload <= kMaxRecordPayload);
  char* header = dst->data() + start;
  EncodeFixed32(header + 4, static_cast<uint32_t>(payload));
  EncodeFixed32(header, Crc32(std::string_view(*dst).substr(start + 4)));
}

StatusOr<std::unique_ptr<LogWriter>> LogWriter::Create(Env* env, const std::string& dir,
                                                       uint64_t first_seq,
                                                       uint64_t prewrite_bytes) {
  const std::string name = LogFileName(first_seq);
  const std::string path = JoinPath(dir, name);
  // NewWritableFile truncates a leftover file of the same name; recovery only lets that happen to
  // a segment that holds no record it kept.
  StatusOr<std::unique_ptr<WritableFile>> file = env->NewWritableFile(path);
  if (!file.ok()) return file.status();
  std::string header;
  EncodeSegmentHeader(first_seq, &header,
                      prewrite_bytes > kSegmentHeaderSize ? kPrewrittenLogFormatVersion
                                                          : kLogFormatVersion);
  Status s = (*file)->Append(header);
  // Zeros after the header: a crash part way leaves a zero tail (clean) or, if even the header
  // did not reach the disk, an all-zero file that recovery treats as creation cut short.
  constexpr uint64_t kZeroChunk = 1u << 20;
  const std::string zeros(static_cast<size_t>(std::min<uint64_t>(
                              kZeroChunk, prewrite_bytes > kSegmentHeaderSize
                                              ? prewrite_bytes - kSegmentHeaderSize
                                              : 0)),
                          '\0');
  for (uint64_t at = kSegmentHeaderSize; s.ok() && at < prewrite_bytes; at += zeros.size()) {
    s = (*file)->Append(std::string_view(zeros).substr(
        0, static_cast<size_t>(std::min<uint64_t>(zeros.size(), prewrite_bytes - at))));
  }
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = env->SyncDir(dir);
  if (s.ok() && prewrite_bytes > kSegmentHeaderSize) {
    s = (*file)->Close();
    if (s.ok()) {
      StatusOr<std::unique_ptr<WritableFile>> over =
          env->NewOverwritingFile(path, kSegmentHeaderSize);
      if (over.ok()) {
        file = std::move(over);
      } else if (over.status().code() == StatusCode::kNotSupported) {
        // Cannot overwrite: continue after the zeros is wrong, so start a plain segment.
        return Create(env, dir, first_seq, 0);
      } else {
        s = over.status();
      }
    }
  }
  if (!s.ok()) {
    // Best effort: do not leave a half-written segment behind for recovery to puzzle over.
    (*file)->Close().IgnoreError();
    env->RemoveFile(path).IgnoreError();
    return s;
  }
  return std::unique_ptr<LogWriter>(
      new LogWriter(std::move(*file), name, first_seq, prewrite_bytes > kSegmentHeaderSize));
}

StatusOr<std::unique_ptr<LogWriter>> LogWriter::CreateFromSpare(Env* env, const std::string& dir,
                                                                const std::string& spare_path,
                                                                uint64_t first_seq) {
  const std::string name = LogFileName(first_seq);
  StatusOr<std::unique_ptr<WritableFile>> file = env->NewOverwritingFile(spare_path, 0);
  if (!file.ok()) return file.status();
  std::string header;
  EncodeSegmentHeader(first_seq, &header, kPrewrittenLogFormatVersion);
  Status s = (*file)->Append(header);
  if (s.ok()) s = (*file)->Sync();
  bool renamed = false;
  if (s.ok()) {
    s = env->RenameFile(spare_path, JoinPath(dir, name));
    renamed = s.ok();
  }
  if (s.ok()) s = env->SyncDir(dir);
  if (!s.ok()) {
    // As in Create: no half-made segment is left for recovery to puzzle over.
    (*file)->Close().IgnoreError();
    if (renamed) env->RemoveFile(JoinPath(dir, name)).IgnoreError();
    return s;
  }
  return std::unique_ptr<LogWriter>(new LogWriter(std::move(*file), name, first_seq, true));
}

StatusOr<std::unique_ptr<LogWriter>> LogWriter::OpenForAppend(Env* env, const std::string& dir,
                                                              uint64_t first_seq,
                                                              uint64_t records_end) {
  const std::string name = LogFileName(first_seq);
  const std::string path = JoinPath(dir, name);
  // The header's version says whether records go on in write frames (version 3).
  StatusOr<std::unique_ptr<SequentialFile>> reader = env->NewSequentialFile(path);
  if (!reader.ok()) return reader.status();
  std::string header;
  WALKV_RETURN_IF_ERROR((*reader)->Read(kSegmentHeaderSize, &header));
  if (header.size() < kSegmentHeaderSize) {
    return Status::Corruption("continuing " + path + ": segment header is " +
                              std::to_string(header.size()) + " bytes");
  }
  const bool framed = DecodeFixed32(header.data() + 8) >= kPrewrittenLogFormatVersion;
  if (framed) {
    StatusOr<std::unique_ptr<WritableFile>> over = env->NewOverwritingFile(path, records_end);
    if (over.ok()) {
      return std::unique_ptr<LogWriter>(new LogWriter(std::move(*over), name, first_seq, true));
    }
    if (over.status().code() != StatusCode::kNotSupported) return over.status();
    // This Env cannot overwrite: drop the zero tail and append after the records.
  }
  StatusOr<uint64_t> file_bytes = env->GetFileSize(path);
  if (!file_bytes.ok()) return file_bytes.status();
  if (*file_bytes > records_end) WALKV_RETURN_IF_ERROR(env->TruncateFile(path, records_end));
  StatusOr<std::unique_ptr<WritableFile>> file = env->NewAppendableFile(path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<LogWriter>(new LogWriter(std::move(*file), name, first_seq, framed));
}

Status LogWriter::AppendBatch(std::string_view encoded_records) {
  if (!framed_) return file_->Append(encoded_records);
  frame_buffer_.clear();
  EncodeWriteFrame(encoded_records, &frame_buffer_);
  return file_->Append(frame_buffer_);
}

Status LogWriter::Sync() { return file_->Sync(); }

Status LogWriter::Close() { return file_->Close(); }

}  // namespace walkv::log
