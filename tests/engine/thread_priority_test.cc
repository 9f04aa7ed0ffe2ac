// Env::LowerCurrentThreadPriority (engine/env.h): Env::Posix() lowers the calling thread only
// (the snapshot compressor, engine/snapshot_compressor.h), never the whole process.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "engine/env.h"

namespace walkv {
namespace {

int NiceOfThisThread() {
  errno = 0;
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
}

TEST(ThreadPriorityTest, PosixLowersOnlyTheCallingThread) {
  const int before = NiceOfThisThread();
  int lowered = before;
  Status status;
  std::thread background([&] {
    status = Env::Posix()->LowerCurrentThreadPriority();
    lowered = NiceOfThisThread();
  });
  background.join();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(lowered, std::min(before + 10, 19));
  EXPECT_EQ(NiceOfThisThread(), before);  // the caller's own priority is untouched
}

}  // namespace
}  // namespace walkv
