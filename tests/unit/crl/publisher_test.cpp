// The CRL publisher with a fixed clock: what goes on a built CRL (revoked and held
// certificates of the issuer, not expired ones, not good ones, not another issuer's), when
// a CRL is built again (a revocation after rebuild_after, half the validity, a restart),
// numbers that keep counting across restarts, and the signer checks.
#include "responder/crl/publisher.hpp"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <map>
#include <string>

#include "storage/crls.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"
#include "tests/support/temp_env.hpp"
#include "tests/support/test_issuers.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::crl {
namespace {

constexpr UnixTime kT0 = 1'790'000'000;  // 2026-09

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = storage::testing::open_env(dir_.path());
    ASSERT_NE(env_, nullptr);
    writer_ = std::make_unique<storage::Writer>(*env_);
    writer_->start();
  }
  void TearDown() override { writer_->stop(); }

  std::vector<CrlSigner> ec_signer() {
    const auto& pki = testing::shared_test_pki();
    auto s = make_signer(*testing::shared_issuers().find_by_id(testing::kEcIssuer), pki.ca_ec_key.get(), nullptr);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    std::vector<CrlSigner> v;
    if (s) v.push_back(std::move(*s));
    return v;
  }
  std::unique_ptr<Publisher> publisher() {
    PublisherOptions o;
    o.validity = 3600;
    o.rebuild_after = 60;
    return std::make_unique<Publisher>(*env_, *writer_, ec_signer(), clock_, o);
  }
  // Stores a certs record (and, for revocations, the event the registry would append).
  void put(storage::IssuerId issuer, Bytes serial, storage::CertStatus status, int reason, UnixTime not_after,
           bool event = false) {
    storage::CertRecord r;
    r.status = status;
    r.revocation_time = kT0 - 100;
    r.reason = reason;
    r.not_after = not_after;
    r.has_der = not_after != 0;
    ASSERT_TRUE(writer_->run_sync([&](storage::WriteTxn& txn) -> Status {
      if (Status s = txn.put(storage::Table::certs, storage::encode_cert_key(issuer, serial), storage::encode_cert(r)); !s)
        return s;
      if (!event) return {};
      const std::string name = issuer == testing::kEcIssuer ? "ec" : "rsa";
      auto seq = storage::append_event(txn, {"certificate.revoked", "test", "{\"issuer\":\"" + name + "\"}", kT0});
      if (!seq) return std::move(seq).error();
      return {};
    }).ok());
  }
  // The latest CRL: number, and serial (hex) -> reason code (-1: none).
  struct Seen {
    std::string number;
    std::map<std::string, int> entries;
    UnixTime this_update = 0, next_update = 0;
  };
  Seen latest() {
    Seen seen;
    auto txn = storage::ReadTxn::begin(*env_);
    EXPECT_TRUE(txn.ok());
    storage::ReadScope scope(*txn);
    auto l = storage::latest_crl(*txn, testing::kEcIssuer);
    EXPECT_TRUE(l.ok());
    if (!l.ok() || !*l) return seen;
    const storage::CrlView& v = **l;
    EXPECT_EQ(v.source, storage::CrlSource::built);
    seen.number = storage::crl_number_decimal(v.number);
    seen.this_update = v.this_update;
    seen.next_update = v.next_update;
    const unsigned char* p = v.der.data();
    X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(v.der.size())));
    EXPECT_NE(crl, nullptr);
    if (!crl) return seen;
    EXPECT_EQ(X509_CRL_verify(crl.get(), testing::shared_issuers().find_by_id(testing::kEcIssuer)->public_key()), 1);
    EXPECT_EQ(v.entries, static_cast<std::uint64_t>(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get()))));
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
      X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
      BignumPtr bn(ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), nullptr));
      char* hex = BN_bn2hex(bn.get());
      int crit = 0;
      Asn1StringPtr reason(static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr)));
      seen.entries[hex] = reason ? static_cast<int>(ASN1_ENUMERATED_get(reason.get())) : -1;
      OPENSSL_free(hex);
    }
    return seen;
  }
  std::vector<std::string> published_events() {
    std::vector<std::string> out;
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    EXPECT_TRUE(storage::for_each(*txn, storage::Table::events, [&](ByteView k, ByteView v) {
      auto e = storage::decode_event(k, v);
      if (e && e->type == "crl.published") out.push_back(e->payload);
    }).ok());
    return out;
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
  FixedClock clock_{kT0};
};

TEST_F(PublisherTest, BuildsWhatIsRevokedAndKeepsItCurrent) {
  using storage::CertStatus;
  put(testing::kEcIssuer, {0x11}, CertStatus::revoked, 1, kT0 + 86400);       // keyCompromise
  put(testing::kEcIssuer, {0x12}, CertStatus::revoked, 6, kT0 + 86400);       // on hold
  put(testing::kEcIssuer, {0x13}, CertStatus::revoked, 1, kT0 - 1);           // expired: off the CRL
  put(testing::kEcIssuer, {0x14}, CertStatus::good, storage::kNoReason, kT0 + 86400);
  put(testing::kEcIssuer, {0x80, 0x01}, CertStatus::revoked, storage::kNoReason, 0);  // never ingested
  put(testing::kRsaIssuer, {0x15}, CertStatus::revoked, 1, kT0 + 86400);      // another issuer

  auto p = publisher();
  ASSERT_TRUE(p->run_once().ok());  // the first round builds at once
  Seen first = latest();
  EXPECT_EQ(first.number, "1");
  EXPECT_EQ(first.this_update, kT0);
  EXPECT_EQ(first.next_update, kT0 + 3600);
  EXPECT_EQ(first.entries, (std::map<std::string, int>{{"11", 1}, {"12", 6}, {"8001", -1}}));

  // Nothing changed: no new CRL.
  clock_.advance(10);
  ASSERT_TRUE(p->run_once().ok());
  EXPECT_EQ(latest().number, "1");
  // A revocation 10 s after the build waits for rebuild_after (60 s) since that build.
  put(testing::kEcIssuer, {0x16}, CertStatus::revoked, 4, kT0 + 86400, true);
  ASSERT_TRUE(p->run_once().ok());
  EXPECT_EQ(latest().number, "1");
  clock_.set(kT0 + 60);
  ASSERT_TRUE(p->run_once().ok());
  Seen second = latest();
  EXPECT_EQ(second.number, "2");
  EXPECT_EQ(second.entries.at("16"), 4);
  // Another issuer's revocation does not rebuild this one.
  clock_.set(kT0 + 200);
  put(testing::kRsaIssuer, {0x17}, CertStatus::revoked, 1, kT0 + 86400, true);
  ASSERT_TRUE(p->run_once().ok());
  EXPECT_EQ(latest().number, "2");
  // Half the validity after the last build, it is built again unchanged but newer.
  clock_.set(kT0 + 60 + 1800);
  ASSERT_TRUE(p->run_once().ok());
  Seen third = latest();
  EXPECT_EQ(third.number, "3");
  EXPECT_EQ(third.entries, second.entries);
  EXPECT_EQ(third.this_update, kT0 + 1860);

  // A new publisher (a restart) builds at once and counts on.
  p.reset();
  auto again = publisher();
  ASSERT_TRUE(again->run_once().ok());
  EXPECT_EQ(latest().number, "4");
  EXPECT_EQ(again->stats().builds, 1u);

  const auto events = published_events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_NE(events[0].find("\"source\":\"built\""), std::string::npos) << events[0];
  EXPECT_NE(events[0].find("\"entries\":3"), std::string::npos) << events[0];
  EXPECT_NE(events[3].find("\"number\":\"4\""), std::string::npos) << events[3];
  EXPECT_NE(again->metrics_text().find("trustmon_crl_builds_total 1"), std::string::npos);
}

TEST_F(PublisherTest, SignerChecks) {
  const auto& pki = testing::shared_test_pki();
  const pki::Issuer& ec = *testing::shared_issuers().find_by_id(testing::kEcIssuer);
  auto wrong_key = make_signer(ec, pki.ca_rsa_key.get(), nullptr);
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_EQ(wrong_key.error().code, "crl_key_mismatch");
  // The delegated OCSP responder has another subject: it cannot sign the CA's CRLs.
  auto other_subject = make_signer(ec, pki.responder_key.get(), pki.responder.get());
  ASSERT_FALSE(other_subject.ok());
  EXPECT_EQ(other_subject.error().code, "crl_signer_invalid");
  auto ok = make_signer(ec, pki.ca_ec_key.get(), nullptr);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->issuer, &ec);
  EXPECT_FALSE(ok->authority_key_id.empty());
}

}  // namespace
}  // namespace trustmon::crl
