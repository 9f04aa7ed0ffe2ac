// CliSession: one `walkv cli` connection to a server, (re)connected on demand, that turns a
// command's words into a request and the response into text to print (reply_format.h).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/reply_format.h"
#include "engine/status.h"
#include "rpc/client.h"

namespace walkv::cli {

struct CommandOutcome {
  enum class Kind {
    kResult,          // the server answered with a result: `text` goes to stdout
    kServerError,     // the server answered with an error: `text` is "(error) CODE message"
    kTransportError,  // no answer (refused, connection lost): `text` is one "walkv: ..." line
  };
  Kind kind;
  std::string text;  // rendered, ends with '\n'
};

class CliSession {
 public:
  CliSession(std::string host, uint16_t port, OutputMode mode);

  // Connects unless already connected. On failure returns the one-line reason, e.g.
  // "could not connect to 127.0.0.1:7379: Connection refused".
  Status Connect();

  // Sends words[0] as the method (an alias, cli/aliases.h, replaced by its method) and the other
  // words as string arguments (words must not be empty). Connects first if needed; after a
  // transport error the connection is dropped and the next call reconnects.
  CommandOutcome Execute(const std::vector<std::string>& words);

  // "host:port", as shown in the prompt.
  std::string address() const;
  // True while a connection is open (it is dropped after a transport error).
  bool connected() const { return client_ != nullptr; }
  OutputMode mode() const { return mode_; }

 private:
  std::string host_;
  uint16_t port_;
  OutputMode mode_;
  std::unique_ptr<rpc::Client> client_;
};

}  // namespace walkv::cli
