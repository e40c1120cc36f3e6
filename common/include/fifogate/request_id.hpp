#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fifogate {

// 64 random bits. Unguessable, so no client can forge a record that another
// request would accept as its own.
struct RequestId {
  std::array<uint8_t, 8> bytes{};

  static RequestId random();
  static std::optional<RequestId> from_hex(std::string_view hex);
  std::string hex() const;
  bool operator==(const RequestId &o) const { return bytes == o.bytes; }
  bool operator!=(const RequestId &o) const { return !(*this == o); }
};

} // namespace fifogate
