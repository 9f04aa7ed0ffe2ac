#include "rpc/resp_encoder.h"

#include <charconv>

namespace walkv::rpc {

namespace {

void AppendNumber(std::string& out, uint64_t n) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
  out.append(digits, end);
}

void AppendLine(std::string& out, char type, std::string_view text) {
  out += type;
  const size_t start = out.size();
  out.append(text);
  for (size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
  out += "\r\n";
}

}  // namespace

void AppendRespSimple(std::string& out, std::string_view text) { AppendLine(out, '+', text); }

void AppendRespError(std::string& out, std::string_view text) { AppendLine(out, '-', text); }

void AppendRespInteger(std::string& out, int64_t n) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
  out += ':';
  out.append(digits, end);
  out += "\r\n";
}

void AppendRespBulk(std::string& out, std::string_view bytes) {
  out += '$';
  AppendNumber(out, bytes.size());
  out += "\r\n";
  out.append(bytes);
  out += "\r\n";
}

void AppendRespNull(std::string& out, int protocol) { out += protocol >= 3 ? "_\r\n" : "$-1\r\n"; }

void AppendRespArrayHeader(std::string& out, size_t n) {
  out += '*';
  AppendNumber(out, n);
  out += "\r\n";
}

void AppendRespMapHeader(std::string& out, size_t pairs, int protocol) {
  out += protocol >= 3 ? '%' : '*';
  AppendNumber(out, protocol >= 3 ? pairs : 2 * pairs);
  out += "\r\n";
}

}  // namespace walkv::rpc
