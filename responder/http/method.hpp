// HTTP methods the server routes, as a small dense enum so a route keeps one handler
// slot per method in a fixed array (no map lookup on the hot path).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace trustmon::http {

enum class Method : std::uint8_t { Get, Head, Post, Put, Delete, Patch, Options, Other };
inline constexpr std::size_t kMethodCount = 8;

constexpr std::string_view to_string(Method m) noexcept {
  switch (m) {
    case Method::Get:
      return "GET";
    case Method::Head:
      return "HEAD";
    case Method::Post:
      return "POST";
    case Method::Put:
      return "PUT";
    case Method::Delete:
      return "DELETE";
    case Method::Patch:
      return "PATCH";
    case Method::Options:
      return "OPTIONS";
    case Method::Other:
      break;
  }
  return "OTHER";
}

constexpr std::size_t index_of(Method m) noexcept { return static_cast<std::size_t>(m); }

}  // namespace trustmon::http
