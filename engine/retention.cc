#include "engine/retention.h"

#include <algorithm>
#include <tuple>

namespace walkv {

std::vector<std::string> ObsoleteFiles(std::vector<SnapshotOnDisk> snapshots,
                                       std::vector<SegmentOnDisk> segments,
                                       size_t keep_snapshots, uint64_t backlog_bytes) {
  keep_snapshots = std::max<size_t>(keep_snapshots, 1);
  std::sort(snapshots.begin(), snapshots.end(),
            [](const SnapshotOnDisk& a, const SnapshotOnDisk& b) { return a.seq < b.seq; });
  std::sort(segments.begin(), segments.end(), [](const SegmentOnDisk& a, const SegmentOnDisk& b) {
    return a.first_seq < b.first_seq;
  });
  std::vector<const SnapshotOnDisk*> intact;
  for (const SnapshotOnDisk& s : snapshots) {
    if (s.intact) intact.push_back(&s);
  }
  if (intact.empty()) return {};
  const size_t kept = std::min(keep_snapshots, intact.size());
  const uint64_t newest_seq = intact.back()->seq;
  const uint64_t oldest_kept_seq = intact[intact.size() - kept]->seq;

  // (number, is a segment, name): sorting gives the removal order.
  std::vector<std::tuple<uint64_t, bool, std::string>> obsolete;
  for (const SnapshotOnDisk& s : snapshots) {
    const bool is_kept = s.intact && s.seq >= oldest_kept_seq;
    if (s.seq < newest_seq && !is_kept) obsolete.emplace_back(s.seq, false, s.name);
  }
  if (kept == keep_snapshots) {
    // The backlog: segments from `backlog_start` on are the newest ones whose total size is at
    // most backlog_bytes.
    size_t backlog_start = segments.size();
    uint64_t backlog_total = 0;
    while (backlog_bytes > 0 && backlog_start > 0 &&
           backlog_total + segments[backlog_start - 1].bytes <= backlog_bytes) {
      --backlog_start;
      backlog_total += segments[backlog_start].bytes;
    }
    // Segment i holds records first_seq(i) .. first_seq(i+1) - 1.
    for (size_t i = 0; i + 1 < segments.size() && i < backlog_start; ++i) {
      if (segments[i + 1].first_seq > oldest_kept_seq + 1) break;
      obsolete.emplace_back(segments[i].first_seq, true, segments[i].name);
    }
  }
  std::sort(obsolete.begin(), obsolete.end());
  std::vector<std::string> names;
  names.reserve(obsolete.size());
  for (auto& entry : obsolete) names.push_back(std::move(std::get<2>(entry)));
  return names;
}

}  // namespace walkv
