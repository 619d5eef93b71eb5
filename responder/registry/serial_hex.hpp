// A serial number written in hex (odd length and ':' separators allowed) as certs keys
// hold it: the magnitude without leading zero octets. One reading for revocations, the
// issuer_serial query and the statistics' replay of revocation events.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace trustmon::registry {

// nullopt when the text is not hexadecimal or is empty.
inline std::optional<Bytes> serial_from_hex(std::string_view hex) {
  auto serial = hex_decode(hex.size() % 2 ? "0" + std::string(hex) : std::string(hex));
  if (!serial || serial->empty()) return std::nullopt;
  std::size_t zeros = 0;
  while (zeros + 1 < serial->size() && (*serial)[zeros] == 0) ++zeros;
  serial->erase(serial->begin(), serial->begin() + static_cast<std::ptrdiff_t>(zeros));
  return serial;
}

}  // namespace trustmon::registry
