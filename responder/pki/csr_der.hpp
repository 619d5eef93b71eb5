// A strict DER walker for PKCS#10 CertificationRequest (RFC 2986), independent of
// OpenSSL, so a request whose key or signature algorithm OpenSSL does not implement
// (DSTU 4145 with GOST 34311, for instance) can still be split into its parts and
// tracked by hash:
//
//   CertificationRequest ::= SEQUENCE {
//     certificationRequestInfo SEQUENCE {
//       version INTEGER (0), subject Name, subjectPKInfo SubjectPublicKeyInfo,
//       attributes [0] IMPLICIT SET OF Attribute },
//     signatureAlgorithm AlgorithmIdentifier,
//     signature BIT STRING }
//
// Policy: common/der.hpp's strict reader (definite, minimal lengths only; one-byte tags
// only); nothing may follow the outer SEQUENCE or any of its fixed fields. The walker
// checks framing, not the contents of the Name or the attributes (OpenSSL checks those
// for the algorithms it verifies). Every view points into the caller's buffer.
#pragma once

#include <cstdint>

#include "common/bytes.hpp"

namespace trustmon::pki {

struct CsrParts {
  ByteView info;              // certificationRequestInfo, whole TLV (what the signature covers)
  ByteView subject;           // subject Name, whole TLV
  ByteView spki;              // SubjectPublicKeyInfo, whole TLV
  ByteView key_algorithm;     // content octets of the key AlgorithmIdentifier's OID
  ByteView signature_algorithm;  // content octets of the signature AlgorithmIdentifier's OID
  ByteView signature;         // BIT STRING contents after the unused-bits octet
};

// True when `der` is exactly one well-framed CertificationRequest.
bool split_certification_request(ByteView der, CsrParts& out) noexcept;

struct SpkiParts {
  ByteView algorithm;   // content octets of the algorithm OID
  ByteView parameters;  // the parameters element, whole TLV; empty when absent
  ByteView key;         // BIT STRING contents including the unused-bits octet (0)
};
// True when `der` is exactly one SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier,
// BIT STRING }.
bool split_subject_public_key_info(ByteView der, SpkiParts& out) noexcept;

}  // namespace trustmon::pki
