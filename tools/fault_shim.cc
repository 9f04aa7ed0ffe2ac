// libwalkv_fault_shim.so: an LD_PRELOAD library that makes fsync/fdatasync fail with EIO, for
// `walkv-crash-tester sync-eio` (docs/testing.md, "Full disk").
//
// While the file named by WALKV_FAULT_TRIGGER exists, every fsync() and fdatasync() of a file
// whose path contains WALKV_FAULT_MATCH (all files if unset) returns -1 with errno EIO without
// syncing anything. The written data stays in the page cache and may still reach the disk later,
// as after a real transient I/O error; that is why a failed batch may reappear after a restart
// (it was never acknowledged, so both outcomes are allowed). Nothing else is intercepted.
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace {

using SyncFn = int (*)(int);

bool ShouldFail(int fd) {
  const char* trigger = getenv("WALKV_FAULT_TRIGGER");
  if (trigger == nullptr || access(trigger, F_OK) != 0) return false;
  const char* match = getenv("WALKV_FAULT_MATCH");
  if (match == nullptr || *match == '\0') return true;
  char link[64];
  char path[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof(path) - 1);
  if (n < 0) return false;
  path[n] = '\0';
  return strstr(path, match) != nullptr;
}

SyncFn Real(const char* name) { return reinterpret_cast<SyncFn>(dlsym(RTLD_NEXT, name)); }

}  // namespace

extern "C" int fsync(int fd) {
  static SyncFn real = Real("fsync");
  if (ShouldFail(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

extern "C" int fdatasync(int fd) {
  static SyncFn real = Real("fdatasync");
  if (ShouldFail(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}
