#include "responder/testbed/test_list.hpp"

#include "tsl/certificates.hpp"
#include "tsl/model.hpp"
#include "tsl/signer.hpp"
#include "tsl/xml.hpp"
#include "tsl/xml_writer.hpp"

namespace trustmon::testbed {
namespace {

constexpr UnixTime kDay = 86400;
constexpr const char* kSvcTypeTsaQtst = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST";

tsl::DigitalIdentity identity_of(const X509* cert) {
  tsl::DigitalId id;
  id.kind = tsl::DigitalId::Kind::x509_certificate;
  id.der = x509_der(cert);
  return {std::move(id)};
}

tsl::TrustedList model(const TestPki& pki, const std::string& base_url, UnixTime now) {
  tsl::TrustedList l;
  l.id = "TrustServiceStatusList-UA-TEST";
  auto& s = l.scheme;
  s.version = 6;
  s.sequence_number = static_cast<std::uint64_t>(now);
  s.tsl_type = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/UAlist";
  s.operator_name = {{"en", "trustmon test bed (TEST)"}, {"uk", "Тестове середовище trustmon (ТЕСТ)"}};
  s.operator_address.postal = {{"en", "Test bed", "Kyiv", std::nullopt, std::string("01001"), "UA"}};
  s.operator_address.electronic = {{"en", base_url + "/api/v1/testca/cas"}};
  s.scheme_name = {{"en", "UA:TEST trusted list of the trustmon test bed - not for production use"}};
  s.information_uri = {{"en", base_url + "/testca/TL-UA-TEST.xml"}};
  s.status_determination_approach = "http://uri.etsi.org/TrstSvc/TrustedList/StatusDetn/UA";
  s.type_community_rules = {{"en", "http://uri.etsi.org/TrstSvc/TrustedList/schemerules/UA"}};
  s.territory = "UA";
  s.policy_or_legal_notice.legal_notices = {
      {"en", "TEST ONLY. The services listed here are the trustmon test bed's; nothing they sign has legal effect."}};
  s.historical_information_period = 65535;
  s.list_issue_date_time = now;
  s.next_update = now + 90 * kDay;
  s.distribution_points = {base_url + "/testca/TL-UA-TEST.xml"};

  tsl::TrustServiceProvider tsp;
  tsp.name = {{"en", "TEST trustmon test bed"}, {"uk", "ТЕСТ тестове середовище trustmon"}};
  tsp.trade_name = {{"en", "NTRUA-00000000"}};
  tsp.address.postal = {{"en", "Test bed", "Kyiv", std::nullopt, std::nullopt, "UA"}};
  tsp.address.electronic = {{"en", base_url + "/api/v1/testca/cas"}};
  tsp.information_uri = {{"en", base_url + "/api/v1/testca/identities"}};
  for (const TestCa& ca : pki.cas()) {
    tsl::TrustService svc;
    svc.type_identifier = tsl::kSvcTypeCaQc;
    svc.name = {{"en", x509_name_text(X509_get_subject_name(ca.ca.cert.get()))}};
    svc.digital_identity = identity_of(ca.ca.cert.get());
    svc.status = tsl::kSvcStatusGranted;
    svc.status_starting_time = now - kDay;
    svc.supply_points = {{base_url + "/ocsp", tsl::kSupplyPointOcspQc},
                         {base_url + "/crl/" + ca.name + ".crl", tsl::kSupplyPointCrlQc}};
    tsp.services.push_back(std::move(svc));
  }
  tsl::TrustService tsa;
  tsa.type_identifier = kSvcTypeTsaQtst;
  tsa.name = {{"en", "TEST Trustmon TSA"}};
  tsa.digital_identity = identity_of(pki.tsa().cert.get());
  tsa.status = tsl::kSvcStatusGranted;
  tsa.status_starting_time = now - kDay;
  tsa.supply_points = {{base_url + "/testca/tsa", ""}};
  tsp.services.push_back(std::move(tsa));
  l.providers.push_back(std::move(tsp));
  return l;
}

}  // namespace

Result<TestListFiles> make_test_list(const TestPki& pki, const std::string& base_url, UnixTime now) {
  const tsl::TrustedList list = model(pki, base_url, now);
  EvpPkeyPtr key(pki.tl_signer().key.get());
  X509Ptr cert(pki.tl_signer().cert.get());
  if (EVP_PKEY_up_ref(key.get()) != 1 || X509_up_ref(cert.get()) != 1) {
    (void)key.release();
    (void)cert.release();
    return ossl_error(ErrorKind::internal, "crypto_failed", "cannot share the test list signer");
  }
  auto signer = tsl::TlSigner::create(std::move(key), std::move(cert));
  if (!signer) return std::move(signer).error();
  tsl::WriteOptions w;
  w.version = 6;
  auto doc = tsl::build_document(list, w);
  if (!doc) return std::move(doc).error();
  if (Status s = signer->sign(doc->get(), 6, now); !s) return std::move(s).error();
  auto xml = tsl::serialize_xml(doc->get());
  if (!xml) return std::move(xml).error();
  TestListFiles files;
  files.xml = std::move(*xml);
  files.issued = now;
  const auto cas = tsl::ca_certificates(list);
  auto p7b = tsl::certs_only_p7b(cas);
  if (!p7b) return std::move(p7b).error();
  files.p7b = std::move(*p7b);
  files.cas_json = tsl::cas_json("UA-TEST", list.scheme.sequence_number, now, cas, "/testca/ca/");
  return files;
}

}  // namespace trustmon::testbed
