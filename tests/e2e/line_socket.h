// LineSocket: a raw TCP connection to a test server on the loopback interface, for tests that
// must control the exact bytes sent (pipelining, half lines, oversized lines). Every read takes
// a deadline. Not thread-safe, except that one thread may SendAll() while another ReadLine()s.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tests/e2e/subprocess.h"

namespace walkv::e2e {

class LineSocket {
 public:
  // Connects to host:port (numeric IPv4); nullptr (with a gtest failure) if that fails.
  static std::unique_ptr<LineSocket> Connect(const std::string& host, uint16_t port);
  ~LineSocket();
  LineSocket(const LineSocket&) = delete;
  LineSocket& operator=(const LineSocket&) = delete;

  // Sends every byte (blocking until the kernel took them all, or the deadline passes).
  bool SendAll(std::string_view bytes, Clock::time_point deadline);
  // The next line without its '\n'; nullopt at EOF, error or deadline.
  std::optional<std::string> ReadLine(Clock::time_point deadline);
  // True if the peer closes the connection (after any unread bytes) before the deadline.
  bool WaitForEof(Clock::time_point deadline);
  void ShutdownWrite();
  // Closes at once, discarding anything unsent or unread (RST if data was pending).
  void Abort();

 private:
  explicit LineSocket(int fd) : fd_(fd) {}
  int fd_;
  std::string buffer_;  // received, not yet returned
};

}  // namespace walkv::e2e
