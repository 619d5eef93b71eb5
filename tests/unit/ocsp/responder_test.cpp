// The OCSP service over a temporary LMDB: policy rules, the pre-signed path, live
// signing, the refresher, and one end-to-end check with the `openssl ocsp` CLI.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "responder/ocsp/answer_keeper.hpp"
#include "responder/ocsp/presign.hpp"
#include "responder/ocsp/refresher.hpp"
#include "responder/ocsp/responder.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"
#include "storage/writer.hpp"
#include "tests/support/ocsp_client.hpp"
#include "tests/support/test_issuers.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::ocsp {
namespace {

using testing::build_request;
using testing::find_status;
using testing::kEcIssuer;
using testing::kRsaIssuer;
using testing::shared_responders;
using testing::shared_test_pki;

// The certificates are valid around the real current time, and OpenSSL checks the
// responder certificate against it, so the fixed clock starts at the real time.
const UnixTime kStart = static_cast<UnixTime>(std::time(nullptr));

struct Got {
  Outcome outcome = Outcome::exception;
  ResponseStatus status = ResponseStatus::internal_error;
  Bytes body;
  UnixTime produced_at = 0, this_update = 0, next_update = 0;
  bool cacheable = false;
  std::string etag;  // as the GET route writes it: the quoted hex of etag_source
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/trustmon-ocsp-test-XXXXXX";
    if (char* made = mkdtemp(tmpl.data())) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class OcspStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    storage::EnvOptions o;
    o.path = dir_.path();
    o.initial_map_size = std::size_t{32} << 20;
    auto env = storage::Env::open(o);
    ASSERT_TRUE(env) << env.error().message;
    env_ = std::move(*env);
    auto txn = storage::ReadTxn::begin(*env_);
    ASSERT_TRUE(txn) << txn.error().message;
    txn_ = std::make_unique<storage::ReadTxn>(std::move(*txn));
  }

  void put(storage::Table t, const Bytes& key, const Bytes& value) {
    auto w = storage::WriteTxn::begin(*env_);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->put(t, key, value));
    ASSERT_TRUE(w->commit());
  }
  void put_cert(storage::IssuerId issuer, const Bytes& serial, const storage::CertRecord& r) {
    put(storage::Table::certs, storage::encode_cert_key(issuer, serial), storage::encode_cert(r));
  }
  std::optional<storage::OcspResponseRecord> stored_response(storage::IssuerId issuer, const Bytes& serial,
                                                             HashAlg alg = HashAlg::sha1) {
    storage::ReadScope scope(*txn_);
    EXPECT_TRUE(scope.status());
    auto got = txn_->get(storage::Table::ocsp_responses, response_key(storage::encode_cert_key(issuer, serial), alg));
    EXPECT_TRUE(got);
    if (!got || !got->has_value()) return std::nullopt;
    auto rec = storage::decode_ocsp_response(**got);
    EXPECT_TRUE(rec);
    if (!rec) return std::nullopt;
    return *rec;
  }

  Got ask(const Responder& r, const Bytes& request) {
    storage::ReadScope scope(*txn_);
    EXPECT_TRUE(scope.status());
    Answer a = r.answer(request, *txn_);
    Got g;  // copied out while the scope is open, as the HTTP adapter does
    g.outcome = a.outcome;
    g.status = a.status();
    g.body = to_bytes(a.body);
    g.produced_at = a.produced_at;
    g.this_update = a.this_update;
    g.next_update = a.next_update;
    g.cacheable = a.cacheable;
    if (!a.etag_source.empty()) g.etag = "\"" + hex_encode(a.etag_source) + "\"";
    return g;
  }
  Got ask(const Bytes& request) { return ask(Responder(shared_responders(), options_, clock_), request); }

  static testing::VerifiedResponse verify(const Bytes& der) {
    const auto& p = shared_test_pki();
    return testing::verify_response(der, p.root.get(), {p.ca_ec.get(), p.ca_rsa.get()});
  }

  static storage::CertRecord good() {
    storage::CertRecord r;
    r.status = storage::CertStatus::good;
    r.not_before = kStart - 3600;
    r.not_after = kStart + 365 * 86400;
    return r;
  }
  static storage::CertRecord revoked(UnixTime when, int reason, UnixTime invalidity = 0) {
    storage::CertRecord r = good();
    r.status = storage::CertStatus::revoked;
    r.revocation_time = when;
    r.reason = reason;
    r.invalidity_date = invalidity;
    return r;
  }

  TempDir dir_;
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::ReadTxn> txn_;
  FixedClock clock_{kStart};
  OcspOptions options_;
};

Bytes one_request(const EVP_MD* md, const X509* issuer, const Bytes& serial, std::optional<Bytes> nonce = {},
                  OcspRequestPtr* keep = nullptr) {
  return build_request({.ids = {{md, issuer}}, .serials = {serial}, .nonce = std::move(nonce)}, keep);
}

TEST_F(OcspStoreTest, NeverSeenSerialIsUnknownNotGood) {
  const auto& p = shared_test_pki();
  const Got g = ask(one_request(EVP_sha1(), p.ca_ec.get(), Bytes{0x12, 0x34}));
  ASSERT_EQ(g.status, ResponseStatus::successful);
  EXPECT_EQ(g.outcome, Outcome::live_missing);
  auto v = verify(g.body);
  ASSERT_TRUE(v.error.empty()) << v.error;
  auto r = find_status(v.basic.get(), testing::make_certid(EVP_sha1(), p.ca_ec.get(), Bytes{0x12, 0x34}).get());
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.status, V_OCSP_CERTSTATUS_UNKNOWN);
  EXPECT_FALSE(testing::has_extended_revoke(v.basic.get()));
}

TEST_F(OcspStoreTest, LiveSigningBudgetAnswersTryLaterThenRefills) {
  const auto& p = shared_test_pki();
  options_.live_signatures_per_second = 2;
  Responder r(shared_responders(), options_, clock_);  // one responder: one budget
  const Bytes ec = one_request(EVP_sha1(), p.ca_ec.get(), Bytes{0x12, 0x34});
  EXPECT_EQ(ask(r, ec).status, ResponseStatus::successful);
  EXPECT_EQ(ask(r, ec).status, ResponseStatus::successful);
  const Got spent = ask(r, ec);
  EXPECT_EQ(spent.status, ResponseStatus::try_later);
  EXPECT_EQ(spent.body, to_bytes(kTryLater));
  EXPECT_EQ(spent.outcome, Outcome::signing_budget);
  // The other issuer has its own budget.
  EXPECT_EQ(ask(r, one_request(EVP_sha1(), p.ca_rsa.get(), Bytes{0x12})).status, ResponseStatus::successful);
  clock_.advance(1);  // a second later the bucket holds 2 again
  EXPECT_EQ(ask(r, ec).status, ResponseStatus::successful);
  EXPECT_EQ(ask(r, ec).status, ResponseStatus::successful);
  EXPECT_EQ(ask(r, ec).status, ResponseStatus::try_later);
  options_.live_signatures_per_second = -1;
  EXPECT_FALSE(validate(options_).ok());
}

TEST_F(OcspStoreTest, UnknownAsRevokedPerRfc6960Section2_2) {
  const auto& p = shared_test_pki();
  options_.unknown_as_revoked = true;
  const Got g = ask(one_request(EVP_sha256(), p.ca_rsa.get(), Bytes{0x55}));
  ASSERT_EQ(g.status, ResponseStatus::successful);
  auto v = verify(g.body);
  ASSERT_TRUE(v.error.empty()) << v.error;
  auto r = find_status(v.basic.get(), testing::make_certid(EVP_sha256(), p.ca_rsa.get(), Bytes{0x55}).get());
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(r.reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
  EXPECT_EQ(r.revocation_time, 0);
  EXPECT_TRUE(testing::has_extended_revoke(v.basic.get()));
  // A known certificate is still answered from its record.
  put_cert(kRsaIssuer, p.leaves_rsa[0].serial, good());
  const Got known = ask(one_request(EVP_sha256(), p.ca_rsa.get(), p.leaves_rsa[0].serial));
  auto vk = verify(known.body);
  ASSERT_TRUE(vk.error.empty()) << vk.error;
  EXPECT_EQ(find_status(vk.basic.get(), testing::make_certid(EVP_sha256(), p.ca_rsa.get(), p.leaves_rsa[0].serial).get())
                .status,
            V_OCSP_CERTSTATUS_GOOD);
  EXPECT_FALSE(testing::has_extended_revoke(vk.basic.get()));
}

TEST_F(OcspStoreTest, LiveAnswersForEveryHashAndBothIssuers) {
  const auto& p = shared_test_pki();
  put_cert(kEcIssuer, p.leaves_ec[0].serial, good());
  put_cert(kEcIssuer, p.leaves_ec[1].serial, revoked(kStart - 1000, 1, kStart - 86400 * 3));
  put_cert(kRsaIssuer, p.leaves_rsa[0].serial, good());
  put_cert(kRsaIssuer, p.leaves_rsa[1].serial, revoked(kStart - 2000, storage::kNoReason));
  for (auto [md, nid] : {std::pair{EVP_sha1(), NID_sha1}, std::pair{EVP_sha256(), NID_sha256},
                         std::pair{EVP_sha384(), NID_sha384}, std::pair{EVP_sha512(), NID_sha512}}) {
    for (bool ec : {true, false}) {
      const X509* ca = ec ? p.ca_ec.get() : p.ca_rsa.get();
      const auto& leaves = ec ? p.leaves_ec : p.leaves_rsa;
      const Got g0 = ask(one_request(md, ca, leaves[0].serial));
      ASSERT_EQ(g0.status, ResponseStatus::successful);
      EXPECT_TRUE(is_live(g0.outcome));
      EXPECT_TRUE(g0.cacheable);
      EXPECT_EQ(g0.produced_at, kStart);
      EXPECT_EQ(g0.this_update, kStart);
      EXPECT_EQ(g0.next_update, kStart + options_.validity);
      auto v0 = verify(g0.body);
      ASSERT_TRUE(v0.error.empty()) << v0.error;
      EXPECT_TRUE(testing::responder_id_by_key(v0.basic.get(), ec ? p.responder.get() : p.ca_rsa.get()));
      EXPECT_EQ(testing::embedded_cert_count(v0.basic.get()), ec ? 1 : 0);
      auto r0 = find_status(v0.basic.get(), testing::make_certid(md, ca, leaves[0].serial).get());
      ASSERT_TRUE(r0.found);
      EXPECT_EQ(r0.status, V_OCSP_CERTSTATUS_GOOD);
      EXPECT_EQ(r0.hash_nid, nid);

      const Got g1 = ask(one_request(md, ca, leaves[1].serial));
      auto v1 = verify(g1.body);
      ASSERT_TRUE(v1.error.empty()) << v1.error;
      auto r1 = find_status(v1.basic.get(), testing::make_certid(md, ca, leaves[1].serial).get());
      ASSERT_TRUE(r1.found);
      EXPECT_EQ(r1.status, V_OCSP_CERTSTATUS_REVOKED);
      EXPECT_EQ(r1.hash_nid, nid);
      if (ec) {
        EXPECT_EQ(r1.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
        EXPECT_EQ(r1.revocation_time, kStart - 1000);
        ASSERT_TRUE(r1.invalidity_date);
        EXPECT_EQ(*r1.invalidity_date, kStart - 86400 * 3);
      } else {
        EXPECT_EQ(r1.reason, -1);
        EXPECT_EQ(r1.revocation_time, kStart - 2000);
        EXPECT_FALSE(r1.invalidity_date);
      }
    }
  }
}

TEST_F(OcspStoreTest, StatusTimesPassOpenSslValidityCheck) {
  const auto& p = shared_test_pki();
  put_cert(kEcIssuer, p.leaves_ec[0].serial, good());
  const Got g = ask(one_request(EVP_sha1(), p.ca_ec.get(), p.leaves_ec[0].serial));
  auto v = verify(g.body);
  ASSERT_TRUE(v.error.empty()) << v.error;
  OCSP_SINGLERESP* single = OCSP_resp_get0(v.basic.get(), 0);
  ASN1_GENERALIZEDTIME *thisupd = nullptr, *nextupd = nullptr;
  int reason = 0;
  OCSP_single_get0_status(single, &reason, nullptr, &thisupd, &nextupd);
  EXPECT_EQ(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
}

TEST_F(OcspStoreTest, NonceIsEchoedAndDisablesCaching) {
  const auto& p = shared_test_pki();
  put_cert(kEcIssuer, p.leaves_ec[0].serial, good());
  auto rec = presign(*shared_responders().find_by_id(kEcIssuer), p.leaves_ec[0].serial, good(), options_, kStart);
  ASSERT_TRUE(rec);
  put(storage::Table::ocsp_responses, storage::encode_cert_key(kEcIssuer, p.leaves_ec[0].serial),
      storage::encode_ocsp_response(*rec));

  OcspRequestPtr req;
  const Got g = ask(one_request(EVP_sha1(), p.ca_ec.get(), p.leaves_ec[0].serial, Bytes(24, 0x42), &req));
  ASSERT_EQ(g.status, ResponseStatus::successful);
  EXPECT_EQ(g.outcome, Outcome::live_nonce);
  EXPECT_FALSE(g.cacheable);
  auto v = verify(g.body);
  ASSERT_TRUE(v.error.empty()) << v.error;
  EXPECT_EQ(OCSP_check_nonce(req.get(), v.basic.get()), 1);

  // echo_nonce off: the nonce is ignored and the pre-signed answer served.
  options_.echo_nonce = false;
  const Got g2 = ask(one_request(EVP_sha1(), p.ca_ec.get(), p.leaves_ec[0].serial, Bytes(24, 0x42), &req));
  EXPECT_EQ(g2.outcome, Outcome::presigned);
  EXPECT_TRUE(g2.cacheable);
  auto v2 = verify(g2.body);
  ASSERT_TRUE(v2.error.empty()) << v2.error;
  EXPECT_EQ(OCSP_check_nonce(req.get(), v2.basic.get()), -1);  // in the request only
}

TEST_F(OcspStoreTest, LenientRawNonceIsEchoedVerbatim) {
  const auto& p = shared_test_pki();
  OcspRequestPtr req;
  const Bytes der = build_request({.ids = {{EVP_sha1(), p.ca_ec.get()}},
                                   .serials = {Bytes{0x01}},
                                   .raw_nonce = Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
                                  &req);
  const Got g = ask(der);
  ASSERT_EQ(g.status, ResponseStatus::successful);
  auto v = verify(g.body);
  ASSERT_TRUE(v.error.empty()) << v.error;
  EXPECT_EQ(OCSP_check_nonce(req.get(), v.basic.get()), 1);
}

TEST_F(OcspStoreTest, SeveralCertIds) {
  const auto& p = shared_test_pki();
  put_cert(kEcIssuer, p.leaves_ec[0].serial, good());
  put_cert(kEcIssuer, p.leaves_ec[1].serial, revoked(kStart - 50, 4));
  const Bytes der = build_request({.ids = {{EVP_sha1(), p.ca_ec.get()}, {EVP_sha256(), p.ca_ec.get()},
                                           {EVP_sha1(), p.ca_ec.get()}},
                                   .serials = {p.leaves_ec[0].serial, p.leaves_ec[1].serial, Bytes{0x77}}});
  const Got g = ask(der);
  ASSERT_EQ(g.status, ResponseStatus::successful);
  EXPECT_EQ(g.outcome, Outcome::live_multiple);
  auto v = verify(g.body);
  ASSERT_TRUE(v.error.empty()) << v.error;
  EXPECT_EQ(OCSP_resp_count(v.basic.get()), 3);
  EXPECT_EQ(find_status(v.basic.get(), testing::make_certid(EVP_sha1(), p.ca_ec.get(), p.leaves_ec[0].serial).get())
                .status,
            V_OCSP_CERTSTATUS_GOOD);
  auto r1 = find_status(v.basic.get(), testing::make_certid(EVP_sha256(), p.ca_ec.get(), p.leaves_ec[1].serial).get());
  EXPECT_EQ(r1.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(r1.reason, OCSP_REVOKED_STATUS_SUPERSEDED);
  EXPECT_EQ(find_status(v.basic.get(), testing::make_certid(EVP_sha1(), p.ca_ec.get(), Bytes{0x77}).get()).status,
            V_OCSP_CERTSTATUS_UNKNOWN);
}

TEST_F(OcspStoreTest, UnauthorizedCases) {
  const auto& p = shared_test_pki();
  // An issuer we do not serve (the root).
  Got g = ask(one_request(EVP_sha1(), p.root.get(), Bytes{0x02}));
  EXPECT_EQ(g.status, ResponseStatus::unauthorized);
  EXPECT_EQ(g.body, to_bytes(kUnauthorized));
  EXPECT_EQ(g.outcome, Outcome::unknown_issuer);
  EXPECT_FALSE(g.cacheable);
  EXPECT_TRUE(g.etag.empty());
  // A hash we do not support.
  g = ask(one_request(EVP_md5(), p.ca_ec.get(), Bytes{0x02}));
  EXPECT_EQ(g.body, to_bytes(kUnauthorized));
  EXPECT_EQ(g.outcome, Outcome::unsupported_hash);
  // Two issuers in one request.
  g = ask(build_request(
      {.ids = {{EVP_sha1(), p.ca_ec.get()}, {EVP_sha1(), p.ca_rsa.get()}}, .serials = {Bytes{0x01}, Bytes{0x01}}}));
  EXPECT_EQ(g.body, to_bytes(kUnauthorized));
  EXPECT_EQ(g.outcome, Outcome::mixed_issuers);
  // One known and one unknown.
  g = ask(build_request(
      {.ids = {{EVP_sha1(), p.ca_ec.get()}, {EVP_sha1(), p.root.get()}}, .serials = {Bytes{0x01}, Bytes{0x01}}}));
  EXPECT_EQ(g.body, to_bytes(kUnauthorized));
}

TEST_F(OcspStoreTest, MalformedCases) {
  const auto& p = shared_test_pki();
  Got g = ask(Bytes{0x30, 0x03, 0x02, 0x01});
  EXPECT_EQ(g.status, ResponseStatus::malformed_request);
  EXPECT_EQ(g.body, (Bytes{0x30, 0x03, 0x0a, 0x01, 0x01}));
  EXPECT_EQ(g.outcome, Outcome::malformed);
  g = ask(Bytes{});
  EXPECT_EQ(g.body, to_bytes(kMalformedRequest));
  EXPECT_EQ(g.outcome, Outcome::malformed);  // empty
  // A 33-octet nonce: the parser's reason (logged at debug) is bad_nonce_length.
  const Bytes long_nonce = one_request(EVP_sha1(), p.ca_ec.get(), Bytes{0x01}, Bytes(33, 0x01));
  g = ask(long_nonce);
  EXPECT_EQ(g.body, to_bytes(kMalformedRequest));
  EXPECT_EQ(g.outcome, Outcome::malformed);
  ParsedRequest parsed;
  EXPECT_STREQ(parse_request(long_nonce, options_.max_certids, parsed), "bad_nonce_length");
  // More CertIDs than the cap.
  options_.max_certids = 2;
  const Bytes three = build_request({.ids = {{EVP_sha1(), p.ca_ec.get()}, {EVP_sha1(), p.ca_ec.get()}, {EVP_sha1(), p.ca_ec.get()}},
                                     .serials = {Bytes{0x01}, Bytes{0x02}, Bytes{0x03}}});
  g = ask(three);
  EXPECT_EQ(g.body, to_bytes(kMalformedRequest));
  EXPECT_EQ(g.outcome, Outcome::malformed);
  EXPECT_STREQ(parse_request(three, options_.max_certids, parsed), "too_many_certids");
  // Larger than max_request_bytes (the same request is answered under the default cap).
  const Bytes sha512 = one_request(EVP_sha512(), p.ca_ec.get(), Bytes{0x01});
  options_.max_request_bytes = 64;
  ASSERT_GT(sha512.size(), options_.max_request_bytes);
  g = ask(sha512);
  EXPECT_EQ(g.body, to_bytes(kMalformedRequest));
  EXPECT_EQ(g.outcome, Outcome::malformed);
  options_.max_request_bytes = OcspOptions{}.max_request_bytes;
  EXPECT_EQ(ask(sha512).status, ResponseStatus::successful);
}

TEST_F(OcspStoreTest, PresignedPathReturnsTheStoredBytes) {
  const auto& p = shared_test_pki();
  for (storage::IssuerId id : {kEcIssuer, kRsaIssuer}) {
    const X509* ca = id == kEcIssuer ? p.ca_ec.get() : p.ca_rsa.get();
    const Bytes& serial = (id == kEcIssuer ? p.leaves_ec : p.leaves_rsa)[2].serial;
    put_cert(id, serial, good());
    auto rec = presign(*shared_responders().find_by_id(id), serial, good(), options_, kStart - 100);
    ASSERT_TRUE(rec) << rec.error().message;
    put(storage::Table::ocsp_responses, storage::encode_cert_key(id, serial), storage::encode_ocsp_response(*rec));

    const Got g = ask(one_request(EVP_sha1(), ca, serial));
    ASSERT_EQ(g.status, ResponseStatus::successful);
    EXPECT_EQ(g.outcome, Outcome::presigned);
    EXPECT_TRUE(g.cacheable);
    EXPECT_EQ(g.body, rec->der);
    EXPECT_EQ(g.produced_at, rec->produced_at);
    EXPECT_EQ(g.this_update, rec->this_update);
    EXPECT_EQ(g.next_update, rec->next_update);
    auto v = verify(g.body);
    ASSERT_TRUE(v.error.empty()) << v.error;
    // ETag: the signature's last 16 octets (not the DER's tail, which may be the embedded certificate).
    const ASN1_BIT_STRING* sig = OCSP_resp_get0_signature(v.basic.get());
    const ByteView sig_bytes(ASN1_STRING_get0_data(sig), static_cast<std::size_t>(ASN1_STRING_length(sig)));
    EXPECT_EQ(g.etag, "\"" + hex_encode(sig_bytes.last(16)) + "\"");
    auto r = find_status(v.basic.get(), testing::make_certid(EVP_sha1(), ca, serial).get());
    EXPECT_EQ(r.status, V_OCSP_CERTSTATUS_GOOD);
    EXPECT_EQ(r.next_update, rec->next_update);

    // Another hash algorithm is answered live, in that algorithm.
    const Got g256 = ask(one_request(EVP_sha256(), ca, serial));
    EXPECT_EQ(g256.outcome, Outcome::live_missing);
    EXPECT_NE(g256.etag, g.etag);
    EXPECT_EQ(g256.etag.size(), 34u);
    auto v256 = verify(g256.body);
    ASSERT_TRUE(v256.error.empty()) << v256.error;
    EXPECT_EQ(find_status(v256.basic.get(), testing::make_certid(EVP_sha256(), ca, serial).get()).hash_nid,
              NID_sha256);
  }
}

TEST_F(OcspStoreTest, StaleOrFutureResponsesAreNotServed) {
  const auto& p = shared_test_pki();
  const Bytes& serial = p.leaves_ec[0].serial;
  put_cert(kEcIssuer, serial, good());
  auto rec = presign(*shared_responders().find_by_id(kEcIssuer), serial, good(), options_, kStart);
  ASSERT_TRUE(rec);
  put(storage::Table::ocsp_responses, storage::encode_cert_key(kEcIssuer, serial), storage::encode_ocsp_response(*rec));
  const Bytes req = one_request(EVP_sha1(), p.ca_ec.get(), serial);

  clock_.set(rec->next_update - options_.fresh_margin - 1);
  EXPECT_EQ(ask(req).outcome, Outcome::presigned);
  clock_.set(rec->next_update - options_.fresh_margin);  // within the margin: no longer fresh
  Got g = ask(req);
  EXPECT_EQ(g.outcome, Outcome::live_stale);
  EXPECT_EQ(g.this_update, clock_.now());
  clock_.set(rec->next_update + 10);
  EXPECT_EQ(ask(req).outcome, Outcome::live_stale);
  // A response from the future (the clock went back) is not served either.
  clock_.set(rec->this_update - options_.clock_skew - 1);
  EXPECT_EQ(ask(req).outcome, Outcome::live_stale);
  clock_.set(rec->this_update - options_.clock_skew);
  EXPECT_EQ(ask(req).outcome, Outcome::presigned);
}

TEST_F(OcspStoreTest, PresignedThatContradictsTheRecordIsNotServed) {
  const auto& p = shared_test_pki();
  const Bytes& serial = p.leaves_ec[3].serial;
  auto rec = presign(*shared_responders().find_by_id(kEcIssuer), serial, good(), options_, kStart);
  ASSERT_TRUE(rec);
  put(storage::Table::ocsp_responses, storage::encode_cert_key(kEcIssuer, serial), storage::encode_ocsp_response(*rec));
  const Bytes req = one_request(EVP_sha1(), p.ca_ec.get(), serial);
  // No certs record at all: never trust a stray "good".
  Got g = ask(req);
  EXPECT_EQ(g.outcome, Outcome::live_status_changed);
  // Revoked since: live answer says revoked.
  put_cert(kEcIssuer, serial, revoked(kStart + 5, 1));
  g = ask(req);
  EXPECT_EQ(g.outcome, Outcome::live_status_changed);
  auto v = verify(g.body);
  ASSERT_TRUE(v.error.empty()) << v.error;
  EXPECT_EQ(find_status(v.basic.get(), testing::make_certid(EVP_sha1(), p.ca_ec.get(), serial).get()).status,
            V_OCSP_CERTSTATUS_REVOKED);
  // With the cross-check off, the stored bytes are trusted as they are.
  options_.check_presigned_status = false;
  EXPECT_EQ(ask(req).outcome, Outcome::presigned);
}

TEST_F(OcspStoreTest, StorageProblemsAreInternalErrors) {
  const auto& p = shared_test_pki();
  const Responder r(shared_responders(), options_, clock_);
  // The transaction is not active (no ReadScope): a storage error.
  Answer a = r.answer(one_request(EVP_sha1(), p.ca_ec.get(), Bytes{0x01}), *txn_);
  EXPECT_EQ(a.status(), ResponseStatus::internal_error);
  EXPECT_EQ(to_bytes(a.body), (Bytes{0x30, 0x03, 0x0a, 0x01, 0x02}));
  EXPECT_EQ(a.outcome, Outcome::storage_fault);
  // A certs record that does not decode.
  put(storage::Table::certs, storage::encode_cert_key(kEcIssuer, Bytes{0x01}), Bytes{0xff, 0x00});
  const Got g = ask(one_request(EVP_sha1(), p.ca_ec.get(), Bytes{0x01}));
  EXPECT_EQ(g.body, to_bytes(kInternalError));
  // An undecodable pre-signed record is only a miss.
  put_cert(kEcIssuer, Bytes{0x02}, good());
  put(storage::Table::ocsp_responses, storage::encode_cert_key(kEcIssuer, Bytes{0x02}), Bytes{0x01, 0x02});
  const Got g2 = ask(one_request(EVP_sha1(), p.ca_ec.get(), Bytes{0x02}));
  EXPECT_EQ(g2.outcome, Outcome::live_undecodable);
}

TEST_F(OcspStoreTest, PresignJitterSpreadsExpiry) {
  std::set<UnixTime> seen;
  for (std::uint8_t i = 1; i <= 50; ++i) {
    const UnixTime j = presign_jitter(Bytes{0x10, i}, 86400);
    EXPECT_GE(j, 0);
    EXPECT_LT(j, 8640);
    EXPECT_EQ(j, presign_jitter(Bytes{0x10, i}, 86400));  // deterministic
    seen.insert(j);
  }
  EXPECT_GT(seen.size(), 40u);
  EXPECT_EQ(presign_jitter(Bytes{0x01}, 5), 0);
}

TEST_F(OcspStoreTest, OptionsValidation) {
  EXPECT_TRUE(validate(OcspOptions{}));
  OcspOptions o;
  o.refresh_margin = o.validity;
  EXPECT_FALSE(validate(o));
  o = {};
  o.max_certids = 0;
  EXPECT_FALSE(validate(o));
  o = {};
  o.fresh_margin = o.refresh_margin;
  EXPECT_FALSE(validate(o));
}

// ---------------------------------------------------------------------------- refresher

class RefresherTest : public OcspStoreTest {
 protected:
  void SetUp() override {
    OcspStoreTest::SetUp();
    writer_ = std::make_unique<storage::Writer>(*env_);
    writer_->start();
    const auto& p = shared_test_pki();
    for (const auto& l : p.leaves_ec) ingest(kEcIssuer, l.serial);
    for (const auto& l : p.leaves_rsa) ingest(kRsaIssuer, l.serial);
    ingest(99, Bytes{0x01});  // an issuer not in the table
  }
  // A new certificate as the registry stores it: its record, marked unsigned.
  void ingest(storage::IssuerId issuer, const Bytes& serial) {
    const Bytes key = storage::encode_cert_key(issuer, serial);
    auto w = storage::WriteTxn::begin(*env_);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->put(storage::Table::certs, key, storage::encode_cert(good())));
    ASSERT_TRUE(mark_unsigned(*w, key));
    ASSERT_TRUE(w->commit());
  }
  std::size_t due_entries() {
    storage::ReadScope scope(*txn_);
    std::size_t n = 0;
    EXPECT_TRUE(storage::for_each(*txn_, storage::Table::ocsp_due, [&](ByteView, ByteView) { ++n; }));
    return n;
  }
  void TearDown() override { writer_->stop(); }

  RefresherOptions fast() {
    RefresherOptions o;
    o.max_per_second = 0;
    o.batch_size = 3;  // several batches per issuer
    return o;
  }

  std::unique_ptr<storage::Writer> writer_;
};

TEST_F(RefresherTest, RunOnceSignsMissingAndDueOnly) {
  const auto& p = shared_test_pki();
  Refresher r(*env_, *writer_, shared_responders(), options_, clock_, fast());
  EXPECT_EQ(r.run_once(), 8u);
  EXPECT_FALSE(stored_response(99, Bytes{0x01}));
  std::set<UnixTime> expiries;
  for (const auto& l : p.leaves_ec) {
    auto rec = stored_response(kEcIssuer, l.serial);
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->produced_at, kStart);
    EXPECT_EQ(rec->next_update, kStart + options_.validity - presign_jitter(l.serial, options_.validity));
    expiries.insert(rec->next_update);
    // And the responder serves exactly these bytes.
    const Got g = ask(one_request(EVP_sha1(), p.ca_ec.get(), l.serial));
    EXPECT_EQ(g.outcome, Outcome::presigned);
    EXPECT_EQ(g.body, rec->der);
    auto v = verify(g.body);
    EXPECT_TRUE(v.error.empty()) << v.error;
  }
  EXPECT_GT(expiries.size(), 1u);  // jitter spreads them

  // Nothing is due right after.
  EXPECT_EQ(r.run_once(), 0u);
  clock_.advance(3600);
  EXPECT_EQ(r.run_once(), 0u);
  // Once within refresh_margin of nextUpdate, everything is re-signed.
  clock_.set(kStart + options_.validity - options_.refresh_margin);
  EXPECT_EQ(r.run_once(), 8u);
  auto rec = stored_response(kRsaIssuer, p.leaves_rsa[0].serial);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->produced_at, clock_.now());
  const auto s = r.stats();
  EXPECT_EQ(s.stored, 16u);
  EXPECT_EQ(s.signed_count, 16u);
  EXPECT_EQ(s.skipped_changed, 0u);
  EXPECT_EQ(s.passes, 4u);
}

TEST_F(RefresherTest, StatusMismatchIsResigned) {
  const auto& p = shared_test_pki();
  Refresher r(*env_, *writer_, shared_responders(), options_, clock_, fast());
  ASSERT_EQ(r.run_once(), 8u);
  // A revocation written without replacing the pre-signed response: the work list does
  // not know of it, the full pass (the daily safety net) does.
  put_cert(kEcIssuer, p.leaves_ec[1].serial, revoked(kStart + 1, 1));
  EXPECT_EQ(r.run_once(Refresher::Pass::due), 0u);
  EXPECT_EQ(r.run_once(Refresher::Pass::full), 1u);
  auto rec = stored_response(kEcIssuer, p.leaves_ec[1].serial);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->status, storage::CertStatus::revoked);
  EXPECT_EQ(rec->revocation_time, kStart + 1);
  auto v = verify(rec->der);
  ASSERT_TRUE(v.error.empty()) << v.error;
  EXPECT_EQ(find_status(v.basic.get(), testing::make_certid(EVP_sha1(), p.ca_ec.get(), p.leaves_ec[1].serial).get())
                .status,
            V_OCSP_CERTSTATUS_REVOKED);
}

TEST_F(RefresherTest, ChangedRecordsAreSkipped) {
  const auto& p = shared_test_pki();
  RefresherOptions o = fast();
  o.batch_size = 16;
  bool changed = false;
  // Between signing and storing the first batch, a revocation lands.
  o.before_store = [&] {
    if (changed) return;
    changed = true;
    const Bytes key = storage::encode_cert_key(kEcIssuer, p.leaves_ec[2].serial);
    const Bytes value = storage::encode_cert(revoked(kStart, 3));
    ASSERT_TRUE(writer_->run_sync([&](storage::WriteTxn& w) { return w.put(storage::Table::certs, key, value); }));
  };
  Refresher r(*env_, *writer_, shared_responders(), options_, clock_, o);
  EXPECT_EQ(r.run_once(), 7u);
  EXPECT_EQ(r.stats().skipped_changed, 1u);
  EXPECT_FALSE(stored_response(kEcIssuer, p.leaves_ec[2].serial));
  // The next pass signs the new status.
  EXPECT_EQ(r.run_once(), 1u);
  auto rec = stored_response(kEcIssuer, p.leaves_ec[2].serial);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->status, storage::CertStatus::revoked);
}

TEST_F(RefresherTest, DuePassesReadOnlyWhatIsDue) {
  Refresher r(*env_, *writer_, shared_responders(), options_, clock_, fast());
  EXPECT_EQ(r.run_once(), 8u);  // the first pass is full: the work list was never built
  EXPECT_EQ(r.stats().full_passes, 1u);
  EXPECT_EQ(due_entries(), 9u);  // 8 responses at their nextUpdate, issuer 99's mark at 0
  const std::uint64_t scanned = r.stats().scanned;
  EXPECT_EQ(r.run_once(), 0u);
  EXPECT_EQ(r.stats().full_passes, 1u);
  // Nothing due: the pass looked at the mark of the issuer it does not serve, and stopped
  // at the first entry not due.
  EXPECT_EQ(r.stats().scanned, scanned + 1);
  // A new certificate: one entry looked at, one response signed.
  const auto& p = shared_test_pki();
  put_cert(kEcIssuer, Bytes{0x42, 0x42}, good());
  {
    auto w = storage::WriteTxn::begin(*env_);
    ASSERT_TRUE(w);
    ASSERT_TRUE(mark_unsigned(*w, storage::encode_cert_key(kEcIssuer, Bytes{0x42, 0x42})));
    ASSERT_TRUE(w->commit());
  }
  EXPECT_EQ(r.run_once(), 1u);
  EXPECT_EQ(r.stats().scanned, scanned + 3);
  EXPECT_TRUE(stored_response(kEcIssuer, Bytes{0x42, 0x42}));
  // A mark left after a response was stored, and an entry of a certificate gone, are dropped.
  {
    auto w = storage::WriteTxn::begin(*env_);
    ASSERT_TRUE(w);
    ASSERT_TRUE(mark_unsigned(*w, storage::encode_cert_key(kEcIssuer, p.leaves_ec[0].serial)));
    ASSERT_TRUE(mark_unsigned(*w, storage::encode_cert_key(kEcIssuer, Bytes{0x55})));
    ASSERT_TRUE(w->commit());
  }
  EXPECT_EQ(r.run_once(), 0u);
  EXPECT_EQ(r.stats().dropped, 2u);
  EXPECT_EQ(due_entries(), 10u);
}

TEST_F(RefresherTest, AnUpgradedStoreGetsItsWorkList) {
  // A schema-4 store: responses stored, no ocsp_due entries, no ocsp_due_built.
  const auto& p = shared_test_pki();
  {
    auto w = storage::WriteTxn::begin(*env_);
    ASSERT_TRUE(w);
    std::vector<Bytes> keys;
    ASSERT_TRUE(storage::for_each(*w, storage::Table::ocsp_due, [&](ByteView k, ByteView) { keys.push_back(to_bytes(k)); }));
    for (const Bytes& k : keys) ASSERT_TRUE(w->del(storage::Table::ocsp_due, k));
    ASSERT_TRUE(w->commit());
  }
  ASSERT_EQ(due_entries(), 0u);
  for (const auto& l : p.leaves_ec) {
    auto rec = presign(*shared_responders().find_by_id(kEcIssuer), l.serial, good(), options_, kStart);
    ASSERT_TRUE(rec);
    put(storage::Table::ocsp_responses, storage::encode_cert_key(kEcIssuer, l.serial),
        storage::encode_ocsp_response(*rec));
  }
  Refresher r(*env_, *writer_, shared_responders(), options_, clock_, fast());
  EXPECT_EQ(r.run_once(), 4u);  // the RSA issuer's certificates had none
  EXPECT_EQ(due_entries(), 8u);  // issuer 99 is not served: its certificate gets none
  clock_.set(kStart + options_.validity - options_.refresh_margin);
  EXPECT_EQ(r.run_once(), 8u);  // a due pass: the entries the full pass wrote
  EXPECT_EQ(r.stats().full_passes, 1u);
}

TEST_F(RefresherTest, BackgroundThreadRefreshesAndStops) {
  RefresherOptions o = fast();
  o.interval = std::chrono::milliseconds(20);
  o.max_per_second = 10000;
  Refresher r(*env_, *writer_, shared_responders(), options_, clock_, o);
  r.start();
  // Wait (bounded) for the first pass to store everything; no timing is asserted.
  for (int i = 0; i < 1000 && r.stats().stored < 8; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  r.stop();
  EXPECT_EQ(r.stats().stored, 8u);
  EXPECT_GE(r.stats().passes, 1u);
  r.stop();  // idempotent
}

// --------------------------------------------------------- kept live answers, other hashes

class KeeperTest : public RefresherTest {
 protected:
  void SetUp() override {
    RefresherTest::SetUp();
    keeper_ = std::make_unique<AnswerKeeper>(*writer_);
  }
  void TearDown() override {
    writer_->stop();  // stores still in flight finish first
    keeper_.reset();
  }
  Got ask_kept(const Bytes& request) { return ask(Responder(shared_responders(), options_, clock_, keeper_.get()), request); }
  // Waits (bounded) until the keeper's stores have run; no timing is asserted.
  void wait_stored(std::uint64_t stored_and_skipped) {
    for (int i = 0; i < 1000; ++i) {
      const auto s = keeper_->stats();
      if (s.stored + s.skipped + s.failed >= stored_and_skipped) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "the keeper's stores did not finish";
  }
  std::unique_ptr<AnswerKeeper> keeper_;
};

TEST_F(KeeperTest, TheFirstLiveAnswerIsServedAgainAndStored) {
  const auto& p = shared_test_pki();
  const Bytes& serial = p.leaves_ec[0].serial;
  for (const EVP_MD* md : {EVP_sha1(), EVP_sha256(), EVP_sha512()}) {
    const Bytes request = one_request(md, p.ca_ec.get(), serial);
    const Got first = ask_kept(request);
    ASSERT_EQ(first.status, ResponseStatus::successful);
    EXPECT_EQ(first.outcome, Outcome::live_missing);
    EXPECT_TRUE(first.cacheable);
    // Whether the store has committed yet or not, the next answer is the same bytes.
    const Got second = ask_kept(request);
    EXPECT_EQ(second.outcome, Outcome::presigned);
    EXPECT_EQ(second.body, first.body);
    EXPECT_EQ(second.etag, first.etag);
    EXPECT_EQ(second.next_update, first.next_update);
  }
  wait_stored(3);
  EXPECT_EQ(keeper_->stats().stored, 3u);
  // Stored under each hash, and served from the store by a responder with no keeper.
  for (auto [md, alg] : {std::pair{EVP_sha1(), HashAlg::sha1}, std::pair{EVP_sha256(), HashAlg::sha256},
                         std::pair{EVP_sha512(), HashAlg::sha512}}) {
    auto rec = stored_response(kEcIssuer, serial, alg);
    ASSERT_TRUE(rec) << hash_name(alg);
    const Got g = ask(one_request(md, p.ca_ec.get(), serial));
    EXPECT_EQ(g.outcome, Outcome::presigned) << hash_name(alg);
    EXPECT_EQ(g.body, rec->der);
    auto v = verify(g.body);
    ASSERT_TRUE(v.error.empty()) << v.error;
    EXPECT_EQ(find_status(v.basic.get(), testing::make_certid(md, p.ca_ec.get(), serial).get()).status,
              V_OCSP_CERTSTATUS_GOOD);
  }
  EXPECT_FALSE(stored_response(kEcIssuer, serial, HashAlg::sha384));
}

TEST_F(KeeperTest, NothingIsKeptForNoncesSerialsNeverSeenOrSeveralCertIds) {
  const auto& p = shared_test_pki();
  const Got nonce = ask_kept(one_request(EVP_sha1(), p.ca_ec.get(), p.leaves_ec[0].serial, Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(nonce.outcome, Outcome::live_nonce);
  const Got unknown = ask_kept(one_request(EVP_sha1(), p.ca_ec.get(), Bytes{0x7f, 0x7e}));
  EXPECT_EQ(unknown.outcome, Outcome::live_missing);
  const Got again = ask_kept(one_request(EVP_sha1(), p.ca_ec.get(), Bytes{0x7f, 0x7e}));
  EXPECT_EQ(again.outcome, Outcome::live_missing);
  const Got two = ask_kept(build_request({.ids = {{EVP_sha1(), p.ca_ec.get()}, {EVP_sha1(), p.ca_ec.get()}},
                                         .serials = {p.leaves_ec[1].serial, p.leaves_ec[2].serial}}));
  EXPECT_EQ(two.outcome, Outcome::live_multiple);
  EXPECT_EQ(keeper_->stats().kept, 0u);
}

TEST_F(KeeperTest, AKeptAnswerGivesWayToANewStatus) {
  const auto& p = shared_test_pki();
  const Bytes& serial = p.leaves_ec[1].serial;
  const Bytes request = one_request(EVP_sha256(), p.ca_ec.get(), serial);
  const Got good_answer = ask_kept(request);
  ASSERT_EQ(good_answer.status, ResponseStatus::successful);
  wait_stored(1);
  // A revocation as the registry writes it: the SHA-1 response replaced, the others dropped.
  const Bytes cert_key = storage::encode_cert_key(kEcIssuer, serial);
  ASSERT_TRUE(writer_->run_sync([&](storage::WriteTxn& w) -> Status {
    if (Status s = w.put(storage::Table::certs, cert_key, storage::encode_cert(revoked(kStart - 10, 1))); !s) return s;
    return drop_other_hash_responses(w, cert_key);
  }));
  EXPECT_FALSE(stored_response(kEcIssuer, serial, HashAlg::sha256));
  // The keeper still holds the good answer (within its grace): it is not served.
  const Got after = ask_kept(request);
  EXPECT_EQ(after.outcome, Outcome::live_missing);
  auto v = verify(after.body);
  ASSERT_TRUE(v.error.empty()) << v.error;
  EXPECT_EQ(find_status(v.basic.get(), testing::make_certid(EVP_sha256(), p.ca_ec.get(), serial).get()).status,
            V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(ask_kept(request).body, after.body);
  wait_stored(2);
  auto rec = stored_response(kEcIssuer, serial, HashAlg::sha256);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->status, storage::CertStatus::revoked);
  EXPECT_EQ(rec->der, after.body);
}

TEST_F(KeeperTest, TheRefresherKeepsOtherHashesFreshOnceAsked) {
  const auto& p = shared_test_pki();
  Refresher r(*env_, *writer_, shared_responders(), options_, clock_, fast());
  ASSERT_EQ(r.run_once(), 8u);  // SHA-1 for every certificate, nothing else
  const Bytes& serial = p.leaves_rsa[3].serial;
  const Bytes request = one_request(EVP_sha256(), p.ca_rsa.get(), serial);
  const Got first = ask_kept(request);
  EXPECT_EQ(first.outcome, Outcome::live_missing);
  wait_stored(1);
  EXPECT_EQ(r.run_once(), 0u);
  clock_.set(kStart + options_.validity - options_.refresh_margin);
  EXPECT_EQ(r.run_once(), 9u);  // 8 SHA-1 and the one SHA-256
  auto rec = stored_response(kRsaIssuer, serial, HashAlg::sha256);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->produced_at, clock_.now());
  const Got g = ask(request);
  EXPECT_EQ(g.outcome, Outcome::presigned);
  EXPECT_EQ(g.body, rec->der);
  EXPECT_FALSE(stored_response(kRsaIssuer, p.leaves_rsa[2].serial, HashAlg::sha256));
}

// RFC 6960 §4.4.4: the archiveCutoff of the single response for `serial`, or -1.
long archive_cutoff_of(const Bytes& der, const X509* issuer, const Bytes& serial, const EVP_MD* md = EVP_sha1()) {
  auto v = testing::verify_response(der, shared_test_pki().root.get(),
                                    {shared_test_pki().ca_ec.get(), shared_test_pki().ca_rsa.get()});
  if (!v.error.empty()) return -2;
  auto id = testing::make_certid(md, issuer, serial);
  const int idx = OCSP_resp_find(v.basic.get(), id.get(), -1);
  if (idx < 0) return -3;
  OCSP_SINGLERESP* single = OCSP_resp_get0(v.basic.get(), idx);
  auto* t = static_cast<ASN1_GENERALIZEDTIME*>(
      OCSP_SINGLERESP_get1_ext_d2i(single, NID_id_pkix_OCSP_archiveCutoff, nullptr, nullptr));
  if (t == nullptr) return -1;
  auto unix_time = asn1_time_to_unix(t);
  ASN1_GENERALIZEDTIME_free(t);
  return unix_time ? static_cast<long>(*unix_time) : -4;
}

TEST_F(KeeperTest, ExpiredCertificatesCarryArchiveCutoffAndLiveLong) {
  const auto& p = shared_test_pki();
  const ResponderKeys& ec = *shared_responders().find_by_id(kEcIssuer);
  ASSERT_GT(ec.ca_not_before, 0);
  storage::CertRecord expired = good();
  expired.not_after = kStart - 86400;
  const Bytes& serial = p.leaves_ec[3].serial;
  put_cert(kEcIssuer, serial, expired);
  put_cert(kEcIssuer, p.leaves_ec[2].serial, revoked(kStart - 7 * 86400, 1));

  // Pre-signed: the long window, minus its jitter, and the CA's notBefore as the cutoff.
  auto rec = presign(ec, serial, expired, options_, kStart);
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_EQ(rec->next_update, kStart + options_.expired_validity - presign_jitter(serial, options_.expired_validity));
  EXPECT_EQ(archive_cutoff_of(rec->der, p.ca_ec.get(), serial), ec.ca_not_before);
  // A certificate within its validity has none.
  auto current = presign(ec, p.leaves_ec[0].serial, good(), options_, kStart);
  ASSERT_TRUE(current);
  EXPECT_EQ(archive_cutoff_of(current->der, p.ca_ec.get(), p.leaves_ec[0].serial), -1);
  // Revoked and expired: the cutoff next to the invalidity date.
  storage::CertRecord both = revoked(kStart - 7 * 86400, 1, kStart - 8 * 86400);
  both.not_after = kStart - 1;
  auto revoked_rec = presign(ec, p.leaves_ec[2].serial, both, options_, kStart);
  ASSERT_TRUE(revoked_rec);
  EXPECT_EQ(archive_cutoff_of(revoked_rec->der, p.ca_ec.get(), p.leaves_ec[2].serial), ec.ca_not_before);

  // Live, in SHA-256: the same window without jitter.
  const Got live = ask_kept(one_request(EVP_sha256(), p.ca_ec.get(), serial));
  ASSERT_EQ(live.status, ResponseStatus::successful);
  EXPECT_EQ(live.next_update, kStart + options_.expired_validity);
  EXPECT_EQ(archive_cutoff_of(live.body, p.ca_ec.get(), serial, EVP_sha256()), ec.ca_not_before);

  // The refresher signs it once and leaves it until the long window is nearly over.
  Refresher r(*env_, *writer_, shared_responders(), options_, clock_, fast());
  wait_stored(1);
  r.run_once();
  clock_.set(kStart + options_.validity);  // every current certificate's response is due by now
  r.run_once();
  auto kept = stored_response(kEcIssuer, serial);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->produced_at, kStart);
  EXPECT_EQ(archive_cutoff_of(kept->der, p.ca_ec.get(), serial), ec.ca_not_before);
}

TEST_F(OcspStoreTest, ResponseKeysPerHash) {
  const Bytes cert_key = storage::encode_cert_key(kEcIssuer, Bytes{0x12, 0x34});
  EXPECT_EQ(response_key(cert_key, HashAlg::sha1), cert_key);
  Bytes k256 = cert_key;
  k256.push_back(static_cast<std::uint8_t>(HashAlg::sha256));
  EXPECT_EQ(response_key(cert_key, HashAlg::sha256), k256);
  EXPECT_EQ(response_key_alg(cert_key, cert_key.size()), HashAlg::sha1);
  EXPECT_EQ(response_key_alg(k256, cert_key.size()), HashAlg::sha256);
  Bytes bad = cert_key;
  bad.push_back(static_cast<std::uint8_t>(HashAlg::sha1));
  EXPECT_FALSE(response_key_alg(bad, cert_key.size()));
  bad.back() = static_cast<std::uint8_t>(HashAlg::unsupported);
  EXPECT_FALSE(response_key_alg(bad, cert_key.size()));
  bad.push_back(0);
  EXPECT_FALSE(response_key_alg(bad, cert_key.size()));
}

// ---------------------------------------------------------------------- openssl ocsp CLI

std::string run(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return "popen failed";
  char buf[512];
  while (std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
  ::pclose(f);
  return out;
}

TEST_F(OcspStoreTest, OpenSslCliVerifiesResponses) {
  const auto& p = shared_test_pki();
  const std::string dir = dir_.path() + "/pki";
  p.write_files(dir);
  put_cert(kEcIssuer, p.leaves_ec[0].serial, good());
  put_cert(kRsaIssuer, p.leaves_rsa[1].serial, revoked(kStart - 600, 1));
  struct Case {
    const char* ca;
    const char* ee;
    const X509* issuer;
    const Bytes& serial;
    const char* expect;
  } cases[] = {{"ca_ec.pem", "ee_ec_0.pem", p.ca_ec.get(), p.leaves_ec[0].serial, ": good"},
               {"ca_rsa.pem", "ee_rsa_1.pem", p.ca_rsa.get(), p.leaves_rsa[1].serial, ": revoked"}};
  for (const Case& c : cases) {
    const Got g = ask(one_request(EVP_sha1(), c.issuer, c.serial));
    ASSERT_EQ(g.status, ResponseStatus::successful);
    ASSERT_TRUE(write_file(dir + "/r.der", as_chars(g.body)));
    const std::string out = run("cd " + dir + " && openssl ocsp -respin r.der -issuer " + c.ca + " -cert " + c.ee +
                                " -CAfile root.pem -no_nonce");
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_NE(out.find(c.expect), std::string::npos) << out;
    EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace trustmon::ocsp
