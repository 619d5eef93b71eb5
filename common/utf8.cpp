// Strict UTF-8 decoding (see utf8.hpp).
#include "common/utf8.hpp"

#include <cstdint>

namespace trustmon {

namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";

}  // namespace

Utf8Step utf8_step(std::string_view s, std::size_t i) noexcept {
  const auto at = [&](std::size_t k) { return static_cast<std::uint8_t>(s[i + k]); };
  const std::uint8_t c = at(0);
  if (c < 0x80) return {1, c, true};
  // Length and the allowed range of the second octet by lead octet (table 3-7); the
  // narrowed second-octet ranges are what exclude overlongs, surrogates and > U+10FFFF.
  std::size_t n = 0;
  std::uint8_t lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return {1, 0, false};  // 80..C1 or F5..FF: never a lead octet
  }
  char32_t cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return {k, 0, false};  // truncated
    const std::uint8_t b = at(k);
    const bool ok = k == 1 ? b >= lo && b <= hi : b >= 0x80 && b <= 0xbf;
    if (!ok) return {k, 0, false};
    cp = (cp << 6) | (b & 0x3f);
  }
  return {n, cp, true};
}

bool utf8_valid(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<std::uint8_t>(s[i]) < 0x80) {  // ASCII runs are the common case
      ++i;
      continue;
    }
    const Utf8Step st = utf8_step(s, i);
    if (!st.valid) return false;
    i += st.length;
  }
  return true;
}

namespace {

// Appends the sequence at s[i] (U+FFFD when it is not valid UTF-8); returns its length.
std::size_t append_sequence(std::string& out, std::string_view s, std::size_t i) {
  const Utf8Step st = utf8_step(s, i);
  if (st.valid)
    out.append(s.substr(i, st.length));
  else
    out.append(kReplacement);
  return st.length;
}

}  // namespace

void append_utf8_sanitized(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) i += append_sequence(out, s, i);
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const auto u = static_cast<std::uint8_t>(s[i]);
    if (u >= 0x80) {
      i += append_sequence(out, s, i);
      continue;
    }
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 15]);
        } else {
          out.push_back(static_cast<char>(u));
        }
    }
    ++i;
  }
  out.push_back('"');
}

std::string utf8_sanitize(std::string_view s) {
  std::string out;
  append_utf8_sanitized(out, s);
  return out;
}

}  // namespace trustmon
