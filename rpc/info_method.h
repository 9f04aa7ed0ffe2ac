// `info [section]`: the server's state in sections, like Redis's INFO (docs/protocol.md, "info").
//
// Without a section the result is an object with one member per section (JSON objects are sent
// with their members sorted by name):
//   server       version, pid, host, port, data_dir, fsync, fsync_interval_ms,
//                snapshot_interval_seconds, snapshot_wal_bytes, recovery_mode, max_keys_reply,
//                uptime_micros, uptime_seconds
//   clients      connections_current, connections_total, connections_refused,
//                connections_paused, read_pauses
//   memory       approx_memory_bytes
//   persistence  log_bytes, log_segments, last_seq, fsync_count, fsync_p50_micros,
//                fsync_p99_micros, fsync_max_micros, commit_batches, mutations_committed,
//                last_snapshot, poisoned_reason, recovery {...}
//   stats        requests_total, ops {method: n}, errors {CODE: n}
//   keyspace     keys
// With a section name (any case; "all" and "everything" mean every section) the result is the
// same object holding only that section. An unknown name is INVALID_ARGUMENT listing the names.
//
// Reads counters only; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rpc/methods.h"

namespace walkv::rpc {

// The section names, in the order above.
std::vector<std::string_view> InfoSectionNames();

MethodResult RunInfo(MethodContext& ctx, std::vector<std::string>& args);

}  // namespace walkv::rpc
