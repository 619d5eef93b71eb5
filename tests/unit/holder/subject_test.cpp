// Renewal without changes in the data: the subject comparison, attribute by attribute.
#include <gtest/gtest.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <string>
#include <utility>
#include <vector>

#include "common/ossl.hpp"
#include "responder/holder/subject.hpp"

namespace trustmon::holder {
namespace {

struct Rdn {
  std::string field;
  std::string value;
  int type = MBSTRING_UTF8;
};

Bytes name_der(const std::vector<Rdn>& rdns) {
  X509NamePtr name(X509_NAME_new());
  for (const Rdn& r : rdns)
    EXPECT_EQ(X509_NAME_add_entry_by_txt(name.get(), r.field.c_str(), r.type,
                                         reinterpret_cast<const unsigned char*>(r.value.data()),
                                         static_cast<int>(r.value.size()), -1, 0),
              1)
        << r.field;
  unsigned char* out = nullptr;
  const int n = i2d_X509_NAME(name.get(), &out);
  EXPECT_GT(n, 0);
  Bytes der(out, out + n);
  OPENSSL_free(out);
  return der;
}

const std::vector<Rdn> kHolder = {{"C", "UA", V_ASN1_PRINTABLESTRING},
                                  {"SN", "Тестенко"},
                                  {"GN", "Олена"},
                                  {"CN", "Тестенко Олена"},
                                  {"serialNumber", "TINUA-2345678901", V_ASN1_PRINTABLESTRING}};

TEST(SubjectComparison, EqualSubjectsAreNoChange) {
  auto r = compare_subjects(name_der(kHolder), name_der(kHolder));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_value());
}

TEST(SubjectComparison, TheSameTextInAnotherStringTypeIsNoChange) {
  const Bytes printable = name_der({{"O", "TEST ORG", V_ASN1_PRINTABLESTRING}});
  const Bytes utf8 = name_der({{"O", "TEST ORG", V_ASN1_UTF8STRING}});
  ASSERT_NE(printable, utf8);  // two encodings of one text
  auto r = compare_subjects(printable, utf8);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_TRUE(compare_subjects(printable, name_der({{"O", "TEST ORH", V_ASN1_UTF8STRING}}))->has_value());
}

TEST(SubjectComparison, AChangedSurnameIsNamed) {
  std::vector<Rdn> married = kHolder;
  married[1].value = "Іваненко";
  married[3].value = "Іваненко Олена";
  auto r = compare_subjects(name_der(kHolder), name_der(married));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->position, 1U);
  EXPECT_EQ((*r)->attribute, "surname");
  EXPECT_EQ((*r)->requested, "surname");
}

TEST(SubjectComparison, CaseSpacesOrderAndCountAreChanges) {
  std::vector<Rdn> upper = kHolder;
  upper[4].value = "tinua-2345678901";
  EXPECT_TRUE(compare_subjects(name_der(kHolder), name_der(upper))->has_value());

  std::vector<Rdn> spaced = kHolder;
  spaced[2].value = "Олена ";
  EXPECT_TRUE(compare_subjects(name_der(kHolder), name_der(spaced))->has_value());

  std::vector<Rdn> swapped = kHolder;
  std::swap(swapped[1], swapped[2]);
  auto s = compare_subjects(name_der(kHolder), name_der(swapped));
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->attribute, "surname");
  EXPECT_EQ((*s)->requested, "givenName");

  std::vector<Rdn> shorter(kHolder.begin(), kHolder.end() - 1);
  auto fewer = compare_subjects(name_der(kHolder), name_der(shorter));
  ASSERT_TRUE(fewer->has_value());
  EXPECT_EQ((*fewer)->position, 4U);
  EXPECT_EQ((*fewer)->attribute, "serialNumber");
  EXPECT_EQ((*fewer)->requested, "");

  std::vector<Rdn> longer = kHolder;
  longer.push_back({"L", "Київ"});
  auto more = compare_subjects(name_der(kHolder), name_der(longer));
  ASSERT_TRUE(more->has_value());
  EXPECT_EQ((*more)->attribute, "");
  EXPECT_EQ((*more)->requested, "localityName");
}

TEST(SubjectComparison, MalformedNamesAreRefused) {
  const Bytes junk = {0x30, 0x03, 0x01, 0x01};
  auto r = compare_subjects(name_der(kHolder), junk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "subject_malformed");
}

TEST(SubjectComparison, UnknownAttributesAreNamedByTheirOid) {
  const std::uint8_t oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x01};  // 1.3.6.1.4.1.99999.1
  EXPECT_EQ(attribute_label(ByteView(oid, sizeof oid)), "1.3.6.1.4.1.99999.1");
  const std::uint8_t sn[] = {0x55, 0x04, 0x04};
  EXPECT_EQ(attribute_label(ByteView(sn, sizeof sn)), "surname");
}

}  // namespace
}  // namespace trustmon::holder
