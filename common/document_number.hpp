// Numbers of filed documents as people quote them: a prefix and at least six digits
// (RN-000001, JA-000042). One text per number: RN-1 and RN-0000001 name nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trustmon {

std::string format_document_number(std::string_view prefix, std::uint64_t n);
// Exactly the text format_document_number gives for some n >= 1, else nullopt.
std::optional<std::uint64_t> parse_document_number(std::string_view prefix, std::string_view text);

}  // namespace trustmon
