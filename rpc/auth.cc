#include "rpc/auth.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace walkv::rpc {

StatusOr<AuthToken> AuthToken::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path + ": " + std::strerror(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  std::string token = contents.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' ||
                            token.back() == ' ' || token.back() == '\t')) {
    token.pop_back();
  }
  if (token.empty()) return Status::InvalidArgument(path + ": the auth token file is empty");
  return AuthToken(std::move(token));
}

bool AuthToken::Matches(std::string_view candidate) const {
  if (token_.empty()) return false;
  // Every byte of the token is compared whatever the candidate is; the loop and its memory
  // accesses do not depend on the candidate's contents or length.
  volatile unsigned char diff = candidate.size() == token_.size() ? 0 : 1;
  const size_t n = candidate.size();
  for (size_t i = 0; i < token_.size(); ++i) {
    const unsigned char c = n == 0 ? 0 : static_cast<unsigned char>(candidate[i % n]);
    diff = static_cast<unsigned char>(diff | (c ^ static_cast<unsigned char>(token_[i])));
  }
  return diff == 0;
}

}  // namespace walkv::rpc
