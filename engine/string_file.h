// StringFile: a SequentialFile over bytes already in memory, so code written against files
// (a ByteSource) also reads a buffer, such as the snapshot reader's in-memory entry point.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "engine/env.h"

namespace walkv {

class StringFile final : public SequentialFile {
 public:
  // `bytes` must outlive the StringFile.
  explicit StringFile(std::string_view bytes) : bytes_(bytes) {}

  // Never fails.
  Status Read(size_t n, std::string* out) override {
    const size_t take = std::min(n, bytes_.size());
    out->assign(bytes_.substr(0, take));
    bytes_.remove_prefix(take);
    return Status::Ok();
  }

 private:
  std::string_view bytes_;  // not yet read
};

}  // namespace walkv
