// What the OCSP responder keeps per issuer (pki::Issuer, by its id): the CertID hashes it
// is looked up by, the responder certificate and the prepared signing key. Built once at
// start (or on reload, as a new table) and read-only afterwards, so lookups need no
// locking. The issuer set itself (names, CA certificates, "which issuer signed this")
// belongs to responder/pki; this table is the OCSP request path's own index, so a lookup
// costs what it cost when both lived in one table (docs/architecture.md).
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
#include "responder/pki/issuer_set.hpp"
#include "storage/records.hpp"

namespace trustmon::ocsp {

struct ResponderKeys {
  storage::IssuerId id = 0;  // the pki::Issuer's id
  std::string name;          // the issuer's name, for logs
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
  // The CA certificate's notBefore: the archiveCutoff of responses for expired
  // certificates (presign.hpp), as status has been kept since the CA began.
  UnixTime ca_not_before = 0;

  std::unique_ptr<SigningKey> signer;
  const EVP_MD* signing_digest() const noexcept { return signer ? signer->digest() : nullptr; }
};

class ResponderTable {
 public:
  ResponderTable() = default;
  ResponderTable(ResponderTable&&) noexcept = default;
  ResponderTable& operator=(ResponderTable&&) noexcept = default;

  // The responder of `issuer`: `responder_cert` null when the CA signs its own responses.
  // Nothing of `issuer` is kept but its id and name. Error codes: issuer_invalid,
  // issuer_duplicate (the issuer has a responder already), responder_key_mismatch,
  // responder_not_issued_by_ca, responder_not_ocsp_signing, responder_key_unsupported.
  // The signature fits pki::ResponderSink (pki/issuer_sync.hpp).
  Status add(const pki::Issuer& issuer, X509Ptr responder_cert, EvpPkeyPtr responder_key);

  // nullptr when no issuer matches (or the algorithm is unsupported).
  const ResponderKeys* find(HashAlg alg, ByteView name_hash, ByteView key_hash) const noexcept;
  const ResponderKeys* find_by_id(storage::IssuerId id) const noexcept;

  std::size_t size() const noexcept { return issuers_.size(); }
  bool empty() const noexcept { return issuers_.empty(); }
  // Every issuer's keys, in insertion order (pointers stay valid for the table's lifetime).
  std::vector<const ResponderKeys*> all() const;

 private:
  struct Slot {
    std::uint64_t prefix;  // first 8 octets of the key hash, big-endian
    std::uint32_t index;   // into issuers_
  };
  std::vector<std::unique_ptr<ResponderKeys>> issuers_;
  std::array<std::vector<Slot>, kHashAlgCount> by_key_;  // sorted by prefix
};

}  // namespace trustmon::ocsp
