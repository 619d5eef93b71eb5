// PathParams: the `{name}` segments of the route pattern that matched a request.
//
// Policy: values are views into the request's path exactly as sent: not percent-decoded,
// like Request::path(). The router splits the raw path on '/', so an encoded slash ("%2F")
// stays inside its segment and can never make a path the router did not see. A route
// that takes free text (a name, not a number) reads it with decoded(): "%XX" becomes that
// byte, '+' stays '+' (a path is not a form), and a malformed escape gives nullopt, which
// the route answers as 404 (no resource can have that name). Numeric ids are parsed from
// the raw value, so "%35" is not the id 5. At most kMax parameters per pattern; storing
// them needs no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace trustmon::http {

class PathParams {
 public:
  static constexpr std::size_t kMax = 4;

  // The raw value of `name`; empty when the matched pattern has no such parameter.
  std::string_view get(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      if (names_[i] == name) return values_[i];
    return {};
  }
  // The value percent-decoded; nullopt when absent or when an escape is malformed.
  std::optional<std::string> decoded(std::string_view name) const {
    for (std::size_t i = 0; i < size_; ++i)
      if (names_[i] == name) return percent_decode(values_[i]);
    return std::nullopt;
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Used by the router while matching; `name` must outlive the request (it lives in the router).
  bool push(std::string_view name, std::string_view value) noexcept {
    if (size_ == kMax) return false;
    names_[size_] = name;
    values_[size_] = value;
    ++size_;
    return true;
  }
  void clear() noexcept { size_ = 0; }

 private:
  std::array<std::string_view, kMax> names_{};
  std::array<std::string_view, kMax> values_{};
  std::uint8_t size_ = 0;
};

}  // namespace trustmon::http
