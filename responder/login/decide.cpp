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

access::HolderIdentifier identifier_of(const registry::Attribute& a) {
  return access::HolderIdentifier{registry::attribute_name(a), a.value};
}

}  // namespace

Result<LoginDecision> decide(const storage::ReadTxn& txn, const pki::IssuerSet& issuers, X509* signer,
                             ByteView signer_der, UnixTime now) {
  auto issuer = pki::check_signer(txn, issuers, signer, now);
  if (!issuer) return std::move(issuer).error();
  const std::uint32_t usage = X509_get_key_usage(signer);
  if (usage != UINT32_MAX && (usage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
    return make_error(ErrorKind::forbidden, "key_usage_invalid", "the certificate's key usage does not allow signing");

  LoginDecision d;
  d.issuer_name = (*issuer)->name;
  d.certificate.issuer = (*issuer)->id;
  d.certificate.serial = serial_bytes(X509_get0_serialNumber(signer));
  d.certificate.sha256 = sha256(signer_der);
  if (auto na = asn1_time_to_unix(X509_get0_notAfter(signer))) d.certificate.not_after = *na;

  // The name as issued (the index keeps it case-folded).
  if (const X509_NAME* subject = X509_get_subject_name(signer)) {
    const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (at >= 0) {
      unsigned char* utf8 = nullptr;
      const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
      if (n > 0) d.subject_name.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
      OPENSSL_free(utf8);
    }
  }
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
