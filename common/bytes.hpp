// Byte buffers and their text forms (hex, base64, base64url). Decoders return
// std::nullopt on any malformed input; they never throw.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace trustmon {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
inline std::string_view as_chars(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline Bytes to_bytes(ByteView b) { return Bytes(b.begin(), b.end()); }
// True when `data` starts with `prefix` (every buffer starts with an empty prefix).
inline bool has_prefix(ByteView data, ByteView prefix) noexcept {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin());
}

std::string hex_encode(ByteView data, bool upper = false);
std::optional<Bytes> hex_decode(std::string_view text);  // accepts either case, optional ':' separators

std::string base64_encode(ByteView data);                  // standard alphabet, padded
std::optional<Bytes> base64_decode(std::string_view text);  // standard or URL alphabet, padding optional, no whitespace
std::optional<Bytes> base64_decode_lenient(std::string_view text);  // also skips ASCII whitespace (PEM bodies, JSON)
// What base64_decode_lenient would accept, without decoding: the decoded length, or nullopt.
std::optional<std::size_t> base64_check_lenient(std::string_view text) noexcept;
std::string base64url_encode(ByteView data);               // URL alphabet, unpadded

// Percent-decoding for URL path segments ('+' is kept as '+': in a path it is not a space).
std::optional<std::string> percent_decode(std::string_view text);
// RFC 3986 percent-encoding of everything but the unreserved characters (query values).
std::string percent_encode(std::string_view text);

// Allocation-free forms for hot paths: decode into `out` (capacity `cap`) and return the
// length, or nullopt when the input is malformed or does not fit.
std::optional<std::size_t> percent_decode_to(std::string_view text, char* out, std::size_t cap) noexcept;
std::optional<std::size_t> base64_decode_to(std::string_view text, std::uint8_t* out, std::size_t cap) noexcept;

// Big-endian fixed-width integer codecs for keys and records.
inline void put_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24); p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8); p[3] = static_cast<std::uint8_t>(v);
}
inline void put_be64(std::uint8_t* p, std::uint64_t v) {
  put_be32(p, static_cast<std::uint32_t>(v >> 32)); put_be32(p + 4, static_cast<std::uint32_t>(v));
}
inline std::uint32_t get_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline std::uint64_t get_be64(const std::uint8_t* p) {
  return (std::uint64_t{get_be32(p)} << 32) | get_be32(p + 4);
}

}  // namespace trustmon
