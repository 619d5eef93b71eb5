// "Without changes in the data": the subject of a renewal's new request against the
// subject of the certificate it renews, attribute by attribute.
//
// Policy: both Names are walked with pki::parse_name (RDN sequence flattened, encoding
// order kept); they are equal when they hold the same number of attributes and, at every
// position, the same attribute type and the same value as UTF-8 text (so a value spelt as
// PrintableString in one and UTF8String in the other is still equal; any other difference,
// including case and spaces, is a change). The first position that differs is reported:
// its attribute's name (OpenSSL's long name, e.g. "surname", or the dotted OID), never
// the values (they are personal data and go to the event log with the refusal).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace trustmon::holder {

struct SubjectChange {
  std::size_t position = 0;  // 0-based attribute index in encoding order
  std::string attribute;     // the certificate's attribute there ("" when the request has more)
  std::string requested;     // the request's attribute there ("" when the certificate has more)
};

// nullopt when equal. Error subject_malformed (400) when either Name does not parse.
Result<std::optional<SubjectChange>> compare_subjects(ByteView certificate_subject, ByteView request_subject);

// The attribute name of an OID's content octets: OpenSSL's long name, else dotted text.
std::string attribute_label(ByteView oid);

}  // namespace trustmon::holder
