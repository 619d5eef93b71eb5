// Parsing of certificate requests (PKCS#10, PEM or DER) into what the uniqueness
// service tracks: the SHA-256 of the whole request, of its key and of its subject, and
// whether the self-signature (proof of possession) was verified.
//
// Policy:
//  * the framing is checked by our strict DER walker (csr_der.hpp), so a request in an
//    algorithm OpenSSL does not implement (DSTU 4145 with GOST 34311) is still tracked,
//    with pop_verified = false;
//  * for keys OpenSSL decodes (RSA, RSA-PSS, EC, Ed25519, ...) the self-signature must
//    verify: a broken one is "csr_signature_invalid"; input that is not one DER
//    CertificationRequest (after PEM decoding) is "csr_malformed";
//  * the key hash is over a canonical SubjectPublicKeyInfo, so one key gives one hash
//    however a request or certificate spells it: RSA keys (rsaEncryption or RSASSA-PSS)
//    as rsaEncryption with NULL parameters; EC keys with a named curve and an
//    uncompressed point (other spellings are re-encoded through OpenSSL); any other
//    key as its bytes. The registry hashes certificate keys with the same
//    key_fingerprint(), so a certificate and the request it came from meet in the key
//    index. Canonical forms are built from the DER, not by OpenSSL's encoders, which
//    cost more than the signature check in OpenSSL 3.0;
//  * the subject hash is over the subject Name's DER as it appears in the request.
#pragma once

#include <cstddef>
#include <string>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::csr {

// Requests larger than this are refused before any parsing (a CSR with an RSA-16384
// key and many extensions is a few KiB).
inline constexpr std::size_t kMaxCsrBytes = 64 * 1024;

struct ParsedCsr {
  Bytes der;               // the whole request, DER
  Sha256 csr_sha256{};     // SHA-256 of `der`
  Sha256 spki_sha256{};    // key_fingerprint of the SubjectPublicKeyInfo
  Sha256 subject_sha256{}; // SHA-256 of the subject Name DER
  std::string key_algorithm;        // dotted OID of the key algorithm
  std::string signature_algorithm;  // dotted OID of the signature algorithm
  bool pop_verified = false;        // self-signature verified by OpenSSL
};

// PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST") or DER.
Result<ParsedCsr> parse_csr(ByteView input);

// SHA-256 of the canonical form of a DER SubjectPublicKeyInfo (see the policy above).
// "csr_malformed" when `spki_der` is not one SubjectPublicKeyInfo, or is one of an
// algorithm OpenSSL implements whose key does not decode.
Result<Sha256> key_fingerprint(ByteView spki_der);
// Same, decoding the key only when its encoding must change (EC with a compressed point
// or explicit curve): the bulk path for ingested certificates, whose keys were not
// checked by us anyway. A key that must be re-encoded but does not decode is an error.
Result<Sha256> key_fingerprint_lazy(ByteView spki_der);
// Same, for a certificate's key as OpenSSL holds it (X509_get_X509_PUBKEY): no decoding
// unless the key needs re-encoding (EC with a compressed point or explicit curve).
Result<Sha256> key_fingerprint(const X509_PUBKEY* key);

}  // namespace trustmon::csr
