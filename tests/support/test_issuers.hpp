// The issuers the OCSP, registry and pki tests share: issuer 1 "ec" (P-256 CA, delegated
// P-256 responder with EKU OCSPSigning + nocheck) and issuer 2 "rsa" (RSA-2048 CA signing
// its own responses), from shared_test_pki(): the pki::IssuerSet and the OCSP
// responders built on it.
#pragma once

#include <stdexcept>

#include "responder/ocsp/responder_keys.hpp"
#include "responder/pki/issuer_set.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::testing {

inline constexpr storage::IssuerId kEcIssuer = 1;
inline constexpr storage::IssuerId kRsaIssuer = 2;

inline const pki::IssuerSet& shared_issuers() {
  static const pki::IssuerSet set = [] {
    const TestPki& p = shared_test_pki();
    pki::IssuerSet s;
    auto ec = s.add(kEcIssuer, "ec", dup_cert(p.ca_ec.get()));
    if (!ec) throw std::runtime_error(ec.error().message);
    auto rsa = s.add(kRsaIssuer, "rsa", dup_cert(p.ca_rsa.get()));
    if (!rsa) throw std::runtime_error(rsa.error().message);
    return s;
  }();
  return set;
}

inline const ocsp::ResponderTable& shared_responders() {
  static const ocsp::ResponderTable table = [] {
    const TestPki& p = shared_test_pki();
    const pki::IssuerSet& issuers = shared_issuers();
    ocsp::ResponderTable t;
    Status st = t.add(*issuers.find_by_id(kEcIssuer), dup_cert(p.responder.get()), dup_key(p.responder_key.get()));
    if (!st) throw std::runtime_error(st.error().message);
    st = t.add(*issuers.find_by_id(kRsaIssuer), nullptr, dup_key(p.ca_rsa_key.get()));
    if (!st) throw std::runtime_error(st.error().message);
    return t;
  }();
  return table;
}

}  // namespace trustmon::testing
