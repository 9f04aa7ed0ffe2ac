// Disk-fault drivers of walkv-crash-tester (docs/testing.md, "Full disk"):
//   disk-full  writes until the file system holding --data-dir is full, then checks STORAGE_ERROR
//              with a reason naming the lack of space, poisoned writes, live reads, and, after
//              --ballast is deleted and the server restarted, that nothing acknowledged was lost.
//   sync-eio   runs the server with the LD_PRELOAD shim (fault_shim.cc) and makes fdatasync of the
//              log fail with EIO; checks the same, plus that writes stay refused after the fault
//              is gone (a failed sync is never retried as if it had succeeded).
#pragma once

#include <string>
#include <vector>

namespace walkv::tools {

// `mode` is "disk-full" or "sync-eio"; `args` are the flags after it. Prints a one-line summary;
// returns 0 if every check held, 1 on a failed check, 2 on bad usage.
int DiskFaultMain(const std::string& mode, const std::vector<std::string>& args);

[[noreturn]] void Usage(const std::string& problem);

}  // namespace walkv::tools
