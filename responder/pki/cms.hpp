// CMS SignedData verification (RFC 5652), for anything a participant signs: statistics
// reports today; login by signature and signed applications later. This module checks
// the signature over the content and tells who signed; whether that signer is trusted is
// the second step, check_signer(), against trustmon's own issuers and status data.
//
// Policy:
//  * input: DER, or PEM labelled CMS or PKCS7; at most kMaxCmsBytes. The content is
//    encapsulated, or detached and given separately;
//  * exactly one SignerInfo, whose certificate is inside the CMS; OpenSSL's CMS_verify
//    checks the signature (and the messageDigest attribute) with CMS_NO_SIGNER_CERT_VERIFY:
//    OpenSSL does NOT build or check a chain here (trustmon's issuers and status data do
//    that in check_signer, so a certificate revoked in trustmon is refused even though
//    its chain is fine);
//  * returns the content, the signer certificate (DER and handle) and the signingTime
//    signed attribute when present;
//  * error codes: cms_malformed (400: not a SignedData, no content, not one signer, no
//    signer certificate), signature_invalid (422: the signature or the digest does not
//    match the content); check_signer: untrusted_issuer (none of trustmon's issuers
//    signed the certificate), certificate_unknown (trustmon holds no record of it),
//    certificate_revoked, certificate_held, certificate_expired (outside its validity at
//    `now`), all 403. The OpenSSL error queue is drained before returning.
#pragma once

#include <optional>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/pki/issuer_set.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::pki {

inline constexpr std::size_t kMaxCmsBytes = std::size_t{8} << 20;

struct CmsVerified {
  Bytes content;
  Bytes cms_der;     // the SignedData as DER (PEM input decoded), what evidence keeps
  Bytes signer_der;
  X509Ptr signer;
  std::optional<UnixTime> signing_time;
};

Result<CmsVerified> verify_cms(ByteView cms, std::optional<ByteView> detached_content = std::nullopt);

// The signer's certificate is good in trustmon: one of `issuers` signed it, its record in
// Table::certs is not revoked or on hold, and `now` is inside its validity. Returns the
// issuer.
Result<const Issuer*> check_signer(const storage::ReadTxn& txn, const IssuerSet& issuers, X509* signer, UnixTime now);

// The certificate may sign: its key usage, when the extension is present, includes
// digitalSignature or nonRepudiation (key_usage_invalid, 403).
Status check_signing_usage(X509* signer);

}  // namespace trustmon::pki
