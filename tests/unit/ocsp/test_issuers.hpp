// The IssuerTable the OCSP tests share: issuer 1 "ec" (P-256 CA, delegated P-256
// responder with EKU OCSPSigning + nocheck) and issuer 2 "rsa" (RSA-2048 CA signing its
// own responses), from shared_test_pki().
#pragma once

#include <stdexcept>

#include "responder/ocsp/issuer_table.hpp"
#include "tests/unit/ocsp/test_pki.hpp"

namespace trustmon::testing {

inline constexpr storage::IssuerId kEcIssuer = 1;
inline constexpr storage::IssuerId kRsaIssuer = 2;

inline const ocsp::IssuerTable& shared_issuer_table() {
  static const ocsp::IssuerTable table = [] {
    const TestPki& p = shared_test_pki();
    ocsp::IssuerTable t;
    Status st = t.add({kEcIssuer, "ec", dup_cert(p.ca_ec.get()), dup_cert(p.responder.get()),
                       dup_key(p.responder_key.get())});
    if (!st) throw std::runtime_error(st.error().message);
    st = t.add({kRsaIssuer, "rsa", dup_cert(p.ca_rsa.get()), nullptr, dup_key(p.ca_rsa_key.get())});
    if (!st) throw std::runtime_error(st.error().message);
    return t;
  }();
  return table;
}

}  // namespace trustmon::testing
