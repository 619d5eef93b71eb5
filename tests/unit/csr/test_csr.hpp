// Test helpers for the CSR service: certificate requests made with the OpenSSL C API
// (RSA, RSA-PSS, EC P-256, Ed25519), a hand-built DSTU 4145 request OpenSSL cannot
// verify, and synchronous wrappers around the service's Writer jobs. Helpers throw
// std::runtime_error on OpenSSL failure (test code only).
#pragma once

#include <string>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "responder/csr/service.hpp"

namespace trustmon::csr::testing {

enum class KeyKind { rsa, rsa_pss, p256, ed25519 };
EvpPkeyPtr make_key(KeyKind kind);
// A key of each kind, generated once per process (RSA generation is slow).
EVP_PKEY* shared_key(KeyKind kind);
// The key's SubjectPublicKeyInfo, DER (i2d_PUBKEY).
Bytes spki_der(EVP_PKEY* key);

struct CsrOptions {
  std::string common_name = "Test Subject";
  std::string challenge;  // a challengePassword attribute, to make distinct requests of one key and subject
  bool pss_padding = false;  // RSA key signed with RSASSA-PSS
};
// DER PKCS#10 request signed with `key` (SHA-256; Ed25519 without digest).
Bytes make_csr(EVP_PKEY* key, const CsrOptions& options = {});
std::string csr_pem(const Bytes& der);

// A request in DSTU 4145 (key and signature OID 1.2.804.2.1.1.1.1.3.1.1) with random
// key and signature bytes.
Bytes make_dstu_csr(const std::string& common_name, const Bytes& key_bytes);
// DER content octets of a dotted OID.
Bytes oid_content(const std::string& dotted);

// Parses and aborts the test (throws) when parsing fails.
ParsedCsr parsed(const Bytes& der);

// The service's asynchronous calls, waited for.
Result<ReserveOutcome> reserve_sync(CsrService& s, const ParsedCsr& csr, const Actor& actor,
                                    std::uint32_t issuer = 0, UnixTime ttl = 0);
Result<Reservation> commit_sync(CsrService& s, ReservationId id, const Sha256& cert,
                                std::optional<Sha256> spki, const Actor& actor);
Result<Reservation> release_sync(CsrService& s, ReservationId id, const Actor& actor);
Result<std::size_t> sweep_sync(CsrService& s);

Actor participant(std::uint32_t id);

}  // namespace trustmon::csr::testing
