// See certificates.hpp.
#include "tsl/certificates.hpp"

#include <openssl/pkcs7.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "common/ossl.hpp"

namespace trustmon::tsl {
namespace {

struct Pkcs7Deleter {
  void operator()(PKCS7* p) const noexcept { PKCS7_free(p); }
};
using Pkcs7Ptr = std::unique_ptr<PKCS7, Pkcs7Deleter>;

std::string english_or_first(const MultiLang& names) {
  for (const auto& n : names)
    if (n.lang == "en") return n.value;
  return names.empty() ? std::string() : names.front().value;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void classify(const SupplyPoint& p, CaCertificate& out) {
  const std::string type = lower(p.type);
  const std::string uri = lower(p.uri);
  if (type.find("/ocsp") != std::string::npos) out.ocsp.push_back(p.uri);
  else if (type.find("/crl") != std::string::npos) out.crl.push_back(p.uri);
  else if (type.find("/tsa") != std::string::npos) out.tsp.push_back(p.uri);
  else if (!type.empty()) out.other.push_back(p.uri);
  else if (uri.find("ocsp") != std::string::npos) out.ocsp.push_back(p.uri);
  else if (uri.size() > 4 && uri.compare(uri.size() - 4, 4, ".crl") == 0) out.crl.push_back(p.uri);
  else if (uri.find("/tsp") != std::string::npos || uri.find("/tsa") != std::string::npos) out.tsp.push_back(p.uri);
  else out.other.push_back(p.uri);
}

}  // namespace

std::vector<CaCertificate> ca_certificates(const TrustedList& list) {
  std::vector<CaCertificate> out;
  for (const auto& provider : list.providers) {
    for (const auto& service : provider.services) {
      for (const auto& id : service.digital_identity) {
        if (id.kind != DigitalId::Kind::x509_certificate) continue;
        auto cert = x509_from_der(id.der);
        if (!cert || X509_check_ca(cert->get()) < 1) continue;
        CaCertificate c;
        c.provider_name = english_or_first(provider.name);
        c.service_name = english_or_first(service.name);
        c.service_type = service.type_identifier;
        c.status = service.status;
        c.status_starting_time = service.status_starting_time;
        c.der = id.der;
        for (const auto& p : service.supply_points) classify(p, c);
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

Result<Bytes> certs_only_p7b(const std::vector<CaCertificate>& certs) {
  Pkcs7Ptr p7(PKCS7_new());
  if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 || PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1)
    return ossl_error(ErrorKind::internal, "tl_bundle_failed", "PKCS#7 structure");
  std::set<Bytes> seen;
  for (const auto& c : certs) {
    if (!seen.insert(c.der).second) continue;
    auto cert = x509_from_der(c.der);
    if (!cert) return make_error(ErrorKind::internal, "tl_bundle_failed", cert.error().message);
    if (PKCS7_add_certificate(p7.get(), cert->get()) != 1) return ossl_error(ErrorKind::internal, "tl_bundle_failed", "add certificate");
  }
  unsigned char* der = nullptr;
  const int len = i2d_PKCS7(p7.get(), &der);
  if (len <= 0) return ossl_error(ErrorKind::internal, "tl_bundle_failed", "PKCS#7 encoding");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace trustmon::tsl
