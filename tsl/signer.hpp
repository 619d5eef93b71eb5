// Signs a trusted-list document: enveloped XMLDSig with XAdES baseline B properties, as
// TS 119 612 clause 5.7 and EN 319 132-1 ask:
//  * ds:Signature is the last child of TrustServiceStatusList;
//  * Reference 1: URI="" with the enveloped-signature and exclusive C14N transforms
//    (the whole list), SHA-256;
//  * Reference 2: URI="#<SignedProperties Id>" with
//    Type="http://uri.etsi.org/01903#SignedProperties", exclusive C14N, SHA-256;
//  * SignedInfo canonicalised with exclusive C14N; rsa-sha256 or ecdsa-sha256 by key type;
//  * xades:SignedProperties: SigningTime, SigningCertificateV2 (TL v6: SHA-256 digest +
//    DER IssuerSerialV2) or SigningCertificate (TL v5: SHA-256 digest + IssuerSerial),
//    DataObjectFormat text/xml for reference 1;
//  * KeyInfo/X509Data holds the signer certificate (outside SignedInfo, added after
//    signing: relying parties pin the announced certificate, not this copy).
//
// A TlSigner is built once (key + certificate, consistency checked) and is safe to use
// from several threads (each sign() has its own xmlsec context). Warnings are facts
// about the certificate an operator should fix (e.g. missing EKU id-tsl-kp-tslSigning,
// 0.4.0.2231.3.0, TS 119 612 clause 5.7.1), not reasons to refuse.
#pragma once

#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "tsl/key_source.hpp"
#include "tsl/xml.hpp"

namespace trustmon::tsl {

inline constexpr const char* kEkuTslSigning = "0.4.0.2231.3.0";
inline constexpr const char* kSignedPropertiesType = "http://uri.etsi.org/01903#SignedProperties";

class TlSigner {
 public:
  // Errors: "tl_key_unavailable", "tl_signer_invalid" (certificate unreadable, key does
  // not match it, key type neither RSA nor EC).
  static Result<TlSigner> create(EvpPkeyPtr key, X509Ptr certificate);
  static Result<TlSigner> create(const KeySource& key, const std::string& certificate_path);

  TlSigner(TlSigner&&) noexcept = default;
  TlSigner& operator=(TlSigner&&) noexcept = default;

  // Appends the signature to `doc` (a document built by build_document, unsigned).
  // `version` (5 or 6) chooses the XAdES signing-certificate property.
  Status sign(xmlDoc* doc, int version, UnixTime signing_time) const;

  const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  X509* certificate() const noexcept { return cert_.get(); }
  const Bytes& certificate_der() const noexcept { return cert_der_; }

 private:
  TlSigner() = default;
  EvpPkeyPtr key_;
  X509Ptr cert_;
  Bytes cert_der_;
  bool ec_ = false;
  std::vector<std::string> warnings_;
};

// Warnings about a would-be list signer certificate (EKU, validity at `now`).
std::vector<std::string> signer_certificate_warnings(X509* cert, UnixTime now);

}  // namespace trustmon::tsl
