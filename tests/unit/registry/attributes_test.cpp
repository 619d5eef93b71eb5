// Attribute extraction from real-shaped Ukrainian certificates, normalisation, index
// keys and query parsing.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "responder/registry/attributes.hpp"
#include "tests/unit/ocsp/test_pki.hpp"
#include "tests/unit/registry/ua_certs.hpp"

namespace trustmon::registry {
namespace {

using testing::UaCertSpec;

UaCertSpec person() {
  UaCertSpec s;
  s.serial = {0x12, 0x34};
  s.cn = "ШЕВЧЕНКО  Тарас   Григорович";
  s.o = "ТОВ \"Квітка\"";
  s.serial_number = "TINUA-1234567890";
  s.org_id = "NTRUA-12345678";
  s.email = "Taras@Example.UA";
  s.san = {"email:Taras.Shevchenko@Example.UA", "DNS:WWW.Kvitka.UA"};
  s.sda = {{"1.1", "1234567890"}, {"2.1", "12345678"}, {"11.1", "19900101-01234"}, {"7.1", "ab-12"}};
  return s;
}

std::string value_of(const std::vector<Attribute>& attrs, const std::string& name) {
  for (const auto& a : attrs)
    if (attribute_name(a) == name) return a.value;
  return "<absent>";
}

TEST(Attributes, ExtractedFromAUkrainianCertificate) {
  const auto& pki = testing::shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  const Bytes der = testing::make_ua_cert(person(), pki.ca_ec.get(), pki.ca_ec_key.get(), key.get());
  auto cert = x509_from_der(der);
  ASSERT_TRUE(cert.ok());
  const Sha256 h = sha256(der);
  auto attrs = extract_attributes(cert->get(), h);
  EXPECT_EQ(value_of(attrs, "serial_number"), "TINUA-1234567890");
  EXPECT_EQ(value_of(attrs, "organization_identifier"), "NTRUA-12345678");
  EXPECT_EQ(value_of(attrs, "cn"), "шевченко тарас григорович");
  EXPECT_EQ(value_of(attrs, "o"), "тов \"квітка\"");
  EXPECT_EQ(value_of(attrs, "email"), "taras@example.ua");
  EXPECT_EQ(value_of(attrs, "san_email"), "taras.shevchenko@example.ua");
  EXPECT_EQ(value_of(attrs, "san_dns"), "www.kvitka.ua");
  EXPECT_EQ(value_of(attrs, "drfo"), "1234567890");
  EXPECT_EQ(value_of(attrs, "edrpou"), "12345678");
  EXPECT_EQ(value_of(attrs, "unzr"), "19900101-01234");
  EXPECT_EQ(value_of(attrs, "sda:7.1"), "AB-12");  // unnamed attribute of the arc, upper-cased
  EXPECT_EQ(value_of(attrs, "sha256"), hex_encode(h));
  EXPECT_NE(spki_sha256(cert->get()), Sha256{});

  auto pairs = attribute_pairs(attrs);
  EXPECT_NE(std::find(pairs.begin(), pairs.end(), std::make_pair(std::string("drfo"), std::string("1234567890"))),
            pairs.end());
  std::string json;
  append_attributes_json(json, attrs);
  EXPECT_NE(json.find("[\"o\",\"тов \\\"квітка\\\"\"]"), std::string::npos) << json;
}

TEST(Attributes, AttributesOutsideTheUkrainianArcAreIgnored) {
  const auto& pki = testing::shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  UaCertSpec s;
  s.cn = "x";
  s.sda = {{"1.1", "1"}, {"1.2.804.2.1.1.1.11.1.5.1.1", "other"}, {"1.2.804.2.1.1.1.11.1.41.1", "x"}};
  Bytes der = testing::make_ua_cert(s, pki.ca_ec.get(), pki.ca_ec_key.get(), key.get());
  auto cert = x509_from_der(der);
  ASSERT_TRUE(cert.ok());
  auto attrs = extract_attributes(cert->get(), sha256(der));
  EXPECT_EQ(value_of(attrs, "drfo"), "1");
  EXPECT_EQ(value_of(attrs, "sda:1.1"), "<absent>");  // named, not by suffix
  for (const auto& a : attrs) EXPECT_NE(a.value, "OTHER");  // 1.2.804.2.1.1.1.11.1.5 is not the arc
  EXPECT_EQ(attrs.size(), 3u);  // cn, drfo, sha256 (…11.1.41.1 is not under …11.1.4 either)
}

TEST(Attributes, Normalisation) {
  EXPECT_EQ(normalise(AttrKind::serial_number, "  tinua-1234567890 "), "TINUA-1234567890");
  EXPECT_EQ(normalise(AttrKind::serial_number, "passua-АА123456"), "PASSUA-АА123456");  // separators and non-ASCII kept
  EXPECT_EQ(normalise(AttrKind::organization_identifier, "ntrua-12345678"), "NTRUA-12345678");
  EXPECT_EQ(normalise(AttrKind::email, " A.B@Example.COM"), "a.b@example.com");
  EXPECT_EQ(normalise(AttrKind::san_dns, "WWW.Example.UA."), "www.example.ua");
  EXPECT_EQ(normalise(AttrKind::cn, "\t Дем’ян   ЄВГЕНІЙ Їжак ҐРУНТ\u00a0 Ab "), "дем'ян євгеній їжак ґрунт ab");
  EXPECT_EQ(normalise(AttrKind::cn, "Дем\u02bcян"), normalise(AttrKind::cn, "дем'ян"));
  EXPECT_EQ(normalise(AttrKind::o, "ÉCOLE"), "école");
  const std::string invalid = "\xff\xfe A";
  EXPECT_EQ(normalise(AttrKind::cn, invalid), "\xff\xfe A");  // not UTF-8: byte for byte (trimmed)
}

TEST(Attributes, QueryParsing) {
  auto q = parse_attribute_query("drfo=1234567890");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->kind, AttrKind::sda);
  EXPECT_EQ(q->sda_suffix, "1.1");
  EXPECT_EQ(attribute_name(*q), "drfo");
  auto sda = parse_attribute_query("sda:7.1", " ab-12");
  ASSERT_TRUE(sda.ok());
  EXPECT_EQ(sda->value, "AB-12");
  auto full = parse_attribute_query("sda:1.2.804.2.1.1.1.11.1.4.2.1", "12345678");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(attribute_name(*full), "edrpou");
  auto cn = parse_attribute_query("cn", "ШЕВЧЕНКО Тарас");
  ASSERT_TRUE(cn.ok());
  EXPECT_EQ(cn->value, "шевченко тарас");
  auto is = parse_attribute_query("issuer_serial=ec:00:0a:bc");
  ASSERT_TRUE(is.ok());
  EXPECT_EQ(is->value, "ec:0ABC");  // the first colon ends the issuer name
  EXPECT_TRUE(parse_attribute_query("sha256", std::string(64, 'A')).ok());
  EXPECT_EQ(parse_attribute_query("sha256", "abc").error().code, "query_value_invalid");
  EXPECT_EQ(parse_attribute_query("colour=red").error().code, "query_kind_unknown");
  EXPECT_EQ(parse_attribute_query("sda:1..2=x").error().code, "query_kind_unknown");
  EXPECT_EQ(parse_attribute_query("cn=   ").error().code, "query_value_invalid");
  EXPECT_EQ(parse_attribute_query("novalue").error().code, "query_kind_unknown");
}

TEST(Attributes, JsonStringsStayValidJson) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\xff\xd0\x86");  // quote, backslash, control, invalid octet, "І"
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j.get<std::string>(), "a\"b\\c\n\xef\xbf\xbd\xd0\x86");
}

TEST(Attributes, IndexKeys) {
  Attribute cn{AttrKind::cn, {}, "іван"};
  Bytes k = index_key(cn);
  ASSERT_FALSE(k.empty());
  EXPECT_EQ(k[0], static_cast<std::uint8_t>(AttrKind::cn));
  EXPECT_EQ(std::string(as_chars(ByteView(k).subspan(1))), "іван");
  Attribute drfo{AttrKind::sda, "1.1", "1"};
  EXPECT_EQ(index_key(drfo), (Bytes{8, '1', '.', '1', 0, '1'}));
  // Long values are keyed by their hash, deterministically, within LMDB's key limit.
  Attribute long_o{AttrKind::o, {}, std::string(600, 'x')};
  Bytes lk = index_key(long_o);
  EXPECT_EQ(lk.size(), 33u);
  EXPECT_EQ(lk[0], 0x80 | static_cast<std::uint8_t>(AttrKind::o));
  EXPECT_EQ(lk, index_key(long_o));
  // A key fingerprint is keyed by its raw octets, as the registry writes it.
  Sha256 fp{};
  fp.fill(0xaa);
  EXPECT_EQ(index_key(Attribute{AttrKind::spki_sha256, {}, std::string(64, 'a')}), spki_index_key(fp));
  EXPECT_EQ(spki_index_key(fp).size(), 33u);
  EXPECT_TRUE(index_key(Attribute{AttrKind::issuer_serial, {}, "ec:01"}).empty());
}

}  // namespace
}  // namespace trustmon::registry
