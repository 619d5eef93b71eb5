// GET /api/v1/crls/{issuer}/check in-process: the comparison of the latest published CRL
// with the status records, and who may ask (central body and bootstrap for any issuer, a
// QTSP for its own issuers only, refusals recorded as access.denied).
#include "responder/routes/crl_check_routes.hpp"

#include <gtest/gtest.h>

#include "storage/crls.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/unit/registry/ua_certs.hpp"
#include "tests/unit/routes/route_fixture.hpp"

namespace trustmon::routes {
namespace {

using nlohmann::json;
using testing::kBootstrapToken;
using testing::kNow;
using testing::Reply;

class CrlCheckRoutesTest : public testing::RoutesTest {
 protected:
  void start_check() {
    start([this](http::Router& r) { routes_ = add_crl_check_routes(r, *ctx_, *env_); });
  }
  // A revoked, ingested certificate of `issuer` (serial `serial`).
  void put_revoked(storage::IssuerId issuer, Bytes serial) {
    storage::CertRecord c;
    c.status = storage::CertStatus::revoked;
    c.revocation_time = kNow - 3600;
    c.reason = 1;
    c.has_der = true;
    c.not_after = kNow + 86400;
    ASSERT_TRUE(writer_->run_sync([&](storage::WriteTxn& txn) -> Status {
      return txn.put(storage::Table::certs, storage::encode_cert_key(issuer, serial), storage::encode_cert(c));
    }).ok());
  }
  // Publishes a CRL of the ec issuer listing `entries`, number `number`.
  void publish(const std::vector<trustmon::testing::CrlEntry>& entries, long number) {
    const auto& pki = trustmon::testing::shared_test_pki();
    storage::CrlRecord r;
    r.der = trustmon::testing::make_crl(pki.ca_ec.get(), pki.ca_ec_key.get(), entries, kNow, number);
    r.number = Bytes{static_cast<std::uint8_t>(number)};
    r.this_update = kNow - 60;
    r.next_update = kNow + 86400;
    r.published_at = kNow;
    r.entries = entries.size();
    r.sha256 = sha256(r.der);
    ASSERT_TRUE(writer_->run_sync([&](storage::WriteTxn& txn) -> Status {
      return storage::put_crl(txn, trustmon::testing::kEcIssuer, r);
    }).ok());
  }
  std::size_t denials() {
    std::size_t n = 0;
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    auto c = storage::Cursor::open(*txn, storage::Table::events);
    for (auto more = c->first(); more && *more; more = c->next()) {
      auto e = storage::decode_event(c->key(), c->value());
      if (e && e->type == "access.denied" && e->payload.find("crl.check") != std::string::npos) ++n;
    }
    return n;
  }

  std::shared_ptr<CrlCheckRoutes> routes_;
};

TEST_F(CrlCheckRoutesTest, ComparesTheLatestPublishedCrl) {
  start_check();
  Reply none = call("GET", "/api/v1/crls/ec/check");
  EXPECT_EQ(none.status, 404) << none.raw;
  EXPECT_EQ(none.code(), "crl_not_found");
  Reply unknown = call("GET", "/api/v1/crls/nope/check");
  EXPECT_EQ(unknown.status, 404) << unknown.raw;
  EXPECT_EQ(unknown.code(), "issuer_unknown");
  EXPECT_EQ(call("GET", "/api/v1/crls/ec/check", "").status, 401);

  put_revoked(trustmon::testing::kEcIssuer, {0x0a});
  put_revoked(trustmon::testing::kEcIssuer, {0x0b});
  put_revoked(trustmon::testing::kRsaIssuer, {0x0c});  // another issuer's: not compared
  publish({{{0x0a}, kNow - 3600, 1, 0}}, 2);
  publish({{{0x0a}, kNow - 3600, 1, 0}, {{0x0d}, kNow - 3600, -1, 0}}, 3);  // the latest
  Reply r = call("GET", "/api/v1/crls/ec/check");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["issuer"], "ec");
  EXPECT_EQ(r.body["number"], "3");
  EXPECT_EQ(r.body["source"], "uploaded");
  EXPECT_EQ(r.body["agrees"], false);
  EXPECT_EQ(r.body["entries"], 2);
  EXPECT_EQ(r.body["missing_from_crl"], (json{{"count", 1}, {"serials", {"0B"}}, {"truncated", false}}));
  EXPECT_EQ(r.body["unknown_here"]["serials"], json::array({"0D"}));
  EXPECT_EQ(r.body["good_here"]["count"], 0);
}

TEST_F(CrlCheckRoutesTest, CentralBodyAnyIssuerQtspItsOwnOnly) {
  start_check();
  publish({}, 1);
  const std::uint32_t own = admin_create_participant("qtsp", "11111111");
  const std::uint32_t other = admin_create_participant("qtsp", "22222222");
  ASSERT_EQ(call("POST", "/api/v1/admin/participants/" + std::to_string(own) + "/issuers", kBootstrapToken,
                 json{{"issuer", "ec"}})
                .status / 100, 2);
  ASSERT_EQ(call("POST", "/api/v1/admin/participants/" + std::to_string(other) + "/issuers", kBootstrapToken,
                 json{{"issuer", "rsa"}})
                .status / 100, 2);
  const std::string own_token = admin_issue_token(admin_create_representative(own, "viewer"));
  const std::string other_token = admin_issue_token(admin_create_representative(other, "operator"));
  const std::string central = token_for("central_body", "00015622", "viewer");
  const std::string developer = token_for("tool_developer", "33333333", "viewer");

  EXPECT_EQ(call("GET", "/api/v1/crls/ec/check", kBootstrapToken).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/crls/ec/check", central).status, 200);
  Reply mine = call("GET", "/api/v1/crls/ec/check", own_token);
  EXPECT_EQ(mine.status, 200) << mine.raw;
  EXPECT_EQ(mine.body["agrees"], true);
  for (const std::string& token : {other_token, developer}) {
    Reply refused = call("GET", "/api/v1/crls/ec/check", token);
    EXPECT_EQ(refused.status, 403) << refused.raw;
    EXPECT_EQ(refused.code(), "issuer_not_operated");
  }
  EXPECT_EQ(denials(), 2u);
}

}  // namespace
}  // namespace trustmon::routes
