// POST /testca/tsa and GET /testca/tsa.pem through the real http::Server on loopback (no
// daemon): content types, the small-body cap, ?at=, the options callback, the counters, and
// a reply that `openssl ts -verify` accepts.
#include "responder/routes/tsa_routes.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "responder/http/server.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/unit/http/test_client.hpp"
#include "tests/unit/testbed/tsa_material.hpp"

namespace trustmon::routes {
namespace {

using trustmon::testbed::tsa_testing::read_bytes;
using trustmon::testbed::tsa_testing::run;
using trustmon::testbed::tsa_testing::write_bytes;

constexpr UnixTime kNow = 1'800'000'000;

class TsaRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& pki = trustmon::testing::shared_test_pki();
    key_ = trustmon::testing::generate_key(trustmon::testing::KeyType::p256);
    testbed::TsaConfig c;
    c.certificate = testbed::tsa_testing::tsa_certificate(key_.get(), pki.ca_ec.get(), pki.ca_ec_key.get());
    c.key = trustmon::testing::dup_key(key_.get());
    c.chain.push_back(trustmon::testing::dup_cert(pki.ca_ec.get()));
    c.chain.push_back(trustmon::testing::dup_cert(pki.root.get()));
    auto tsa = testbed::Tsa::create(std::move(c), clock_);
    ASSERT_TRUE(tsa.ok()) << tsa.error().message;
    tsa_ = std::move(*tsa);

    http::Router router;
    add_tsa_routes(
        router, *tsa_,
        [this](const http::Request& req) {
          testbed::TsaOptions o;
          o.time_skew_seconds = skew_.load();
          o.at = kNow - 10;  // overridden by ?at= when the query has it
          if (req.header("X-Test-Throw")) throw std::runtime_error("options lookup failed");
          return o;
        },
        counters_);
    http::ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.workers = 2;
    o.access_log = false;
    server_ = std::make_unique<http::Server>(o, std::move(router));
    const Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    runner_ = std::thread([this] { server_->run(); });

    std::ofstream(dir_ / "root.pem") << trustmon::testing::cert_pem(pki.root.get());
    std::ofstream(dir_ / "data.bin") << "route test data\n";
    const auto q = run("openssl ts -query -data " + dir_ / "data.bin" + " -sha256 -cert -out " + dir_ / "q.tsq");
    ASSERT_EQ(q.rc, 0) << q.out;
    query_ = read_bytes(dir_ / "q.tsq");
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (runner_.joinable()) runner_.join();
  }

  std::optional<http::test::Response> post(std::string_view target, ByteView body,
                                           std::string_view type = "application/timestamp-query",
                                           std::string extra = {}) {
    http::test::Client client(server_->port());
    if (!type.empty()) extra += "Content-Type: " + std::string(type) + "\r\n";
    return client.request("POST", target, as_chars(body), extra);
  }

  UnixTime gen_time(const std::string& body) {
    write_bytes(dir_ / "g.tsr", as_bytes(body));
    const auto text = run("openssl ts -reply -in " + dir_ / "g.tsr" + " -text");
    const auto at = text.out.find("Time stamp: ");
    if (at == std::string::npos) return 0;
    // "Time stamp: Jan 15 08:00:00 2027 GMT"
    std::tm tm{};
    if (::strptime(text.out.c_str() + at + 12, "%b %d %H:%M:%S %Y", &tm) == nullptr) return 0;
    return ::timegm(&tm);
  }

  FixedClock clock_{kNow};
  EvpPkeyPtr key_;
  std::unique_ptr<testbed::Tsa> tsa_;
  TsaCounters counters_;
  std::atomic<std::int64_t> skew_{0};
  std::unique_ptr<http::Server> server_;
  std::thread runner_;
  trustmon::testing::ScratchDir dir_;
  Bytes query_;
};

TEST_F(TsaRoutesTest, PostAnswersATokenThatOpensslVerifies) {
  auto r = post("/testca/tsa", query_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/timestamp-reply");
  write_bytes(dir_ / "r.tsr", as_bytes(r->body));
  const auto v = run("openssl ts -verify -queryfile " + dir_ / "q.tsq" + " -in " + dir_ / "r.tsr" + " -CAfile " +
                     dir_ / "root.pem");
  EXPECT_EQ(v.rc, 0) << v.out;
  EXPECT_EQ(gen_time(r->body), kNow - 10);  // options_of's time travel
  EXPECT_EQ(counters_.value(TsaCounters::Status::granted), 1u);
  // A content type with parameters and another case is the same media type.
  auto p = post("/testca/tsa", query_, "Application/TimeStamp-Query; charset=binary");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 200);
}

TEST_F(TsaRoutesTest, AtQueryParameterOverridesAndSkewAdds) {
  skew_ = 30;
  auto r = post("/testca/tsa?at=2024-02-29T12:00:00Z", query_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(gen_time(r->body), 1'709'208'000 + 30);
  auto bad = post("/testca/tsa?at=yesterday", query_);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("\"invalid_at\""), std::string::npos) << bad->body;
  EXPECT_EQ(counters_.value(TsaCounters::Status::invalid_request), 1u);
}

TEST_F(TsaRoutesTest, WrongContentTypeIs415Json) {
  for (std::string_view type : {"application/json", "application/octet-stream", ""}) {
    auto r = post("/testca/tsa", query_, type);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 415) << type;
    EXPECT_NE(r->header("content-type").find("application/json"), std::string::npos);
    EXPECT_NE(r->body.find("\"unsupported_media_type\""), std::string::npos) << r->body;
  }
  EXPECT_EQ(counters_.value(TsaCounters::Status::unsupported_media_type), 3u);
}

TEST_F(TsaRoutesTest, BadQueryIsA200Rejection) {
  const Bytes junk(50, 0x42);
  auto r = post("/testca/tsa", junk);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(testbed::tsa_status(as_bytes(r->body)), testbed::TsaStatus::rejection);
  // Over the TSA's 4 KiB cap but under the router's small-body cap: still a rejection.
  const Bytes big(8192, 0x30);
  auto b = post("/testca/tsa", big);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  EXPECT_EQ(testbed::tsa_status(as_bytes(b->body)), testbed::TsaStatus::rejection);
  EXPECT_EQ(counters_.value(TsaCounters::Status::rejection), 2u);
}

TEST_F(TsaRoutesTest, BodyOverTheSmallClassCapIs413) {
  const Bytes huge((64 << 10) + 1, 0x30);
  auto r = post("/testca/tsa", huge);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(TsaRoutesTest, OptionsCallbackThatThrowsIs500) {
  auto r = post("/testca/tsa", query_, "application/timestamp-query", "X-Test-Throw: 1\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(counters_.value(TsaCounters::Status::internal_error), 1u);
}

TEST_F(TsaRoutesTest, ChainPemAndMetrics) {
  http::test::Client client(server_->port());
  auto r = client.request("GET", "/testca/tsa.pem");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/pem-certificate-chain");
  auto certs = x509s_from_pem(r->body);
  ASSERT_TRUE(certs.ok());
  EXPECT_EQ(certs->size(), 3u);
  EXPECT_EQ(X509_cmp((*certs)[0].get(), tsa_->certificate()), 0);
  auto m = post("/testca/tsa", query_);
  ASSERT_TRUE(m);
  const std::string text = counters_.metrics_text();
  EXPECT_NE(text.find("trustmon_tsa_requests_total{status=\"granted\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("trustmon_tsa_requests_total{status=\"rejection\"} 0"), std::string::npos) << text;
}

}  // namespace
}  // namespace trustmon::routes
