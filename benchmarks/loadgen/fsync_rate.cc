#include "benchmarks/loadgen/fsync_rate.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "benchmarks/loadgen/net.h"

namespace walkv::loadgen {
namespace {

constexpr off_t kOverwriteFileBytes = 8 << 20;

// Writes kOverwriteFileBytes of zeros to fd and syncs them (the untimed set-up of kOverwrite).
bool Preallocate(int fd, const std::string& path, std::string* error) {
  const std::string zeros(1 << 20, '\0');
  for (off_t done = 0; done < kOverwriteFileBytes; done += static_cast<off_t>(zeros.size())) {
    if (write(fd, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size())) {
      *error = "write " + path + ": " + std::strerror(errno);
      return false;
    }
  }
  if (fsync(fd) != 0) {
    *error = "fsync " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

// One timed write + fdatasync of `record` at *offset (kOverwrite) or at the end (kAppend).
bool WriteAndSync(int fd, FsyncMode mode, const std::string& record, off_t* offset) {
  const auto size = static_cast<ssize_t>(record.size());
  if (mode == FsyncMode::kAppend) {
    return write(fd, record.data(), record.size()) == size && fdatasync(fd) == 0;
  }
  if (*offset + size > kOverwriteFileBytes) *offset = 0;
  const bool ok = pwrite(fd, record.data(), record.size(), *offset) == size && fdatasync(fd) == 0;
  *offset += size;
  return ok;
}

}  // namespace

bool MeasureFsyncRate(const std::string& dir, FsyncMode mode, size_t size, uint64_t count,
                      double seconds, FsyncRateResult* result, std::string* error) {
  const std::string path = dir + "/walkv-bench-fsync-" + std::to_string(getpid()) + ".tmp";
  const int flags = mode == FsyncMode::kAppend ? O_WRONLY | O_APPEND : O_RDWR;
  const int fd = open(path.c_str(), flags | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = mode == FsyncMode::kAppend || Preallocate(fd, path, error);
  const std::string record(size, 'r');
  const uint64_t start = MonotonicNanos();
  const uint64_t deadline = start + static_cast<uint64_t>(seconds * 1e9);
  uint64_t now = start;
  off_t offset = 0;
  for (uint64_t i = 0; ok && i < count && now < deadline; ++i) {
    const uint64_t before = now;
    if (!WriteAndSync(fd, mode, record, &offset)) {
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
