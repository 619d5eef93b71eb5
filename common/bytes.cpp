// Hex and base64 codecs. Hand-written because they sit on the OCSP GET hot path
// and must reject malformed input without allocation surprises.
#include "common/bytes.hpp"

#include <array>

namespace trustmon {
namespace {

constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::array<std::int8_t, 256> make_b64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kB64[i])] = static_cast<std::int8_t>(i);
    t[static_cast<unsigned char>(kB64Url[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr auto kB64Table = make_b64_table();

std::string b64_encode(ByteView data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

// Decodes into `out` (capacity `cap`); the length, or nullopt. A null `out` only checks
// the text and counts the bytes it encodes.
std::optional<std::size_t> b64_decode_into(std::string_view text, bool skip_space, std::uint8_t* out,
                                           std::size_t cap) noexcept {
  std::size_t n = 0;
  std::size_t i = 0;
  // Whole groups of four before the last four characters (padding can only be there): four
  // lookups, one check, three bytes. The character-wise loop below then starts at a group
  // boundary, where its state is what it would be after these groups (the OCSP GET path
  // decodes every request; this is most of its base64 time).
  if (!skip_space && out != nullptr && text.size() > 4) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t whole = (text.size() - 4) / 4 * 4;
    if (whole / 4 * 3 > cap) return std::nullopt;
    for (; i < whole; i += 4) {
      const std::int32_t a = kB64Table[p[i]], b = kB64Table[p[i + 1]], c = kB64Table[p[i + 2]], d = kB64Table[p[i + 3]];
      if ((a | b | c | d) < 0) return std::nullopt;  // not of the alphabet ('=' included: padding in the middle)
      const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
      out[n] = static_cast<std::uint8_t>(v >> 16);
      out[n + 1] = static_cast<std::uint8_t>(v >> 8);
      out[n + 2] = static_cast<std::uint8_t>(v);
      n += 3;
    }
  }
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pads = 0;
  for (char c : text.substr(i)) {
    if (skip_space && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) continue;
    if (c == '=') { ++pads; continue; }
    if (pads != 0) return std::nullopt;  // data after padding
    std::int8_t v = kB64Table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out != nullptr) {
        if (n >= cap) return std::nullopt;
        out[n] = static_cast<std::uint8_t>(acc >> bits);
      }
      ++n;
      acc &= (1u << bits) - 1;
    }
  }
  if (pads > 2 || bits >= 6) return std::nullopt;  // a lone 6-bit group cannot encode a byte
  if (acc != 0) return std::nullopt;               // non-canonical trailing bits
  return n;
}

std::optional<Bytes> b64_decode(std::string_view text, bool skip_space) {
  Bytes out(text.size() / 4 * 3 + 3);
  auto n = b64_decode_into(text, skip_space, out.data(), out.size());
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

}  // namespace

std::string hex_encode(ByteView data, bool upper) {
  const char* digits = upper ? kHexUpper : kHexLower;
  std::string out;
  out.resize(data.size() * 2);
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

std::optional<Bytes> hex_decode(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 2);
  int hi = -1;
  for (char c : text) {
    if (c == ':' && hi < 0) continue;
    int v = hex_value(c);
    if (v < 0) return std::nullopt;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>((hi << 4) | v));
      hi = -1;
    }
  }
  if (hi >= 0) return std::nullopt;
  return out;
}

std::string base64_encode(ByteView data) { return b64_encode(data, kB64, true); }
std::string base64url_encode(ByteView data) { return b64_encode(data, kB64Url, false); }
std::optional<Bytes> base64_decode(std::string_view text) { return b64_decode(text, false); }
std::optional<Bytes> base64_decode_lenient(std::string_view text) { return b64_decode(text, true); }
std::optional<std::size_t> base64_check_lenient(std::string_view text) noexcept {
  return b64_decode_into(text, true, nullptr, 0);
}

std::optional<std::size_t> percent_decode_to(std::string_view text, char* out, std::size_t cap) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>((hi << 4) | lo);
      i += 2;
    }
    if (n >= cap) return std::nullopt;
    out[n++] = c;
  }
  return n;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out(text.size(), '\0');
  auto n = percent_decode_to(text, out.data(), out.size());
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

std::optional<std::size_t> base64_decode_to(std::string_view text, std::uint8_t* out, std::size_t cap) noexcept {
  return b64_decode_into(text, false, out, cap);
}

}  // namespace trustmon
