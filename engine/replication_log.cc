#include "engine/replication_log.h"

#include "engine/file_names.h"
#include "engine/log_reader.h"
#include "engine/str_cat.h"

namespace walkv::replication {

Status ReadCommittedRecords(Env* env, const std::string& dir,
                            const std::vector<SegmentFile>& segments, uint64_t from_seq,
                            uint64_t durable_seq, size_t max_bytes, std::string* out) {
  if (from_seq > durable_seq) return Status::Ok();
  if (segments.empty() || segments.front().first_seq > from_seq) {
    return Status::NotFound(StrCat("too far behind: record ", from_seq,
                                   " is no longer in a log segment (the oldest starts at ",
                                   segments.empty() ? 0 : segments.front().first_seq, ")"));
  }
  size_t start = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].first_seq <= from_seq) start = i;
  }
  std::string copied;
  uint64_t next = from_seq;
  for (size_t i = start; i < segments.size() && next <= durable_seq && copied.size() < max_bytes;
       ++i) {
    const SegmentFile& seg = segments[i];
    if (seg.first_seq > next) {
      return Status::Corruption(StrCat("log segment with record ", next, " is missing"));
    }
    std::string bytes;
    WALKV_RETURN_IF_ERROR(ReadFileToString(env, JoinPath(dir, seg.name), &bytes));
    log::SegmentScan scan = log::ParseSegment(bytes, seg.first_seq, [&](const log::RecordView& r) {
      if (r.seq != next || r.seq > durable_seq || copied.size() >= max_bytes) return;
      copied.append(bytes, r.offset, r.size);
      ++next;
    });
    // Damage past durable_seq is the commit path's write in flight; before it, real damage.
    if (scan.damage && scan.last_seq < durable_seq && next <= durable_seq &&
        (i + 1 == segments.size() || segments[i + 1].first_seq > scan.last_seq + 1)) {
      return Status::Corruption(StrCat(seg.name, " at byte ", scan.damage->offset, ": ",
                                       scan.damage->reason));
    }
  }
  out->append(copied);
  return Status::Ok();
}

}  // namespace walkv::replication
