// Reply: what epoll-responder answers to one request line. Just enough of walkv's protocol
// (docs/protocol.md) for walkv-bench: the id is echoed exactly as sent, and the reply has the
// shape and size walkv's would have, with nothing stored and nothing looked up:
//
//   get  -> {"id":<id>,"result":"<value_size bytes>"}   (as if every key held such a value)
//   set  -> {"id":<id>,"result":true}
//   ping -> {"id":<id>,"result":"PONG"}
//   anything else -> {"id":<id>,"error":{"code":"UNKNOWN_METHOD","message":"..."}}
//
// It does not validate JSON: it finds "id" and "method" by their text, which is all the
// requests walkv-bench sends need. It is a measuring stick, not a server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace walkv::responder {

class Replier {
 public:
  // `value_size` is the length of the string every get returns.
  explicit Replier(size_t value_size);

  // Appends the reply to one request line (without its '\n') to *out, '\n' included.
  void AppendReply(std::string_view line, std::string* out) const;

 private:
  std::string get_result_;  // ,"result":"vvv…"}\n
};

}  // namespace walkv::responder
