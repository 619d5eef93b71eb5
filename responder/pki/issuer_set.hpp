// The issuers trustmon serves: each configured CA bound to its stable id (pki/issuer_sync.hpp
// loads them), and the one answer to "which of our issuers signed this certificate, CRL or
// client certificate".
//
// Policy:
//  * the set is built once at start and read-only afterwards, so lookups need no locking;
//    an Issuer's address stays valid for the set's lifetime (also after a move);
//  * an issuer is its CA's subject and public key (identity), not its label: ids and names
//    are unique within a set ("issuer_duplicate");
//  * issuer_of() is the one matching rule. A candidate is an issuer whose subject equals the
//    object's issuer name (as X509_NAME_cmp compares them: canonical forms) and, when both
//    are present, whose subject key identifier equals the object's authority key
//    identifier. The first candidate whose key verifies the signature signed it. When none
//    does, a candidate whose key cannot check the signature's algorithm (DSTU 4145 on
//    OpenSSL) is reported as `unverifiable`, so the caller decides whether it may store the
//    object unchecked; otherwise a candidate's existence makes it `signature_invalid`, and
//    no candidate makes it `unknown`. The OpenSSL error queue is drained before returning.
//  * OCSP's per-issuer data (CertID hashes, responder certificate, signing key) is not here:
//    ocsp::ResponderTable keeps it per issuer id, prepared for the request path.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/pki/cert_view.hpp"
#include "storage/records.hpp"

namespace trustmon::pki {

struct Issuer {
  storage::IssuerId id = 0;
  std::string name;  // the configured label
  X509Ptr ca;
  // SHA-256(subject DER || SubjectPublicKeyInfo DER) of the CA (storage IssuerRecord.identity).
  Sha256 identity{};
  Bytes subject_der;         // the CA's subject Name as encoded in its certificate
  std::optional<Bytes> ski;  // subjectKeyIdentifier octets, when the CA has the extension
  // A test bed CA (config::IssuerConfig::test): its certificates stay out of the production
  // statistics, trusted list and watches, and only its answers may be faulted.
  bool test = false;

  const X509_NAME* subject() const noexcept { return X509_get_subject_name(ca.get()); }
  EVP_PKEY* public_key() const noexcept { return X509_get0_pubkey(ca.get()); }
};

// What issuer_of() found (see the policy above).
enum class IssuerFound : std::uint8_t {
  verified,           // `issuer`'s key verifies the signature
  unverifiable,       // `issuer` matches by name, but OpenSSL cannot check the algorithm
  signature_invalid,  // an issuer matches by name, but no issuer's key verifies the signature
  unknown,            // no issuer of ours has this name (and key identifier)
  malformed,          // the issuer name does not decode (certificates walked as DER only)
};

struct IssuerMatch {
  IssuerFound found = IssuerFound::unknown;
  const Issuer* issuer = nullptr;  // set for verified and unverifiable
};

class IssuerSet {
 public:
  IssuerSet() = default;
  IssuerSet(IssuerSet&&) noexcept = default;
  IssuerSet& operator=(IssuerSet&&) noexcept = default;

  // Error codes: issuer_invalid (no CA certificate, or one that does not encode),
  // issuer_duplicate (the id or the name is taken).
  Result<const Issuer*> add(storage::IssuerId id, std::string name, X509Ptr ca, bool test = false);

  const Issuer* find_by_id(storage::IssuerId id) const noexcept;
  const Issuer* find_by_name(std::string_view name) const noexcept;

  std::size_t size() const noexcept { return issuers_.size(); }
  bool empty() const noexcept { return issuers_.empty(); }
  // Every issuer, in insertion order.
  std::vector<const Issuer*> all() const;
  // The ids of the test issuers (Issuer::test), in insertion order.
  const std::vector<storage::IssuerId>& test_ids() const noexcept { return test_ids_; }

  // The issuer of a certificate walked by parse_cert_parts (the ingest path: no d2i_X509).
  // Among unverifiable candidates, one whose id is in `prefer_unverifiable` is reported
  // first (the registry's accept_unverified_signatures issuers).
  IssuerMatch issuer_of(ByteView der, const CertParts& cert,
                        std::span<const storage::IssuerId> prefer_unverifiable = {}) const;
  // The issuer of a CRL. OpenSSL's X509_CRL_verify does not tell an algorithm it lacks
  // from a bad signature, so a CRL is never `unverifiable`.
  IssuerMatch issuer_of(X509_CRL* crl) const;
  // The issuer of a certificate OpenSSL decoded (a TLS client certificate); as for CRLs,
  // never `unverifiable`.
  IssuerMatch issuer_of(X509* cert) const;

 private:
  std::vector<std::unique_ptr<Issuer>> issuers_;
  std::vector<storage::IssuerId> test_ids_;
};

// SHA-256(subject DER || SubjectPublicKeyInfo DER), as storage/records.hpp defines it.
Result<Sha256> issuer_identity(const X509* ca);

}  // namespace trustmon::pki
