// The key fingerprint: one hash per public key however a request or a certificate spells
// it, so a certificate and the request it came from meet in the CSR key index
// (responder/csr) and in the registry's spki_sha256 attribute.
//
// Policy: the fingerprint is the SHA-256 of a canonical SubjectPublicKeyInfo. RSA keys
// (rsaEncryption or RSASSA-PSS) as rsaEncryption with NULL parameters; EC keys with a
// named curve and an uncompressed point (other spellings are re-encoded through
// OpenSSL); any other key as its bytes. Canonical forms are built from the DER, not by
// OpenSSL's encoders, which cost more than a signature check in OpenSSL 3.0. The SPKI
// framing is checked by the strict walker (csr_der.hpp). Errors keep the code the CSR API
// has always answered: "csr_malformed".
#pragma once

#include <string>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/pki/cert_view.hpp"

namespace trustmon::pki {

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
// Same, for a SubjectPublicKeyInfo whose key OpenSSL already decoded (a request's key).
Result<Sha256> key_fingerprint(ByteView spki_der, const EVP_PKEY* decoded);

// The key fingerprint the registry indexes and its events carry: key_fingerprint_lazy of
// the certificate's SubjectPublicKeyInfo, or the SHA-256 of the SPKI DER for a key it
// cannot read.
Sha256 key_fingerprint(const CertView& view);

// True when OpenSSL implements keys of this algorithm (dotted OID): such a key that does
// not decode is malformed, not merely unsupported.
bool openssl_knows_key_algorithm(const std::string& oid);

}  // namespace trustmon::pki
