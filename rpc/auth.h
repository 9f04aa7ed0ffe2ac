// AuthToken: the shared secret of `walkv serve --auth-token-file` (docs/protocol.md,
// "Authentication"), and its constant-time check.
//
// With a token, a connection (JSON or RESP) may only ping and authenticate until it has sent the
// token: JSON `auth(token)`, RESP `AUTH token` (or `AUTH default token`, `HELLO 3 AUTH default
// token`). Every other request is answered UNAUTHENTICATED (JSON) / NOAUTH (RESP). Without a
// token (the default) every connection is authenticated from the start.
//
// Immutable after construction: any thread may call Matches() at any time.
#pragma once

#include <string>
#include <string_view>

#include "engine/status.h"

namespace walkv::rpc {

class AuthToken {
 public:
  AuthToken() = default;  // no token: authentication not required
  explicit AuthToken(std::string token) : token_(std::move(token)) {}

  // Reads the token from `path`: the file's contents without trailing whitespace ("\n", "\r\n").
  // InvalidArgument if the file is empty after that; IOError if it cannot be read.
  static StatusOr<AuthToken> FromFile(const std::string& path);

  bool required() const { return !token_.empty(); }

  // True if `candidate` equals the token. The time taken depends only on the token's length,
  // never on where the first differing byte is or on the candidate's length.
  bool Matches(std::string_view candidate) const;

 private:
  std::string token_;
};

}  // namespace walkv::rpc
