// Record payloads: the bytes after a log record's 17-byte header, per MutationType
// (docs/format.md §3.2). The one encoder (used by log::EncodeRecord) and the one decoder (used by
// log::ParseSegment and, for a BATCH's parts, by Store::Apply during replay).
//
// A BATCH (type 8) holds several mutations applied all-or-nothing from one record:
//   varint32 count (>= 1), then per part: u8 type (1 SET, 2 DELETE or 5 SET_WITH_DEADLINE),
//   varint32 part length, part payload (exactly that type's record payload).
//
// Decoders are bounds-checked and never fail on arbitrary bytes other than by returning false.
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/mutation.h"

namespace walkv {

// One mutation as decoded from a payload; the views point into the payload.
struct MutationView {
  MutationType type = MutationType::kSet;
  std::string_view key;
  std::string_view value;  // a BATCH: its whole payload (decode the parts with DecodeBatchParts)
  uint64_t deadline_ms = 0;
};

// True if `type` may be a part of a BATCH.
bool IsBatchPartType(MutationType type);

// Appends m's payload (not the record header) to *dst. A kBatch's parts are m.batch.
void EncodeRecordPayload(const Mutation& m, std::string* dst);

// Decodes the payload of a record of `type` into *out. False if the framing is impossible.
bool DecodeRecordPayload(MutationType type, std::string_view payload, MutationView* out);

// Decodes a BATCH payload's parts, in order. False (out unspecified) if the framing is
// impossible: no parts, a part of a type not allowed in a batch, a bad part, bytes left over.
bool DecodeBatchParts(std::string_view payload, std::vector<MutationView>* out);

}  // namespace walkv
