// Parsing of certificate requests (PKCS#10, PEM or DER) into what the uniqueness
// service tracks: the SHA-256 of the whole request, of its key and of its subject, and
// whether the self-signature (proof of possession) was verified.
//
// Policy:
//  * the framing is checked by the strict DER walker (pki/csr_der.hpp), so a request in an
//    algorithm OpenSSL does not implement (DSTU 4145 with GOST 34311) is still tracked,
//    with pop_verified = false;
//  * for keys OpenSSL decodes (RSA, RSA-PSS, EC, Ed25519, ...) the self-signature must
//    verify: a broken one is "csr_signature_invalid"; input that is not one DER
//    CertificationRequest (after PEM decoding) is "csr_malformed";
//  * the key hash is pki::key_fingerprint (pki/key_fingerprint.hpp): one hash per key
//    however a request or certificate spells it, the same function the registry uses
//    for certificates, so a certificate and the request it came from meet in the key
//    index;
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

}  // namespace trustmon::csr
