#include "responder/daemon/stats_hints.hpp"

#include <set>

#include "common/ossl.hpp"

namespace trustmon::daemon {
namespace {

stats::Storage storage_of(const tsl::TrustService& service) {
  constexpr std::string_view kBase = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/";
  std::set<stats::Storage> said;
  for (const tsl::Extension& e : service.extensions) {
    for (std::size_t at = e.xml.find(kBase); at != std::string::npos; at = e.xml.find(kBase, at + 1)) {
      const std::string_view rest = std::string_view(e.xml).substr(at + kBase.size());
      const auto is = [&](std::string_view name) {
        return rest.substr(0, name.size()) == name &&
               (rest.size() == name.size() || !std::isalnum(static_cast<unsigned char>(rest[name.size()])));
      };
      if (is("QCQSCDManagedOnBehalf")) said.insert(stats::Storage::qscd_remote);
      else if (is("QCWithQSCD") || is("QCWithSSCD")) said.insert(stats::Storage::qscd);
      else if (is("QCNoQSCD") || is("QCNoSSCD")) said.insert(stats::Storage::no_qscd);
    }
  }
  return said.size() == 1 ? *said.begin() : stats::Storage::unknown;
}

}  // namespace

std::map<storage::IssuerId, stats::Storage> storage_hints(const tsl::TrustedList& list, const pki::IssuerSet& issuers) {
  std::map<storage::IssuerId, stats::Storage> out;
  for (const pki::Issuer* issuer : issuers.all()) {
    unsigned char* der = nullptr;
    const int n = i2d_X509(issuer->ca.get(), &der);
    if (n <= 0) continue;
    const Bytes ca(der, der + n);
    OPENSSL_free(der);
    for (const tsl::TrustServiceProvider& tsp : list.providers) {
      for (const tsl::TrustService& service : tsp.services) {
        bool ours = false;
        for (const tsl::DigitalId& id : service.digital_identity) {
          if (id.kind == tsl::DigitalId::Kind::x509_certificate && id.der == ca) ours = true;
          if (id.kind == tsl::DigitalId::Kind::x509_ski && issuer->ski && id.der == *issuer->ski) ours = true;
        }
        if (!ours) continue;
        if (const stats::Storage s = storage_of(service); s != stats::Storage::unknown) out[issuer->id] = s;
      }
    }
  }
  return out;
}

}  // namespace trustmon::daemon
