// EnumNames<E>: one table of the names of an enum's values and the two lookups over it.
// Names are stable wire strings (JSON fields, config values, stored payloads): never
// rename one. The table is declared next to the enum; lookups are linear (tables are short).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace trustmon {

template <typename E, std::size_t N>
class EnumNames {
 public:
  constexpr explicit EnumNames(std::array<std::pair<E, std::string_view>, N> table) : table_(table) {}

  // The value's name; `fallback` for a value not in the table.
  constexpr std::string_view name(E value, std::string_view fallback = "unknown") const {
    for (const auto& [v, n] : table_)
      if (v == value) return n;
    return fallback;
  }
  constexpr std::optional<E> parse(std::string_view text) const {
    for (const auto& [v, n] : table_)
      if (n == text) return v;
    return std::nullopt;
  }
  constexpr const auto& entries() const { return table_; }

 private:
  std::array<std::pair<E, std::string_view>, N> table_;
};

}  // namespace trustmon
