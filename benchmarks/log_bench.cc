// Log append micro benchmarks (see benchmarks/README.md).
//
//   BM_LogEncode        log::EncodeRecord of one SET record (framing + CRC-32), in memory.
//   BM_LogAppend        LogWriter::AppendBatch of one encoded record per call into a real segment
//                       file under $TMPDIR, without sync (sync:0) or with Sync() — fdatasync —
//                       after every append (sync:1): what one commit batch of one record costs.
//   BM_RawWriteSync     the same bytes with plain write(2) (+ fdatasync(2) when sync:1) on a plain
//                       file: the machine's raw write+fdatasync rate, the floor for BM_LogAppend.
//   BM_RawOverwriteSync pwrite(2) + fdatasync(2) into an already written and synced file (size and
//                       block map never change): what preallocated log segments could reach.
//
// Arguments: value_bytes (16, 100, 1 KiB, 16 KiB, 256 KiB) and sync (0/1). Files are rolled every
// 64 MiB (outside the timed region) so a long run does not fill the disk.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "benchmarks/bench_util.h"
#include "engine/env.h"
#include "engine/log_writer.h"
#include "engine/mutation.h"

namespace walkv::bench {
namespace {

constexpr uint64_t kRollBytes = 64ull << 20;

std::string EncodedSetRecord(uint64_t seq, size_t value_bytes) {
  Mutation m{MutationType::kSet, Key(seq), RandomValue(value_bytes, seq)};
  std::string encoded;
  log::EncodeRecord(seq, m, &encoded);
  return encoded;
}

void SetRates(benchmark::State& state, size_t bytes_per_op) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes_per_op));
}

void BM_LogEncode(benchmark::State& state) {
  const size_t value_bytes = static_cast<size_t>(state.range(0));
  Mutation m{MutationType::kSet, Key(1), RandomValue(value_bytes, 1)};
  std::string encoded;
  uint64_t seq = 0;
  for (auto _ : state) {
    encoded.clear();
    log::EncodeRecord(++seq, m, &encoded);
    benchmark::DoNotOptimize(encoded.data());
    benchmark::ClobberMemory();
  }
  SetRates(state, encoded.size());
}

std::unique_ptr<log::LogWriter> CreateSegment(const std::string& dir, uint64_t first_seq) {
  auto writer = log::LogWriter::Create(Env::Posix(), dir, first_seq);
  CheckOk(writer.status(), "LogWriter::Create");
  return std::move(writer).value();
}

void BM_LogAppend(benchmark::State& state) {
  const size_t value_bytes = static_cast<size_t>(state.range(0));
  const bool sync = state.range(1) != 0;
  TempDir dir;
  const std::string record = EncodedSetRecord(1, value_bytes);
  uint64_t first_seq = 1;
  std::unique_ptr<log::LogWriter> writer = CreateSegment(dir.path(), first_seq);
  for (auto _ : state) {
    Status s = writer->AppendBatch(record);
    if (s.ok() && sync) s = writer->Sync();
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    if (writer->size() >= kRollBytes) {
      state.PauseTiming();
      CheckOk(writer->Close(), "LogWriter::Close");
      CheckOk(Env::Posix()->RemoveFile(dir.path() + "/" + writer->file_name()), "RemoveFile");
      writer = CreateSegment(dir.path(), ++first_seq);
      state.ResumeTiming();
    }
  }
  CheckOk(writer->Close(), "LogWriter::Close");
  SetRates(state, record.size());
  state.counters["record_bytes"] = static_cast<double>(record.size());
}

void BM_RawWriteSync(benchmark::State& state) {
  const size_t value_bytes = static_cast<size_t>(state.range(0));
  const bool sync = state.range(1) != 0;
  TempDir dir;
  const std::string path = dir.Sub("raw.dat");
  // Same length as BM_LogAppend's record, so the two rows compare byte for byte.
  const std::string data = EncodedSetRecord(1, value_bytes);
  auto open_file = [&] {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::perror("open");
      std::abort();
    }
    return fd;
  };
  int fd = open_file();
  uint64_t written = 0;
  for (auto _ : state) {
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      state.SkipWithError("write failed or was short");
      break;
    }
    if (sync && ::fdatasync(fd) != 0) {
      state.SkipWithError("fdatasync failed");
      break;
    }
    written += data.size();
    if (written >= kRollBytes) {
      state.PauseTiming();
      ::close(fd);
      fd = open_file();
      written = 0;
      state.ResumeTiming();
    }
  }
  ::close(fd);
  SetRates(state, data.size());
}

// write(2) + fdatasync(2) over blocks of a file that was already written and synced (8 MiB,
// wrapped around), so the file's size and block map never change: the lower bound an append-only
// log could reach by preallocating (zero-filling) its segments.
void BM_RawOverwriteSync(benchmark::State& state) {
  const size_t value_bytes = static_cast<size_t>(state.range(0));
  constexpr uint64_t kFileBytes = 8ull << 20;
  TempDir dir;
  const std::string path = dir.Sub("overwrite.dat");
  const std::string data = EncodedSetRecord(1, value_bytes);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror("open");
    std::abort();
  }
  const std::string zeros(1 << 20, '\0');
  for (uint64_t off = 0; off < kFileBytes; off += zeros.size()) {
    if (::write(fd, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size())) {
      std::perror("write");
      std::abort();
    }
  }
  if (::fsync(fd) != 0) {
    std::perror("fsync");
    std::abort();
  }
  uint64_t offset = 0;
  for (auto _ : state) {
    if (offset + data.size() > kFileBytes) offset = 0;
    if (::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset)) !=
        static_cast<ssize_t>(data.size())) {
      state.SkipWithError("pwrite failed or was short");
      break;
    }
    if (::fdatasync(fd) != 0) {
      state.SkipWithError("fdatasync failed");
      break;
    }
    offset += data.size();
  }
  ::close(fd);
  SetRates(state, data.size());
}

void ValueSizesAndSync(benchmark::internal::Benchmark* b) {
  b->ArgNames({"value_bytes", "sync"});
  for (int64_t sync : {0, 1}) {
    for (int64_t size : {16, 100, 1 << 10, 16 << 10, 256 << 10}) b->Args({size, sync});
  }
}

BENCHMARK(BM_LogEncode)
    ->ArgName("value_bytes")
    ->Arg(16)
    ->Arg(100)
    ->Arg(1 << 10)
    ->Arg(16 << 10)
    ->Arg(256 << 10);
BENCHMARK(BM_LogAppend)->Apply(ValueSizesAndSync)->UseRealTime();
BENCHMARK(BM_RawWriteSync)->Apply(ValueSizesAndSync)->UseRealTime();
BENCHMARK(BM_RawOverwriteSync)
    ->ArgName("value_bytes")
    ->Arg(100)
    ->Arg(16 << 10)
    ->Arg(256 << 10)
    ->UseRealTime();

}  // namespace
}  // namespace walkv::bench
