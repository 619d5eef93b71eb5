// The Registry over a real Env and a started Writer: ingest with the attribute index,
// search by every attribute with filters and pagination, idempotency, refusals that
// store nothing, unverifiable algorithms allowed or refused by configuration, CRL
// upload, events, and OCSP after an ingest without pre-signing (live, then the
// Refresher's response).
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include "common/der.hpp"
#include <nlohmann/json.hpp>

#include "responder/crl/compare.hpp"
#include "responder/ocsp/refresher.hpp"
#include "responder/ocsp/responder.hpp"
#include "responder/registry/attr_index.hpp"
#include "responder/registry/registry.hpp"
#include "responder/registry/search.hpp"
#include "common/time.hpp"
#include "storage/crls.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"
#include "tests/support/ocsp_client.hpp"
#include "tests/support/test_issuers.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/unit/registry/ua_certs.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::registry {
namespace {

using testing::UaCertSpec;

constexpr UnixTime kNow = 1750000000;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = storage::testing::open_env(dir_.path(), std::size_t{64} << 20);
    ASSERT_NE(env_, nullptr);
    writer_ = std::make_unique<storage::Writer>(*env_);
    writer_->start();
    RegistryOptions ro;
    ro.prepare_threads = 2;
    ro.accept_unverified_issuers = {"rsa"};  // "ec" does not accept them
    registry_ = std::make_unique<Registry>(*writer_, testing::shared_issuers(), testing::shared_responders(),
                                           ocsp::OcspOptions{}, clock_, ro);
    auto txn = storage::ReadTxn::begin(*env_);
    ASSERT_TRUE(txn.ok());
    read_ = std::make_unique<storage::ReadTxn>(std::move(*txn));
  }
  void TearDown() override {
    registry_.reset();
    writer_->stop();
  }

  static Result<BatchReport> wait(std::function<void(Registry::Callback)> start) {
    std::promise<Result<BatchReport>> p;
    auto f = p.get_future();
    start([&p](Result<BatchReport> r) { p.set_value(std::move(r)); });
    return f.get();
  }
  BatchReport ingest(std::vector<Bytes> certs, Actor actor = Actor::bootstrap()) {
    auto r = wait([&](Registry::Callback cb) { registry_->ingest(std::move(certs), actor, std::move(cb)); });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(*r) : BatchReport{};
  }
  Result<BatchReport> upload(Bytes crl, Actor actor = Actor::bootstrap()) {
    return wait([&](Registry::Callback cb) { registry_->upload_crl(std::move(crl), actor, std::move(cb)); });
  }
  BatchReport revoke(std::vector<RevocationInput> in) {
    auto r = wait([&](Registry::Callback cb) { registry_->revoke(std::move(in), Actor::bootstrap(), std::move(cb)); });
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::move(*r) : BatchReport{};
  }

  SearchPage search(SearchQuery q) {
    storage::ReadScope scope(*read_);
    EXPECT_TRUE(scope.status().ok());
    auto r = search_.search(*read_, q);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + " " + r.error().message);
    return r.ok() ? std::move(*r) : SearchPage{};
  }
  std::vector<std::string> serials(const SearchQuery& q) {
    std::vector<std::string> out;
    for (const auto& s : search(q).items) out.push_back(s.serial_hex);
    return out;
  }
  SearchQuery by(const std::string& text) {
    SearchQuery q;
    auto a = parse_attribute_query(text);
    EXPECT_TRUE(a.ok()) << text;
    if (a) q.attribute = *a;
    q.at = kNow;
    return q;
  }
  std::size_t table_entries(storage::Table t) {
    storage::ReadScope scope(*read_);
    auto c = storage::Cursor::open(*read_, t);
    std::size_t n = 0;
    for (auto more = c->first(); more && *more; more = c->next()) ++n;
    return n;
  }
  std::vector<storage::EventRecord> events() {
    storage::ReadScope scope(*read_);
    auto c = storage::Cursor::open(*read_, storage::Table::events);
    std::vector<storage::EventRecord> out;
    for (auto more = c->first(); more && *more; more = c->next()) out.push_back(*storage::decode_event(c->key(), c->value()));
    return out;
  }

  Bytes ua_cert(UaCertSpec s, bool rsa = false) {
    const auto& pki = testing::shared_test_pki();
    auto key = testing::generate_key(testing::KeyType::p256);
    return rsa ? testing::make_ua_cert(s, pki.ca_rsa.get(), pki.ca_rsa_key.get(), key.get())
               : testing::make_ua_cert(s, pki.ca_ec.get(), pki.ca_ec_key.get(), key.get());
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
  FixedClock clock_{kNow};
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<storage::ReadTxn> read_;
  CertificateSearch search_{testing::shared_issuers(), clock_};
};

UaCertSpec taras() {
  UaCertSpec s;
  s.serial = {0x10, 0x01};
  s.cn = "Шевченко Тарас Григорович";
  s.o = "ТОВ \"Квітка\"";
  s.serial_number = "TINUA-1234567890";
  s.org_id = "NTRUA-12345678";
  s.email = "taras@kvitka.ua";
  s.san = {"email:t.shevchenko@kvitka.ua", "DNS:kvitka.ua"};
  s.sda = {{"1.1", "1234567890"}, {"2.1", "12345678"}, {"11.1", "19900101-01234"}, {"5.1", "X1"}};
  s.not_before = kNow - 86400;
  s.not_after = kNow + 365 * 86400;
  return s;
}

TEST_F(RegistryTest, SearchByEveryAttribute) {
  const Bytes der = ua_cert(taras());
  UaCertSpec other = taras();
  other.serial = {0x10, 0x02};
  other.cn = "Інша Особа";
  other.serial_number = "TINUA-0000000001";
  other.email = "other@kvitka.ua";
  other.san = {"DNS:other.kvitka.ua"};
  other.sda = {{"1.1", "0000000001"}, {"2.1", "12345678"}};
  auto report = ingest({der, ua_cert(other)});
  ASSERT_EQ(report.count(ItemStatus::stored), 2u);
  EXPECT_TRUE(report.items[0].signature_checked);

  EXPECT_EQ(serials(by("serial_number=tinua-1234567890")), std::vector<std::string>{"1001"});
  EXPECT_EQ(serials(by("organization_identifier=NTRUA-12345678")), (std::vector<std::string>{"1001", "1002"}));
  EXPECT_EQ(serials(by("cn=  ШЕВЧЕНКО тарас  григорович")), std::vector<std::string>{"1001"});
  EXPECT_EQ(serials(by("o=тов \"квітка\"")), (std::vector<std::string>{"1001", "1002"}));
  EXPECT_EQ(serials(by("email=TARAS@kvitka.ua")), std::vector<std::string>{"1001"});
  EXPECT_EQ(serials(by("san_email=t.shevchenko@kvitka.ua")), std::vector<std::string>{"1001"});
  EXPECT_EQ(serials(by("san_dns=KVITKA.UA")), std::vector<std::string>{"1001"});
  EXPECT_EQ(serials(by("san_dns=other.kvitka.ua")), std::vector<std::string>{"1002"});
  EXPECT_EQ(serials(by("drfo=1234567890")), std::vector<std::string>{"1001"});
  EXPECT_EQ(serials(by("edrpou=12345678")), (std::vector<std::string>{"1001", "1002"}));
  EXPECT_EQ(serials(by("unzr=19900101-01234")), std::vector<std::string>{"1001"});
  EXPECT_EQ(serials(by("sda:5.1=x1")), std::vector<std::string>{"1001"});
  EXPECT_EQ(serials(by("sha256=" + hex_encode(sha256(der)))), std::vector<std::string>{"1001"});
  EXPECT_EQ(serials(by("issuer_serial=ec:001001")), std::vector<std::string>{"1001"});
  EXPECT_TRUE(serials(by("issuer_serial=rsa:1001")).empty());
  EXPECT_TRUE(serials(by("drfo=1234567891")).empty());
  EXPECT_TRUE(serials(by("cn=шевченко")).empty());  // exact, not a prefix

  auto cert = x509_from_der(der);
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(serials(by("spki_sha256=" + hex_encode(testing::spki_der_sha256(cert->get())))), std::vector<std::string>{"1001"});

  // The result record.
  auto page = search(by("drfo=1234567890"));
  ASSERT_EQ(page.items.size(), 1u);
  const CertificateSummary& s = page.items[0];
  EXPECT_NE(s.subject.find("CN=Шевченко Тарас Григорович"), std::string::npos) << s.subject;
  EXPECT_NE(s.subject.find("serialNumber=TINUA-1234567890"), std::string::npos) << s.subject;
  EXPECT_EQ(s.issuer, "ec");
  EXPECT_FALSE(s.issuer_dn.empty());
  EXPECT_EQ(s.sha256_hex, hex_encode(sha256(der)));
  EXPECT_STREQ(s.status, "valid");
  EXPECT_EQ(s.matched, "drfo=1234567890");
  EXPECT_TRUE(s.signature_checked);
  EXPECT_TRUE(page.next_cursor.empty());
  auto j = to_json(s);
  EXPECT_EQ(j["serial"], "1001");
  EXPECT_TRUE(j["revocation"].is_null());

  // Get by SHA-256: record and DER.
  storage::ReadScope scope(*read_);
  auto got = search_.get_by_sha256(*read_, sha256(der));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->der, der);
  EXPECT_EQ((*got)->summary.serial_hex, "1001");
  auto none = search_.get_by_sha256(*read_, Sha256{});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// A request body is decoded on a preparation thread: a PEM bundle becomes its items in
// order; a body that does not decode fails whole with its code and stores nothing.
TEST_F(RegistryTest, IngestBodyDecodesOffTheEventLoop) {
  auto body = [this](const std::string& type, const std::string& text) {
    return wait([&](Registry::Callback cb) {
      registry_->ingest_body(type, Bytes(text.begin(), text.end()), Actor::bootstrap(), std::move(cb));
    });
  };
  auto pem = [](const Bytes& der) {
    return "-----BEGIN CERTIFICATE-----\n" + base64_encode(der) + "\n-----END CERTIFICATE-----\n";
  };
  UaCertSpec second = taras();
  second.serial = {0x10, 0x07};
  const std::string bundle = pem(ua_cert(taras())) + pem(ua_cert(second)) +
                             "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
  auto r = body("application/x-pem-file", bundle);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->items.size(), 3u);
  EXPECT_EQ(r->items[0].status, ItemStatus::stored);
  EXPECT_EQ(r->items[1].status, ItemStatus::stored);
  EXPECT_EQ(r->items[1].serial_hex, "1007");
  EXPECT_EQ(r->items[2].status, ItemStatus::refused);
  ASSERT_TRUE(r->items[2].error);
  EXPECT_EQ(r->items[2].error->code, "certificate_malformed");

  for (const auto& [type, text, code] :
       {std::tuple<std::string, std::string, std::string>{"text/plain", "x", "unsupported_media_type"},
        {"application/json", "{\"certificates\": [", "json_malformed"},
        {"application/x-pem-file", "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n", "pem_malformed"}}) {
    SCOPED_TRACE(type);
    auto bad = body(type, text);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, code);
  }
  EXPECT_EQ(table_entries(storage::Table::certs), 2u);
}

TEST_F(RegistryTest, IssuedEventCarriesTheAttributes) {
  const Bytes der = ua_cert(taras());
  Actor actor;
  actor.participant = 7;
  ASSERT_EQ(ingest({der}, actor).count(ItemStatus::stored), 1u);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, "certificate.issued");
  auto j = nlohmann::json::parse(ev[0].payload, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << ev[0].payload;
  EXPECT_EQ(j["issuer"], "ec");
  EXPECT_EQ(j["serial"], "1001");
  EXPECT_EQ(j["sha256"], hex_encode(sha256(der)));
  EXPECT_EQ(j["participant"], 7);
  EXPECT_EQ(j["spki_sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(j.contains("signature_checked"));
  std::set<std::pair<std::string, std::string>> attrs;
  for (const auto& p : j["attributes"]) attrs.emplace(p[0], p[1]);
  EXPECT_TRUE(attrs.count({"drfo", "1234567890"}));
  EXPECT_TRUE(attrs.count({"edrpou", "12345678"}));
  EXPECT_TRUE(attrs.count({"unzr", "19900101-01234"}));
  EXPECT_TRUE(attrs.count({"cn", "шевченко тарас григорович"}));
  EXPECT_TRUE(attrs.count({"serial_number", "TINUA-1234567890"}));
  EXPECT_TRUE(attrs.count({"san_dns", "kvitka.ua"}));
  // A watch matcher compares a parsed query with these pairs.
  auto q = parse_attribute_query("drfo= 1234567890");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(attrs.count({attribute_name(*q), q->value}));
}

TEST_F(RegistryTest, StatusFiltersOverTime) {
  UaCertSpec a = taras();  // valid now, revoked below
  UaCertSpec b = taras();
  b.serial = {0x20};
  b.not_before = kNow - 400 * 86400;
  b.not_after = kNow - 30 * 86400;  // expired a month ago
  UaCertSpec c = taras();
  c.serial = {0x30};
  c.not_before = kNow + 86400;  // valid from tomorrow
  c.not_after = kNow + 400 * 86400;
  ASSERT_EQ(ingest({ua_cert(a), ua_cert(b), ua_cert(c)}).count(ItemStatus::stored), 3u);
  auto rev = revoke({{"ec", "1001", "keyCompromise", format_rfc3339(kNow - 3600), format_rfc3339(kNow - 7200)}});
  ASSERT_EQ(rev.count(ItemStatus::revoked), 1u);

  auto q = by("drfo=1234567890");
  q.status = StatusFilter::revoked;
  EXPECT_EQ(serials(q), std::vector<std::string>{"1001"});
  q.status = StatusFilter::expired;
  EXPECT_EQ(serials(q), std::vector<std::string>{"20"});
  q.status = StatusFilter::not_yet_valid;
  EXPECT_EQ(serials(q), std::vector<std::string>{"30"});
  q.status = StatusFilter::valid;
  EXPECT_TRUE(serials(q).empty());
  // Two hours ago 1001 was valid and 20 was already expired.
  q.at = kNow - 7200;
  EXPECT_EQ(serials(q), std::vector<std::string>{"1001"});
  // A year ago: 20 valid, 1001 not yet issued.
  q.at = kNow - 365 * 86400;
  EXPECT_EQ(serials(q), std::vector<std::string>{"20"});
  q.status = StatusFilter::not_yet_valid;
  EXPECT_EQ(serials(q), (std::vector<std::string>{"30", "1001"}));  // cert-key order: shorter serial first

  q = by("drfo=1234567890");
  q.status = StatusFilter::revoked;
  auto page = search(q);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_TRUE(page.items[0].revoked);
  EXPECT_EQ(page.items[0].reason, 1);
  EXPECT_EQ(page.items[0].revocation_time, kNow - 3600);
  EXPECT_EQ(page.items[0].invalidity_date, kNow - 7200);
  auto j = to_json(page.items[0]);
  EXPECT_EQ(j["revocation"]["reason"], "keyCompromise");
}

TEST_F(RegistryTest, IssuerAndNotBeforeFilters) {
  UaCertSpec a = taras();
  UaCertSpec b = taras();
  b.serial = {0x05};
  b.not_before = kNow - 10 * 86400;
  ASSERT_EQ(ingest({ua_cert(a), ua_cert(b, /*rsa=*/true), ua_cert(b)}).count(ItemStatus::stored), 3u);
  auto q = by("edrpou=12345678");
  EXPECT_EQ(serials(q), (std::vector<std::string>{"05", "1001", "05"}));  // ec (id 1) first, then rsa
  q.issuer = "rsa";
  EXPECT_EQ(serials(q), std::vector<std::string>{"05"});
  q.issuer = "ec";
  EXPECT_EQ(serials(q), (std::vector<std::string>{"05", "1001"}));
  q.issued_after = kNow - 2 * 86400;
  EXPECT_EQ(serials(q), std::vector<std::string>{"1001"});
  q.issued_after.reset();
  q.issued_before = kNow - 2 * 86400;
  EXPECT_EQ(serials(q), std::vector<std::string>{"05"});
  // Listing without an attribute.
  SearchQuery list;
  list.at = kNow;
  list.issuer = "rsa";
  EXPECT_EQ(serials(list), std::vector<std::string>{"05"});
  list.issuer.reset();
  EXPECT_EQ(serials(list).size(), 3u);
  // An unknown issuer and a bad cursor are errors.
  storage::ReadScope scope(*read_);
  SearchQuery bad = by("cn=x");
  bad.issuer = "nope";
  EXPECT_EQ(search_.search(*read_, bad).error().code, "query_invalid");
  bad.issuer.reset();
  bad.cursor = "garbage";
  EXPECT_EQ(search_.search(*read_, bad).error().code, "query_invalid");
  bad.cursor.clear();
  bad.limit = kMaxSearchLimit + 1;
  EXPECT_EQ(search_.search(*read_, bad).error().code, "query_invalid");
}

TEST_F(RegistryTest, PaginationIsStableWithoutDuplicatesOrGaps) {
  std::vector<Bytes> certs;
  for (int i = 0; i < 57; ++i) {
    UaCertSpec s = taras();
    s.serial = {static_cast<std::uint8_t>(0x40 + i), 0x01};
    certs.push_back(ua_cert(s, i % 3 == 0));
  }
  ASSERT_EQ(ingest(certs).count(ItemStatus::stored), 57u);
  for (const char* issuer : {"", "ec", "rsa"}) {
    auto q = by("o=ТОВ \"КВІТКА\"");
    if (*issuer) q.issuer = issuer;
    q.limit = 10;
    std::vector<std::string> all;
    std::set<std::string> seen;
    int pages = 0;
    for (;;) {
      auto page = search(q);
      ++pages;
      for (const auto& s : page.items) {
        EXPECT_TRUE(seen.insert(s.issuer + ":" + s.serial_hex).second) << "duplicate " << s.serial_hex;
        all.push_back(s.serial_hex);
      }
      if (page.next_cursor.empty()) break;
      q.cursor = page.next_cursor;
      // A certificate added between pages with a key before the cursor does not shift the pages.
      if (pages == 2 && !*issuer) {
        UaCertSpec late = taras();
        late.serial = {0x01};
        ASSERT_EQ(ingest({ua_cert(late)}).count(ItemStatus::stored), 1u);
      }
      ASSERT_LT(pages, 20);
    }
    const std::size_t expected = !*issuer ? 57 : std::string(issuer) == "ec" ? 39 : 19;  // (+1 late, ec)
    EXPECT_EQ(all.size(), expected) << issuer;
  }
}

// The attribute index is partitioned by ingest epoch (attr_index.hpp): certificates of
// different epochs, with epochs skipped in between, are found and paged as one list in
// cert-key order.
TEST_F(RegistryTest, AttributeIndexSpansEpochs) {
  const auto set_count = [&](std::uint64_t n) {
    ASSERT_TRUE(writer_->run_sync([n](storage::WriteTxn& txn) { return set_stored_certificates(txn, n); }).ok());
  };
  std::vector<Bytes> certs;
  for (int i = 0; i < 6; ++i) {
    UaCertSpec s = taras();
    s.serial = {static_cast<std::uint8_t>(0x70 - i)};  // later ingests get smaller cert keys
    s.serial_number = "TINUA-99999999" + std::to_string(i);
    certs.push_back(ua_cert(s));
  }
  set_count(kEpochCertificates - 2);  // certs 0, 1 in epoch 0, cert 2 in epoch 1
  ASSERT_EQ(ingest({certs[0], certs[1], certs[2]}).count(ItemStatus::stored), 3u);
  set_count(5 * kEpochCertificates);  // epochs 2..4 stay empty; certs 3..5 in epoch 5
  ASSERT_EQ(ingest({certs[3], certs[4], certs[5]}).count(ItemStatus::stored), 3u);
  {
    storage::ReadScope scope(*read_);
    auto c = storage::Cursor::open(*read_, storage::Table::attr_index);
    std::set<std::uint32_t> epochs;
    for (auto more = c->first(); more && *more; more = c->next())
      if (c->key()[0] == static_cast<std::uint8_t>(AttrKind::o)) epochs.insert(get_be32(c->key().data() + 1));
    EXPECT_EQ(epochs, (std::set<std::uint32_t>{0, 1, 5}));
    auto count = read_->get(storage::Table::meta, as_bytes(storage::kMetaStoredCertificates));
    ASSERT_TRUE(count.ok() && count->has_value() && (*count)->size() == 8);
    EXPECT_EQ(get_be32((*count)->data() + 4), 5 * kEpochCertificates + 3);
  }
  // One list in cert-key order (serials 0x6B..0x70), paged two at a time.
  auto q = by("o=ТОВ \"Квітка\"");
  q.limit = 2;
  std::vector<std::string> all;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = search(q);
    for (const auto& item : page.items) all.push_back(item.serial_hex);
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  EXPECT_EQ(all, (std::vector<std::string>{"6B", "6C", "6D", "6E", "6F", "70"}));
  // Exact attributes in each epoch, and the SHA-256 lookup.
  EXPECT_EQ(serials(by("serial_number=TINUA-999999990")), std::vector<std::string>{"70"});
  EXPECT_EQ(serials(by("serial_number=TINUA-999999992")), std::vector<std::string>{"6E"});
  EXPECT_EQ(serials(by("serial_number=TINUA-999999995")), std::vector<std::string>{"6B"});
  storage::ReadScope scope(*read_);
  auto detail = search_.get_by_sha256(*read_, sha256(certs[2]));
  ASSERT_TRUE(detail.ok());
  ASSERT_TRUE(detail->has_value());
  EXPECT_EQ((*detail)->summary.serial_hex, "6E");
}

// A batch larger than items_per_job is written as several Writer jobs: every item is
// stored once, the report keeps the input order, a copy of a certificate in a later job
// is a duplicate, the epochs continue across the jobs, and the events follow the items.
TEST_F(RegistryTest, LargeBatchIsWrittenInSeveralJobs) {
  RegistryOptions ro;
  ro.prepare_threads = 2;
  ro.items_per_job = 2;
  registry_ = std::make_unique<Registry>(*writer_, testing::shared_issuers(), testing::shared_responders(),
                                         ocsp::OcspOptions{}, clock_, ro);
  ASSERT_TRUE(writer_->run_sync([](storage::WriteTxn& txn) {
    return set_stored_certificates(txn, kEpochCertificates - 2);
  }).ok());
  std::vector<Bytes> certs;
  for (int i = 0; i < 5; ++i) {
    UaCertSpec s = taras();
    s.serial = {static_cast<std::uint8_t>(0x40 + i)};
    s.serial_number = "TINUA-55555555" + std::to_string(i);
    certs.push_back(ua_cert(s));
  }
  certs.push_back(certs[1]);  // in the third job: a duplicate of the first job's item
  const std::uint64_t jobs_before = writer_->stats().jobs;
  const BatchReport r = ingest(certs);
  // Six items, two per job: three jobs. The batch closes an attr_index epoch, so the merge
  // of closed epochs may add its own job before the count is read (a race, not a defect).
  const std::uint64_t jobs = writer_->stats().jobs - jobs_before;
  EXPECT_GE(jobs, 3u);
  EXPECT_LE(jobs, 4u);
  ASSERT_EQ(r.items.size(), 6u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.items[static_cast<std::size_t>(i)].status, ItemStatus::stored) << i;
    EXPECT_EQ(r.items[static_cast<std::size_t>(i)].serial_hex, hex_encode(Bytes{static_cast<std::uint8_t>(0x40 + i)}, true));
  }
  EXPECT_EQ(r.items[5].status, ItemStatus::duplicate);
  EXPECT_EQ(r.items[5].serial_hex, "41");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(serials(by("serial_number=TINUA-55555555" + std::to_string(i))),
              std::vector<std::string>{hex_encode(Bytes{static_cast<std::uint8_t>(0x40 + i)}, true)});
  std::vector<std::string> issued;
  for (const auto& e : events())
    if (e.type == "certificate.issued") issued.push_back(e.payload);
  ASSERT_EQ(issued.size(), 5u);
  for (int i = 0; i < 5; ++i)
    EXPECT_NE(issued[static_cast<std::size_t>(i)].find("TINUA-55555555" + std::to_string(i)), std::string::npos) << i;
  storage::ReadScope scope(*read_);
  auto count = read_->get(storage::Table::meta, as_bytes(storage::kMetaStoredCertificates));
  ASSERT_TRUE(count.ok() && count->has_value() && (*count)->size() == 8);
  EXPECT_EQ(get_be32((*count)->data() + 4), kEpochCertificates + 3);
}

// A revocation submitted behind queued import batches is prepared in the urgent lane and
// written in the Writer's urgent lane: it is acknowledged before any of those batches, and
// its signed response is stored in its own commit.
TEST_F(RegistryTest, RevocationIsNotQueuedBehindImports) {
  const Bytes der = ua_cert(taras());
  std::mutex mu;
  std::vector<std::string> done_order;
  std::vector<std::future<void>> finished;
  const auto record = [&](std::string name) {
    auto p = std::make_shared<std::promise<void>>();
    finished.push_back(p->get_future());
    return [&mu, &done_order, name = std::move(name), p](Result<BatchReport> r) {
      EXPECT_TRUE(r.ok()) << name;
      {
        std::lock_guard<std::mutex> lock(mu);
        done_order.push_back(name);
      }
      p->set_value();
    };
  };
  // Every copy of the certificate is verified again: real preparation work per item.
  for (int i = 0; i < 4; ++i)
    registry_->ingest(std::vector<Bytes>(2000, der), Actor::bootstrap(), record("ingest" + std::to_string(i)));
  RevocationInput in;
  in.issuer = "ec";
  in.serial_hex = "7777";
  in.reason = "keyCompromise";
  registry_->revoke({in}, Actor::bootstrap(), record("revoke"));
  for (auto& f : finished) f.wait();
  ASSERT_EQ(done_order.size(), 5u);
  EXPECT_EQ(done_order.front(), "revoke");
  storage::ReadScope scope(*read_);
  const storage::IssuerId ec = testing::shared_issuers().find_by_name("ec")->id;
  auto stored = read_->get(storage::Table::ocsp_responses, storage::encode_cert_key(ec, Bytes{0x77, 0x77}));
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->has_value());  // its signed response came in the same commit
}

TEST_F(RegistryTest, SameCertificateTwiceIsOneCertificate) {
  const Bytes der = ua_cert(taras());
  auto first = ingest({der, der});
  EXPECT_EQ(first.items[0].status, ItemStatus::stored);
  EXPECT_EQ(first.items[1].status, ItemStatus::duplicate);
  auto again = ingest({der});
  EXPECT_EQ(again.items[0].status, ItemStatus::duplicate);
  EXPECT_EQ(serials(by("drfo=1234567890")).size(), 1u);
  EXPECT_EQ(events().size(), 1u);
  // Another certificate with the same issuer and serial is a conflict and stores nothing.
  UaCertSpec clash = taras();
  clash.cn = "Хтось Інший";
  auto conflict = ingest({ua_cert(clash)});
  ASSERT_EQ(conflict.items[0].status, ItemStatus::refused);
  EXPECT_EQ(conflict.items[0].error->code, "serial_conflict");
  EXPECT_TRUE(serials(by("cn=хтось інший")).empty());
}

TEST_F(RegistryTest, RefusedItemsStoreNothing) {
  const auto& pki = testing::shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  // Signed by the responder's key instead of the CA's: the signature does not verify.
  const Bytes forged = testing::make_ua_cert(taras(), pki.ca_ec.get(), pki.responder_key.get(), key.get());
  // Issued by the root, which is not a configured issuer.
  const Bytes foreign = testing::make_ua_cert(taras(), pki.root.get(), pki.root_key.get(), key.get());
  // An actor that operates only "rsa".
  Actor limited;
  limited.participant = 3;
  limited.issuers = std::vector<std::uint32_t>{testing::kRsaIssuer};
  auto report = ingest({forged, foreign, Bytes{1, 2, 3}}, limited);
  ASSERT_EQ(report.items.size(), 3u);
  EXPECT_EQ(report.items[0].error->code, "signature_invalid");
  EXPECT_EQ(report.items[1].error->code, "issuer_unknown");
  EXPECT_EQ(report.items[2].error->code, "certificate_malformed");
  auto denied = ingest({ua_cert(taras())}, limited);
  EXPECT_EQ(denied.items[0].error->code, "issuer_not_operated");
  for (auto t : {storage::Table::certs, storage::Table::cert_der, storage::Table::attr_index,
                 storage::Table::ocsp_responses})
    EXPECT_EQ(table_entries(t), 0u) << storage::table_name(t);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);  // only the denial is recorded
  EXPECT_EQ(ev[0].type, "access.denied");
}

// DER has one encoding per length: the long form for a length the short form fits
// (0x81 0x0a instead of 0x0a) is BER. OpenSSL's d2i_X509 reads it; the registry's walk
// (common/der.hpp) refuses it, so such a certificate is certificate_malformed and
// nothing is stored. Two places: the outer signatureAlgorithm (outside the signed bytes,
// so the signature still verifies) and the serial inside the TBSCertificate (re-signed
// with the CA's key, so only the encoding is wrong).
TEST_F(RegistryTest, NonMinimalDerLengthIsRefusedAtIngest) {
  const auto& pki = testing::shared_test_pki();
  const Bytes good = ua_cert(taras());
  der::Tlv cert, tbs, alg, sig;
  ASSERT_TRUE(der::single(good, der::kSequence, cert));
  der::Reader body(cert.content);
  ASSERT_TRUE(body.expect(der::kSequence, tbs) && body.expect(der::kSequence, alg) &&
              body.expect(der::kBitString, sig) && body.empty());
  // `tlv` with its length in the long form, one length octet (content below 0x80).
  const auto long_form = [](const der::Tlv& t) {
    Bytes out{t.tag, 0x81, static_cast<std::uint8_t>(t.content.size())};
    out.insert(out.end(), t.content.begin(), t.content.end());
    return out;
  };
  const auto certificate = [](ByteView tbs_der, ByteView alg_der, ByteView sig_der) {
    der::BackWriter w;
    w.bytes(sig_der);
    w.bytes(alg_der);
    w.bytes(tbs_der);
    w.wrap(der::kSequence, 0);
    return w.take();
  };

  ASSERT_LT(alg.content.size(), 0x80u);
  const Bytes outer = certificate(tbs.whole, long_form(alg), sig.whole);

  der::Reader fields(tbs.content);
  der::Tlv version, serial;
  bool has_version = false;
  ASSERT_TRUE(fields.optional(der::context(0), version, has_version) && fields.expect(der::kInteger, serial));
  const std::ptrdiff_t serial_at = serial.whole.data() - tbs.content.data();
  Bytes tbs_content(tbs.content.begin(), tbs.content.begin() + serial_at);
  const Bytes long_serial = long_form(serial);
  tbs_content.insert(tbs_content.end(), long_serial.begin(), long_serial.end());
  tbs_content.insert(tbs_content.end(),
                     tbs.content.begin() + serial_at + static_cast<std::ptrdiff_t>(serial.whole.size()),
                     tbs.content.end());
  der::BackWriter tbs_writer;
  tbs_writer.bytes(tbs_content);
  tbs_writer.wrap(der::kSequence, 0);
  const Bytes resigned_tbs = tbs_writer.take();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t sig_len = 0;
  ASSERT_TRUE(ctx &&
              EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pki.ca_ec_key.get()) == 1 &&
              EVP_DigestSign(ctx.get(), nullptr, &sig_len, resigned_tbs.data(), resigned_tbs.size()) == 1);
  Bytes signature(sig_len + 1, 0);  // the unused-bits octet, then the signature
  ASSERT_EQ(
      EVP_DigestSign(ctx.get(), signature.data() + 1, &sig_len, resigned_tbs.data(), resigned_tbs.size()), 1);
  signature.resize(sig_len + 1);
  der::BackWriter sig_writer;
  sig_writer.tlv(der::kBitString, signature);
  const Bytes inner = certificate(resigned_tbs, alg.whole, sig_writer.view());

  for (const Bytes* variant : {&outer, &inner}) {
    // OpenSSL reads it and the signature is good: only the encoding is wrong.
    auto x = x509_from_der(*variant);
    ASSERT_TRUE(x.ok());
    EXPECT_EQ(X509_verify(x->get(), X509_get0_pubkey(pki.ca_ec.get())), 1);
  }
  auto report = ingest({outer, inner});
  ASSERT_EQ(report.items.size(), 2u);
  for (const auto& item : report.items) {
    EXPECT_EQ(item.status, ItemStatus::refused);
    ASSERT_TRUE(item.error);
    EXPECT_EQ(item.error->code, "certificate_malformed");
  }
  for (auto t : {storage::Table::certs, storage::Table::cert_der, storage::Table::attr_index,
                 storage::Table::ocsp_responses})
    EXPECT_EQ(table_entries(t), 0u) << storage::table_name(t);
  // The same certificate in DER is stored.
  EXPECT_EQ(ingest({good}).count(ItemStatus::stored), 1u);
}

TEST_F(RegistryTest, UnverifiableAlgorithmAllowedOnlyWhereConfigured) {
  UaCertSpec s = taras();
  s.unknown_algorithm = true;
  const Bytes refused = ua_cert(s);          // "ec": accept_unverified_signatures = false
  const Bytes accepted = ua_cert(s, true);   // "rsa": accept_unverified_signatures = true
  auto report = ingest({refused, accepted});
  ASSERT_EQ(report.items.size(), 2u);
  ASSERT_EQ(report.items[0].status, ItemStatus::refused);
  EXPECT_EQ(report.items[0].error->code, "signature_unverifiable");
  ASSERT_EQ(report.items[1].status, ItemStatus::stored);
  EXPECT_EQ(report.items[1].issuer, "rsa");
  EXPECT_FALSE(report.items[1].signature_checked);

  auto page = search(by("drfo=1234567890"));
  ASSERT_EQ(page.items.size(), 1u);  // indexed like any other certificate
  EXPECT_EQ(page.items[0].issuer, "rsa");
  EXPECT_FALSE(page.items[0].signature_checked);
  EXPECT_EQ(serials(by("cn=шевченко тарас григорович")), std::vector<std::string>{"1001"});
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NE(ev[0].payload.find("\"signature_checked\":false"), std::string::npos);
  {
    storage::ReadScope scope(*read_);
    auto rec = read_->get(storage::Table::certs, storage::encode_cert_key(testing::kRsaIssuer, Bytes{0x10, 0x01}));
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_FALSE(storage::decode_cert(**rec)->signature_checked);
  }

  // An authority key identifier naming another key: not this issuer, whatever the name.
  const auto& pki = testing::shared_test_pki();
  UaCertSpec t = s;
  t.serial = {0x77};
  t.aki_from = pki.ca_ec.get();
  auto key = testing::generate_key(testing::KeyType::p256);
  const Bytes wrong_aki = testing::make_ua_cert(t, pki.ca_rsa.get(), pki.ca_rsa_key.get(), key.get());
  auto r2 = ingest({wrong_aki});
  ASSERT_EQ(r2.items.size(), 1u);
  EXPECT_EQ(r2.items[0].status, ItemStatus::refused);
  EXPECT_EQ(r2.items[0].error->code, "issuer_unknown");
}

TEST_F(RegistryTest, CrlUploadRevokesWithReasonsAndInvalidityDates) {
  const auto& pki = testing::shared_test_pki();
  UaCertSpec a = taras();
  ASSERT_EQ(ingest({ua_cert(a)}).count(ItemStatus::stored), 1u);
  std::vector<testing::CrlEntry> entries = {
      {{0x10, 0x01}, kNow - 600, 1, kNow - 86400},  // keyCompromise with invalidity date
      {{0x0a}, kNow - 500, 6, 0},                    // certificateHold, never ingested
      {{0x0b}, kNow - 400, -1, 0},                   // no reason extension
      {{0x0c}, kNow + 86400, 4, 0},                  // dated tomorrow: refused
      {{0x0d}, kNow - 300, 8, 0},                    // removeFromCRL: refused
  };
  const Bytes crl = testing::make_crl(pki.ca_ec.get(), pki.ca_ec_key.get(), entries, kNow);
  auto r = upload(crl);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->items.size(), 5u);  // CRL order (sorted by serial): 0A 0B 0C 0D 1001
  std::map<std::string, const ItemOutcome*> by_serial;
  for (const auto& i : r->items) by_serial[i.serial_hex] = &i;
  EXPECT_EQ(by_serial["1001"]->status, ItemStatus::revoked);
  EXPECT_EQ(by_serial["0A"]->status, ItemStatus::revoked);
  EXPECT_EQ(by_serial["0B"]->status, ItemStatus::revoked);
  EXPECT_EQ(by_serial["0C"]->error->code, "time_invalid");
  EXPECT_EQ(by_serial["0D"]->error->code, "reason_invalid");

  auto q = by("drfo=1234567890");
  q.status = StatusFilter::revoked;
  auto page = search(q);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].reason, 1);
  EXPECT_EQ(page.items[0].revocation_time, kNow - 600);
  EXPECT_EQ(page.items[0].invalidity_date, kNow - 86400);
  {
    storage::ReadScope scope(*read_);
    auto rec = read_->get(storage::Table::certs, storage::encode_cert_key(testing::kEcIssuer, Bytes{0x0b}));
    ASSERT_TRUE(rec.ok() && rec->has_value());
    auto d = storage::decode_cert(**rec);
    EXPECT_EQ(d->status, storage::CertStatus::revoked);
    EXPECT_EQ(d->reason, storage::kNoReason);
    // Each status change has its pre-signed response in the same commit.
    EXPECT_TRUE(read_->get(storage::Table::ocsp_responses, storage::encode_cert_key(1, Bytes{0x0b}))->has_value());
  }
  // The same CRL again: nothing changes (a hold may still become a permanent revocation).
  auto again = upload(crl);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->count(ItemStatus::unchanged), 3u);
  // PEM is accepted too.
  std::string pem = "-----BEGIN X509 CRL-----\n" + base64_encode(crl) + "\n-----END X509 CRL-----\n";
  auto from_pem = upload(to_bytes(as_bytes(pem)));
  ASSERT_TRUE(from_pem.ok());
  EXPECT_EQ(from_pem->items.size(), 5u);
}

// An uploaded CRL is published under its number: a greater number replaces it, the same
// CRL again is a replay, an older or equal number, a delta CRL and a CRL without number
// are refused whole (nothing of them is applied), and each publication is an event.
TEST_F(RegistryTest, CrlNumbersOnlyGoForward) {
  const auto& pki = testing::shared_test_pki();
  const auto crl = [&](std::vector<testing::CrlEntry> entries, long number, long delta_base = 0) {
    return testing::make_crl(pki.ca_ec.get(), pki.ca_ec_key.get(), entries, kNow, number, delta_base);
  };
  const Bytes five = crl({{{0x0a}, kNow - 500, 6, 0}}, 5);  // certificateHold
  ASSERT_TRUE(upload(five).ok());
  const auto latest_number = [&]() -> std::string {
    storage::ReadScope scope(*read_);
    auto latest = storage::latest_crl(*read_, testing::kEcIssuer);
    EXPECT_TRUE(latest.ok());
    if (!latest.ok() || !*latest) return "none";
    return storage::crl_number_decimal((*latest)->number);
  };
  EXPECT_EQ(latest_number(), "5");
  // A replay of the published CRL answers like the first upload.
  auto replay = upload(five);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->count(ItemStatus::unchanged), 1u);
  // An older and an equal number (other content) are refused; their entries are not applied.
  for (long n : {4L, 5L}) {
    auto old = upload(crl({{{0x0e}, kNow - 100, 1, 0}}, n));
    ASSERT_FALSE(old.ok()) << n;
    EXPECT_EQ(old.error().code, "crl_number_not_greater") << n;
  }
  {
    storage::ReadScope scope(*read_);
    EXPECT_FALSE(read_->get(storage::Table::certs, storage::encode_cert_key(testing::kEcIssuer, Bytes{0x0e}))->has_value());
  }
  auto no_number = upload(crl({}, -1));
  ASSERT_FALSE(no_number.ok());
  EXPECT_EQ(no_number.error().code, "crl_number_missing");
  auto delta = upload(crl({}, 7, 5));
  ASSERT_FALSE(delta.ok());
  EXPECT_EQ(delta.error().code, "crl_delta_not_accepted");
  EXPECT_EQ(latest_number(), "5");
  // A greater number is published; the older one stays readable by number.
  const Bytes six = crl({{{0x0a}, kNow - 500, 1, 0}}, 6);  // the hold became keyCompromise
  auto next = upload(six);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->count(ItemStatus::revoked), 1u);
  EXPECT_EQ(latest_number(), "6");
  {
    storage::ReadScope scope(*read_);
    auto by_number = storage::crl_by_number(*read_, testing::kEcIssuer, Bytes{5});
    ASSERT_TRUE(by_number.ok() && by_number->has_value());
    EXPECT_EQ(to_bytes((*by_number)->der), five);
    EXPECT_EQ((*by_number)->source, storage::CrlSource::uploaded);
    EXPECT_EQ((*by_number)->entries, 1u);
    EXPECT_EQ((*by_number)->sha256, sha256(five));
  }
  std::vector<std::string> published;
  for (const auto& e : events())
    if (e.type == "crl.published") published.push_back(e.payload);
  ASSERT_EQ(published.size(), 2u);
  EXPECT_NE(published[0].find("\"number\":\"5\""), std::string::npos) << published[0];
  EXPECT_NE(published[0].find("\"source\":\"uploaded\""), std::string::npos) << published[0];
  EXPECT_NE(published[1].find("\"number\":\"6\""), std::string::npos) << published[1];
}

// With a CRL checker wired in (crl/compare.hpp), an upload that does not agree with the
// status data once its entries are stored raises exactly one crl.discrepancy event naming
// the serials (revoked here but absent, listed but never ingested), counted in the
// metrics; an upload that agrees raises none.
TEST_F(RegistryTest, CrlUploadThatDiffersRaisesOneDiscrepancy) {
  crl::StatusComparer comparer(*env_);
  registry_.reset();
  RegistryOptions ro;
  ro.prepare_threads = 2;
  ro.crl_checker = &comparer;
  registry_ = std::make_unique<Registry>(*writer_, testing::shared_issuers(), testing::shared_responders(),
                                         ocsp::OcspOptions{}, clock_, ro);
  const auto& pki = testing::shared_test_pki();
  UaCertSpec a = taras(), b = taras(), c = taras();
  b.serial = {0x10, 0x02};
  c.serial = {0x10, 0x03};
  ASSERT_EQ(ingest({ua_cert(a), ua_cert(b), ua_cert(c)}).count(ItemStatus::stored), 3u);
  // 1002 revoked before the CRL's thisUpdate (kNow - 60), 1003 after it.
  ASSERT_EQ(revoke({{"ec", "1002", "", format_rfc3339(kNow - 1000), ""}}).count(ItemStatus::revoked), 1u);
  ASSERT_EQ(revoke({{"ec", "1003", "keyCompromise", "", ""}}).count(ItemStatus::revoked), 1u);
  const auto discrepancies = [&] {
    std::vector<nlohmann::json> out;
    for (const auto& e : events())
      if (e.type == "crl.discrepancy") out.push_back(nlohmann::json::parse(e.payload));
    return out;
  };

  // A CRL that lists what is revoked here (1002 without reasonCode = unspecified): no
  // event. 1001 is revoked by the upload itself, before the comparison.
  auto agrees = upload(testing::make_crl(pki.ca_ec.get(), pki.ca_ec_key.get(),
                                         {{{0x10, 0x01}, kNow - 600, 1, 0}, {{0x10, 0x02}, kNow - 1000, -1, 0}}, kNow, 7));
  ASSERT_TRUE(agrees.ok()) << agrees.error().message;
  EXPECT_EQ(agrees->count(ItemStatus::revoked), 1u);
  EXPECT_TRUE(discrepancies().empty());
  EXPECT_NE(registry_->metrics_text().find("trustmon_crl_discrepancies_total 0\n"), std::string::npos);

  // The next one leaves 1002 off and lists 0A, never ingested.
  auto differs = upload(testing::make_crl(pki.ca_ec.get(), pki.ca_ec_key.get(),
                                          {{{0x10, 0x01}, kNow - 600, 1, 0}, {{0x0a}, kNow - 500, 1, 0}}, kNow, 8));
  ASSERT_TRUE(differs.ok()) << differs.error().message;
  EXPECT_EQ(differs->count(ItemStatus::revoked), 1u);
  auto found = discrepancies();
  ASSERT_EQ(found.size(), 1u);
  const nlohmann::json& d = found[0];
  EXPECT_EQ(d["issuer"], "ec");
  EXPECT_EQ(d["number"], "8");
  EXPECT_EQ(d["this_update"], format_rfc3339(kNow - 60));
  EXPECT_EQ(d["agrees"], false);
  EXPECT_EQ(d["entries"], 2);
  EXPECT_EQ(d["missing_from_crl"]["count"], 1);
  EXPECT_EQ(d["missing_from_crl"]["serials"], nlohmann::json::array({"1002"}));
  EXPECT_EQ(d["missing_from_crl"]["truncated"], false);
  EXPECT_EQ(d["unknown_here"]["serials"], nlohmann::json::array({"0A"}));
  EXPECT_EQ(d["good_here"]["count"], 0);
  EXPECT_EQ(d["reason_differs"]["count"], 0);
  EXPECT_EQ(d["revoked_after"]["serials"], nlohmann::json::array({"1003"}));
  EXPECT_NE(registry_->metrics_text().find("trustmon_crl_discrepancies_total 1\n"), std::string::npos)
      << registry_->metrics_text();
}

// A hold is released: the record and its signed response say good again, with a
// certificate.released event; a certificate that is not on hold (revoked for another
// reason, good, unknown) is refused as not_on_hold and nothing changes.
TEST_F(RegistryTest, HoldIsReleased) {
  ASSERT_EQ(ingest({ua_cert(taras())}).count(ItemStatus::stored), 1u);  // serial 1001, issuer ec
  const auto input = [](std::string serial, std::string reason, bool release) {
    RevocationInput in;
    in.issuer = "ec";
    in.serial_hex = std::move(serial);
    in.reason = std::move(reason);
    in.release = release;
    return in;
  };
  ASSERT_EQ(revoke({input("1001", "certificateHold", false), input("2002", "keyCompromise", false)})
                .count(ItemStatus::revoked),
            2u);
  const BatchReport r = revoke({input("1001", "", true), input("2002", "", true), input("3003", "", true)});
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].status, ItemStatus::released);
  EXPECT_EQ(item_status_name(r.items[0].status), std::string("released"));
  ASSERT_TRUE(r.items[1].error.has_value());
  EXPECT_EQ(r.items[1].error->code, "not_on_hold");
  ASSERT_TRUE(r.items[2].error.has_value());
  EXPECT_EQ(r.items[2].error->code, "not_on_hold");
  {
    storage::ReadScope scope(*read_);
    const auto key = storage::encode_cert_key(testing::kEcIssuer, Bytes{0x10, 0x01});
    auto rec = read_->get(storage::Table::certs, key);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    auto d = storage::decode_cert(**rec);
    EXPECT_EQ(d->status, storage::CertStatus::good);
    EXPECT_TRUE(d->has_der);  // the certificate stays
    auto resp = read_->get(storage::Table::ocsp_responses, key);
    ASSERT_TRUE(resp.ok() && resp->has_value());
    EXPECT_EQ(storage::decode_ocsp_response(**resp)->status, storage::CertStatus::good);
    auto other = storage::decode_cert(**read_->get(storage::Table::certs, storage::encode_cert_key(testing::kEcIssuer, Bytes{0x20, 0x02})));
    EXPECT_EQ(other->status, storage::CertStatus::revoked);  // keyCompromise stays
  }
  // Released once: a second release is refused too.
  EXPECT_EQ(revoke({input("1001", "", true)}).items[0].error->code, "not_on_hold");
  std::vector<std::string> released;
  for (const auto& e : events())
    if (e.type == "certificate.released") released.push_back(e.payload);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_NE(released[0].find("\"serial\":\"1001\""), std::string::npos) << released[0];
  EXPECT_NE(released[0].find("\"sha256\""), std::string::npos) << released[0];
}

TEST_F(RegistryTest, CrlThatDoesNotVerifyIsRefused) {
  const auto& pki = testing::shared_test_pki();
  std::vector<testing::CrlEntry> entries = {{{0x10, 0x01}, kNow - 600, 1, 0}};
  auto bad = upload(testing::make_crl(pki.ca_ec.get(), pki.responder_key.get(), entries, kNow));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "crl_signature_invalid");
  auto foreign = upload(testing::make_crl(pki.root.get(), pki.root_key.get(), entries, kNow));
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, "issuer_unknown");
  auto garbage = upload(Bytes{0x30, 0x03, 0x02, 0x01, 0x01});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, "crl_malformed");
  EXPECT_EQ(table_entries(storage::Table::certs), 0u);
  // A CRL for an issuer the actor does not operate: refused whole, and recorded.
  Actor limited;
  limited.participant = 3;
  limited.issuers = std::vector<std::uint32_t>{testing::kRsaIssuer};
  auto denied = upload(testing::make_crl(pki.ca_ec.get(), pki.ca_ec_key.get(), entries, kNow), limited);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "issuer_not_operated");
  EXPECT_EQ(table_entries(storage::Table::certs), 0u);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, "access.denied");
}

TEST_F(RegistryTest, OcspWithoutPresigningAnswersLiveThenTheRefresherFills) {
  const auto& pki = testing::shared_test_pki();
  UaCertSpec a = taras();
  ASSERT_EQ(ingest({ua_cert(a)}).count(ItemStatus::stored), 1u);
  EXPECT_EQ(table_entries(storage::Table::ocsp_responses), 0u);  // no signature at ingest

  ocsp::Responder responder(testing::shared_responders(), ocsp::OcspOptions{}, clock_);
  testing::RequestSpec spec;
  spec.ids = {{EVP_sha1(), pki.ca_ec.get()}};
  spec.serials = {Bytes{0x10, 0x01}};
  const Bytes request = testing::build_request(spec);
  auto ask = [&]() {
    storage::ReadScope scope(*read_);
    ocsp::Answer answer = responder.answer(request, *read_);
    auto v = testing::verify_response(answer.body, pki.root.get(), {pki.ca_ec.get()});
    EXPECT_TRUE(v.error.empty()) << v.error;
    int status = -1;
    if (v.basic) {
      OcspCertIdPtr id = testing::make_certid(EVP_sha1(), pki.ca_ec.get(), Bytes{0x10, 0x01});
      status = testing::find_status(v.basic.get(), id.get()).status;
    }
    return std::make_pair(answer.outcome, status);
  };
  auto [outcome, status] = ask();
  EXPECT_EQ(outcome, ocsp::Outcome::live_missing);
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_GOOD);

  ocsp::RefresherOptions ro;
  ro.max_per_second = 0;
  ocsp::Refresher refresher(*env_, *writer_, testing::shared_responders(), ocsp::OcspOptions{}, clock_, ro);
  EXPECT_EQ(refresher.run_once(), 1u);
  auto [outcome2, status2] = ask();
  EXPECT_EQ(outcome2, ocsp::Outcome::presigned);
  EXPECT_EQ(status2, V_OCSP_CERTSTATUS_GOOD);

  // A revocation replaces the stored good response in its own commit.
  ASSERT_EQ(revoke({{"ec", "1001", "keyCompromise", "", ""}}).count(ItemStatus::revoked), 1u);
  auto [outcome3, status3] = ask();
  EXPECT_EQ(outcome3, ocsp::Outcome::presigned);
  EXPECT_EQ(status3, V_OCSP_CERTSTATUS_REVOKED);
}

}  // namespace
}  // namespace trustmon::registry
