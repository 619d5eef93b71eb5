// A view of a DER certificate's fields without d2i_X509, and signature verification
// from that view. OpenSSL 3.0's d2i_X509 decodes the subject public key through the
// provider decoders, which costs about 0.2 ms per certificate on this project's machine:
// more than the RSA verification itself, and the ceiling of bulk ingest and search. The
// registry never needs the subject's key (only the SHA-256 of its SubjectPublicKeyInfo),
// so it walks the DER here and hands OpenSSL only the pieces it must decode (names,
// times, extensions), each with its own small d2i.
//
// Policy: the walk (common/der.hpp's reader) is strict about structure (definite and
// minimal lengths, the RFC 5280 field order, no trailing bytes) and lenient about
// contents (they are checked where used). Anything the fast verifier does not handle
// itself (RSA-PSS, algorithm parameters other than absent/NULL) is verified through
// d2i_X509 + X509_verify, so results never differ.
//
// Names and extensions are walked here too (parse_name, parse_extensions) instead of
// d2i_X509_NAME / d2i_X509_EXTENSIONS: ingest reads only a few attributes, and OpenSSL's
// name decoder builds a canonical copy of every entry. The walkers refuse what those
// decoders refuse for DER input (the unit tests compare them); they do not accept BER
// (indefinite or non-minimal lengths, constructed strings), which a CA's DER never
// contains, although OpenSSL's decoders take non-minimal lengths.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

#include "common/bytes.hpp"
#include "common/der.hpp"
#include "common/ossl.hpp"

namespace trustmon::pki {

struct CertView {
  ByteView tbs;         // the signed TBSCertificate TLV
  ByteView serial;      // INTEGER content octets (two's complement)
  ByteView tbs_sig_alg; // AlgorithmIdentifier TLV inside the TBS
  ByteView issuer;      // Name TLV
  ByteView not_before;  // Time TLV
  ByteView not_after;   // Time TLV
  ByteView subject;     // Name TLV
  ByteView spki;        // SubjectPublicKeyInfo TLV
  ByteView extensions;  // Extensions SEQUENCE TLV; empty when absent
  ByteView sig_alg;     // outer AlgorithmIdentifier TLV
  ByteView signature;   // BIT STRING value without the unused-bits octet
};
std::optional<CertView> parse_cert_view(ByteView der);

// Serial as storage keys use it (magnitude, no leading zeros); empty when negative or empty.
Bytes view_serial(const CertView& v);

enum class SignatureCheck { valid, invalid, unverifiable };
// Verifies `der`'s signature with `ca_key`. `unverifiable`: the algorithm is one OpenSSL
// cannot check (unknown signature OID, or no CA key).
SignatureCheck verify_signature(ByteView der, const CertView& v, EVP_PKEY* ca_key);

X509NamePtr decode_name(ByteView name_tlv);

// Content octets of OBJECT IDENTIFIERs the registry looks for.
inline constexpr std::uint8_t kOidAuthorityKeyId[] = {0x55, 0x1d, 0x23};
inline constexpr std::uint8_t kOidSubjectAltName[] = {0x55, 0x1d, 0x11};
inline constexpr std::uint8_t kOidSubjectDirectoryAttributes[] = {0x55, 0x1d, 0x09};

struct ExtensionView {
  ByteView oid;    // extnID content octets
  bool critical = false;
  ByteView value;  // extnValue content octets (the DER of the extension's own type)
};
// The Extensions SEQUENCE TLV (CertView::extensions) as a list; an empty input (no
// extensions) gives an empty list. nullopt when malformed (where d2i_X509_EXTENSIONS
// fails for DER input).
std::optional<std::vector<ExtensionView>> parse_extensions(ByteView extensions_tlv);
// The extension with this OID when it occurs exactly once; nullptr when absent or
// repeated (X509V3_get_d2i treats a repeated extension as absent too).
const ExtensionView* unique_extension(const std::vector<ExtensionView>& extensions, ByteView oid);
// The entries of a GeneralNames SEQUENCE (its content octets), each a context-tagged TLV
// ([1] rfc822Name, [2] dNSName, ...). nullopt when an entry is malformed: the whole
// extension then decodes to nothing in OpenSSL too.
std::optional<std::vector<der::Tlv>> parse_general_names(ByteView content);
// The keyIdentifier ([0] IMPLICIT OCTET STRING) of an AuthorityKeyIdentifier extension
// value; nullopt when the value is malformed or has no keyIdentifier.
std::optional<ByteView> authority_key_id(ByteView aki_value);

struct NameAttribute {
  ByteView oid;  // AttributeType content octets
  der::Tlv value;  // AttributeValue
};
// The AttributeTypeAndValue list of a Name TLV (SEQUENCE OF SET OF SEQUENCE {OID, value}),
// in encoding order. nullopt when malformed, including where d2i_X509_NAME refuses a
// value: tags outside its DirectoryString-like choice, and string values it cannot
// convert to UTF-8 (see directory_string_utf8).
std::optional<std::vector<NameAttribute>> parse_name(ByteView name_tlv);

// A certificate walked as far as the registry reads it. nullopt from parse_cert_parts
// when the certificate, its subject Name or its extensions are malformed.
struct CertParts {
  CertView view;
  std::vector<NameAttribute> subject;
  std::vector<ExtensionView> extensions;
};
std::optional<CertParts> parse_cert_parts(ByteView der);

// A string value as UTF-8, converted as OpenSSL's ASN1_STRING_to_UTF8 converts it:
// UTF8String must be valid UTF-8; NumericString, PrintableString, T61String, IA5String,
// UTCTime, GeneralizedTime and VisibleString are one octet per code point (Latin-1);
// BMPString two octets and UniversalString four (big-endian, whole code units only).
// Surrogates and code points above U+10FFFF are invalid; other tags are refused (nullopt).
std::optional<std::string> directory_string_utf8(std::uint8_t tag, ByteView content);

// A validity Time TLV in strict DER form, UTCTime YYMMDDHHMMSSZ (years below 50 are
// 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ, as Unix seconds. nullopt for anything else
// (other forms are left to d2i_ASN1_TIME).
std::optional<UnixTime> der_time_to_unix(ByteView time_tlv);

}  // namespace trustmon::pki
