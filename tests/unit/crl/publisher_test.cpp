// The CRL publisher with a fixed clock: what goes on a built CRL (revoked and held
// certificates of the issuer, not expired ones unless configured, not good ones, not
// another issuer's), when a CRL is built again (a revocation after rebuild_after, half the
// validity, a restart), numbers that keep counting across restarts, delta CRLs (applied to
// their base they give the current status), shard CRLs, and the signer checks.
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
  // Complete CRLs only unless the test asks for more.
  std::unique_ptr<Publisher> publisher(PublisherOptions o = complete_only()) {
    return std::make_unique<Publisher>(*env_, *writer_, ec_signer(), clock_, o);
  }
  static PublisherOptions complete_only() {
    PublisherOptions o;
    o.validity = 3600;
    o.rebuild_after = 60;
    o.delta_interval = 0;
    return o;
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
  // A CRL's extensions as OpenSSL reads them.
  struct Extensions {
    std::string delta_base;    // Delta CRL Indicator, decimal; "" = none
    std::string freshest_url;  // Freshest CRL's first URI; "" = none
    std::string idp_url;       // Issuing Distribution Point's first URI; "" = none
    bool only_user = false;
    bool expired_on_crl = false;
  };
  Extensions extensions_of(storage::CrlScope scope_of = storage::kCompleteCrl) {
    Extensions out;
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    auto l = storage::latest_crl(*txn, testing::kEcIssuer, scope_of);
    if (!l.ok() || !*l) {
      ADD_FAILURE() << "no CRL in this scope";
      return out;
    }
    const unsigned char* p = (*l)->der.data();
    X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>((*l)->der.size())));
    if (!crl) {
      ADD_FAILURE() << "unreadable CRL";
      return out;
    }
    int crit = 0;
    if (auto* base = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_delta_crl, &crit, nullptr))) {
      out.delta_base = std::to_string(ASN1_INTEGER_get(base));
      EXPECT_EQ(crit, 1);
      ASN1_INTEGER_free(base);
    }
    const auto first_uri = [](GENERAL_NAMES* names) -> std::string {
      for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
        if (n->type == GEN_URI)
          return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.uniformResourceIdentifier)),
                             static_cast<std::size_t>(ASN1_STRING_length(n->d.uniformResourceIdentifier)));
      }
      return {};
    };
    if (auto* dps = static_cast<CRL_DIST_POINTS*>(X509_CRL_get_ext_d2i(crl.get(), NID_freshest_crl, &crit, nullptr))) {
      if (sk_DIST_POINT_num(dps) > 0) {
        DIST_POINT* dp = sk_DIST_POINT_value(dps, 0);
        if (dp->distpoint != nullptr && dp->distpoint->type == 0) out.freshest_url = first_uri(dp->distpoint->name.fullname);
      }
      CRL_DIST_POINTS_free(dps);
    }
    if (auto* idp = static_cast<ISSUING_DIST_POINT*>(
            X509_CRL_get_ext_d2i(crl.get(), NID_issuing_distribution_point, &crit, nullptr))) {
      if (idp->distpoint != nullptr && idp->distpoint->type == 0) out.idp_url = first_uri(idp->distpoint->name.fullname);
      out.only_user = idp->onlyuser > 0;
      ISSUING_DIST_POINT_free(idp);
    }
    Asn1ObjectPtr expired(OBJ_txt2obj("2.5.29.60", 1));  // expiredCertsOnCRL: no NID in OpenSSL
    out.expired_on_crl = X509_CRL_get_ext_by_OBJ(crl.get(), expired.get(), -1) >= 0;
    return out;
  }
  Seen latest(storage::CrlScope scope_of = storage::kCompleteCrl) {
    Seen seen;
    auto txn = storage::ReadTxn::begin(*env_);
    EXPECT_TRUE(txn.ok());
    storage::ReadScope scope(*txn);
    auto l = storage::latest_crl(*txn, testing::kEcIssuer, scope_of);
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
    const int listed = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get()));  // -1: no list (no entries)
    EXPECT_EQ(v.entries, static_cast<std::uint64_t>(listed < 0 ? 0 : listed));
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

// Deltas, shards and their extensions: the complete CRL names the delta (Freshest CRL),
// each delta names its base, lists what changed since it (a release as removeFromCRL), and
// the shards split the complete CRL by serial, each with its own Issuing Distribution Point.
TEST_F(PublisherTest, DeltasAndShardsFollowTheCompleteCrl) {
  using storage::CertStatus;
  put(testing::kEcIssuer, {0x11}, CertStatus::revoked, 1, kT0 + 86400);
  put(testing::kEcIssuer, {0x12}, CertStatus::revoked, 6, kT0 + 86400);  // on hold
  put(testing::kEcIssuer, {0x14}, CertStatus::good, storage::kNoReason, kT0 + 86400);
  for (std::uint8_t b = 0x20; b < 0x30; ++b) put(testing::kEcIssuer, {b}, CertStatus::revoked, 3, kT0 + 86400);
  PublisherOptions o = complete_only();
  o.delta_interval = 4;
  o.delta_validity = 600;
  o.shards = 3;
  o.base_url = "http://127.0.0.1:8080/";
  auto p = publisher(o);
  ASSERT_TRUE(p->run_once().ok());
  // Complete #1, shards #2..#4, an empty delta #5 on base 1.
  Seen complete = latest();
  EXPECT_EQ(complete.number, "1");
  EXPECT_EQ(complete.entries.size(), 18u);
  EXPECT_EQ(extensions_of().freshest_url, "http://127.0.0.1:8080/crl/ec.delta.crl");
  EXPECT_EQ(extensions_of().idp_url, "");
  std::map<std::string, int> shard_union;
  for (std::uint16_t k = 0; k < 3; ++k) {
    const storage::CrlScope shard{storage::CrlKind::complete, k};
    Seen s = latest(shard);
    EXPECT_EQ(s.number, std::to_string(2 + k));
    for (const auto& [serial, reason] : s.entries) {
      EXPECT_TRUE(shard_union.emplace(serial, reason).second) << serial << " on two shards";
      Bytes bytes = hex_decode(serial).value();
      EXPECT_EQ(shard_of(bytes, 3), k);
    }
    const Extensions e = extensions_of(shard);
    EXPECT_EQ(e.idp_url, "http://127.0.0.1:8080/crl/ec/" + std::to_string(k) + ".crl");
    EXPECT_TRUE(e.only_user);
    EXPECT_EQ(e.freshest_url, "");
    EXPECT_FALSE(s.entries.empty()) << "16 serials over 3 shards";
  }
  EXPECT_EQ(shard_union, complete.entries);
  Seen delta = latest(storage::kDeltaCrl);
  EXPECT_EQ(delta.number, "5");
  EXPECT_TRUE(delta.entries.empty());
  EXPECT_EQ(delta.next_update, kT0 + 600);
  EXPECT_EQ(extensions_of(storage::kDeltaCrl).delta_base, "1");

  // A revocation is on the next delta once delta_interval has passed; the complete CRL waits.
  clock_.advance(1);
  put(testing::kEcIssuer, {0x16}, CertStatus::revoked, 4, kT0 + 86400, true);
  ASSERT_TRUE(p->run_once().ok());
  EXPECT_EQ(latest(storage::kDeltaCrl).number, "5");  // 1 s after the last delta
  clock_.set(kT0 + 4);
  ASSERT_TRUE(p->run_once().ok());
  delta = latest(storage::kDeltaCrl);
  EXPECT_EQ(delta.number, "6");
  EXPECT_EQ(delta.entries, (std::map<std::string, int>{{"16", 4}}));
  EXPECT_EQ(latest().number, "1");
  // A released hold and a changed reason: removeFromCRL for the first, the new reason for the other.
  put(testing::kEcIssuer, {0x12}, CertStatus::good, storage::kNoReason, kT0 + 86400, true);
  put(testing::kEcIssuer, {0x20}, CertStatus::revoked, 1, kT0 + 86400, true);
  clock_.set(kT0 + 8);
  ASSERT_TRUE(p->run_once().ok());
  delta = latest(storage::kDeltaCrl);
  EXPECT_EQ(delta.number, "7");
  EXPECT_EQ(delta.entries, (std::map<std::string, int>{{"12", 8}, {"16", 4}, {"20", 1}}));
  EXPECT_EQ(extensions_of(storage::kDeltaCrl).delta_base, "1");
  // rebuild_after passed: a new complete CRL with its shards and an empty delta on it.
  clock_.set(kT0 + 60);
  ASSERT_TRUE(p->run_once().ok());
  complete = latest();
  EXPECT_EQ(complete.number, "8");
  EXPECT_EQ(complete.entries.count("12"), 0u);
  EXPECT_EQ(complete.entries.at("16"), 4);
  EXPECT_EQ(latest(storage::kDeltaCrl).number, "12");
  EXPECT_TRUE(latest(storage::kDeltaCrl).entries.empty());
  EXPECT_EQ(extensions_of(storage::kDeltaCrl).delta_base, "8");
  // Half the delta's validity without changes: a new delta all the same.
  clock_.set(kT0 + 60 + 300);
  ASSERT_TRUE(p->run_once().ok());
  EXPECT_EQ(latest(storage::kDeltaCrl).number, "13");
  EXPECT_EQ(p->stats().delta_builds, 3u);
  const auto events = published_events();
  EXPECT_NE(events.back().find("\"scope\":\"delta\""), std::string::npos) << events.back();
  EXPECT_NE(events.back().find("\"base\":\"8\""), std::string::npos) << events.back();
}

// The base CRL with the delta applied lists exactly what the status data says is revoked,
// after every round of random revocations, re-revocations with another reason and releases.
TEST_F(PublisherTest, BasePlusDeltaIsTheCurrentStatus) {
  using storage::CertStatus;
  PublisherOptions o = complete_only();
  o.rebuild_after = 1000000;  // only deltas in this test
  o.validity = 10000000;
  o.delta_interval = 1;
  o.delta_validity = 10000000;
  auto p = publisher(o);
  std::map<std::string, int> truth;  // serial hex -> reason, of what is revoked
  std::uint32_t rng = 12345;
  const auto next = [&rng] { return rng = rng * 1103515245u + 12345u; };
  for (int i = 0; i < 40; ++i) {
    const std::uint8_t b = static_cast<std::uint8_t>(0x10 + i);
    if (next() % 2 == 0) {
      put(testing::kEcIssuer, {b}, CertStatus::revoked, 1, kT0 + 86400);
      truth[hex_encode(Bytes{b}, true)] = 1;
    }
  }
  ASSERT_TRUE(p->run_once().ok());
  const Seen base = latest();
  ASSERT_EQ(base.entries.size(), truth.size());
  for (int round = 1; round <= 6; ++round) {
    for (int k = 0; k < 8; ++k) {
      const std::uint8_t b = static_cast<std::uint8_t>(0x10 + next() % 40);
      const std::string hex = hex_encode(Bytes{b}, true);
      const int action = static_cast<int>(next() % 3);
      if (action == 0) {
        put(testing::kEcIssuer, {b}, CertStatus::good, storage::kNoReason, kT0 + 86400, true);
        truth.erase(hex);
      } else {
        const int reason = action == 1 ? 1 : 6;
        put(testing::kEcIssuer, {b}, CertStatus::revoked, reason, kT0 + 86400, true);
        truth[hex] = reason;
      }
    }
    clock_.set(kT0 + round);
    ASSERT_TRUE(p->run_once().ok());
    const Seen delta = latest(storage::kDeltaCrl);
    ASSERT_EQ(extensions_of(storage::kDeltaCrl).delta_base, base.number);
    std::map<std::string, int> applied = base.entries;
    for (const auto& [serial, reason] : delta.entries) {
      if (reason == storage::kReasonRemoveFromCrl) {
        EXPECT_EQ(applied.erase(serial), 1u) << "removeFromCRL for " << serial << " that the base did not list";
      } else {
        applied[serial] = reason;
      }
    }
    EXPECT_EQ(applied, truth) << "round " << round;
  }
}

// With expired_certs_on_crl, an expired revoked certificate stays and the CRL says so.
TEST_F(PublisherTest, ExpiredCertsStayWhenConfigured) {
  using storage::CertStatus;
  put(testing::kEcIssuer, {0x13}, CertStatus::revoked, 1, kT0 - 1);
  PublisherOptions o = complete_only();
  o.expired_certs_on_crl = true;
  auto p = publisher(o);
  ASSERT_TRUE(p->run_once().ok());
  EXPECT_EQ(latest().entries, (std::map<std::string, int>{{"13", 1}}));
  EXPECT_TRUE(extensions_of().expired_on_crl);
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
