#include "engine/history_digest.h"

#include <xxhash.h>

#include <cstdio>

#include "engine/coding.h"
#include "engine/log_format.h"
#include "engine/str_cat.h"

namespace walkv {

namespace {
constexpr size_t kCrcBytes = 4;
}  // namespace

void HistoryDigest::AdvanceRecord(std::string_view record) {
  value = XXH64(record.data() + kCrcBytes, record.size() - kCrcBytes, value);
  seq = DecodeFixed64(record.data() + 8);
}

void HistoryDigest::AdvanceRecords(std::string_view records) {
  while (records.size() >= log::kRecordHeaderSize) {
    const size_t size = log::kRecordHeaderSize + DecodeFixed32(records.data() + 4);
    AdvanceRecord(records.substr(0, size));
    records.remove_prefix(size);
  }
}

std::string HistoryDigest::Hex() const {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string DescribeDigest(const HistoryDigest& digest) {
  return StrCat("digest at seq ", digest.seq, ": ", digest.Hex(), " (history since seq ",
                digest.base_seq, ")");
}

bool ParseDigestHex(std::string_view hex, uint64_t* value) {
  if (hex.size() != 16) return false;
  uint64_t v = 0;
  for (char c : hex) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *value = v;
  return true;
}

}  // namespace walkv
