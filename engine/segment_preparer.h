// SegmentPreparer: keeps one spare, pre-written log segment ready, so that rolling to a new
// segment does not write and sync a whole segment of zeros on the commit thread.
//
// The spare is dir/wal-spare.log.tmp: `bytes` zero bytes, synced (fdatasync) before it counts as
// ready. It has no header and no records; LogWriter::CreateFromSpare gives it a header and renames
// it into place as a real segment. Its name ends in ".tmp", so startup removes a spare a crash left
// behind (engine/file_names.h) and no reader ever takes it for log. The directory entry is not
// synced here: the rename that turns it into a segment is followed by a directory sync.
//
// Threads: one background thread of its own, at lowered CPU priority (Env::
// LowerCurrentThreadPriority), writes the spare in 1 MiB chunks, each synced before the next
// (so a commit's fdatasync never queues behind a whole segment of zeros), and checks for Stop()
// between them. Take() and Replenish() are called by the engine's commit thread (the log's
// single writer); Stop() by Close(). mu_ guards state_.
//
// A failed preparation (e.g. a full disk) is not an engine error: Take() says no spare is ready,
// the roll creates its segment itself as before, and the next Take() starts a new attempt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "engine/env.h"
#include "engine/mutex.h"
#include "engine/thread_annotations.h"

namespace walkv {

class SegmentPreparer {
 public:
  // The spare's file name inside the data directory.
  static std::string SpareFileName();

  SegmentPreparer(Env* env, std::string dir, uint64_t bytes);
  ~SegmentPreparer();  // Stop()
  SegmentPreparer(const SegmentPreparer&) = delete;
  SegmentPreparer& operator=(const SegmentPreparer&) = delete;

  // Starts the thread, which prepares the first spare at once.
  void Start();
  // If a spare is ready, hands it over and returns its path: the caller renames it into place (or
  // leaves it) and then calls Replenish(). Otherwise returns nullopt, and starts a new preparation
  // if none is running (a previous one failed).
  std::optional<std::string> Take();
  // The spare handed over by Take() is no longer at its path (or may be overwritten): prepare the
  // next one.
  void Replenish();
  // Stops and joins the thread and removes the spare file (ready, half-written or handed over
  // and not renamed), so a cleanly closed directory holds no stray 16 MiB .tmp. Idempotent.
  void Stop();

  // For `info` and tests: how many spares were handed over, and how many preparations failed.
  uint64_t spares_taken() const;
  uint64_t preparations_failed() const;

 private:
  enum class State { kWanted, kPreparing, kReady, kTaken, kFailed };

  void Loop();
  // Writes and syncs the spare. *stopped is set if Stop() came first (the file is then short).
  Status Prepare(bool* stopped);

  Env* const env_;
  const std::string dir_;
  const std::string path_;
  const uint64_t bytes_;

  mutable Mutex mu_;
  CondVar cv_{&mu_};
  State state_ GUARDED_BY(mu_) = State::kWanted;
  bool stop_ GUARDED_BY(mu_) = false;
  uint64_t spares_taken_ GUARDED_BY(mu_) = 0;
  uint64_t preparations_failed_ GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace walkv
