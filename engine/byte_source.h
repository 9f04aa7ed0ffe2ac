// ByteSource: reads a file of known size front to back through a small, fixed-size buffer, so a
// reader's memory does not depend on the file's size (the snapshot reader streams with it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/env.h"
#include "engine/status.h"

namespace walkv {

class ByteSource {
 public:
  // Bytes asked of the file per SequentialFile::Read: the most a ByteSource buffers.
  static constexpr size_t kChunkBytes = 64 * 1024;

  // `file` must hold `size` bytes from its current position; a short read before that is an
  // I/O error (the file shrank while being read). Bytes after `size` are never read. `name` (a
  // path) begins the message of every error. `file` must outlive the ByteSource. Not
  // thread-safe: one user at a time.
  ByteSource(SequentialFile* file, uint64_t size, std::string name)
      : file_(file), size_(size), name_(std::move(name)) {}
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  uint64_t size() const { return size_; }
  const std::string& name() const { return name_; }
  // Bytes consumed so far: the file offset of the next byte Read or Stream hands out.
  uint64_t offset() const { return offset_; }

  // Hands out the next `n` bytes (n <= kChunkBytes) as one view, valid until the next call.
  // Fails (I/O error) if fewer than `n` bytes are left before `size`.
  [[nodiscard]] Status Read(size_t n, std::string_view* out);
  // Passes the next `n` bytes to `sink` in consecutive pieces of at most kChunkBytes each.
  // Fails (I/O error) if fewer than `n` bytes are left before `size`.
  [[nodiscard]] Status Stream(uint64_t n, const std::function<void(std::string_view)>& sink);

 private:
  // Reads the next chunk of the file into the buffer, after the bytes not yet handed out.
  [[nodiscard]] Status Fill();
  // An I/O error unless `n` more bytes are left before `size`.
  [[nodiscard]] Status CheckLeft(uint64_t n) const;
  std::string_view Buffered() const;

  SequentialFile* const file_;
  const uint64_t size_;
  const std::string name_;
  uint64_t offset_ = 0;     // bytes handed out
  uint64_t file_read_ = 0;  // bytes read from the file (offset_ + what is buffered)
  std::string buffer_;      // buffer_[buffer_pos_..] is read but not yet handed out
  size_t buffer_pos_ = 0;
  std::string chunk_;  // the last SequentialFile::Read
};

}  // namespace walkv
