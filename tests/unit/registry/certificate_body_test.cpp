#include "responder/registry/certificate_body.hpp"

#include <gtest/gtest.h>

namespace trustmon::registry {
namespace {

constexpr std::string_view kPem =
    "junk before\n"
    "-----BEGIN CERTIFICATE-----\nAQID\nBA==\n-----END CERTIFICATE-----\n"
    "-----BEGIN CERTIFICATE-----\r\nBQY=\r\n-----END CERTIFICATE-----\r\n";

TEST(CertificateBody, MediaTypeDropsParametersAndCase) {
  EXPECT_EQ(media_type("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(media_type(""), "");
}

TEST(CertificateBody, PemBundleSplitsEveryBlock) {
  auto r = decode_certificate_body("application/x-pem-file", as_bytes(kPem));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (Bytes{1, 2, 3, 4}));
  EXPECT_EQ((*r)[1], (Bytes{5, 6}));
}

TEST(CertificateBody, PemRefusesOtherBlocksAndEmptyInput) {
  auto key = decode_certificate_body("application/x-pem-file",
                                     as_bytes("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, "pem_malformed");
  EXPECT_EQ(decode_certificate_body("application/x-pem-file", as_bytes("nothing")).error().code, "pem_malformed");
  EXPECT_EQ(decode_certificate_body("application/x-pem-file", as_bytes("-----BEGIN CERTIFICATE-----\nAQID"))
                .error()
                .code,
            "pem_malformed");
}

TEST(CertificateBody, DerIsOneCertificate) {
  Bytes der{0x30, 0x03, 0x02, 0x01, 0x01};
  auto r = decode_certificate_body("application/pkix-cert", der);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0], der);
  EXPECT_FALSE(decode_certificate_body("application/pkix-cert", ByteView{}).ok());
}

TEST(CertificateBody, JsonArrayOfBase64) {
  auto r = decode_certificate_body("application/json", as_bytes(R"({"certificates":["AQID","!!"]})"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (Bytes{1, 2, 3}));
  EXPECT_TRUE((*r)[1].empty());  // refused later, item by item
  EXPECT_EQ(decode_certificate_body("application/json", as_bytes("[1]")).error().code, "json_malformed");
  EXPECT_EQ(decode_certificate_body("application/json", as_bytes(R"({"certificates":[1]})")).error().code,
            "json_malformed");
  EXPECT_EQ(decode_certificate_body("application/json", as_bytes("{")).error().code, "json_malformed");
}

TEST(CertificateBody, BatchCapAndUnsupportedType) {
  std::string big = "{\"certificates\":[";
  for (std::size_t i = 0; i <= kMaxCertificatesPerBatch; ++i) big += (i ? ",\"AA==\"" : "\"AA==\"");
  big += "]}";
  EXPECT_EQ(decode_certificate_body("application/json", as_bytes(big)).error().code, "batch_too_large");
  EXPECT_EQ(decode_certificate_body("text/plain", as_bytes("x")).error().code, "unsupported_media_type");
}

}  // namespace
}  // namespace trustmon::registry
