// The proof a browser, a terminal or a cloud key store gives for a login: a signature
// over the challenge octets, in one of two forms (docs/login.md):
//  * a CMS SignedData, detached, over the octets, with the signer's certificate inside
//    (what `openssl cms -sign -binary -outform DER` makes): pki::verify_cms;
//  * a raw signature with the certificate beside it (what WebCrypto's sign() gives, and
//    what a CSC signHash returns over the octets' SHA-256): "ecdsa-sha256" (DER
//    ECDSA-Sig-Value or IEEE P1363 r||s), "rsa-pkcs1-sha256", "rsa-pss-sha256" (MGF1
//    SHA-256, any salt length).
// Only the signature is checked here; who the signer is and whether trustmon trusts the
// certificate is decide.hpp's work.
// Codes: signature_malformed (400: not base64, not a certificate, unknown algorithm, a
// key the algorithm does not fit, over kMaxProofBytes), cms_malformed (400),
// signature_invalid (422). The OpenSSL error queue is drained.
#pragma once

#include <string>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::login {

inline constexpr std::size_t kMaxProofBytes = 64 * 1024;

struct Proof {
  Bytes cms;          // the CMS form, or empty
  Bytes certificate;  // the raw form: the signer's certificate (DER)
  Bytes signature;    // the raw form: the signature octets
  std::string algorithm;
};

struct VerifiedSigner {
  X509Ptr certificate;
  Bytes der;
};

Result<VerifiedSigner> verify_proof(const Proof& proof, ByteView signed_octets);

}  // namespace trustmon::login
