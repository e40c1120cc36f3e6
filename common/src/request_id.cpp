#include "fifogate/request_id.hpp"
#include <cstdio>
#include <stdexcept>
#include <sys/random.h>

namespace fifogate {

RequestId RequestId::random() {
  RequestId id;
  size_t got = 0;
  while (got < id.bytes.size()) {
    ssize_t n = ::getrandom(id.bytes.data() + got, id.bytes.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw std::runtime_error("getrandom failed");
    }
    got += static_cast<size_t>(n);
  }
  return id;
}

std::string RequestId::hex() const {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

std::optional<RequestId> RequestId::from_hex(std::string_view hex) {
  RequestId id;
  if (hex.size() != id.bytes.size() * 2)
    return std::nullopt;
  for (size_t i = 0; i < id.bytes.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    id.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return id;
}

} // namespace fifogate
