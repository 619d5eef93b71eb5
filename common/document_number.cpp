#include "common/document_number.hpp"

#include <charconv>

namespace trustmon {
namespace {
constexpr std::size_t kMinDigits = 6;
}  // namespace

std::string format_document_number(std::string_view prefix, std::uint64_t n) {
  std::string digits = std::to_string(n);
  if (digits.size() < kMinDigits) digits.insert(0, kMinDigits - digits.size(), '0');
  return std::string(prefix) + digits;
}

std::optional<std::uint64_t> parse_document_number(std::string_view prefix, std::string_view text) {
  if (!text.starts_with(prefix)) return std::nullopt;
  const std::string_view digits = text.substr(prefix.size());
  std::uint64_t n = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || n == 0) return std::nullopt;
  if (format_document_number(prefix, n) != text) return std::nullopt;
  return n;
}

}  // namespace trustmon
