// "My certificates": groups and the CSV export.
#include <gtest/gtest.h>

#include "responder/holder/certificates.hpp"
#include "storage/records.hpp"

namespace trustmon::holder {
namespace {

registry::CertificateSummary summary(const char* status) {
  registry::CertificateSummary s;
  s.status = status;
  s.issuer = "test-ecdsa";
  s.serial_hex = "0A1B";
  s.sha256_hex = std::string(64, 'a');
  s.common_name = "Тестенко Олена";
  s.subject = "CN=Тестенко Олена,C=UA";
  s.not_before = 1800000000;
  s.not_after = 1831536000;
  s.identifiers = {{"serial_number", "TINUA-2345678901"}, {"drfo", "2345678901"}};
  return s;
}

TEST(HolderCertificates, GroupsByStatusAndHold) {
  EXPECT_STREQ(group_of(summary("valid")), "valid");
  EXPECT_STREQ(group_of(summary("not_yet_valid")), "valid");
  EXPECT_STREQ(group_of(summary("expired")), "expired");
  auto revoked = summary("revoked");
  revoked.revoked = true;
  revoked.reason = 1;
  EXPECT_STREQ(group_of(revoked), "revoked");
  revoked.reason = storage::kReasonCertificateHold;
  EXPECT_STREQ(group_of(revoked), "held");
}

TEST(HolderCertificates, CsvQuotesAndDisarmsFormulas) {
  HolderCertificates list;
  HolderCertificate plain;
  plain.summary = summary("valid");
  plain.replaced_by = CertName{"test-ecdsa", "0C"};
  list.items.push_back(plain);
  HolderCertificate tricky;
  tricky.summary = summary("revoked");
  tricky.summary.revoked = true;
  tricky.summary.reason = storage::kReasonCertificateHold;
  tricky.summary.revocation_time = 1800000100;
  tricky.summary.common_name = "=HYPERLINK(\"http://x\")";
  tricky.summary.subject = "CN=a,O=b";
  tricky.group = "held";
  list.items.push_back(tricky);
  const std::string csv = holder_certificates_csv(list);
  const std::string header =
      "group,issuer,serial,common_name,subject,identifiers,not_before,not_after,status,revocation_time,"
      "revocation_reason,replaces,replaced_by\r\n";
  ASSERT_EQ(csv.substr(0, header.size()), header);
  EXPECT_NE(csv.find("valid,test-ecdsa,0A1B,Тестенко Олена,\"CN=Тестенко Олена,C=UA\","
                     "serial_number=TINUA-2345678901;drfo=2345678901,2027-01-15T08:00:00Z,2028-01-15T08:00:00Z,"
                     "valid,,,,test-ecdsa:0C\r\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("held,test-ecdsa,0A1B,\"'=HYPERLINK(\"\"http://x\"\")\",\"CN=a,O=b\""), std::string::npos) << csv;
  EXPECT_NE(csv.find(",held,2027-01-15T08:01:40Z,certificateHold,,\r\n"), std::string::npos) << csv;
}

}  // namespace
}  // namespace trustmon::holder
