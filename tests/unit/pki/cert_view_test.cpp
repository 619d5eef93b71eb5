// The DER walk and the fast verifier agree with OpenSSL's d2i_X509 / X509_verify.
#include <gtest/gtest.h>

#include <algorithm>

#include "responder/pki/cert_view.hpp"
#include "tests/support/ocsp_client.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/unit/registry/ua_certs.hpp"

namespace trustmon::pki {
namespace {

using testing::KeyType;
using testing::tlv;

TEST(CertView, FieldsMatchOpenSsl) {
  const auto& pki = testing::shared_test_pki();
  const Bytes der = x509_der(pki.leaves_rsa[0].cert.get());
  auto v = parse_cert_view(der);
  ASSERT_TRUE(v);
  EXPECT_EQ(view_serial(*v), pki.leaves_rsa[0].serial);
  auto subject = decode_name(v->subject);
  auto issuer = decode_name(v->issuer);
  ASSERT_TRUE(subject && issuer);
  EXPECT_EQ(X509_NAME_cmp(subject.get(), X509_get_subject_name(pki.leaves_rsa[0].cert.get())), 0);
  EXPECT_EQ(X509_NAME_cmp(issuer.get(), X509_get_subject_name(pki.ca_rsa.get())), 0);
  auto ext = parse_extensions(v->extensions);
  ASSERT_TRUE(ext);
  EXPECT_EQ(static_cast<int>(ext->size()), X509_get_ext_count(pki.leaves_rsa[0].cert.get()));
  // Truncated or extended DER is refused.
  EXPECT_FALSE(parse_cert_view(ByteView(der).first(der.size() - 1)));
  Bytes longer = der;
  longer.push_back(0);
  EXPECT_FALSE(parse_cert_view(longer));
}

TEST(CertView, VerificationAgreesWithX509Verify) {
  const auto& pki = testing::shared_test_pki();
  struct Case {
    KeyType type;
    const EVP_MD* md;  // nullptr: issue_cert's own (SHA-256, none for Ed25519)
  };
  for (const Case c : {Case{KeyType::p256, nullptr}, Case{KeyType::rsa2048, nullptr}, Case{KeyType::ed25519, nullptr},
                       Case{KeyType::rsa2048, EVP_sha384()}, Case{KeyType::rsa2048, EVP_sha512()},
                       Case{KeyType::p256, EVP_sha384()}}) {
    SCOPED_TRACE(static_cast<int>(c.type));
    auto ca_key = testing::generate_key(c.type);
    testing::CertOptions ca_opts;
    ca_opts.common_name = "CA";
    ca_opts.ca = true;
    X509Ptr ca = testing::issue_cert(ca_opts, ca_key.get(), nullptr, nullptr);
    auto leaf_key = testing::generate_key(KeyType::p256);
    testing::CertOptions leaf_opts;
    leaf_opts.common_name = "leaf";
    X509Ptr leaf = testing::issue_cert(leaf_opts, leaf_key.get(), ca.get(), ca_key.get());
    if (c.md != nullptr) {
      ASSERT_GT(X509_sign(leaf.get(), ca_key.get(), c.md), 0);
    }
    Bytes der = x509_der(leaf.get());
    auto v = parse_cert_view(der);
    ASSERT_TRUE(v);
    Bytes tampered = der;
    tampered[v->tbs.data() - der.data() + v->tbs.size() - 5] ^= 1;
    auto tv = parse_cert_view(tampered);
    ASSERT_TRUE(tv);
    // Twice: the second round runs on the contexts the first one cached for this thread.
    for (int round = 0; round < 2; ++round) {
      SCOPED_TRACE(round);
      EXPECT_EQ(verify_signature(der, *v, X509_get0_pubkey(ca.get())), SignatureCheck::valid);
      // Another CA's key, and one flipped bit in the signed part, do not verify.
      EXPECT_EQ(verify_signature(der, *v, X509_get0_pubkey(pki.ca_ec.get())), SignatureCheck::invalid);
      EXPECT_EQ(verify_signature(der, *v, X509_get0_pubkey(pki.ca_rsa.get())), SignatureCheck::invalid);
      EXPECT_EQ(verify_signature(tampered, *tv, X509_get0_pubkey(ca.get())), SignatureCheck::invalid);
      EXPECT_EQ(verify_signature(der, *v, nullptr), SignatureCheck::unverifiable);
      ossl_errors();
    }
  }
}

// ------------------------------------------------------------------ names

Bytes name_der(const X509_NAME* name) {
  unsigned char* der = nullptr;
  const int n = i2d_X509_NAME(name, &der);
  if (n <= 0) return {};
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

std::string openssl_utf8(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) {
    ossl_errors();
    return "<invalid>";
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

TEST(CertView, NameWalkAgreesWithOpenSsl) {
  X509NamePtr name(X509_NAME_new());
  ASSERT_TRUE(name);
  const auto add = [&](int nid, int type, ByteView value) {
    ASSERT_EQ(X509_NAME_add_entry_by_NID(name.get(), nid, type, value.data(), static_cast<int>(value.size()), -1, 0), 1)
        << ossl_errors();
  };
  const std::string cyrillic = "Шевченко Тарас Ґ’";
  add(NID_countryName, V_ASN1_PRINTABLESTRING, as_bytes(std::string("UA")));
  add(NID_commonName, MBSTRING_UTF8 | 0, as_bytes(cyrillic));                       // UTF8String
  add(NID_organizationName, V_ASN1_T61STRING, Bytes{'C', 'a', 'f', 0xe9, 0xff});    // Latin-1 octets
  add(NID_organizationalUnitName, V_ASN1_IA5STRING, as_bytes(std::string("it@x")));
  // BMPString and UniversalString: OpenSSL converts the UTF-8 input to the requested type.
  const auto add_converted = [&](int nid, int mbstring_type, unsigned long mask, const std::string& utf8) {
    ASN1_STRING* converted = nullptr;
    ASSERT_GT(ASN1_mbstring_copy(&converted, reinterpret_cast<const unsigned char*>(utf8.data()),
                                 static_cast<int>(utf8.size()), mbstring_type, mask), 0);
    ASSERT_EQ(X509_NAME_add_entry_by_NID(name.get(), nid, ASN1_STRING_type(converted), ASN1_STRING_get0_data(converted),
                                         ASN1_STRING_length(converted), -1, 0), 1);
    ASN1_STRING_free(converted);
  };
  add_converted(NID_stateOrProvinceName, MBSTRING_UTF8, B_ASN1_BMPSTRING, "Київ ї");
  add_converted(NID_title, MBSTRING_UTF8, B_ASN1_UNIVERSALSTRING, "Ʉ \xf0\x9f\x98\x80 𝄞");
  add(NID_serialNumber, V_ASN1_NUMERICSTRING, as_bytes(std::string("1234 5")));
  add(NID_pkcs9_emailAddress, V_ASN1_IA5STRING, as_bytes(std::string("A@B.ua")));

  const Bytes der = name_der(name.get());
  ASSERT_FALSE(der.empty());
  auto walked = parse_name(der);
  ASSERT_TRUE(walked);
  X509NamePtr decoded = decode_name(der);
  ASSERT_TRUE(decoded);
  ASSERT_EQ(static_cast<int>(walked->size()), X509_NAME_entry_count(decoded.get()));
  std::vector<int> types;
  for (int i = 0; i < X509_NAME_entry_count(decoded.get()); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(decoded.get(), i);
    const NameAttribute& a = (*walked)[static_cast<std::size_t>(i)];
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(e);
    EXPECT_EQ(to_bytes(a.oid), Bytes(OBJ_get0_data(obj), OBJ_get0_data(obj) + OBJ_length(obj)));
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(e);
    types.push_back(ASN1_STRING_type(data));
    EXPECT_EQ(a.value.tag, ASN1_STRING_type(data));
    auto mine = directory_string_utf8(a.value.tag, a.value.content);
    EXPECT_EQ(mine ? *mine : "<invalid>", openssl_utf8(data)) << "entry " << i;
  }
  // The types the test means to cover were really encoded.
  for (int t : {V_ASN1_UTF8STRING, V_ASN1_T61STRING, V_ASN1_BMPSTRING, V_ASN1_UNIVERSALSTRING, V_ASN1_PRINTABLESTRING,
                V_ASN1_IA5STRING, V_ASN1_NUMERICSTRING})
    EXPECT_NE(std::find(types.begin(), types.end(), t), types.end()) << t;
  EXPECT_EQ(*directory_string_utf8(0x14, Bytes{'C', 'a', 'f', 0xe9}), "Caf\u00e9");
  EXPECT_EQ(*directory_string_utf8(0x1e, Bytes{0x04, 0x1a}), "\u041a");
  EXPECT_EQ(*directory_string_utf8(0x1c, Bytes{0x00, 0x01, 0xf6, 0x00}), "\U0001f600");
}

// parse_name refuses exactly the (DER) names d2i_X509_NAME refuses.
TEST(CertView, NameWalkRefusesWhatOpenSslRefuses) {
  const Bytes cn = testing::oid_der("2.5.4.3");
  const auto name_with = [&](Bytes value) { return tlv(0x30, {tlv(0x31, {tlv(0x30, {cn, value})})}); };
  struct Case {
    const char* what;
    Bytes der;
  };
  const std::vector<Case> cases = {
      {"printable", name_with(tlv(0x13, as_bytes(std::string("ok"))))},
      {"utf8 valid", name_with(tlv(0x0c, as_bytes(std::string("Київ"))))},
      {"utf8 invalid octet", name_with(tlv(0x0c, Bytes{'a', 0xff}))},
      {"utf8 truncated", name_with(tlv(0x0c, Bytes{0xd0}))},
      {"utf8 overlong", name_with(tlv(0x0c, Bytes{0xc0, 0xaf}))},
      {"utf8 surrogate", name_with(tlv(0x0c, Bytes{0xed, 0xa0, 0x80}))},
      {"utf8 above U+10FFFF", name_with(tlv(0x0c, Bytes{0xf4, 0x90, 0x80, 0x80}))},
      {"bmp odd length", name_with(tlv(0x1e, Bytes{0x04, 0x1a, 0x04}))},
      {"bmp surrogate", name_with(tlv(0x1e, Bytes{0xd8, 0x00}))},
      {"bmp empty", name_with(tlv(0x1e, Bytes{}))},
      {"universal length 6", name_with(tlv(0x1c, Bytes{0, 0, 0, 0x41, 0, 0}))},
      {"universal above U+10FFFF", name_with(tlv(0x1c, Bytes{0, 0x11, 0, 0}))},
      {"t61 high octets", name_with(tlv(0x14, Bytes{0xff, 0x80}))},
      {"numeric", name_with(tlv(0x12, as_bytes(std::string("12"))))},
      {"ia5", name_with(tlv(0x16, as_bytes(std::string("a@b"))))},
      {"visible", name_with(tlv(0x1a, as_bytes(std::string("v"))))},
      {"utctime", name_with(tlv(0x17, as_bytes(std::string("250101000000Z"))))},
      {"integer", name_with(tlv(0x02, Bytes{0x01}))},
      {"octet string", name_with(tlv(0x04, Bytes{0x01}))},
      {"null", name_with(tlv(0x05, Bytes{}))},
      {"sequence", name_with(tlv(0x30, {tlv(0x02, Bytes{1})}))},
      {"bit string", name_with(tlv(0x03, Bytes{0x00, 0xff}))},
      {"bit string 8 unused", name_with(tlv(0x03, Bytes{0x08, 0xff}))},
      {"context tag", name_with(tlv(0x80, Bytes{0x41}))},
      {"empty name", tlv(0x30, Bytes{})},
      {"empty rdn", tlv(0x30, {tlv(0x31, Bytes{})})},
      {"rdn is a sequence", tlv(0x30, {tlv(0x30, {tlv(0x30, {cn, tlv(0x13, Bytes{'a'})})})})},
      {"entry without value", tlv(0x30, {tlv(0x31, {tlv(0x30, {cn})})})},
      {"entry with two values", tlv(0x30, {tlv(0x31, {tlv(0x30, {cn, tlv(0x13, Bytes{'a'}), tlv(0x13, Bytes{'b'})})})})},
      {"oid padded", tlv(0x30, {tlv(0x31, {tlv(0x30, {tlv(0x06, Bytes{0x55, 0x80, 0x04}), tlv(0x13, Bytes{'a'})})})})},
      {"oid truncated", tlv(0x30, {tlv(0x31, {tlv(0x30, {tlv(0x06, Bytes{0x55, 0x84}), tlv(0x13, Bytes{'a'})})})})},
      {"oid empty", tlv(0x30, {tlv(0x31, {tlv(0x30, {tlv(0x06, Bytes{}), tlv(0x13, Bytes{'a'})})})})},
  };
  for (const auto& c : cases) {
    X509NamePtr decoded = decode_name(c.der);
    ossl_errors();
    const bool openssl_accepts = decoded != nullptr;
    EXPECT_EQ(parse_name(c.der).has_value(), openssl_accepts) << c.what << " (OpenSSL accepts: " << openssl_accepts << ")";
  }
  // Where the walk is knowingly stricter: BER constructed strings, and octets after the
  // Name (d2i ignores them; a certificate's Name TLV never has any).
  EXPECT_FALSE(parse_name(name_with(tlv(0x2c, {tlv(0x0c, as_bytes(std::string("a")))}))));
  Bytes trailing = name_with(tlv(0x13, Bytes{'a'}));
  trailing.push_back(0);
  EXPECT_FALSE(parse_name(trailing));
}

// ------------------------------------------------------------------ extensions

TEST(CertView, ExtensionsWalkedAndMalformedOnesRefused) {
  const auto& pki = testing::shared_test_pki();
  const X509* leaf = pki.leaves_rsa[0].cert.get();
  const Bytes der = x509_der(leaf);
  auto v = parse_cert_view(der);
  ASSERT_TRUE(v);
  auto exts = parse_extensions(v->extensions);
  ASSERT_TRUE(exts);
  ASSERT_EQ(static_cast<int>(exts->size()), X509_get_ext_count(leaf));
  for (int i = 0; i < X509_get_ext_count(leaf); ++i) {
    const X509_EXTENSION* e = X509_get_ext(leaf, i);
    const ExtensionView& mine = (*exts)[static_cast<std::size_t>(i)];
    const ASN1_OBJECT* obj = X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(e));
    EXPECT_EQ(to_bytes(mine.oid), Bytes(OBJ_get0_data(obj), OBJ_get0_data(obj) + OBJ_length(obj)));
    EXPECT_EQ(mine.critical, X509_EXTENSION_get_critical(e) == 1);
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(const_cast<X509_EXTENSION*>(e));
    EXPECT_EQ(to_bytes(mine.value), Bytes(ASN1_STRING_get0_data(data), ASN1_STRING_get0_data(data) + ASN1_STRING_length(data)));
  }
  // The authority key identifier is the issuing CA's subject key identifier.
  const ExtensionView* aki = unique_extension(*exts, kOidAuthorityKeyId);
  ASSERT_NE(aki, nullptr);
  auto keyid = authority_key_id(aki->value);
  ASSERT_TRUE(keyid);
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(pki.ca_rsa.get());
  ASSERT_NE(skid, nullptr);
  EXPECT_EQ(to_bytes(*keyid), Bytes(ASN1_STRING_get0_data(skid), ASN1_STRING_get0_data(skid) + ASN1_STRING_length(skid)));
  // AuthorityKeyIdentifier shapes.
  const Bytes id{1, 2, 3, 4};
  EXPECT_EQ(to_bytes(*authority_key_id(tlv(0x30, {tlv(0x80, id)}))), id);
  EXPECT_EQ(to_bytes(*authority_key_id(tlv(0x30, {tlv(0x80, id), tlv(0x82, Bytes{0x05})}))), id);
  EXPECT_FALSE(authority_key_id(tlv(0x30, {tlv(0x82, Bytes{0x05})})));                    // no keyIdentifier
  EXPECT_FALSE(authority_key_id(tlv(0x30, {tlv(0x82, Bytes{0x05}), tlv(0x80, id)})));      // out of order
  EXPECT_FALSE(authority_key_id(tlv(0x30, {tlv(0x80, id), tlv(0x04, id)})));               // unknown field
  EXPECT_FALSE(authority_key_id(tlv(0x31, {tlv(0x80, id)})));
  EXPECT_FALSE(authority_key_id(tlv(0x30, {tlv(0x80, id), tlv(0x82, Bytes{0x00, 0x05})})));  // padded serial
  EXPECT_FALSE(authority_key_id(tlv(0x30, {tlv(0x80, id), tlv(0xa1, {tlv(0x89, id)})})));   // bad GeneralName

  const Bytes ext_ok = tlv(0x30, {testing::oid_der("2.5.29.19"), tlv(0x01, Bytes{0xff}), tlv(0x04, tlv(0x30, Bytes{}))});
  const Bytes ext_plain = tlv(0x30, {testing::oid_der("2.5.29.14"), tlv(0x04, tlv(0x04, id))});
  const Bytes two_der = tlv(0x30, {ext_ok, ext_plain});  // the views point into it
  auto two = parse_extensions(two_der);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  EXPECT_TRUE((*two)[0].critical);
  EXPECT_FALSE((*two)[1].critical);
  EXPECT_EQ(to_bytes((*two)[1].value), tlv(0x04, id));
  EXPECT_TRUE(parse_extensions(Bytes{}));  // absent: no extensions
  EXPECT_EQ(unique_extension(*parse_extensions(tlv(0x30, {ext_plain, ext_plain})), Bytes{0x55, 0x1d, 0x0e}), nullptr);

  // Malformed Extensions: each is refused by d2i_X509_EXTENSIONS too.
  const std::vector<Bytes> malformed = {
      tlv(0x31, {ext_ok}),                                                                         // not a SEQUENCE
      tlv(0x30, {tlv(0x30, {testing::oid_der("2.5.29.19")})}),                                     // no extnValue
      tlv(0x30, {tlv(0x30, {testing::oid_der("2.5.29.19"), tlv(0x01, Bytes{0xff, 0}), tlv(0x04, Bytes{})})}),  // BOOLEAN of 2 octets
      tlv(0x30, {tlv(0x30, {testing::oid_der("2.5.29.19"), tlv(0x04, Bytes{}), tlv(0x04, Bytes{})})}),  // trailing field
      tlv(0x30, {tlv(0x30, {tlv(0x02, Bytes{1}), tlv(0x04, Bytes{})})}),                           // extnID not an OID
      tlv(0x30, {tlv(0x30, {testing::oid_der("2.5.29.19"), tlv(0x03, Bytes{0})})}),                // extnValue not OCTET STRING
      tlv(0x30, {ext_ok, Bytes{0x30, 0x05, 0x06}}),                                                // truncated element
  };
  for (std::size_t i = 0; i < malformed.size(); ++i) {
    EXPECT_FALSE(parse_extensions(malformed[i])) << i;
    const unsigned char* p = malformed[i].data();
    STACK_OF(X509_EXTENSION)* openssl = d2i_X509_EXTENSIONS(nullptr, &p, static_cast<long>(malformed[i].size()));
    EXPECT_EQ(openssl, nullptr) << i;
    sk_X509_EXTENSION_pop_free(openssl, X509_EXTENSION_free);
    ossl_errors();
  }
}

// ------------------------------------------------------------------ times

UnixTime openssl_time(ByteView tlv_bytes) {
  const unsigned char* p = tlv_bytes.data();
  Asn1TimePtr t(d2i_ASN1_TIME(nullptr, &p, static_cast<long>(tlv_bytes.size())));
  if (!t) return -1;
  auto r = asn1_time_to_unix(t.get());
  return r ? *r : -1;
}

TEST(CertView, ValidityTimes) {
  const auto utc = [](const char* s) { return tlv(0x17, as_bytes(std::string(s))); };
  const auto gen = [](const char* s) { return tlv(0x18, as_bytes(std::string(s))); };
  EXPECT_EQ(der_time_to_unix(utc("491231235959Z")), 2524607999);  // 2049-12-31T23:59:59Z
  EXPECT_EQ(der_time_to_unix(utc("500101000000Z")), -631152000);  // 1950-01-01T00:00:00Z
  EXPECT_EQ(der_time_to_unix(utc("700101000000Z")), 0);
  EXPECT_EQ(der_time_to_unix(utc("240229120000Z")), 1709208000);  // leap day
  EXPECT_EQ(der_time_to_unix(gen("20500101000000Z")), 2524608000);
  EXPECT_EQ(der_time_to_unix(gen("99991231235959Z")), 253402300799);
  EXPECT_EQ(der_time_to_unix(gen("19000301000000Z")), -2203891200);
  // Each accepted form gives what d2i_ASN1_TIME + asn1_time_to_unix give.
  for (const Bytes& t : {utc("491231235959Z"), utc("500101000000Z"), utc("240229120000Z"), utc("991231235959Z"),
                         utc("000101000000Z"), gen("20500101000000Z"), gen("21000228235959Z"), gen("20000229000000Z"),
                         gen("19500101000000Z")})
    EXPECT_EQ(der_time_to_unix(t), openssl_time(t)) << as_chars(t).substr(2);
  // Not strict DER: left to OpenSSL.
  for (const Bytes& t : {utc("4912312359Z"), utc("491231235959+0100"), gen("20500101000000.5Z"), gen("205001010000Z"),
                         utc("230229000000Z"), gen("21000229000000Z"), utc("491331000000Z"), utc("490101240000Z"),
                         utc("490101006000Z"), utc("490101000060Z"), utc("4901010000a0Z"), tlv(0x04, Bytes(13, '0'))})
    EXPECT_FALSE(der_time_to_unix(t)) << as_chars(t).substr(2);
}

}  // namespace
}  // namespace trustmon::pki
