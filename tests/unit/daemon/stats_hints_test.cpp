// The statistics' key-storage default per issuer, read from the trusted list's
// qualifiers of the service whose identity is the issuer's CA certificate.
#include <gtest/gtest.h>

#include "responder/daemon/stats_hints.hpp"
#include "tests/support/test_issuers.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::daemon {
namespace {

Bytes der_of(const X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

tsl::TrustService service_for(const X509* ca, const std::vector<std::string>& qualifiers) {
  tsl::TrustService s;
  s.type_identifier = tsl::kSvcTypeCaQc;
  tsl::DigitalId id;
  id.kind = tsl::DigitalId::Kind::x509_certificate;
  id.der = der_of(ca);
  s.digital_identity.push_back(id);
  std::string xml = "<tsl:Qualifications xmlns:tsl=\"http://uri.etsi.org/02231/v2#\"><tsl:QualificationElement>"
                    "<tsl:Qualifiers>";
  for (const auto& q : qualifiers)
    xml += "<tsl:Qualifier uri=\"http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/" + q + "\"></tsl:Qualifier>";
  xml += "</tsl:Qualifiers></tsl:QualificationElement></tsl:Qualifications>";
  s.extensions.push_back(tsl::Extension{true, xml});
  return s;
}

TEST(StatsHints, QualifiersOfTheIssuersServiceGiveItsKeyStorage) {
  const auto& pki = testing::shared_test_pki();
  tsl::TrustedList list;
  list.providers.resize(1);
  list.providers[0].services.push_back(service_for(pki.ca_ec.get(), {"QCQSCDManagedOnBehalf"}));
  list.providers[0].services.push_back(service_for(pki.ca_rsa.get(), {"QCWithQSCD", "QCNoQSCD"}));
  const auto hints = storage_hints(list, testing::shared_issuers());
  ASSERT_EQ(hints.count(testing::kEcIssuer), 1u);
  EXPECT_EQ(hints.at(testing::kEcIssuer), stats::Storage::qscd_remote);
  // Two contradicting qualifiers (chosen by criteria per certificate): no default.
  EXPECT_EQ(hints.count(testing::kRsaIssuer), 0u);
  list.providers[0].services[1] = service_for(pki.ca_rsa.get(), {"QCWithSSCD"});
  EXPECT_EQ(storage_hints(list, testing::shared_issuers()).at(testing::kRsaIssuer), stats::Storage::qscd);
  list.providers[0].services[1] = service_for(pki.root.get(), {"QCNoQSCD"});  // not our issuer's
  EXPECT_EQ(storage_hints(list, testing::shared_issuers()).count(testing::kRsaIssuer), 0u);
}

}  // namespace
}  // namespace trustmon::daemon
