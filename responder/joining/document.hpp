// The signed document of a joining application (docs/joining.md "The document"): its
// canonical JSON form, its kinds (join, grant, block) and members, and the checks that need
// nothing but the document itself.
//
// Policy:
//  * the text must be UTF-8 JSON in canonical form: parsing it and writing it again with
//    sorted members and no whitespace gives the same bytes (document_not_canonical), so one
//    document has one signed byte string; at most kMaxDocumentBytes;
//  * `format` is trustmon-joining/1; `kinds` one of join, join+grant, grant, block; the
//    members a kind needs are present and the others absent; codes are digits (EDRPOU 8,
//    RNOKPP 10), names non-empty and capped, at most kMaxRepresentatives representatives
//    with distinct RNOKPP and kMaxIssuers CA certificates; a representative's role is
//    operator or viewer; the certificate given for one must parse and carry TINUA-<tin>
//    (subject serialNumber) or the DRFO attribute (certificate_not_of_representative);
//  * `date` is RFC 3339, at most kMaxAge before `now` and kMaxAhead after it when checked
//    (document_stale); a stored document is read again without that check;
//  * every other refusal is document_invalid (400) naming the member.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/access/model.hpp"

namespace trustmon::joining {

inline constexpr std::string_view kFormat = "trustmon-joining/1";
inline constexpr std::size_t kMaxDocumentBytes = 64 * 1024;
inline constexpr std::size_t kMaxRepresentatives = 50;
inline constexpr std::size_t kMaxIssuers = 20;
inline constexpr std::size_t kMaxNameBytes = 512;
inline constexpr std::size_t kMaxReasonBytes = 1024;
inline constexpr UnixTime kMaxAge = 30 * 24 * 3600;
inline constexpr UnixTime kMaxAhead = 300;

struct Grant {
  std::string name;
  std::string rnokpp;  // 10 digits
  access::Role role = access::Role::viewer;
  Bytes certificate;   // DER, or empty
  std::string certificate_subject;
};

struct Block {
  std::string rnokpp;
  std::string reason;
};

struct Document {
  bool join = false;
  bool grant = false;
  bool block = false;
  std::string code;  // EDRPOU
  std::string name;  // join only
  access::ParticipantKind kind = access::ParticipantKind::qtsp;  // join only
  std::vector<Bytes> issuers;    // join of a QTSP: CA certificates (DER)
  std::vector<Grant> representatives;
  std::optional<Block> blocked;
  UnixTime date = 0;

  std::vector<std::string> kinds() const;  // ["join","grant"], …
};

// Parses and checks `text`; `now` set: the date must be fresh.
Result<Document> parse_document(std::string_view text, std::optional<UnixTime> now);

// The identifiers a certificate names its person by, as identifier credentials spell them
// (TINUA-<digits>): subject serialNumber TINUA-… and the DRFO attribute.
std::vector<std::string> person_identifiers(ByteView certificate_der);
// The organisation codes a certificate carries: organizationIdentifier NTRUA-<code> and the
// EDRPOU attribute (the code's digits).
std::vector<std::string> organisation_codes(ByteView certificate_der);

}  // namespace trustmon::joining
