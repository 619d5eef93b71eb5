// UTF-8 as RFC 3629 defines it: the one validator for everything that becomes JSON or
// text the project stores (event payloads, attributes, error bodies) and for strings read
// from certificates.
//
// Policy: strict. A well-formed sequence is one of (Unicode 15, table 3-7)
//   00..7F | C2..DF 80..BF | E0 A0..BF 80..BF | E1..EC,EE..EF (80..BF){2} | ED 80..9F 80..BF
//   | F0 90..BF (80..BF){2} | F1..F3 (80..BF){3} | F4 80..8F (80..BF){2}
// so lead octets C0, C1 and F5..FF, overlong forms, surrogates (U+D800..U+DFFF), code
// points above U+10FFFF and truncated sequences are all invalid. NUL (00) is valid UTF-8;
// callers that must refuse control characters do so themselves.
//
// The sanitizer (and the JSON string writer below) replaces each maximal ill-formed subpart (the longest prefix of a
// well-formed sequence, at least one octet) with U+FFFD, as Unicode recommends (and
// WHATWG's decoder does): text for messages and logs, never for data that must round-trip
// (those keep their octets, e.g. as hex: registry/attributes.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace trustmon {

// One step of decoding at s[i] (i < s.size()).
struct Utf8Step {
  std::size_t length = 0;  // octets consumed: the sequence, or the maximal ill-formed subpart (>= 1)
  char32_t code_point = 0;  // the decoded code point when valid
  bool valid = false;
};
Utf8Step utf8_step(std::string_view s, std::size_t i) noexcept;

// True when every octet of `s` belongs to a well-formed UTF-8 sequence (empty is valid).
bool utf8_valid(std::string_view s) noexcept;

// `s` with every maximal ill-formed subpart replaced by U+FFFD (EF BF BD).
std::string utf8_sanitize(std::string_view s);
// The same, appended to `out`.
void append_utf8_sanitized(std::string& out, std::string_view s);

// Appends code point `cp` (a Unicode scalar value: callers pass decoded or folded ones)
// in its shortest form.
void append_utf8(std::string& out, char32_t cp);

// Appends `s` as a JSON string literal, quotes included: the one JSON string writer for
// text built by hand (event payloads, error bodies, batch reports). '"' and '\' are
// escaped, \b \f \n \r \t in their short forms, other controls as \u00XX, and every
// maximal ill-formed UTF-8 subpart becomes U+FFFD, so the result is always strict JSON.
void append_json_string(std::string& out, std::string_view s);

}  // namespace trustmon
