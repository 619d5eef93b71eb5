// Store and publisher: model records round-trip and several lists coexist; publishing
// numbers versions strictly increasing across Env close/reopen (continuing above an
// imported list), dates them from the injected clock, stores them with an event, and
// stores nothing when the check fails or NextUpdate is too far; CA certificates and
// their PKCS#7 bundle (read back by the real openssl).
#include <gtest/gtest.h>

#include <string>

#include <set>

#include "common/time.hpp"
#include "storage/event_log.hpp"
#include "storage/writer.hpp"
#include "tests/support/temp_env.hpp"
#include "tests/unit/tsl/test_material.hpp"
#include "tsl/certificates.hpp"
#include "tsl/publisher.hpp"
#include "tsl/xml_reader.hpp"

namespace trustmon::tsl {
namespace {

using storage::testing::open_env;
using storage::testing::TempDir;

const std::string kUaList = std::string(TRUSTMON_SOURCE_DIR) + "/tests/data/tl-samples/tl-ua.xml";

struct Fixture {
  testing::TestSigner key = testing::make_signer(testing::KeyKind::ec);
  TlSigner signer = TlSigner::create(EvpPkeyPtr(EVP_PKEY_dup(key.key.get())), X509Ptr(X509_dup(key.cert.get()))).value();
  TlChecker checker = TlChecker::create(std::string(TRUSTMON_SOURCE_DIR) + "/tsl/schemas").value();
  FixedClock clock{1795000000};
};

std::vector<storage::EventRecord> events(storage::Env& env) {
  std::vector<storage::EventRecord> out;
  auto txn = storage::ReadTxn::begin(env);
  storage::ReadScope scope(*txn);
  auto c = storage::Cursor::open(*txn, storage::Table::events);
  for (auto f = c->first(); f.ok() && *f; f = c->next()) out.push_back(storage::decode_event(c->key(), c->value()).value());
  return out;
}

TEST(Store, ModelRecordsRoundTripAndListsCoexist) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  auto ua = read_trusted_list_file(kUaList);
  ASSERT_TRUE(ua.ok());
  const TrustedList small = testing::make_list(2, 3);
  {
    auto txn = storage::WriteTxn::begin(*env);
    ASSERT_TRUE(store_model(*txn, "ua", ua->list).ok());
    ASSERT_TRUE(store_model(*txn, "test", small).ok());
    ASSERT_TRUE(store_model(*txn, "test", small).ok());  // replacing is idempotent
    ASSERT_FALSE(store_model(*txn, "bad\x01name", small).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  auto txn = storage::ReadTxn::begin(*env);
  storage::ReadScope scope(*txn);
  auto a = load_model(*txn, "ua");
  ASSERT_TRUE(a.ok() && a->has_value()) << (a.ok() ? "absent" : a.error().message);
  EXPECT_TRUE(**a == ua->list);
  auto b = load_model(*txn, "test");
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_TRUE(**b == small);
  auto none = load_model(*txn, "tes");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto names = list_names(*txn);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"test", "ua"}));
}

TEST(Store, CorruptRecordsAreReported) {
  PublishedVersion v;
  v.list_name = "ua";
  v.sequence = 7;
  v.xml = "<x/>";
  Bytes rec = encode_version(v);
  EXPECT_TRUE(decode_version("ua", rec).ok());
  rec.pop_back();
  auto bad = decode_version("ua", rec);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "storage_corrupt");
}

TEST(Publisher, SequenceNumbersIncreaseAcrossRestartsAndAboveTheImportedList) {
  TempDir dir;
  Fixture f;
  auto bytes = read_file(kUaList);
  ASSERT_TRUE(bytes.ok());
  std::vector<std::uint64_t> seen;
  for (int round = 0; round < 2; ++round) {
    auto env = open_env(dir.path());
    ASSERT_TRUE(env);
    storage::Writer writer(*env);
    writer.start();
    if (round == 0) {
      auto imported = import_list(writer, "ua", *bytes, Actor::bootstrap(), f.clock);
      ASSERT_TRUE(imported.ok()) << imported.error().message;
      EXPECT_EQ(imported->sequence_number, 33u);
      EXPECT_EQ(imported->providers, 11u);
      EXPECT_TRUE(imported->was_signed);
    }
    Publisher publisher(*env, writer, f.signer, f.checker, f.clock);
    Actor actor;
    actor.participant = 4;
    actor.representative = 5;
    actor.credential = 6;
    for (int i = 0; i < 2; ++i) {
      f.clock.advance(3600);
      auto v = publisher.publish("ua", actor);
      ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().message;
      seen.push_back(v->sequence);
      EXPECT_EQ(v->issued, f.clock.now());
      EXPECT_EQ(v->next_update, std::optional<UnixTime>(f.clock.now() + kDefaultPublishPeriod));
      EXPECT_EQ(v->sha256, sha256(as_bytes(v->xml)));
      auto reread = read_trusted_list(v->xml);
      ASSERT_TRUE(reread.ok());
      EXPECT_EQ(reread->list.scheme.sequence_number, v->sequence);
      EXPECT_EQ(reread->list.scheme.version, 6);
      EXPECT_EQ(reread->list.scheme.list_issue_date_time, f.clock.now());
    }
    writer.stop();
  }
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{34, 35, 36, 37}));

  auto env = open_env(dir.path());
  auto txn = storage::ReadTxn::begin(*env);
  {
    storage::ReadScope scope(*txn);
    auto current = get_current(*txn, "ua");
    ASSERT_TRUE(current.ok() && current->has_value());
    EXPECT_EQ((*current)->sequence, 37u);
    auto v35 = get_version(*txn, "ua", 35);
    ASSERT_TRUE(v35.ok() && v35->has_value());
    EXPECT_EQ((*v35)->sha256, sha256(as_bytes((*v35)->xml)));
    EXPECT_TRUE(f.checker.check((*v35)->xml, f.key.cert.get()).ok());
    auto all = list_versions(*txn, "ua");
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 4u);
    EXPECT_EQ(all->front().sequence, 34u);
    EXPECT_TRUE(all->front().xml.empty());
    auto missing = get_version(*txn, "ua", 99);
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());
  }
  auto log = events(*env);
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[0].type, "tl.imported");
  EXPECT_EQ(log[0].actor, "bootstrap");
  EXPECT_EQ(log[4].type, "tl.published");
  EXPECT_EQ(log[4].actor, "p4/r5/c6");
  EXPECT_NE(log[4].payload.find("\"sequence\":37"), std::string::npos) << log[4].payload;
}

TEST(Publisher, StoresNothingWhenTheCheckFailsOrNextUpdateIsTooFar) {
  TempDir dir;
  Fixture f;
  auto env = open_env(dir.path());
  storage::Writer writer(*env);
  writer.start();
  TrustedList list = testing::make_list(1, 2);
  list.providers[0].services[0].type_identifier = "";  // schema-invalid (NonEmptyURIType)
  ASSERT_TRUE(writer.run_sync([&](storage::WriteTxn& txn) { return store_model(txn, "test", list); }).ok());
  Publisher publisher(*env, writer, f.signer, f.checker, f.clock);

  auto refused = publisher.publish("test", Actor::bootstrap());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "tl_check_failed");
  EXPECT_NE(refused.error().message.find("tl_schema_invalid"), std::string::npos) << refused.error().message;

  list.providers[0].services[0].type_identifier = kSvcTypeCaQc;
  ASSERT_TRUE(writer.run_sync([&](storage::WriteTxn& txn) { return store_model(txn, "test", list); }).ok());
  // A list naming a test bed certificate is never published.
  PublishOptions no_test;
  no_test.excluded_certificates.push_back(list.providers[0].services[1].digital_identity.at(0).der);
  auto test_named = publisher.publish("test", Actor::bootstrap(), no_test);
  ASSERT_FALSE(test_named.ok());
  EXPECT_EQ(test_named.error().code, "tl_test_certificate");
  PublishOptions too_far;
  too_far.period = 200 * 86400;
  auto far = publisher.publish("test", Actor::bootstrap(), too_far);
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.error().code, "tl_next_update_too_far");
  {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    auto last = last_published_sequence(*txn, "test");
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(*last, 0u);
  }
  EXPECT_TRUE(events(*env).empty());

  PublishOptions v5;
  v5.version = 5;
  v5.period = 180 * 86400;
  auto ok = publisher.publish("test", Actor::bootstrap(), v5);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->sequence, 2u);  // the model said 1
  EXPECT_NE(ok->xml.find("<TSLVersionIdentifier>5</TSLVersionIdentifier>"), std::string::npos);
  auto unknown = publisher.publish("nothing", Actor::bootstrap());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "tl_not_found");
  writer.stop();
}

TEST(Publisher, SixCalendarMonths) {
  // 2026-08-31T10:00:00Z + 6 months = 2027-02-28T10:00:00Z (day clamped).
  const UnixTime issue = days_from_civil(2026, 8, 31) * 86400 + 36000;
  EXPECT_EQ(max_next_update(issue), days_from_civil(2027, 2, 28) * 86400 + 36000);
  const UnixTime jan = days_from_civil(2026, 1, 15) * 86400;
  EXPECT_EQ(max_next_update(jan), days_from_civil(2026, 7, 15) * 86400);
}

TEST(Certificates, CaCertificatesAndTheirBundleFromTheUkrainianList) {
  auto ua = read_trusted_list_file(kUaList);
  ASSERT_TRUE(ua.ok());
  const auto certs = ca_certificates(ua->list);
  ASSERT_FALSE(certs.empty());
  bool root = false;
  for (const auto& c : certs) {
    EXPECT_FALSE(c.provider_name.empty());
    EXPECT_FALSE(c.service_type.empty());
    if (c.service_type.find("NationalRootCA") != std::string::npos) root = true;
  }
  EXPECT_TRUE(root);
  // Supply points by kind (v6 type attribute).
  const auto generated = ca_certificates(testing::make_list(1, 2));
  ASSERT_EQ(generated.size(), 2u);
  EXPECT_EQ(generated[1].ocsp, (std::vector<std::string>{"http://ocsp1.example.test/"}));
  EXPECT_EQ(generated[1].crl, (std::vector<std::string>{"http://crl1.example.test/ca.crl"}));
  EXPECT_EQ(generated[1].provider_name, "Provider 0");
  auto p7 = certs_only_p7b(certs);
  ASSERT_TRUE(p7.ok()) << p7.error().message;
  testing::ScratchDir dir;
  ASSERT_TRUE(write_file(dir.file("ca.p7b"), as_chars(*p7)).ok());
  const std::string out = dir.file("certs.txt");
  ASSERT_EQ(testing::run("openssl pkcs7 -inform DER -print_certs -noout -in " + dir.file("ca.p7b"), out), 0);
  const std::string text = testing::slurp(out);
  // Every distinct certificate's subject appears.
  std::set<Bytes> distinct;
  for (const auto& c : certs) distinct.insert(c.der);
  std::size_t subjects = 0;
  for (std::size_t at = text.find("subject="); at != std::string::npos; at = text.find("subject=", at + 1)) ++subjects;
  EXPECT_EQ(subjects, distinct.size());
  // ... and each is the subject `openssl x509` prints for that certificate.
  int n = 0;
  for (const auto& der : distinct) {
    const std::string file = dir.file("c" + std::to_string(++n) + ".der");
    ASSERT_TRUE(write_file(file, as_chars(der)).ok());
    const std::string subject_file = file + ".txt";
    ASSERT_EQ(testing::run("openssl x509 -inform DER -noout -subject -in " + file, subject_file), 0);
    std::string subject = testing::slurp(subject_file);
    while (!subject.empty() && subject.back() == '\n') subject.pop_back();
    EXPECT_NE(text.find(subject + "\n"), std::string::npos) << subject;
  }
}

}  // namespace
}  // namespace trustmon::tsl
