// make_corpus: writes the seed corpora checked in under fuzz/corpus/ (docs/testing.md).
//
//   build-fuzz/fuzz/make_corpus fuzz/corpus fuzz/regressions
//
// Seeds are small, real inputs made by the real writers: log segments (intact, torn, corrupted,
// with a sequence gap), snapshots (empty, the docs/format.md example, several blocks) and request
// lines. The output is deterministic, so rerunning it rewrites the same files.
//
// Inputs that are slow to run go to the second directory (fuzz/regressions/<target>/) instead:
// scripts/fuzz and the FuzzReplay tests run each of them once, but the fuzzer does not mutate
// them. Today that is `three_blocks`, a writer-made snapshot whose two 300 KiB entries fill three
// blocks: as a live seed, inflating 600 KiB per execution made snapshot_reader_fuzzer ten times
// slower. The live corpus gets `small_blocks` instead, three blocks of a few bytes each.
#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/coding.h"
#include "engine/env.h"
#include "engine/file_names.h"
#include "engine/hash.h"
#include "engine/log_writer.h"
#include "engine/mutation.h"
#include "engine/snapshot_format.h"
#include "engine/snapshot_writer.h"

namespace walkv {
namespace {

using std::string_view_literals::operator""sv;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "make_corpus: %s\n", what.c_str());
  std::exit(1);
}

void MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) Die("cannot create " + path);
}

void Write(const std::string& dir, const std::string& name, std::string_view bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Die("cannot write " + dir + "/" + name);
}

std::string Segment(uint64_t first_seq, const std::vector<Mutation>& mutations) {
  std::string s;
  log::EncodeSegmentHeader(first_seq, &s);
  for (size_t i = 0; i < mutations.size(); ++i) log::EncodeRecord(first_seq + i, mutations[i], &s);
  return s;
}

void LogSeeds(const std::string& dir) {
  MakeDir(dir);
  // The annotated example of docs/format.md §3.3.
  const std::vector<Mutation> example = {{MutationType::kSet, "name", "walkv"},
                                         {MutationType::kAppend, "name", "!"},
                                         {MutationType::kDelete, "old", ""},
                                         {MutationType::kFlushAll, "", ""}};
  const std::string ex = Segment(1, example);
  Write(dir, "format_md_example", ex);
  Write(dir, "header_only", Segment(42, {}));
  Write(dir, "torn_tail", ex.substr(0, ex.size() - 5));
  Write(dir, "torn_header", ex.substr(0, 13));
  std::string zeros = ex;
  zeros.append(64, '\0');
  Write(dir, "zero_tail", zeros);
  std::string mid = ex;
  mid[0x2e] ^= 0x20;  // a value byte of record 1: checksum mismatch, intact records follow
  Write(dir, "mid_log_corruption", mid);

  std::string gap;
  log::EncodeSegmentHeader(7, &gap);
  log::EncodeRecord(7, {MutationType::kSet, "a", "1"}, &gap);
  log::EncodeRecord(9, {MutationType::kSet, "b", "2"}, &gap);
  Write(dir, "sequence_gap", gap);

  std::vector<Mutation> varied;
  for (int i = 0; i < 24; ++i) {
    std::string key = "key" + std::to_string(i);
    key.push_back('\0');
    key.push_back(static_cast<char>(0xff - i));
    const auto type = static_cast<MutationType>(1 + i % 4);
    std::string value = type == MutationType::kSet || type == MutationType::kAppend
                            ? std::string(static_cast<size_t>(i * 7), static_cast<char>('a' + i))
                            : std::string();
    if (type == MutationType::kFlushAll) key.clear();
    varied.push_back({type, key, value});
  }
  Write(dir, "varied_records", Segment(1000, varied));

  // Format version 2's expiry records.
  Mutation with_deadline{MutationType::kSetWithDeadline, "session", "token"};
  with_deadline.deadline_ms = 1767225600000;  // 2026-01-01T00:00:00Z
  Mutation expire_at{MutationType::kExpireAt, "session", ""};
  expire_at.deadline_ms = 1767225660000;
  Write(dir, "expiry_records",
        Segment(5, {with_deadline, expire_at, {MutationType::kPersist, "session", ""}}));
  Write(dir, "large_value", Segment(1, {{MutationType::kSet, "big", std::string(2000, 'v')}}));
}

void RoundTripSeeds(const std::string& dir) {
  MakeDir(dir);
  // Any bytes are a valid FuzzedDataProvider input; these just start from a few shapes.
  Write(dir, "empty", "");
  Write(dir, "few_small",
        "\x01\x05\x04\x01key\x03val\x02k\x03\x02"
        "ab\x00"sv);
  std::string longer;
  for (int i = 0; i < 200; ++i) longer.push_back(static_cast<char>((i * 37) & 0xff));
  Write(dir, "mixed", longer);
}

std::string ReadSnapshot(const std::string& dir, uint64_t seq) {
  std::string bytes;
  if (!ReadFileToString(Env::Posix(), JoinPath(dir, SnapshotFileName(seq)), &bytes).ok()) {
    Die("cannot read the snapshot written in " + dir);
  }
  return bytes;
}

std::string MakeSnapshot(const std::string& tmp, uint64_t seq,
                         const std::vector<std::pair<std::string, std::string>>& entries) {
  auto writer = snapshot::SnapshotWriter::Create(Env::Posix(), tmp, seq);
  if (!writer.ok()) Die("SnapshotWriter::Create failed");
  for (const auto& [k, v] : entries) {
    if (!(*writer)->Add(k, v).ok()) Die("SnapshotWriter::Add failed");
  }
  if (!(*writer)->Finish().ok()) Die("SnapshotWriter::Finish failed");
  return ReadSnapshot(tmp, seq);
}

using Entries = std::vector<std::pair<std::string, std::string>>;

// A snapshot assembled here byte by byte (engine/snapshot_format.h) with one block per element
// of `blocks`: the writer only starts a new block after kTargetBlockRawBytes, but the format
// allows any split, and small blocks keep a multi-block seed cheap to fuzz.
std::string BuildSnapshot(uint64_t seq, const std::vector<Entries>& blocks) {
  std::string out(snapshot::kSnapshotMagic);
  PutFixed32(&out, snapshot::kSnapshotFormatVersion);
  PutFixed32(&out, 0);
  PutFixed64(&out, seq);
  PutFixed64(&out, Xxh64(out));
  uint64_t entries = 0;
  for (const Entries& block : blocks) {
    std::string raw;
    for (const auto& [k, v] : block) {
      PutVarint32(&raw, static_cast<uint32_t>(k.size()));
      raw += k;
      PutVarint32(&raw, static_cast<uint32_t>(v.size()));
      raw += v;
      PutFixed64(&raw, 0);  // deadline (format version 2): none
    }
    uLongf comp_len = compressBound(static_cast<uLong>(raw.size()));
    std::string comp(comp_len, '\0');
    if (compress2(reinterpret_cast<Bytef*>(comp.data()), &comp_len,
                  reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                  1) != Z_OK) {
      Die("compress2 failed");
    }
    comp.resize(comp_len);
    std::string head;
    PutFixed32(&head, static_cast<uint32_t>(raw.size()));
    PutFixed32(&head, static_cast<uint32_t>(comp.size()));
    PutFixed32(&head, static_cast<uint32_t>(block.size()));
    PutFixed64(&head, Xxh64(head + comp));
    out += head + comp;
    entries += block.size();
  }
  out += snapshot::kFooterMagic;
  PutFixed64(&out, blocks.size());
  PutFixed64(&out, entries);
  PutFixed64(&out, Xxh64(out));
  return out;
}

void SnapshotSeeds(const std::string& dir, const std::string& regressions, const std::string& tmp) {
  MakeDir(dir);
  MakeDir(regressions);
  Write(dir, "empty_state", MakeSnapshot(tmp, 1, {}));
  // The annotated example of docs/format.md §4.4.
  const std::string ex = MakeSnapshot(tmp, 4, {{"name", "walkv!"}, {"lang", "C++"}});
  Write(dir, "format_md_example", ex);
  std::string flipped = ex;
  flipped[0x40] ^= 0x01;  // inside the zlib stream: block checksum mismatch
  Write(dir, "block_checksum_mismatch", flipped);
  Write(dir, "truncated", ex.substr(0, ex.size() - 9));

  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 40; ++i) {
    std::string key = "k" + std::to_string(i);
    key.push_back('\0');
    many.push_back({key, std::string(static_cast<size_t>(i), static_cast<char>('A' + i % 26))});
  }
  const std::string forty = MakeSnapshot(tmp, 40, many);
  Write(dir, "forty_keys", forty);
  // BuildSnapshot must agree with the writer byte for byte, or its seeds would test a format of
  // its own.
  if (BuildSnapshot(40, {many}) != forty) Die("BuildSnapshot differs from SnapshotWriter");
  Write(dir, "small_blocks",
        BuildSnapshot(78, {{{"a", "apple"}, {"b", ""}},
                           {{std::string("k\0\xff", 3), std::string(40, 'x')}},
                           {{"c", "small"}, {"d", "dd"}, {"", "empty key"}}}));
  // Two entries over kTargetBlockRawBytes each: three blocks that compress to almost nothing
  // but inflate to 600 KiB. A regression input, not a live seed (see the top of this file).
  Write(regressions, "three_blocks",
        MakeSnapshot(tmp, 77,
                     {{"a", std::string(300 * 1024, 'a')},
                      {"b", std::string(300 * 1024, 'b')},
                      {"c", "small"}}));
}

void RequestSeeds(const std::string& dir) {
  MakeDir(dir);
  const std::vector<std::pair<std::string, std::string>> lines = {
      {"ping", R"({"id": 1, "method": "ping"})"},
      {"set", R"({"id": 2, "method": "set", "args": ["k", "v"], "kwargs": {}})"},
      {"set_kwargs", R"({"id": "x", "method": "SET", "kwargs": {"key": "k", "value": "v"}})"},
      {"get", R"({"id": null, "method": "get", "args": ["k"]})"},
      {"delete", R"({"id": true, "method": "Delete", "args": ["k"]})"},
      {"keys", R"({"id": 1.5e3, "method": "keys", "args": ["a[b-d]*\\?"]})"},
      {"flushall", R"({"id": -7, "method": "flushall"})"},
      {"append",
       R"({"id": 123456789012345678901234567890, "method": "append", "args": ["k", "!"]})"},
      {"snapshot", R"({"method": "snapshot", "args": null, "kwargs": null})"},
      {"info", R"({"id": 18446744073709551616, "method": "info"})"},
      {"unicode", R"({"id": "\u00e9", "method": "set", "args": ["\u0000\ud83d\ude00", "é😀"]})"},
      {"unknown_method", R"({"id": 3, "method": "nope"})"},
      {"wrong_arity", R"({"id": 4, "method": "get", "args": []})"},
      {"non_string_arg", R"({"id": 5, "method": "set", "args": [1, {"a": [true]}]})"},
      {"not_object", R"([1, 2, 3])"},
      {"structured_id", R"({"id": [1], "method": "ping"})"},
      {"duplicate_members", R"({"id": 1, "id": "two", "method": "get", "method": "ping"})"},
      {"bad_json", R"({"id": 1, "method": "ping")"},
      {"deep", std::string(40, '[') + std::string(40, ']')},
      {"invalid_utf8", "{\"id\": 1, \"method\": \"set\", \"args\": [\"\xc3\x28\", \"\xff\"]}"},
  };
  for (const auto& [name, line] : lines) Write(dir, name, line);
}

}  // namespace
}  // namespace walkv

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(
        stderr,
        "usage: make_corpus CORPUS_DIR REGRESSIONS_DIR   (writes CORPUS_DIR/<target>/<seed>"
        " and REGRESSIONS_DIR/<target>/<input>)\n");
    return 2;
  }
  const std::string out = argv[1];
  const std::string regressions = argv[2];
  char tmp_template[] = "/tmp/walkv-make-corpus-XXXXXX";
  if (::mkdtemp(tmp_template) == nullptr) walkv::Die("mkdtemp failed");
  const std::string tmp = tmp_template;
  walkv::MakeDir(out);
  walkv::LogSeeds(out + "/log_reader");
  walkv::RoundTripSeeds(out + "/log_roundtrip");
  walkv::MakeDir(regressions);
  walkv::SnapshotSeeds(out + "/snapshot_reader", regressions + "/snapshot_reader", tmp);
  walkv::RequestSeeds(out + "/request_parser");
  for (uint64_t seq : {1, 4, 40, 77}) {
    std::remove(walkv::JoinPath(tmp, walkv::SnapshotFileName(seq)).c_str());
  }
  ::rmdir(tmp.c_str());
  return 0;
}
