// Attribute extraction from real-shaped Ukrainian certificates, normalisation, index
// keys and query parsing.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/utf8.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "responder/registry/attributes.hpp"
#include "tests/support/test_pki.hpp"
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

std::vector<Attribute> attributes_of(const Bytes& der) {
  auto attrs = extract_attributes(der);
  EXPECT_TRUE(attrs) << "the certificate does not walk";
  return attrs.value_or(std::vector<Attribute>{});
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
  auto attrs = attributes_of(der);
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
  // The key fingerprint of an ordinary P-256 key is the SHA-256 of its SPKI as encoded.
  auto view = pki::parse_cert_view(der);
  ASSERT_TRUE(view);
  EXPECT_EQ(pki::key_fingerprint(*view), testing::spki_der_sha256(cert->get()));

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
  auto attrs = attributes_of(der);
  EXPECT_EQ(value_of(attrs, "drfo"), "1");
  EXPECT_EQ(value_of(attrs, "sda:1.1"), "<absent>");  // named, not by suffix
  for (const auto& a : attrs) EXPECT_NE(a.value, "OTHER");  // 1.2.804.2.1.1.1.11.1.5 is not the arc
  EXPECT_EQ(attrs.size(), 3u);  // cn, drfo, sha256 (…11.1.41.1 is not under …11.1.4 either)
}

// Re-signs `der` after `edit` changed the decoded certificate (test CA: pki.ca_ec).
Bytes edited(const Bytes& der, const std::function<void(X509*)>& edit) {
  const auto& pki = testing::shared_test_pki();
  auto cert = x509_from_der(der);
  if (!cert.ok()) return {};
  edit(cert->get());
  if (X509_sign(cert->get(), pki.ca_ec_key.get(), EVP_sha256()) <= 0) return {};
  return x509_der(cert->get());
}

void set_raw_extension(X509* x, int nid, const Bytes& value) {
  const int at = X509_get_ext_by_NID(x, nid, -1);
  if (at >= 0) X509_EXTENSION_free(X509_delete_ext(x, at));
  Asn1OctetStringPtr os(ASN1_OCTET_STRING_new());
  ASSERT_TRUE(os && ASN1_OCTET_STRING_set(os.get(), value.data(), static_cast<int>(value.size())) == 1);
  X509ExtPtr ext(X509_EXTENSION_create_by_NID(nullptr, nid, 0, os.get()));
  ASSERT_TRUE(ext);
  ASSERT_EQ(X509_add_ext(x, ext.get(), -1), 1);
}

TEST(Attributes, SanEmailAndDnsAmongOtherGeneralNames) {
  const auto& pki = testing::shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  UaCertSpec s;
  s.cn = "x";
  s.san = {"otherName:1.3.6.1.4.1.311.20.2.3;UTF8:upn@example.ua", "URI:https://example.ua/",
           "IP:192.0.2.1", "email:Mail@Example.UA", "RID:1.2.3.4", "IP:2001:db8::1", "DNS:Host.Example.UA",
           "email:second@example.ua"};
  const Bytes der = testing::make_ua_cert(s, pki.ca_ec.get(), pki.ca_ec_key.get(), key.get());
  auto cert = x509_from_der(der);
  ASSERT_TRUE(cert.ok());
  auto attrs = attributes_of(der);
  std::vector<std::string> san;
  for (const auto& a : attrs)
    if (a.kind == AttrKind::san_email || a.kind == AttrKind::san_dns) san.push_back(attribute_name(a) + "=" + a.value);
  EXPECT_EQ(san, (std::vector<std::string>{"san_email=mail@example.ua", "san_dns=host.example.ua",
                                           "san_email=second@example.ua"}));

  // One malformed GeneralName ([9] does not exist) spoils the whole extension, as in OpenSSL.
  const Bytes bad_san = testing::tlv(0x30, {testing::tlv(0x81, as_bytes(std::string("a@b.ua"))),
                                            testing::tlv(0x89, as_bytes(std::string("x")))});
  const Bytes bad = edited(der, [&](X509* x) { set_raw_extension(x, NID_subject_alt_name, bad_san); });
  ASSERT_FALSE(bad.empty());
  auto bad_cert = x509_from_der(bad);
  ASSERT_TRUE(bad_cert.ok());
  EXPECT_EQ(X509_get_ext_d2i(bad_cert->get(), NID_subject_alt_name, nullptr, nullptr), nullptr);
  ossl_errors();
  for (const auto& a : attributes_of(bad))
    EXPECT_TRUE(a.kind != AttrKind::san_email && a.kind != AttrKind::san_dns) << attribute_name(a);
  // The same entry alone is read.
  const Bytes good_san = testing::tlv(0x30, {testing::tlv(0x81, as_bytes(std::string("a@b.ua")))});
  const Bytes good = edited(der, [&](X509* x) { set_raw_extension(x, NID_subject_alt_name, good_san); });
  auto good_cert = x509_from_der(good);
  ASSERT_TRUE(good_cert.ok());
  EXPECT_EQ(value_of(attributes_of(good), "san_email"), "a@b.ua");
}

// SubjectDirectoryAttributes values are read like subject values: BMPString and T61String
// converted to UTF-8; a value that is not a string (or not a valid one) as '#' + its DER.
TEST(Attributes, SdaValuesOfEveryType) {
  const auto& pki = testing::shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  UaCertSpec s;
  s.cn = "x";
  const Bytes der = testing::make_ua_cert(s, pki.ca_ec.get(), pki.ca_ec_key.get(), key.get());
  const auto attr = [](const std::string& suffix, Bytes value) {
    return testing::tlv(0x30, {testing::oid_der("1.2.804.2.1.1.1.11.1.4." + suffix), testing::tlv(0x31, value)});
  };
  const Bytes sda = testing::tlv(0x30, {attr("1.1", testing::tlv(0x1e, Bytes{0x04, 0x10, 0x00, 0x31})),  // BMP "А1"
                                        attr("2.1", testing::tlv(0x14, Bytes{0xe9})),              // T61 "é"
                                        attr("7.1", testing::tlv(0x02, Bytes{0x05})),              // INTEGER 5
                                        attr("8.1", testing::tlv(0x0c, Bytes{0xff}))});            // bad UTF-8
  const Bytes edited_der =
      edited(der, [&](X509* x) { set_raw_extension(x, NID_subject_directory_attributes, sda); });
  ASSERT_FALSE(edited_der.empty());
  auto attrs = attributes_of(edited_der);
  EXPECT_EQ(value_of(attrs, "drfo"), "А1");
  EXPECT_EQ(value_of(attrs, "edrpou"), "é");  // identifiers are upper-cased in ASCII only
  EXPECT_EQ(value_of(attrs, "sda:7.1"), "#020105");
  EXPECT_EQ(value_of(attrs, "sda:8.1"), "#0C01FF");
}

// Subject values in every string type the QTSPs use give what OpenSSL's
// ASN1_STRING_to_UTF8 gives, normalised.
TEST(Attributes, SubjectStringTypesAgreeWithOpenSsl) {
  const auto& pki = testing::shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  UaCertSpec s;
  s.cn = "x";
  const Bytes base = testing::make_ua_cert(s, pki.ca_ec.get(), pki.ca_ec_key.get(), key.get());
  const auto converted = [](int nid, unsigned long mask, const std::string& utf8, X509_NAME* name) {
    ASN1_STRING* str = nullptr;
    ASSERT_GT(ASN1_mbstring_copy(&str, reinterpret_cast<const unsigned char*>(utf8.data()),
                                 static_cast<int>(utf8.size()), MBSTRING_UTF8, mask), 0);
    ASSERT_EQ(X509_NAME_add_entry_by_NID(name, nid, ASN1_STRING_type(str), ASN1_STRING_get0_data(str),
                                         ASN1_STRING_length(str), -1, 0), 1);
    ASN1_STRING_free(str);
  };
  const Bytes der = edited(base, [&](X509* x) {
    X509NamePtr name(X509_NAME_new());
    converted(NID_commonName, B_ASN1_BMPSTRING, "ШЕВЧЕНКО Тарас", name.get());
    const Bytes latin1{'C', 'A', 'F', 0xc9};  // T61String read as Latin-1: "CAFÉ"
    ASSERT_EQ(X509_NAME_add_entry_by_NID(name.get(), NID_organizationName, V_ASN1_T61STRING, latin1.data(),
                                         static_cast<int>(latin1.size()), -1, 0), 1);
    converted(NID_serialNumber, B_ASN1_UNIVERSALSTRING, "tinua-123", name.get());
    converted(NID_organizationIdentifier, B_ASN1_UTF8STRING, "ntrua-1", name.get());
    const std::string email = "Me@Example.UA";
    ASSERT_EQ(X509_NAME_add_entry_by_NID(name.get(), NID_pkcs9_emailAddress, V_ASN1_IA5STRING,
                                         reinterpret_cast<const unsigned char*>(email.data()),
                                         static_cast<int>(email.size()), -1, 0), 1);
    ASSERT_EQ(X509_set_subject_name(x, name.get()), 1);
  });
  ASSERT_FALSE(der.empty());
  auto cert = x509_from_der(der);
  ASSERT_TRUE(cert.ok());
  auto attrs = attributes_of(der);
  EXPECT_EQ(value_of(attrs, "cn"), "шевченко тарас");
  EXPECT_EQ(value_of(attrs, "o"), "café");
  EXPECT_EQ(value_of(attrs, "serial_number"), "TINUA-123");
  EXPECT_EQ(value_of(attrs, "organization_identifier"), "NTRUA-1");
  EXPECT_EQ(value_of(attrs, "email"), "me@example.ua");
  // The same through OpenSSL's decoder and conversion.
  const X509_NAME* subject = X509_get_subject_name(cert->get());
  const std::pair<int, const char*> kinds[] = {{NID_commonName, "cn"}, {NID_organizationName, "o"},
                                               {NID_serialNumber, "serial_number"},
                                               {NID_organizationIdentifier, "organization_identifier"},
                                               {NID_pkcs9_emailAddress, "email"}};
  for (const auto& [nid, name] : kinds) {
    const int at = X509_NAME_get_index_by_NID(subject, nid, -1);
    ASSERT_GE(at, 0) << name;
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
    ASSERT_GE(n, 0) << name;
    auto q = parse_attribute_query(name, std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n)));
    OPENSSL_free(utf8);
    ASSERT_TRUE(q.ok()) << name;
    EXPECT_EQ(value_of(attrs, name), q->value) << name;
  }
}

TEST(Attributes, Normalisation) {
  EXPECT_EQ(normalise(AttrKind::serial_number, "  tinua-1234567890 "), "TINUA-1234567890");
  EXPECT_EQ(normalise(AttrKind::serial_number, "passua-АА123456"), "PASSUA-АА123456");  // separators and non-ASCII kept
  EXPECT_EQ(normalise(AttrKind::organization_identifier, "ntrua-12345678"), "NTRUA-12345678");
  EXPECT_EQ(normalise(AttrKind::email, " A.B@Example.COM"), "a.b@example.com");
  EXPECT_EQ(normalise(AttrKind::san_dns, "WWW.Example.UA."), "www.example.ua");
  // Normalising twice changes nothing (fuzz_cert_attributes found "svc.example.." losing one
  // dot per pass, so a query for the reported value missed the stored key).
  for (const char* dns : {"svc.example..", "svc.example. .", "a.b . ", ".", "..", "x"}) {
    const std::string once = normalise(AttrKind::san_dns, dns);
    EXPECT_EQ(normalise(AttrKind::san_dns, once), once) << dns;
  }
  EXPECT_EQ(normalise(AttrKind::san_dns, "svc.example.."), "svc.example");
  EXPECT_EQ(normalise(AttrKind::cn, "\t Дем’ян   ЄВГЕНІЙ Їжак ҐРУНТ\u00a0 Ab "), "дем'ян євгеній їжак ґрунт ab");
  EXPECT_EQ(normalise(AttrKind::cn, "Дем\u02bcян"), normalise(AttrKind::cn, "дем'ян"));
  EXPECT_EQ(normalise(AttrKind::o, "ÉCOLE"), "école");
  // Not UTF-8: '#' + the hex of the octets as given (nothing trimmed), hex case per kind.
  const std::string invalid = "\xff\xfe A";
  EXPECT_EQ(normalise(AttrKind::cn, invalid), "#fffe2041");
  EXPECT_EQ(normalise(AttrKind::serial_number, invalid), "#FFFE2041");
  EXPECT_EQ(normalise(AttrKind::san_dns, "a.example.y\xf7\x97\x8btp://x"), "#612e6578616d706c652e79f7978b74703a2f2f78");
  EXPECT_EQ(normalise(AttrKind::cn, "\xc0\xaf"), "#c0af");          // overlong
  EXPECT_EQ(normalise(AttrKind::o, "\xed\xa0\x80"), "#eda080");    // surrogate
  EXPECT_EQ(normalise(AttrKind::email, "x\xf4\x90\x80\x80"), "#78f4908080");  // above U+10FFFF
}

// D4: a SAN dNSName whose octets are not UTF-8 (F7 is never a lead octet) is kept as
// '#hex', searchable in that form, and its attributes JSON is strict JSON.
TEST(Attributes, InvalidUtf8SanIsHexAndStrictJson) {
  const auto& pki = testing::shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  UaCertSpec s;
  s.cn = "Бад Сан";
  const Bytes der = testing::make_ua_cert(s, pki.ca_ec.get(), pki.ca_ec_key.get(), key.get());
  const std::string bad = "a.example.y\xf7\x97\x8btp://x";
  // SubjectAltName ::= SEQUENCE { dNSName [2] IA5String, rfc822Name [1] }
  const Bytes san = testing::tlv(0x30, {testing::tlv(0x82, to_bytes(as_bytes(bad))),
                                        testing::tlv(0x81, to_bytes(as_bytes(std::string("u@\xff.example"))))});
  const Bytes edited_der = edited(der, [&](X509* x) { set_raw_extension(x, NID_subject_alt_name, san); });
  ASSERT_FALSE(edited_der.empty());
  auto attrs = attributes_of(edited_der);
  const std::string hex = "#612e6578616d706c652e79f7978b74703a2f2f78";
  EXPECT_EQ(value_of(attrs, "san_dns"), hex);
  EXPECT_EQ(value_of(attrs, "san_email"), "#7540ff2e6578616d706c65");
  EXPECT_EQ(value_of(attrs, "cn"), "бад сан");
  // The query in hex form (either case) finds the same index key.
  auto q = parse_attribute_query("san_dns=#612E6578616D706C652E79F7978B74703A2F2F78");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->value, hex);
  const auto stored = std::find_if(attrs.begin(), attrs.end(), [](const Attribute& a) { return a.kind == AttrKind::san_dns; });
  ASSERT_NE(stored, attrs.end());
  EXPECT_EQ(index_key(*q), index_key(*stored));
  // The raw octets in a query normalise to the same form.
  auto raw = parse_attribute_query("san_dns", bad);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->value, hex);
  // The payload fragment is strict JSON (nlohmann refuses ill-formed UTF-8) and dumps strictly.
  std::string json;
  append_attributes_json(json, attrs);
  auto j = nlohmann::json::parse(json, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json;
  EXPECT_NO_THROW((void)j.dump());
  EXPECT_TRUE(utf8_valid(json));
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
