// Issuing test certificates with the Ukrainian qualified profiles, and the scenarios and
// deterministic identities that make them come out a given way. Pure certificate
// making: storing, revoking and answering is the caller's (routes/testca_routes.cpp runs
// the result through the production ingest and revocation paths).
//
// Profiles (docs/testbed.md):
//  * ua-qes-natural: a natural person; subject serialNumber TINUA-<RNOKPP>; QcType esign;
//  * ua-qes-representative: a person acting for a legal entity; adds O and
//    organizationIdentifier NTRUA-<EDRPOU>;
//  * ua-qseal: a legal entity's seal; CN and O are the entity, NTRUA-<EDRPOU>; QcType eseal.
// Every certificate carries SubjectDirectoryAttributes with DRFO / EDRPOU / UNZR (as given),
// QcStatements (ETSI QcCompliance, QcSSCD, QcPDS, QcType, and the Ukrainian QcCompliance
// 1.2.804.2.1.1.1.2.1), certificatePolicies (the Ukrainian qualified-certificate policy
// 1.2.804.2.1.1.1.2.2 and kTestPolicyOid), key usage digitalSignature + nonRepudiation,
// AIA (OCSP and caIssuers) and a CRL distribution point on this server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "responder/testbed/test_pki.hpp"

namespace trustmon::testbed {

enum class Profile : std::uint8_t { natural, representative, seal };
enum class Scenario : std::uint8_t {
  valid,
  revoked,          // revoked after issuance (reason and time as asked; backdating allowed)
  on_hold,          // certificateHold
  expired,          // notAfter a day ago
  not_yet_valid,    // notBefore in 30 days
  wrong_key_usage,  // keyEncipherment only: no signing usage
  no_qcstatements,  // no QcStatements extension
  duplicate_key,    // a second certificate over the key of a first, both stored
  untrusted_issuer, // issued by a CA no list and no issuer of this server names (not stored)
};

const char* profile_name(Profile p) noexcept;
const char* scenario_name(Scenario s) noexcept;
std::optional<Scenario> parse_scenario(std::string_view name) noexcept;

// A deterministic identity: this RNOKPP always gives this scenario.
struct Identity {
  const char* rnokpp;
  Scenario scenario;
  const char* note;
};
inline constexpr const char* kIdentitiesVersion = "2026-12-1";
const std::vector<Identity>& identities();
// {"version","identities":[{"rnokpp","scenario","note"},…]}.
nlohmann::json identities_json();

struct IssueRequest {
  std::string ca;  // a test CA's name
  Profile profile = Profile::natural;
  std::string rnokpp;  // taxpayer number (10 digits), natural person and representative
  std::string edrpou;  // legal entity code (8 digits), representative and seal
  std::string unzr;    // optional: demographic register number (YYYYMMDD-NNNNN)
  std::string cn, given_name, surname, organization, locality;
  std::optional<pki::KeyAlgorithm> generate;  // a key made here (its PKCS#8 is returned once)...
  Bytes csr_der;                              // ...or the key of this PKCS#10 request
  Scenario scenario = Scenario::valid;
  bool scenario_given = false;
  UnixTime revocation_time = 0;  // revoked / on_hold: 0 = now
  std::string reason = "keyCompromise";
  std::uint32_t days = 365;      // validity
};

// Parses the JSON body of POST /api/v1/testca/certificates (docs/openapi.yaml). Error codes:
// request_invalid (with what is wrong), csr_malformed, csr_signature_invalid,
// identity_scenario_conflict (a deterministic identity asked for another scenario).
Result<IssueRequest> parse_issue_request(const nlohmann::json& body, UnixTime now);

struct IssuedCert {
  Bytes der;
  std::string pem;
  std::string serial_hex;  // upper-case
  UnixTime not_before = 0;
  UnixTime not_after = 0;
};

struct IssueResult {
  IssuedCert certificate;
  std::optional<IssuedCert> first;  // duplicate_key: the earlier certificate over the same key
  std::string private_key_pem;      // with a generated key only
  std::vector<std::string> chain_pem;  // the issuing CA, then the root
  bool store = true;                   // false for untrusted_issuer
};

// Makes the certificate(s) for `request`. `base_url` is where this server is reached
// (http://host:port), for AIA and CDP. Error codes: testca_unknown, crypto_failed.
Result<IssueResult> issue(const TestPki& pki, const IssueRequest& request, UnixTime now, const std::string& base_url);

}  // namespace trustmon::testbed
