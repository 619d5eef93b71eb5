// Who a verified signer logs in as (docs/login.md "Who logs in as whom"), decided against
// trustmon's own issuers, certificate index and access tables; nothing the client or a
// provider says about the certificate is taken on trust.
//
// Policy, in order:
//  1. pki::check_signer: one of trustmon's issuers signed the certificate, trustmon's
//     record of it is not revoked or on hold, `now` is inside its validity
//     (untrusted_issuer, certificate_unknown, certificate_revoked, certificate_held,
//     certificate_expired);
//  2. key usage, when the extension is present, includes digitalSignature or
//     nonRepudiation (key_usage_invalid);
//  3. a certificate bound to a representative (credential of kind certificate, by the
//     SHA-256 of its DER) logs in as that representative: the credential, representative
//     and participant are resolved as for any request (credential_revoked,
//     credential_expired, participant_blocked, representative_blocked);
//     A certificate whose person (subject serialNumber TINUA-…, the DRFO attribute) an
//     identifier credential names (granted by a signed application, docs/joining.md) logs
//     in as that representative, resolved the same way;
//  4. otherwise the signer is a certificate holder, known by the personal identifiers the
//     certificate carries (subject serialNumber such as TINUA-…, the DRFO attribute); a
//     certificate with none (a seal) is held by its organisation (organizationIdentifier
//     NTRUA-…, the EDRPOU attribute); one with no identifier at all is refused
//     (no_identifiers). Organisation identifiers of a person's certificate are not the
//     person's: an employee does not see the organisation's other certificates.
// Every refusal is ErrorKind::forbidden (403) unless said otherwise.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/access/authenticator.hpp"
#include "responder/pki/issuer_set.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::login {

struct LoginDecision {
  access::Principal principal;  // the representative's, or a holder principal (no session yet)
  bool holder = false;
  access::LoginCertificate certificate;
  std::string issuer_name;
  std::string subject_name;                          // the certificate's CN
  std::vector<access::HolderIdentifier> identifiers;  // every identifier it carries (for the login event)
  nlohmann::json as;  // what GET /api/v1/me will answer (filled by the routes)
};

Result<LoginDecision> decide(const storage::ReadTxn& txn, const pki::IssuerSet& issuers, X509* signer,
                             ByteView signer_der, UnixTime now);

// The auth.login event's details for a decision (method, provider, certificate,
// identifiers): what watches of kind login match on.
nlohmann::json login_details(const LoginDecision& d, const std::string& provider);

}  // namespace trustmon::login
