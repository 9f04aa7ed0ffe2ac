#include "benchmarks/loadgen/fsync_rate.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "benchmarks/loadgen/net.h"

namespace walkv::loadgen {

bool MeasureFsyncRate(const std::string& dir, size_t size, uint64_t count, double seconds,
                      FsyncRateResult* result, std::string* error) {
  const std::string path = dir + "/walkv-bench-fsync-" + std::to_string(getpid()) + ".tmp";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  const std::string record(size, 'r');
  const uint64_t start = MonotonicNanos();
  const uint64_t deadline = start + static_cast<uint64_t>(seconds * 1e9);
  bool ok = true;
  uint64_t now = start;
  for (uint64_t i = 0; i < count && now < deadline; ++i) {
    const uint64_t before = now;
    if (write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        fdatasync(fd) != 0) {
      *error = "write/fdatasync " + path + ": " + std::strerror(errno);
      ok = false;
      break;
    }
    now = MonotonicNanos();
    result->latency.Record(now - before);
    ++result->ops;
  }
  result->seconds = static_cast<double>(now - start) / 1e9;
  close(fd);
  unlink(path.c_str());
  return ok;
}

}  // namespace walkv::loadgen
