#include "responder/login/decide.hpp"

#include <openssl/x509v3.h>

#include "responder/pki/cms.hpp"
#include "responder/registry/attributes.hpp"

namespace trustmon::login {
namespace {

using registry::AttrKind;

bool personal(const registry::Attribute& a) {
  return a.kind == AttrKind::serial_number || (a.kind == AttrKind::sda && a.sda_suffix == registry::kSdaDrfo);
}
bool organisational(const registry::Attribute& a) {
  return a.kind == AttrKind::organization_identifier || (a.kind == AttrKind::sda && a.sda_suffix == registry::kSdaEdrpou);
}

std::string upper_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

access::HolderIdentifier identifier_of(const registry::Attribute& a) {
  return access::HolderIdentifier{registry::attribute_name(a), a.value};
}

}  // namespace

Result<LoginDecision> decide(const storage::ReadTxn& txn, const pki::IssuerSet& issuers, X509* signer,
                             ByteView signer_der, UnixTime now) {
  auto issuer = pki::check_signer(txn, issuers, signer, now);
  if (!issuer) return std::move(issuer).error();
  if (Status usage = pki::check_signing_usage(signer); !usage) return std::move(usage).error();

  LoginDecision d;
  d.issuer_name = (*issuer)->name;
  d.certificate.issuer = (*issuer)->id;
  d.certificate.serial = serial_bytes(X509_get0_serialNumber(signer));
  d.certificate.sha256 = sha256(signer_der);
  if (auto na = asn1_time_to_unix(X509_get0_notAfter(signer))) d.certificate.not_after = *na;

  // The name as issued (the index keeps it case-folded).
  d.subject_name = x509_name_entry_utf8(X509_get_subject_name(signer), NID_commonName);
  auto attributes = registry::extract_attributes(signer_der);
  if (!attributes) return make_error(ErrorKind::invalid, "signature_malformed", "the signer's certificate does not parse");
  std::vector<access::HolderIdentifier> mine;
  for (const auto& a : *attributes) {
    if (personal(a) || organisational(a)) d.identifiers.push_back(identifier_of(a));
    if (personal(a)) mine.push_back(identifier_of(a));
  }
  if (mine.empty())
    for (const auto& a : *attributes)
      if (organisational(a)) mine.push_back(identifier_of(a));

  // A bound certificate is a representative's credential.
  access::ClientCertificate presented;
  presented.fingerprint = d.certificate.sha256;
  presented.chain_ok = true;  // check_signer stands in for the TLS layer's chain check
  access::AuthOutcome bound = access::authenticate(txn, std::nullopt, &presented, now);
  if (bound.principal) {
    d.principal = std::move(*bound.principal);
    d.principal.method = access::SessionMethod::signature;
    d.principal.certificate = d.certificate;
    return d;
  }
  if (bound.actor) return bound.error;  // bound, but revoked, expired or blocked
  if (bound.status == 503) return bound.error;
  // A person granted access by a signed application: the identifier credential.
  std::vector<std::string> rnokpp;
  for (const auto& a : *attributes) {
    if (a.kind == AttrKind::sda && a.sda_suffix == registry::kSdaDrfo) rnokpp.push_back(access::rnokpp_identifier(a.value));
    if (a.kind == AttrKind::serial_number) rnokpp.push_back(upper_ascii(a.value));
  }
  if (!rnokpp.empty()) {
    access::AuthOutcome named = access::authenticate_identifier(txn, rnokpp, now);
    if (named.principal) {
      d.principal = std::move(*named.principal);
      d.principal.method = access::SessionMethod::signature;
      d.principal.certificate = d.certificate;
      return d;
    }
    if (named.actor || named.status == 503) return named.error;
  }
  if (mine.empty())
    return make_error(ErrorKind::forbidden, "no_identifiers",
                      "the certificate names no holder (no serialNumber, organizationIdentifier, DRFO or EDRPOU)");
  d.holder = true;
  access::HolderIdentity h;
  h.name = d.subject_name;
  h.identifiers = std::move(mine);
  h.certificate = d.certificate;
  d.principal.actor.holder = h.identifiers.front().value;
  d.principal.actor.issuers = std::vector<std::uint32_t>{};
  d.principal.role = access::Role::viewer;
  d.principal.participant_name = h.name;
  d.principal.method = access::SessionMethod::signature;
  d.principal.certificate = d.certificate;
  d.principal.holder = std::move(h);
  return d;
}

nlohmann::json login_details(const LoginDecision& d, const std::string& provider) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& i : d.identifiers) ids.push_back({{"kind", i.kind}, {"value", i.value}});
  return {{"method", "signature"},
          {"as", d.holder ? "holder" : "representative"},
          {"provider", provider.empty() ? nlohmann::json(nullptr) : nlohmann::json(provider)},
          {"identifiers", std::move(ids)},
          {"certificate",
           {{"issuer", d.issuer_name},
            {"serial", hex_encode(d.certificate.serial, true)},
            {"sha256", hex_encode(ByteView(d.certificate.sha256.data(), d.certificate.sha256.size()))}}}};
}

}  // namespace trustmon::login
