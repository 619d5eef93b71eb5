// Responder keys and signer, without storage: every response is judged by OpenSSL's
// client side (signature, responder authority, statuses, extensions).
#include <gtest/gtest.h>

#include <openssl/x509v3.h>

#include <algorithm>

#include "responder/ocsp/responder_keys.hpp"
#include "responder/ocsp/signer.hpp"
#include "tests/support/ocsp_client.hpp"
#include "tests/support/test_issuers.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::ocsp {
namespace {

using testing::dup_cert;
using testing::dup_key;
using testing::find_status;
using testing::shared_test_pki;
using testing::verify_response;

constexpr UnixTime kNow = 1790000000;  // 2026-09-21T14:13:20Z

const ResponderTable& table() { return testing::shared_responders(); }

Bytes certid_der_openssl(const EVP_MD* md, const X509* issuer, ByteView serial) {
  auto id = testing::make_certid(md, issuer, serial);
  unsigned char* buf = nullptr;
  const int len = i2d_OCSP_CERTID(id.get(), &buf);
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

std::vector<const X509*> intermediates() {
  const auto& p = shared_test_pki();
  return {p.ca_ec.get(), p.ca_rsa.get()};
}

TEST(ResponderTable, HashesMatchOpenSslCertIds) {
  const auto& p = shared_test_pki();
  for (auto [md, alg] : {std::pair{EVP_sha1(), HashAlg::sha1}, std::pair{EVP_sha256(), HashAlg::sha256},
                         std::pair{EVP_sha384(), HashAlg::sha384}, std::pair{EVP_sha512(), HashAlg::sha512}}) {
    auto id = testing::make_certid(md, p.ca_rsa.get(), Bytes{0x01});
    ASN1_OCTET_STRING *name = nullptr, *key = nullptr;
    ASSERT_EQ(OCSP_id_get0_info(&name, nullptr, &key, nullptr, id.get()), 1);
    const ByteView nh(ASN1_STRING_get0_data(name), static_cast<std::size_t>(ASN1_STRING_length(name)));
    const ByteView kh(ASN1_STRING_get0_data(key), static_cast<std::size_t>(ASN1_STRING_length(key)));
    const ResponderKeys* k = table().find(alg, nh, kh);
    ASSERT_NE(k, nullptr) << hash_name(alg);
    EXPECT_EQ(k->id, 2u);
    // The other CA's hashes never match, nor a mix of the two.
    const ResponderKeys* ec = table().find_by_id(1);
    EXPECT_EQ(table().find(alg, ec->name_hash_of(alg), kh), nullptr);
    EXPECT_EQ(table().find(alg, nh, ec->key_hash_of(alg)), nullptr);
    EXPECT_EQ(table().find(alg, ec->name_hash_of(alg), ec->key_hash_of(alg)), ec);
  }
  EXPECT_EQ(table().find(HashAlg::unsupported, {}, {}), nullptr);
  EXPECT_EQ(table().find_by_id(9), nullptr);
  EXPECT_TRUE(table().find_by_id(1)->delegated);
  EXPECT_FALSE(table().find_by_id(2)->delegated);
}

TEST(ResponderTable, RefusesBadResponders) {
  const auto& p = shared_test_pki();
  pki::IssuerSet issuers;
  auto added = issuers.add(1, "a", dup_cert(p.ca_ec.get()));
  ASSERT_TRUE(added);
  const pki::Issuer& a = **added;
  ResponderTable t;
  // Key does not match the certificate.
  Status st = t.add(a, dup_cert(p.responder.get()), dup_key(p.ca_ec_key.get()));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "responder_key_mismatch");
  // Delegated certificate without EKU OCSPSigning.
  auto key = testing::generate_key(testing::KeyType::p256);
  auto no_eku = testing::issue_cert({.common_name = "no eku"}, key.get(), p.ca_ec.get(), p.ca_ec_key.get());
  st = t.add(a, std::move(no_eku), dup_key(key.get()));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "responder_not_ocsp_signing");
  // Delegated certificate issued by another CA.
  auto other = testing::issue_cert({.common_name = "other", .ocsp_signing = true, .ocsp_nocheck = true}, key.get(),
                                   p.ca_rsa.get(), p.ca_rsa_key.get());
  st = t.add(a, std::move(other), dup_key(key.get()));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "responder_not_issued_by_ca");
  // Without nocheck: accepted (with a warning).
  auto no_nocheck = testing::issue_cert({.common_name = "no nocheck", .ocsp_signing = true}, key.get(),
                                        p.ca_ec.get(), p.ca_ec_key.get());
  st = t.add(a, std::move(no_nocheck), dup_key(key.get()));
  EXPECT_TRUE(st) << st.error().message;
  // A second responder for the same issuer (duplicate ids and names are pki::IssuerSet's
  // refusals: tests/unit/pki/issuer_set_test.cpp).
  st = t.add(a, nullptr, dup_key(p.ca_ec_key.get()));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "issuer_duplicate");
  EXPECT_EQ(t.size(), 1u);
}

TEST(Signer, CertIdMatchesOpenSsl) {
  const auto& p = shared_test_pki();
  const ResponderKeys& ec = *table().find_by_id(1);
  for (auto [md, alg] : {std::pair{EVP_sha1(), HashAlg::sha1}, std::pair{EVP_sha256(), HashAlg::sha256},
                         std::pair{EVP_sha384(), HashAlg::sha384}, std::pair{EVP_sha512(), HashAlg::sha512}})
    for (const Bytes& serial : {Bytes{0x00}, Bytes{0x7f}, Bytes{0x80}, Bytes{0x80, 0x00, 0x00, 0x01}, Bytes(20, 0xee)})
      EXPECT_EQ(build_certid_der(alg, ec, serial), certid_der_openssl(md, p.ca_ec.get(), serial));
  EXPECT_TRUE(build_certid_der(HashAlg::unsupported, ec, Bytes{1}).empty());
}

TEST(Signer, ErrorConstants) {
  const std::pair<ByteView, int> cases[] = {{kMalformedRequest, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST},
                                            {kInternalError, OCSP_RESPONSE_STATUS_INTERNALERROR},
                                            {kTryLater, OCSP_RESPONSE_STATUS_TRYLATER},
                                            {kSigRequired, OCSP_RESPONSE_STATUS_SIGREQUIRED},
                                            {kUnauthorized, OCSP_RESPONSE_STATUS_UNAUTHORIZED}};
  for (auto [bytes, status] : cases) {
    const unsigned char* q = bytes.data();
    OcspResponsePtr r(d2i_OCSP_RESPONSE(nullptr, &q, static_cast<long>(bytes.size())));
    ASSERT_TRUE(r);
    EXPECT_EQ(OCSP_response_status(r.get()), status);
  }
  EXPECT_EQ(to_bytes(kMalformedRequest), (Bytes{0x30, 0x03, 0x0a, 0x01, 0x01}));
  EXPECT_EQ(to_bytes(error_response(ResponseStatus::unauthorized)), (Bytes{0x30, 0x03, 0x0a, 0x01, 0x06}));
  EXPECT_TRUE(error_response(ResponseStatus::successful).empty());
}

TEST(Signer, DelegatedAndSelfSignedResponsesVerify) {
  const auto& p = shared_test_pki();
  for (storage::IssuerId id : {1u, 2u}) {
    const ResponderKeys& k = *table().find_by_id(id);
    const X509* ca = id == 1 ? p.ca_ec.get() : p.ca_rsa.get();
    const auto& leaves = id == 1 ? p.leaves_ec : p.leaves_rsa;
    const Bytes good_id = build_certid_der(HashAlg::sha1, k, leaves[0].serial);
    const Bytes revoked_id = build_certid_der(HashAlg::sha256, k, leaves[1].serial);
    const Bytes hold_id = build_certid_der(HashAlg::sha512, k, leaves[2].serial);
    const Bytes unknown_id = build_certid_der(HashAlg::sha384, k, Bytes{0x42});
    SingleStatus s[4];
    s[0] = {good_id, CertState::good, 0, storage::kNoReason, 0, kNow, kNow + 86400};
    s[1] = {revoked_id, CertState::revoked, kNow - 5000, 1 /*keyCompromise*/, kNow - 90000, kNow, kNow + 86400};
    s[2] = {hold_id, CertState::revoked, kNow - 7000, storage::kNoReason, 0, kNow, kNow + 86400};
    s[3] = {unknown_id, CertState::unknown, 0, storage::kNoReason, 0, kNow, kNow + 3600};
    auto der = sign_response(k, s, std::nullopt, kNow, false);
    ASSERT_TRUE(der) << der.error().message;
    auto v = verify_response(*der, p.root.get(), intermediates());
    ASSERT_TRUE(v.error.empty()) << v.error;
    EXPECT_TRUE(testing::responder_id_by_key(v.basic.get(), id == 1 ? p.responder.get() : p.ca_rsa.get()));
    EXPECT_EQ(testing::embedded_cert_count(v.basic.get()), id == 1 ? 1 : 0);
    EXPECT_FALSE(testing::has_extended_revoke(v.basic.get()));

    auto r0 = find_status(v.basic.get(), testing::make_certid(EVP_sha1(), ca, leaves[0].serial).get());
    ASSERT_TRUE(r0.found);
    EXPECT_EQ(r0.status, V_OCSP_CERTSTATUS_GOOD);
    EXPECT_EQ(r0.this_update, kNow);
    EXPECT_EQ(r0.next_update, kNow + 86400);
    EXPECT_EQ(r0.hash_nid, NID_sha1);
    auto r1 = find_status(v.basic.get(), testing::make_certid(EVP_sha256(), ca, leaves[1].serial).get());
    ASSERT_TRUE(r1.found);
    EXPECT_EQ(r1.status, V_OCSP_CERTSTATUS_REVOKED);
    EXPECT_EQ(r1.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
    EXPECT_EQ(r1.revocation_time, kNow - 5000);
    ASSERT_TRUE(r1.invalidity_date);
    EXPECT_EQ(*r1.invalidity_date, kNow - 90000);
    EXPECT_EQ(r1.hash_nid, NID_sha256);
    auto r2 = find_status(v.basic.get(), testing::make_certid(EVP_sha512(), ca, leaves[2].serial).get());
    ASSERT_TRUE(r2.found);
    EXPECT_EQ(r2.status, V_OCSP_CERTSTATUS_REVOKED);
    EXPECT_EQ(r2.reason, -1);  // no revocationReason
    EXPECT_FALSE(r2.invalidity_date);
    auto r3 = find_status(v.basic.get(), testing::make_certid(EVP_sha384(), ca, Bytes{0x42}).get());
    ASSERT_TRUE(r3.found);
    EXPECT_EQ(r3.status, V_OCSP_CERTSTATUS_UNKNOWN);
    EXPECT_EQ(r3.next_update, kNow + 3600);
    // A SHA-1 CertID of the SHA-256 answer is not found: the algorithm is part of the match.
    EXPECT_FALSE(find_status(v.basic.get(), testing::make_certid(EVP_sha1(), ca, leaves[1].serial).get()).found);

    // The SingleResponses keep the order of the statuses: the first CertID is the SHA-1 one.
    ASN1_OBJECT* first_alg = nullptr;
    const OCSP_CERTID* first_id = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(v.basic.get(), 0));
    ASSERT_EQ(OCSP_id_get0_info(nullptr, &first_alg, nullptr, nullptr, const_cast<OCSP_CERTID*>(first_id)), 1);
    EXPECT_EQ(OBJ_obj2nid(first_alg), NID_sha1);
  }
}

TEST(Signer, TamperedResponseFailsVerification) {
  const auto& p = shared_test_pki();
  const ResponderKeys& k = *table().find_by_id(1);
  const Bytes id = build_certid_der(HashAlg::sha1, k, p.leaves_ec[0].serial);
  const SingleStatus s{id, CertState::good, 0, storage::kNoReason, 0, kNow, kNow + 86400};
  auto der = sign_response(k, std::span<const SingleStatus>(&s, 1), std::nullopt, kNow, false);
  ASSERT_TRUE(der);
  ASSERT_TRUE(verify_response(*der, p.root.get(), intermediates()).error.empty());
  // Flip one bit of the serial inside tbsResponseData: the signature no longer matches.
  Bytes bad = *der;
  auto pos = std::search(bad.begin(), bad.end(), id.begin(), id.end());
  ASSERT_NE(pos, bad.end());
  *(pos + static_cast<std::ptrdiff_t>(id.size()) - 1) ^= 0x01;
  EXPECT_FALSE(verify_response(bad, p.root.get(), intermediates()).error.empty());
  // Without the CA among the untrusted certificates the delegated chain cannot be built.
  EXPECT_FALSE(verify_response(*der, p.root.get(), {}).error.empty());
}

TEST(Signer, NonceEchoAndExtendedRevoke) {
  const auto& p = shared_test_pki();
  const ResponderKeys& k = *table().find_by_id(1);
  OcspRequestPtr req;
  const Bytes req_der = testing::build_request(
      {.ids = {{EVP_sha1(), p.ca_ec.get()}}, .serials = {Bytes{0x99}}, .nonce = Bytes(16, 0x3c)}, &req);
  const Bytes echo = testing::tlv(0x04, Bytes(16, 0x3c));  // the request's extnValue octets
  const Bytes id = build_certid_der(HashAlg::sha1, k, Bytes{0x99});
  const SingleStatus s{id, CertState::revoked, 0, 6, 0, kNow, kNow + 86400};
  auto der = sign_response(k, std::span<const SingleStatus>(&s, 1), ByteView(echo), kNow, true);
  ASSERT_TRUE(der);
  auto v = verify_response(*der, p.root.get(), intermediates());
  ASSERT_TRUE(v.error.empty()) << v.error;
  EXPECT_EQ(OCSP_check_nonce(req.get(), v.basic.get()), 1);
  EXPECT_TRUE(testing::has_extended_revoke(v.basic.get()));
  auto r = find_status(v.basic.get(), testing::make_certid(EVP_sha1(), p.ca_ec.get(), Bytes{0x99}).get());
  EXPECT_EQ(r.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(r.reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
  EXPECT_EQ(r.revocation_time, 0);
  // Other nonce: OpenSSL notices.
  OcspRequestPtr other;
  testing::build_request({.ids = {{EVP_sha1(), p.ca_ec.get()}}, .serials = {Bytes{0x99}}, .nonce = Bytes(16, 0x3d)},
                         &other);
  EXPECT_EQ(OCSP_check_nonce(other.get(), v.basic.get()), 0);
}

TEST(Signer, OtherKeyTypes) {
  const auto& p = shared_test_pki();
  for (auto type : {testing::KeyType::p384, testing::KeyType::ed25519}) {
    auto key = testing::generate_key(type);
    auto ca = testing::issue_cert({.common_name = "CA other", .ca = true}, key.get(), p.root.get(), p.root_key.get());
    pki::IssuerSet issuers;
    auto issuer = issuers.add(7, "other", dup_cert(ca.get()));
    ASSERT_TRUE(issuer);
    ResponderTable t;
    ASSERT_TRUE(t.add(**issuer, nullptr, dup_key(key.get())));
    const ResponderKeys& k = *t.find_by_id(7);
    EXPECT_EQ(k.signing_digest() == nullptr, type == testing::KeyType::ed25519);
    const Bytes id = build_certid_der(HashAlg::sha256, k, Bytes{0x05});
    const SingleStatus s{id, CertState::good, 0, storage::kNoReason, 0, kNow, kNow + 86400};
    auto der = sign_response(k, std::span<const SingleStatus>(&s, 1), std::nullopt, kNow, false);
    ASSERT_TRUE(der);
    auto v = verify_response(*der, p.root.get(), {ca.get()});
    ASSERT_TRUE(v.error.empty()) << v.error;
    EXPECT_EQ(find_status(v.basic.get(), testing::make_certid(EVP_sha256(), ca.get(), Bytes{0x05}).get()).status,
              V_OCSP_CERTSTATUS_GOOD);
  }
}

TEST(Signer, RejectsBadInput) {
  const ResponderKeys& k = *table().find_by_id(1);
  const Bytes id = build_certid_der(HashAlg::sha1, k, Bytes{0x01});
  EXPECT_FALSE(sign_response(k, {}, std::nullopt, kNow, false));
  const SingleStatus bad_reason{id, CertState::revoked, kNow, 7, 0, kNow, kNow + 1};
  auto r = sign_response(k, std::span<const SingleStatus>(&bad_reason, 1), std::nullopt, kNow, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "invalid_argument");
  const SingleStatus far{id, CertState::good, 0, storage::kNoReason, 0, kNow, 253402300800 /*year 10000*/};
  EXPECT_FALSE(sign_response(k, std::span<const SingleStatus>(&far, 1), std::nullopt, kNow, false));
}

}  // namespace
}  // namespace trustmon::ocsp
