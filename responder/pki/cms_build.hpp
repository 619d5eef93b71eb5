// CMS SignedData made in two steps, for a signer whose key is elsewhere (a cloud key store
// that signs a hash, CSC signHash): first the signed attributes, whose DER the key store
// signs (SHA-256 of it), then the SignedData around the content, the signer's certificate
// and the signature — what verify_cms() and `openssl cms -verify` accept, as if `openssl
// cms -sign -nodetach -binary` had made it.
//
// Policy: the content is encapsulated as id-data; the signed attributes are contentType
// (id-data), signingTime and messageDigest (SHA-256 of the content), in DER SET OF order;
// the digest algorithm is SHA-256; the signature algorithm follows the certificate's key:
// ecdsa-with-SHA256 (an r||s signature is converted to DER) or rsaEncryption (PKCS #1
// v1.5). Codes: signature_malformed (400: a key of another kind, a malformed signature).
#pragma once

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::pki {

// The signed attributes as a DER SET OF: what is signed.
Bytes cms_signed_attributes(ByteView content, UnixTime signing_time);

// The ContentInfo { signedData } DER.
Result<Bytes> cms_assemble(ByteView content, ByteView signed_attributes, X509* signer, ByteView signature);

// An ECDSA signature as DER ECDSA-Sig-Value: IEEE P1363 r||s (WebCrypto, some key stores)
// is converted; DER is returned as is. Error: signature_malformed.
Result<Bytes> ecdsa_signature_der(ByteView signature, EVP_PKEY* key);

}  // namespace trustmon::pki
