// Codec: request encoding and incremental reply parsing for the two protocols walkv-bench speaks.
//
//  - kWalkv: walkv's JSON lines (docs/protocol.md): {"id":N,"method":"set","args":["k","v"]}\n
//  - kResp:  Redis's RESP2 arrays of bulk strings: *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n
//
// Both sides are written by hand, without a JSON library, so the generator spends as little CPU
// per request as possible and the same amount for both servers. Keys and values the load
// generator produces are printable ASCII, so the JSON encoder escapes only what it must.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walkv::loadgen {

enum class Protocol { kWalkv, kResp };

enum class ReplyKind { kValue, kNil, kError };

struct Reply {
  ReplyKind kind = ReplyKind::kValue;
  // For kWalkv: the JSON text of "result" or "error". For kResp: the simple-string, error or
  // bulk payload (for an array, the whole array's encoding). Points into the parsed buffer.
  std::string_view payload;
};

// Appends one request to *out. `words` is the command and its arguments ("SET", key, value).
void AppendRequest(Protocol protocol, uint64_t id, const std::vector<std::string_view>& words,
                   std::string* out);
void AppendSet(Protocol protocol, uint64_t id, std::string_view key, std::string_view value,
               std::string* out);
void AppendGet(Protocol protocol, uint64_t id, std::string_view key, std::string* out);

// Parses the first reply in `data`. Returns the number of bytes it occupies, 0 if `data` holds
// only part of a reply, or -1 if the bytes are not a valid reply.
ptrdiff_t ParseReply(Protocol protocol, std::string_view data, Reply* reply);

}  // namespace walkv::loadgen
