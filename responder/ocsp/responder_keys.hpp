// The in-memory table of issuers this responder answers for, built once at start (or
// on reload, as a new table) and read-only afterwards, so lookups need no locking.
//
// Policy: everything a request would otherwise recompute is computed here once: the
// issuerNameHash / issuerKeyHash of each CA for SHA-1/256/384/512 (RFC 6960 §4.1.1:
// the hash of the DER subject, and of the subjectPublicKey BIT STRING value without
// tag, length and unused-bits octet), the ResponderID byKey hash, the DER pieces the
// signer copies (responder certificate, ResponderID) and a prepared SigningKey.
// add() refuses a responder that clients would reject: a key that does not match its
// certificate, or a delegated certificate not issued and signed by the CA or without
// EKU id-kp-OCSPSigning. A delegated certificate without id-pkix-ocsp-nocheck is
// accepted with a warning (clients may then try to check its own revocation status).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/ocsp/hash_alg.hpp"
#include "responder/ocsp/signing_key.hpp"
#include "storage/records.hpp"

namespace trustmon::ocsp {

struct IssuerKeys {
  storage::IssuerId id = 0;
  std::string name;
  X509Ptr ca;
  X509Ptr responder_cert;  // the CA itself when not delegated
  EvpPkeyPtr responder_key;
  bool delegated = false;

  // Indexed by hash_index(HashAlg); the first hash_length(alg) octets are meaningful.
  std::array<std::array<std::uint8_t, 64>, kHashAlgCount> name_hash{};
  std::array<std::array<std::uint8_t, 64>, kHashAlgCount> key_hash{};
  ByteView name_hash_of(HashAlg a) const noexcept { return {name_hash[hash_index(a)].data(), hash_length(a)}; }
  ByteView key_hash_of(HashAlg a) const noexcept { return {key_hash[hash_index(a)].data(), hash_length(a)}; }

  // SHA-1 of the responder certificate's subjectPublicKey value (ResponderID byKey).
  std::array<std::uint8_t, 20> responder_key_hash{};
  // ResponderID as it appears in ResponseData: [2] EXPLICIT OCTET STRING (keyHash).
  Bytes responder_id_der;
  // The responder certificate DER, embedded in BasicOCSPResponse.certs when delegated.
  Bytes responder_cert_der;
  // SHA-256(subject DER || SubjectPublicKeyInfo DER) of the CA (storage IssuerRecord.identity).
  Sha256 identity{};

  std::unique_ptr<SigningKey> signer;
  const EVP_MD* signing_digest() const noexcept { return signer ? signer->digest() : nullptr; }
};

struct IssuerSpec {
  storage::IssuerId id = 0;
  std::string name;
  X509Ptr ca;
  X509Ptr responder_cert;  // null: the CA signs its own responses
  EvpPkeyPtr responder_key;
};

class IssuerTable {
 public:
  IssuerTable() = default;
  IssuerTable(IssuerTable&&) noexcept = default;
  IssuerTable& operator=(IssuerTable&&) noexcept = default;

  // Error codes: issuer_invalid, issuer_duplicate, responder_key_mismatch,
  // responder_not_issued_by_ca, responder_not_ocsp_signing, responder_key_unsupported.
  Status add(IssuerSpec spec);

  // nullptr when no issuer matches (or the algorithm is unsupported).
  const IssuerKeys* find(HashAlg alg, ByteView name_hash, ByteView key_hash) const noexcept;
  const IssuerKeys* find_by_id(storage::IssuerId id) const noexcept;
  const IssuerKeys* find_by_name(std::string_view name) const noexcept;

  std::size_t size() const noexcept { return issuers_.size(); }
  bool empty() const noexcept { return issuers_.empty(); }
  // Every issuer, in insertion order (pointers stay valid for the table's lifetime).
  std::vector<const IssuerKeys*> all() const;

 private:
  struct Slot {
    std::uint64_t prefix;  // first 8 octets of the key hash, big-endian
    std::uint32_t index;   // into issuers_
  };
  std::vector<std::unique_ptr<IssuerKeys>> issuers_;
  std::array<std::vector<Slot>, kHashAlgCount> by_key_;  // sorted by prefix
};

// SHA-256(subject DER || SubjectPublicKeyInfo DER), as storage/records.hpp defines it.
Result<Sha256> issuer_identity(const X509* ca);

}  // namespace trustmon::ocsp
