// Reads a TS 119 612 trusted list (TSLVersionIdentifier 5 or 6) into the model.
// An enveloped ds:Signature is not verified here (that is the checker's job) and not
// kept: the model is the unsigned content; `signed_list` says whether one was present.
//
// Errors: "tl_malformed" (not well-formed XML, wrong root, a required element missing
// or an element the schema does not allow there; the message names the path),
// "tl_unsupported_version" (TSLVersionIdentifier other than 5 or 6).
// A document with a DTD or entities, or text over tsl::kMaxXmlTextBytes, is tl_malformed
// (xml.hpp); so is a multilingual name or URI (Name, URI items) longer than kMaxNameBytes.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "tsl/model.hpp"

namespace trustmon::tsl {

struct ReadList {
  TrustedList list;
  bool signed_list = false;  // a ds:Signature element was present
};

inline constexpr std::size_t kMaxNameBytes = 8 * 1024;

Result<ReadList> read_trusted_list(std::string_view xml);
Result<ReadList> read_trusted_list_file(const std::string& path);

}  // namespace trustmon::tsl
