#include "responder/routes/http_cache.hpp"

namespace trustmon::routes {

std::string_view format_etag(ByteView source, std::array<char, kEtagMax>& out) noexcept {
  constexpr char kHex[] = "0123456789abcdef";
  if (source.empty()) return {};
  if (source.size() > 16) source = source.last(16);
  std::size_t n = 0;
  out[n++] = '"';
  for (std::uint8_t b : source) {
    out[n++] = kHex[b >> 4];
    out[n++] = kHex[b & 0x0f];
  }
  out[n++] = '"';
  return {out.data(), n};
}

bool etag_matches(std::string_view header, std::string_view etag) {
  if (header == "*") return true;
  std::size_t pos = 0;
  while (pos < header.size()) {
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == ',')) ++pos;
    if (header.substr(pos, 2) == "W/") pos += 2;
    std::size_t end = header.find(',', pos);
    std::string_view tag = header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag == etag) return true;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return false;
}

}  // namespace trustmon::routes
