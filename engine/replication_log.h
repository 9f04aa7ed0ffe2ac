// Reading committed log records for a replication stream (docs/replication.md §2).
//
// ReadCommittedRecords copies records byte for byte as they are framed in the log segments
// (docs/format.md §3.2, crc included) from `from_seq` on, never past `durable_seq`: a record
// beyond it may still be in flight in the commit path. It reads the segment files with the same
// parser recovery uses (log::ParseSegment) and is safe while the engine appends to the newest
// segment (a partly written tail past durable_seq is ignored).
//
// Thread safety: a free function over an Env; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/env.h"
#include "engine/recovery_plan.h"
#include "engine/status.h"

namespace walkv::replication {

// Appends to *out the records from_seq, from_seq+1, ... up to durable_seq, stopping after the
// first record that makes *out reach max_bytes (at least one record is copied when one exists).
// `segments` are the live segments, ascending (Engine::LogSegments()).
// Errors: kNotFound ("too far behind") if from_seq is older than the oldest segment's first
// record; kCorruption if a segment holds damage before durable_seq or a segment is missing;
// an I/O error from reading. *out is left as it was on error.
Status ReadCommittedRecords(Env* env, const std::string& dir,
                            const std::vector<SegmentFile>& segments, uint64_t from_seq,
                            uint64_t durable_seq, size_t max_bytes, std::string* out);

}  // namespace walkv::replication
