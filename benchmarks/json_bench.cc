// JSON protocol micro benchmarks (see benchmarks/README.md): the rpc/ layer's real functions, no
// socket, no engine. Argument: value_bytes (16, 100, 1 KiB, 16 KiB) of printable ASCII (nothing
// to escape). bytes_per_second counts the bytes of the request or response line.
//
//   BM_ParseRequest/value_bytes:N   rpc::ParseRequest of {"id":N,"method":"set","args":[k,v]}
//   BM_ParseCall/value_bytes:N      rpc::ParseCall of the same line — the server's decode: the
//                                   fast path (rpc/fast_request.h), which accepts this line
//   BM_ParseCallGeneric/value_bytes:N  rpc::ParseCallGeneric (ParseRequest + Bind through
//                                   nlohmann-json) of the same line — the fallback path
//   BM_ParseCallGet                 rpc::ParseCall of a get request
//   BM_EncodeGetResult/value_bytes:N  rpc::EncodeResult(id, <string value>) — a get response
//   BM_EncodeSetResult              rpc::EncodeResult(id, true) — a set response
//   BM_EncodeError                  rpc::EncodeError(id, INVALID_ARGUMENT, message)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "benchmarks/bench_util.h"
#include "rpc/error_code.h"
#include "rpc/parse_call.h"
#include "rpc/request.h"
#include "rpc/response.h"

namespace walkv::bench {
namespace {

std::string SetLine(size_t value_bytes) {
  nlohmann::json request = {
      {"id", 12345}, {"method", "set"}, {"args", {Key(42), RandomValue(value_bytes, 42)}}};
  return request.dump();
}

void SetLineRates(benchmark::State& state, size_t bytes) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

// Parses a set line of state.range(0) value bytes with `parse` in every iteration; fails the
// benchmark if the result does not hold an `Expected`.
template <typename Expected, typename Parse>
void ParseSetLineLoop(benchmark::State& state, Parse parse, const char* rejected) {
  const std::string line = SetLine(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto parsed = parse(line);
    if (!std::holds_alternative<Expected>(parsed)) {
      state.SkipWithError(rejected);
      break;
    }
    benchmark::DoNotOptimize(parsed);
  }
  SetLineRates(state, line.size());
}

void BM_ParseRequest(benchmark::State& state) {
  ParseSetLineLoop<rpc::Request>(
      state, [](const std::string& l) { return rpc::ParseRequest(l); },
      "ParseRequest rejected a valid set request");
}

void BM_ParseCall(benchmark::State& state) {
  ParseSetLineLoop<rpc::Call>(
      state, [](const std::string& l) { return rpc::ParseCall(l); },
      "ParseCall rejected a valid set request");
}

void BM_ParseCallGeneric(benchmark::State& state) {
  ParseSetLineLoop<rpc::Call>(
      state, [](const std::string& l) { return rpc::ParseCallGeneric(l); },
      "ParseCallGeneric rejected a valid set request");
}

void BM_ParseCallGet(benchmark::State& state) {
  const std::string line =
      nlohmann::json({{"id", 12345}, {"method", "get"}, {"args", {Key(42)}}}).dump();
  for (auto _ : state) {
    auto call = rpc::ParseCall(line);
    if (!std::holds_alternative<rpc::Call>(call)) {
      state.SkipWithError("ParseCall rejected a valid get request");
      break;
    }
    benchmark::DoNotOptimize(call);
  }
  SetLineRates(state, line.size());
}

void BM_EncodeGetResult(benchmark::State& state) {
  const nlohmann::json value = RandomValue(static_cast<size_t>(state.range(0)), 7);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = rpc::EncodeResult("12345", value);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  SetLineRates(state, bytes);
}

void BM_EncodeSetResult(benchmark::State& state) {
  const nlohmann::json value = true;
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = rpc::EncodeResult("12345", value);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  SetLineRates(state, bytes);
}

void BM_EncodeError(benchmark::State& state) {
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = rpc::EncodeError("12345", rpc::ErrorCode::kInvalidArgument,
                                       "set takes 2 arguments (key, value), got 3");
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  SetLineRates(state, bytes);
}

void ValueSizes(benchmark::internal::Benchmark* b) {
  b->ArgName("value_bytes");
  for (int64_t size : {16, 100, 1 << 10, 16 << 10}) b->Arg(size);
}

BENCHMARK(BM_ParseRequest)->Apply(ValueSizes);
BENCHMARK(BM_ParseCall)->Apply(ValueSizes);
BENCHMARK(BM_ParseCallGeneric)->Apply(ValueSizes);
BENCHMARK(BM_ParseCallGet);
BENCHMARK(BM_EncodeGetResult)->Apply(ValueSizes);
BENCHMARK(BM_EncodeSetResult);
BENCHMARK(BM_EncodeError);

}  // namespace
}  // namespace walkv::bench
