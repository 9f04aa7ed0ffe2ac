// HistoryDigest: the rolling digest of a log's history (docs/replication.md §1).
//
//   D(base_seq) = 0
//   D(s)        = XXH64(record_s bytes 4 .. end, seed = D(s - 1))   for each record s > base_seq
//
// record_s is the record exactly as framed in the log (docs/format.md §3.2) without its leading
// 4-byte crc: length, seq, type, payload. The digest therefore depends only on the records, in
// order: not on segment boundaries, segment header versions, snapshots or compaction. Two data
// directories with equal (base_seq, seq, value) hold the same history (up to an XXH64 collision).
//
// A plain value type; not thread-safe. In the engine the commit token's holder owns the live one
// (engine_impl.h); readers see copies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walkv {

struct HistoryDigest {
  uint64_t base_seq = 0;  // the chain starts here with value 0 (0: it covers every record)
  uint64_t seq = 0;       // the digest covers the records base_seq+1 .. seq
  uint64_t value = 0;     // D(seq)

  // A chain that starts at `seq` (value 0): a new directory (seq 0) or one whose snapshot
  // predates digests.
  static HistoryDigest StartingAt(uint64_t seq) { return {seq, seq, 0}; }

  // Advances over one framed record (header + payload, crc included; at least 17 bytes). Its seq
  // must be seq + 1; the caller guarantees that (the log reader and the commit path check it).
  void AdvanceRecord(std::string_view record);

  // Advances over records framed back to back (a commit batch's encoded bytes). Each record's
  // length field must be right: the caller produced or checked them.
  void AdvanceRecords(std::string_view records);

  // value as 16 lower-case hex digits.
  std::string Hex() const;

  friend bool operator==(const HistoryDigest&, const HistoryDigest&) = default;
};

// "digest at seq N: <hex> (history since seq B)" — the line `walkv verify` prints.
std::string DescribeDigest(const HistoryDigest& digest);

// Parses 16 hex digits (either case) into *value; false on anything else.
bool ParseDigestHex(std::string_view hex, uint64_t* value);

}  // namespace walkv
