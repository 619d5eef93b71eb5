// The searchable attributes of a certificate: what is extracted at ingest, how each
// value is normalised, how it is keyed in the attr_index table, and the text forms
// (kind=value) that queries and watch matchers use.
//
// Kinds and their text names (attribute_name / parse_attribute_query):
//   serial_number            subject serialNumber (2.5.4.5), e.g. TINUA-1234567890
//   organization_identifier  subject organizationIdentifier (2.5.4.97), e.g. NTRUA-12345678
//   cn, o                    subject commonName, organizationName
//   email                    subject emailAddress (PKCS #9)
//   san_email, san_dns       subjectAltName rfc822Name, dNSName
//   drfo, edrpou, unzr       Ukrainian SubjectDirectoryAttributes (2.5.29.9) attributes
//                            1.2.804.2.1.1.1.11.1.4.{1.1, 2.1, 11.1}; every other attribute
//                            of that arc is kept as sda:<suffix> (e.g. sda:7.1)
//   sha256                   SHA-256 of the certificate DER (64 hex digits)
//   issuer_serial            <issuer name>:<hex serial> (query only: it is the certs key)
//   spki_sha256              the certificate's key fingerprint (pki/key_fingerprint.hpp:
//                            SHA-256 of the canonical SubjectPublicKeyInfo DER); stored with
//                            the attributes (spki_index_key) but not part of extract_attributes
//
// Normalisation (the same function runs at ingest and on queries, so a search is exact
// on the normalised form):
//   identifiers (serial_number, organization_identifier, SDA values): ASCII whitespace
//     trimmed at both ends, ASCII letters upper-cased, everything else (separators such
//     as '-', prefixes such as TINUA-, PNOUA-, IIN) kept as issued;
//   e-mail and DNS names: trimmed, ASCII lower-cased (IDNs arrive as A-labels); a DNS
//     name loses its trailing dots;
//   cn and o: trimmed, runs of whitespace (ASCII, NBSP) collapsed to one space,
//     apostrophe variants (U+2019, U+02BC, U+0060) written as ASCII '\'' (Ukrainian
//     names are spelt with any of them), and case folded for ASCII, Latin-1 and Cyrillic
//     (U+0400..U+04FF pairs, including Ukrainian Є І Ї Ґ). This is not full Unicode case
//     folding or NFC (OpenSSL offers neither): precomposed and decomposed forms of a
//     letter stay different; the certificates we index use precomposed UTF-8.
//   A value that is not valid UTF-8 (common/utf8.hpp: RFC 3629, strict), e.g. a SAN
//     dNSName with octets F7 97 8B, is kept as '#' + the hex of its octets exactly as in
//     the certificate (nothing trimmed or folded), then normalised as text, which only
//     sets the case of the hex digits (upper for identifiers, lower otherwise). It is
//     stored, indexed and put into event payloads in that form, so payloads are always
//     strict JSON; search for it as kind=#<hex> (any case). A valid value that itself
//     reads "#..." shares that form (as SDA values that are not strings do: '#' + DER).
//     Certificates ingested before this rule indexed such values byte for byte.
//
// attr_index keys (DUPSORT; every value is a certs key):
//   u8 kind || value                       (kind = AttrKind, value = normalised UTF-8)
//   u8 kind(sda) || suffix || 0x00 || value
//   u8 kind(sha256 or spki_sha256) || 32 raw octets
// A key longer than kMaxIndexKey is stored as u8 (kind | 0x80) || SHA-256(rest): LMDB
// keys and DUPSORT values are capped at 511 octets, and such values are rare
// (e.g. 300-character names); the query side applies the same rule, so search stays
// exact, with the hash as the (collision-free in practice) stand-in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/pki/cert_view.hpp"

namespace trustmon::registry {

enum class AttrKind : std::uint8_t {
  serial_number = 1,
  organization_identifier = 2,
  cn = 3,
  o = 4,
  email = 5,
  san_email = 6,
  san_dns = 7,
  sda = 8,  // Attribute::sda_suffix names the attribute inside the Ukrainian arc
  sha256 = 9,
  // issuer_serial is query-only (it is the certs key); spki_sha256 is indexed from the
  // registry's key fingerprint, not extracted.
  issuer_serial = 64,
  spki_sha256 = 65,
};

// The arc of the Ukrainian SubjectDirectoryAttributes identifiers.
inline constexpr std::string_view kUaSdaArc = "1.2.804.2.1.1.1.11.1.4";
inline constexpr std::string_view kSdaDrfo = "1.1";
inline constexpr std::string_view kSdaEdrpou = "2.1";
inline constexpr std::string_view kSdaUnzr = "11.1";

inline constexpr std::size_t kMaxIndexKey = 400;

struct Attribute {
  AttrKind kind = AttrKind::cn;
  std::string sda_suffix;  // sda only: the OID below kUaSdaArc, e.g. "1.1"
  std::string value;       // normalised; sha256 / spki_sha256: lower-case hex
  bool operator==(const Attribute&) const = default;
};

// "cn", "drfo", "sda:7.1", ... (what queries, events and watches use).
std::string attribute_name(const Attribute& a);

// Normalises `raw` as values of `kind` are normalised (see the header comment).
std::string normalise(AttrKind kind, std::string_view raw);

// The attributes of a certificate, normalised, without duplicates, in a stable order
// (subject, SAN, SDA, then the certificate SHA-256), from its walked subject Name and
// extension list (pki/cert_view.hpp: no d2i_X509). A malformed SubjectAltName or
// SubjectDirectoryAttributes extension contributes nothing.
std::vector<Attribute> extract_attributes(const std::vector<pki::NameAttribute>& subject,
                                          const std::vector<pki::ExtensionView>& extensions, const Sha256& cert_sha256);
// The same from a certificate's DER; nullopt when it does not walk (parse_cert_parts).
std::optional<std::vector<Attribute>> extract_attributes(ByteView der);

// The attr_index key of a key fingerprint (kind spki_sha256; pki::key_fingerprint of the
// certificate's view).
Bytes spki_index_key(const Sha256& fingerprint);

// The attr_index key of an attribute (kinds sda..sha256 and the subject/SAN kinds).
// Empty for query-only kinds.
Bytes index_key(const Attribute& a);

// (name, value) pairs, in the order given: what a certificate.issued event carries and
// a watch matcher compares with a parsed query.
std::vector<std::pair<std::string, std::string>> attribute_pairs(const std::vector<Attribute>& attributes);

// Parses a query: `kind` is a name above, `value` is normalised as at ingest.
// sha256 / spki_sha256 need 64 hex digits; issuer_serial needs "<issuer>:<hex>" (the
// serial is kept as upper-case hex without leading zeros).
// Errors: "query_kind_unknown", "query_value_invalid".
Result<Attribute> parse_attribute_query(std::string_view kind, std::string_view value);
// The same from "kind=value".
Result<Attribute> parse_attribute_query(std::string_view text);

// JSON array of [name, value] pairs, e.g. [["cn","іван"],["drfo","1234567890"]], built
// without a JSON library (the event payload of every ingested certificate).
void append_attributes_json(std::string& out, const std::vector<Attribute>& attributes);

}  // namespace trustmon::registry
