// See certificates.hpp.
#include "tsl/certificates.hpp"

#include <openssl/pkcs7.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "common/ossl.hpp"
#include "common/time.hpp"

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

std::vector<const CaCertificate*> entries_of(const std::vector<CaCertificate>& cas, X509* ca) {
  std::vector<const CaCertificate*> out;
  const Bytes mine = x509_der(ca);
  for (const CaCertificate& c : cas) {
    bool same = c.der == mine;
    if (!same) {
      auto cert = x509_from_der(c.der);
      same = cert && X509_NAME_cmp(X509_get_subject_name(ca), X509_get_subject_name(cert->get())) == 0 &&
             EVP_PKEY_eq(X509_get0_pubkey(ca), X509_get0_pubkey(cert->get())) == 1;
    }
    if (same) out.push_back(&c);
  }
  ossl_errors();
  return out;
}

bool status_active(const CaCertificate& entry) {
  const std::string_view s = entry.status;
  for (std::string_view active : {"/granted", "/recognisedatnationallevel", "/accredited", "/undersupervision"})
    if (s.ends_with(active)) return true;
  return false;
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

using nlohmann::json;

std::string cas_json(std::string_view list, std::uint64_t sequence, UnixTime issued,
                     const std::vector<CaCertificate>& cas, std::string_view href_prefix) {
  json arr = json::array();
  for (const auto& ca : cas) {
    const std::string hex = hex_encode(sha256(ca.der));
    json e = {{"sha256", hex},
              {"href", std::string(href_prefix) + hex + ".cer"},
              {"provider", ca.provider_name},
              {"service", ca.service_name},
              {"service_type", ca.service_type},
              {"status", ca.status},
              {"status_starting_time", format_rfc3339(ca.status_starting_time)},
              {"ocsp", ca.ocsp},
              {"crl", ca.crl},
              {"tsp", ca.tsp},
              {"other", ca.other}};
    if (auto cert = x509_from_der(ca.der)) {
      e["subject"] = x509_name_text(X509_get_subject_name(cert->get()));
      auto nb = asn1_time_to_unix(X509_get0_notBefore(cert->get()));
      auto na = asn1_time_to_unix(X509_get0_notAfter(cert->get()));
      if (nb) e["not_before"] = format_rfc3339(*nb);
      if (na) e["not_after"] = format_rfc3339(*na);
    }
    arr.push_back(std::move(e));
  }
  json doc = {{"list", std::string(list)}, {"sequence", sequence}, {"issued", format_rfc3339(issued)},
              {"cas", std::move(arr)}};
  return doc.dump(1, ' ', false, json::error_handler_t::replace);
}


}  // namespace trustmon::tsl
