#include "tsl/view.hpp"

#include <openssl/x509.h>

#include "common/ossl.hpp"
#include "common/time.hpp"

namespace trustmon::tsl {
namespace {

using nlohmann::json;

std::string pick(const MultiLang& texts) {
  for (const char* lang : {"uk", "en"})
    for (const LangString& s : texts)
      if (s.lang == lang) return s.value;
  return texts.empty() ? std::string() : texts.front().value;
}

json certificate_of(const DigitalIdentity& identity) {
  for (const DigitalId& id : identity) {
    if (id.kind != DigitalId::Kind::x509_certificate) continue;
    auto cert = x509_from_der(id.der);
    if (!cert) continue;
    json c = {{"subject", x509_name_text(X509_get_subject_name(cert->get()))}, {"sha256", hex_encode(sha256(id.der))}};
    if (auto na = asn1_time_to_unix(X509_get0_notAfter(cert->get()))) c["not_after"] = format_rfc3339(*na);
    return c;
  }
  return nullptr;
}

}  // namespace

json list_view_json(std::string_view name, std::uint64_t sequence, const TrustedList& list, json signature) {
  const SchemeInformation& s = list.scheme;
  json providers = json::array();
  for (const TrustServiceProvider& p : list.providers) {
    json services = json::array();
    for (const TrustService& svc : p.services) {
      json history = json::array();
      if (svc.history)
        for (const ServiceHistoryInstance& h : *svc.history)
          history.push_back({{"name", pick(h.name)}, {"status", h.status}, {"status_start", format_rfc3339(h.status_starting_time)}});
      services.push_back({{"name", pick(svc.name)},
                          {"type", svc.type_identifier},
                          {"status", svc.status},
                          {"status_start", format_rfc3339(svc.status_starting_time)},
                          {"certificate", certificate_of(svc.digital_identity)},
                          {"history", std::move(history)}});
    }
    json trade_names = json::array();  // every language's, e.g. the provider's NTRUA identifier
    for (const LangString& t : p.trade_name) trade_names.push_back(t.value);
    providers.push_back({{"name", pick(p.name)},
                         {"trade_name", pick(p.trade_name)},
                         {"trade_names", std::move(trade_names)},
                         {"services", std::move(services)}});
  }
  json out = {{"name", name},
              {"sequence", sequence},
              {"issue_date", format_rfc3339(s.list_issue_date_time)},
              {"next_update", s.next_update ? json(format_rfc3339(*s.next_update)) : json(nullptr)},
              {"territory", s.territory.value_or("")},
              {"operator", pick(s.operator_name)},
              {"scheme_name", pick(s.scheme_name)},
              {"version", s.version},
              {"signature", std::move(signature)},
              {"providers", std::move(providers)}};
  return out;
}

}  // namespace trustmon::tsl
