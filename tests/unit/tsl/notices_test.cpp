// Change notices and the workflow of TlService: parsing and checks of notices, which
// provider a registration code speaks for, each kind's model change (the old service
// information into ServiceHistory), the record codec; filing (own provider only),
// approval publishing one new version with the change and events, a failing approval
// changing nothing, rejection, automatic re-issue by the clock, and the artifacts
// (CA bundle, CAs.json, Atom feed) derived per sequence.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>

#include "common/time.hpp"
#include "storage/event_log.hpp"
#include "storage/writer.hpp"
#include "tests/support/temp_env.hpp"
#include "tests/unit/tsl/test_material.hpp"
#include "tsl/service.hpp"
#include "tsl/xml_reader.hpp"

namespace trustmon::tsl {
namespace {

using nlohmann::json;
using storage::testing::open_env;
using storage::testing::TempDir;

constexpr const char* kWithdrawn = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn";
constexpr UnixTime kNow = 1795000000;

std::string cert_hex(const TrustService& s) { return hex_encode(sha256(s.digital_identity.at(0).der)); }

// A list of two providers, trade names VATUA-10000000 and VATUA-10000001, services 0 and 2
// belonging to provider 0.
TrustedList sample() { return testing::make_list(2, 4, kNow - 86400); }

ChangeNotice status_change(const TrustedList& l, const std::string& status = kWithdrawn) {
  ChangeNotice n;
  n.kind = NoticeKind::status_change;
  n.provider = "VATUA-10000000";
  n.service = cert_hex(l.providers[0].services[0]);
  n.values.status = status;
  return n;
}

std::vector<storage::EventRecord> events(storage::Env& env) {
  std::vector<storage::EventRecord> out;
  auto txn = storage::ReadTxn::begin(env);
  storage::ReadScope scope(*txn);
  auto c = storage::Cursor::open(*txn, storage::Table::events);
  for (auto f = c->first(); f.ok() && *f; f = c->next()) out.push_back(storage::decode_event(c->key(), c->value()).value());
  return out;
}

TEST(Notice, ParsingChecksTheKindsValues) {
  const TrustedList l = sample();
  auto ok = notice_from_json(json{{"kind", "status_change"},
                                  {"provider", "VATUA-10000000"},
                                  {"service", cert_hex(l.providers[0].services[0])},
                                  {"values", {{"status", kWithdrawn}, {"status_starting_time", "2026-12-01T00:00:00Z"}}}},
                             "ua");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->list, "ua");
  EXPECT_EQ(ok->values.status_starting_time, parse_rfc3339("2026-12-01T00:00:00Z"));
  auto code = [](const json& j) {
    auto r = notice_from_json(j, "ua");
    return r.ok() ? std::string() : r.error().code;
  };
  EXPECT_EQ(code(json{{"kind", "nonsense"}, {"provider", "x"}}), "tl_notice_invalid");
  EXPECT_EQ(code(json{{"kind", "status_change"}, {"provider", "x"}, {"service", std::string(64, 'a')}}),
            "tl_notice_invalid");  // no status
  EXPECT_EQ(code(json{{"kind", "status_change"}, {"provider", "x"}, {"values", {{"status", "s"}}}}),
            "tl_notice_invalid");  // no service
  EXPECT_EQ(code(json{{"kind", "new_service"}, {"provider", "x"}, {"values", {{"type", "t"}}}}), "tl_notice_invalid");
  EXPECT_EQ(code(json{{"kind", "termination"}, {"provider", ""}}), "tl_notice_invalid");
  EXPECT_EQ(code(json{{"kind", "termination"}, {"provider", "x"}, {"service", "zz"}}), "tl_notice_invalid");
  EXPECT_EQ(code(json{{"kind", "new_certificate"},
                      {"provider", "x"},
                      {"service", std::string(64, 'a')},
                      {"values", {{"certificate", "not base64 of a certificate"}}}}),
            "tl_notice_invalid");
  EXPECT_EQ(code(json{{"kind", "termination"}, {"provider", "x"}}), "");
}

TEST(Notice, ProviderCodeIsTheSemanticIdentifierInTheTradeName) {
  TrustServiceProvider p;
  p.trade_name = {{"en", "NTRUA-43395033"}, {"en", "Some trade name"}};
  EXPECT_TRUE(provider_has_code(p, "43395033"));
  EXPECT_FALSE(provider_has_code(p, "4339503"));
  EXPECT_FALSE(provider_has_code(p, "3395033"));
  EXPECT_FALSE(provider_has_code(p, ""));
  p.trade_name = {{"en", "ntrua-43395033"}, {"en", "XNTRUA-43395033"}, {"en", "Name 43395033"}};
  EXPECT_FALSE(provider_has_code(p, "43395033"));
  const TrustedList l = sample();
  EXPECT_EQ(find_provider(l, "VATUA-10000001"), std::optional<std::size_t>(1));
  EXPECT_EQ(find_provider(l, "Provider 0"), std::optional<std::size_t>(0));
  EXPECT_FALSE(find_provider(l, "VATUA-99").has_value());
}

TEST(Notice, StatusChangeMovesTheOldServiceIntoHistory) {
  const TrustedList l = sample();
  const TrustService old = l.providers[0].services[0];
  auto changed = apply_notice(l, status_change(l), kNow);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  const TrustService& s = changed->providers[0].services[0];
  EXPECT_EQ(s.status, kWithdrawn);
  EXPECT_EQ(s.status_starting_time, kNow);
  ASSERT_TRUE(s.history.has_value());
  ASSERT_EQ(s.history->size(), 1u);
  EXPECT_EQ(s.history->at(0).status, old.status);
  EXPECT_EQ(s.history->at(0).status_starting_time, old.status_starting_time);
  EXPECT_EQ(s.history->at(0).name, old.name);
  EXPECT_EQ(s.history->at(0).digital_identity, old.digital_identity);
  // Nothing else changed.
  TrustedList rest = *changed;
  rest.providers[0].services[0] = old;
  EXPECT_EQ(rest, l);

  // A second change puts the newest history first.
  auto twice = apply_notice(*changed, status_change(*changed, kSvcStatusGranted), kNow + 10);
  ASSERT_TRUE(twice.ok());
  ASSERT_EQ(twice->providers[0].services[0].history->size(), 2u);
  EXPECT_EQ(twice->providers[0].services[0].history->at(0).status, kWithdrawn);
  // The same status again, an effective time before the current one, unknown service or provider.
  EXPECT_EQ(apply_notice(*changed, status_change(*changed), kNow + 10).error().code, "tl_notice_invalid");
  ChangeNotice early = status_change(l);
  early.values.status_starting_time = kNow - 10 * 86400;
  EXPECT_EQ(apply_notice(l, early, kNow).error().code, "tl_notice_invalid");
  ChangeNotice other = status_change(l);
  other.service = cert_hex(l.providers[1].services[0]);  // provider 1's service
  EXPECT_EQ(apply_notice(l, other, kNow).error().code, "tl_service_not_found");
  other.provider = "VATUA-77777777";
  EXPECT_EQ(apply_notice(l, other, kNow).error().code, "tl_provider_not_found");
}

TEST(Notice, UpdateTerminationNewServiceAndNewCertificate) {
  const TrustedList l = sample();
  ChangeNotice update;
  update.kind = NoticeKind::update;
  update.provider = "VATUA-10000000";
  update.service = cert_hex(l.providers[0].services[1]);
  update.values.names = {{"en", "Renamed CA"}};
  update.values.supply_points = std::vector<SupplyPoint>{{"http://ocsp.new.test/", kSupplyPointOcspQc}};
  auto u = apply_notice(l, update, kNow);
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->providers[0].services[1].name, update.values.names);
  EXPECT_EQ(u->providers[0].services[1].supply_points, *update.values.supply_points);
  EXPECT_EQ(u->providers[0].services[1].history->at(0).name, l.providers[0].services[1].name);
  EXPECT_EQ(u->providers[0].services[1].status, l.providers[0].services[1].status);

  ChangeNotice end;
  end.kind = NoticeKind::termination;
  end.provider = "VATUA-10000000";
  auto t = apply_notice(l, end, kNow);
  ASSERT_TRUE(t.ok());
  for (const auto& s : t->providers[0].services) {
    EXPECT_EQ(s.status, kWithdrawn);
    EXPECT_EQ(s.history->size(), 1u);
  }
  EXPECT_EQ(t->providers[1], l.providers[1]);
  EXPECT_EQ(apply_notice(*t, end, kNow).error().code, "tl_notice_invalid");  // nothing left to terminate

  auto key = testing::make_key(testing::KeyKind::ec);
  X509Ptr fresh = testing::make_cert(key.get(), "New CA", false);
  ChangeNotice add;
  add.kind = NoticeKind::new_service;
  add.provider = "VATUA-10000001";
  add.values.type_identifier = kSvcTypeCaQc;
  add.values.names = {{"en", "New CA"}};
  add.values.certificate = x509_der(fresh.get());
  auto a = apply_notice(l, add, kNow);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->providers[1].services.size(), l.providers[1].services.size() + 1);
  EXPECT_EQ(a->providers[1].services.back().status, kSvcStatusGranted);
  EXPECT_EQ(apply_notice(*a, add, kNow).error().code, "tl_notice_invalid");  // listed already

  // new_certificate: same key only.
  ChangeNotice cert;
  cert.kind = NoticeKind::new_certificate;
  cert.provider = "VATUA-10000001";
  cert.service = hex_encode(sha256(add.values.certificate));
  X509Ptr renewed = testing::make_cert(key.get(), "New CA (renewed)", false);
  cert.values.certificate = x509_der(renewed.get());
  auto c = apply_notice(*a, cert, kNow);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->providers[1].services.back().digital_identity.size(), 2u);
  auto other_key = testing::make_key(testing::KeyKind::ec);
  X509Ptr foreign = testing::make_cert(other_key.get(), "Other key", false);
  cert.values.certificate = x509_der(foreign.get());
  EXPECT_EQ(apply_notice(*a, cert, kNow).error().code, "tl_notice_invalid");
}

TEST(Notice, RecordRoundTrips) {
  const TrustedList l = sample();
  ChangeNotice n = status_change(l);
  n.id = 7;
  n.participant = 3;
  n.comment = "comment \xD0\x86";
  n.values.names = {{"uk", "Назва"}};
  n.values.supply_points = std::vector<SupplyPoint>{{"http://x.test/", ""}};
  n.values.status_starting_time = kNow;
  n.values.certificate = l.providers[0].services[0].digital_identity[0].der;
  n.created = kNow;
  n.changed = kNow + 1;
  n.state = NoticeState::rejected;
  n.reason = "no";
  n.history = {{kNow, "p3/r4/c5", "submitted", "", 0}, {kNow + 1, "bootstrap", "rejected", "no", 0}};
  auto back = decode_notice(encode_notice(n));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, n);
  Bytes bad = encode_notice(n);
  bad[0] = 9;
  EXPECT_EQ(decode_notice(bad).error().code, "storage_corrupt");
  bad = encode_notice(n);
  bad.resize(bad.size() / 2);
  EXPECT_EQ(decode_notice(bad).error().code, "storage_corrupt");
}

struct Workflow {
  TempDir dir;
  std::unique_ptr<storage::Env> env = open_env(dir.path());
  storage::Writer writer{*env};
  testing::TestSigner key = testing::make_signer(testing::KeyKind::ec);
  TlSigner signer =
      TlSigner::create(EvpPkeyPtr(EVP_PKEY_dup(key.key.get())), X509Ptr(X509_dup(key.cert.get()))).value();
  TlChecker checker = TlChecker::create(std::string(TRUSTMON_SOURCE_DIR) + "/tsl/schemas").value();
  FixedClock clock{kNow};
  std::unique_ptr<TlService> service;
  Actor qtsp{5, 6, 7, std::nullopt};
  Actor admin = Actor::bootstrap();

  explicit Workflow(bool with_signer = true) {
    writer.start();
    TlServiceOptions options;
    options.publish.period = 30 * 86400;
    options.reissue_margin = 7 * 86400;
    service = std::make_unique<TlService>(*env, writer, checker, with_signer ? &signer : nullptr, clock, options);
    const TrustedList list = sample();
    EXPECT_TRUE(writer.run_sync([&](storage::WriteTxn& txn) { return store_model(txn, "ua", list); }).ok());
  }
  ~Workflow() {
    service.reset();
    writer.stop();
  }
  TrustedList model() {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    return load_model(*txn, "ua").value().value();
  }
  std::vector<PublishedVersion> versions() {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    return list_versions(*txn, "ua").value();
  }
  ChangeNotice notice(std::uint64_t id) {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    return get_notice(*txn, id).value().value();
  }
};

TEST(NoticeWorkflow, FilingIsLimitedToTheFilersOwnProvider) {
  Workflow w;
  const TrustedList l = w.model();
  auto mine = w.service->file_sync(status_change(l), w.qtsp, std::string("10000000"));
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  EXPECT_EQ((*mine)["id"], 1);
  EXPECT_EQ((*mine)["state"], "submitted");
  EXPECT_EQ((*mine)["participant"], 5);
  auto theirs = w.service->file_sync(status_change(l), w.qtsp, std::string("10000001"));
  ASSERT_FALSE(theirs.ok());
  EXPECT_EQ(theirs.error().code, "tl_notice_forbidden");
  // The central body files for anyone; a change that cannot apply is refused at filing.
  EXPECT_TRUE(w.service->file_sync(status_change(l), w.admin).ok());
  EXPECT_EQ(w.service->file_sync(status_change(l, l.providers[0].services[0].status), w.admin).error().code,
            "tl_notice_invalid");
  ChangeNotice elsewhere = status_change(l);
  elsewhere.list = "other";
  EXPECT_EQ(w.service->file_sync(elsewhere, w.admin).error().code, "tl_not_found");
  auto txn = storage::ReadTxn::begin(*w.env);
  storage::ReadScope scope(*txn);
  EXPECT_EQ(list_notices(*txn, std::nullopt)->size(), 2u);
  EXPECT_EQ(list_notices(*txn, 5u)->size(), 1u);
  EXPECT_EQ(list_notices(*txn, 9u)->size(), 0u);
  int filed = 0;
  for (const auto& e : events(*w.env)) filed += e.type == "tl.notice.filed";
  EXPECT_EQ(filed, 2);
}

TEST(NoticeWorkflow, ApprovalChangesTheModelAndPublishesOnce) {
  Workflow w;
  const TrustedList before = w.model();
  ASSERT_TRUE(w.service->publish_sync("ua", w.admin).ok());
  auto filed = w.service->file_sync(status_change(before), w.qtsp, std::string("10000000"));
  ASSERT_TRUE(filed.ok());
  w.clock.advance(60);
  auto approved = w.service->approve_sync(1, w.admin);
  ASSERT_TRUE(approved.ok()) << approved.error().message;
  EXPECT_EQ((*approved)["notice"]["state"], "approved");
  EXPECT_EQ((*approved)["published"]["sequence"], 3);  // the sample list is 1, first publish 2

  const TrustedList after = w.model();
  EXPECT_EQ(after.providers[0].services[0].status, kWithdrawn);
  ASSERT_TRUE(after.providers[0].services[0].history.has_value());
  EXPECT_EQ(after.providers[0].services[0].history->at(0).status, before.providers[0].services[0].status);
  // The published version carries the change and verifies.
  auto versions = w.versions();
  ASSERT_EQ(versions.size(), 2u);
  auto txn = storage::ReadTxn::begin(*w.env);
  {
    storage::ReadScope scope(*txn);
    auto v = get_version(*txn, "ua", 3).value().value();
    EXPECT_TRUE(w.checker.check(v.xml, w.signer.certificate()).ok());
    auto read = read_trusted_list(v.xml);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->list.providers[0].services[0].history, after.providers[0].services[0].history);
  }
  const ChangeNotice n = w.notice(1);
  EXPECT_EQ(n.state, NoticeState::approved);
  EXPECT_EQ(n.published_sequence, 3u);
  ASSERT_EQ(n.history.size(), 2u);
  EXPECT_EQ(n.history[1].actor, "bootstrap");
  EXPECT_EQ(n.history[1].sequence, 3u);
  std::set<std::string> types;
  for (const auto& e : events(*w.env)) types.insert(e.type);
  EXPECT_TRUE(types.count("tl.notice.approved"));
  EXPECT_TRUE(types.count("tl.published"));

  // Decided notices cannot be decided again.
  EXPECT_EQ(w.service->approve_sync(1, w.admin).error().code, "tl_notice_not_pending");
  EXPECT_EQ(w.service->reject_sync(1, "late", w.admin).error().code, "tl_notice_not_pending");
  EXPECT_EQ(w.service->approve_sync(99, w.admin).error().code, "tl_notice_not_found");

  // The artifacts follow the new sequence and the feed names the notice.
  storage::ReadScope scope(*txn);
  auto art = w.service->artifacts(*txn, "ua");
  ASSERT_TRUE(art.ok()) << art.error().message;
  ASSERT_TRUE(*art);
  EXPECT_EQ((*art)->sequence, 3u);
  EXPECT_FALSE((*art)->p7b.empty());
  EXPECT_EQ((*art)->ca_der.size(), 4u);
  EXPECT_NE((*art)->atom.find("Change notice 1 (status_change) for VATUA-10000000 approved"), std::string::npos);
  EXPECT_NE((*art)->atom.find("urn:trustmon:tl:ua:2"), std::string::npos);
  EXPECT_NE((*art)->cas_json.find(kWithdrawn), std::string::npos);
}

TEST(NoticeWorkflow, AFailingApprovalChangesNothing) {
  Workflow w;
  const TrustedList before = w.model();
  ChangeNotice bad;
  bad.kind = NoticeKind::update;
  bad.provider = "VATUA-10000000";
  bad.service = cert_hex(before.providers[0].services[0]);
  bad.values.names = {{"not a language", "Name"}};  // xml:lang must be a language tag: the schema refuses
  ASSERT_TRUE(w.service->file_sync(bad, w.admin).ok());
  auto approved = w.service->approve_sync(1, w.admin);
  ASSERT_FALSE(approved.ok());
  EXPECT_EQ(approved.error().code, "tl_check_failed");
  EXPECT_EQ(w.model(), before);
  EXPECT_TRUE(w.versions().empty());
  EXPECT_EQ(w.notice(1).state, NoticeState::submitted);
  bool recorded = false;
  for (const auto& e : events(*w.env)) recorded = recorded || e.type == "tl.notice.approval_failed";
  EXPECT_TRUE(recorded);
  // It can still be rejected.
  auto rejected = w.service->reject_sync(1, "the name's language tag is invalid", w.admin);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ((*rejected)["state"], "rejected");
  EXPECT_EQ(w.notice(1).reason, "the name's language tag is invalid");
  EXPECT_EQ(w.model(), before);
}

TEST(NoticeWorkflow, RejectionNeedsAReasonAndChangesNothing) {
  Workflow w;
  const TrustedList before = w.model();
  ASSERT_TRUE(w.service->file_sync(status_change(before), w.qtsp, std::string("10000000")).ok());
  EXPECT_EQ(w.service->reject_sync(1, "", w.admin).error().code, "tl_notice_invalid");
  ASSERT_TRUE(w.service->reject_sync(1, "documents missing", w.admin).ok());
  EXPECT_EQ(w.model(), before);
  EXPECT_TRUE(w.versions().empty());
  EXPECT_EQ(w.notice(1).history.back().note, "documents missing");
}

TEST(NoticeWorkflow, WithoutASignerPublishingAndApprovalAreRefused) {
  Workflow w(false);
  EXPECT_FALSE(w.service->can_publish());
  EXPECT_EQ(w.service->publish_sync("ua", w.admin).error().code, "tl_signer_not_configured");
  ASSERT_TRUE(w.service->file_sync(status_change(w.model()), w.admin).ok());
  EXPECT_EQ(w.service->approve_sync(1, w.admin).error().code, "tl_signer_not_configured");
  EXPECT_EQ(w.service->reissue_due(), 0u);
}

TEST(NoticeWorkflow, ReissueWhenNextUpdateIsWithinTheMargin) {
  Workflow w;
  EXPECT_EQ(w.service->reissue_due(), 0u);  // never published: nothing to re-issue
  ASSERT_TRUE(w.service->publish_sync("ua", w.admin).ok());
  w.clock.advance(22 * 86400);  // NextUpdate 30 days out, margin 7 days: not yet
  EXPECT_EQ(w.service->reissue_due(), 0u);
  w.clock.advance(2 * 86400);
  EXPECT_EQ(w.service->reissue_due(), 1u);
  auto versions = w.versions();
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[1].issued, kNow + 24 * 86400);
  EXPECT_EQ(w.service->reissue_due(), 0u);  // the new one is 30 days out again
  bool system = false;
  for (const auto& e : events(*w.env)) system = system || (e.type == "tl.published" && e.actor == "system:reissue");
  EXPECT_TRUE(system);
}

TEST(NoticeWorkflow, TheServiceThreadRunsPostedWorkInOrder) {
  Workflow w;
  w.service->start();
  std::promise<std::vector<int>> done;
  auto order = std::make_shared<std::vector<int>>();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(w.service->post([order, i] { order->push_back(i); }));
  ASSERT_TRUE(w.service->post([&done, order] { done.set_value(*order); }));
  EXPECT_EQ(done.get_future().get(), (std::vector<int>{0, 1, 2, 3, 4}));
  w.service->stop();
  EXPECT_FALSE(w.service->post([] {}));
}

// Review D3: stop() does not wait on a stuck job. The job here blocks until released;
// stop() gives up after the grace, reports it, and later posts are refused. The left
// thread runs nothing more once its job returns (the second job never runs).
TEST(NoticeWorkflow, StopDoesNotWaitOnAStuckJob) {
  Workflow w;
  TlServiceOptions options;
  options.stop_grace = std::chrono::milliseconds(200);
  TlService service(*w.env, w.writer, w.checker, nullptr, w.clock, options);
  service.start();
  std::promise<void> release, started, finished;
  std::shared_future<void> released = release.get_future().share();
  auto second_ran = std::make_shared<std::atomic<bool>>(false);
  ASSERT_TRUE(service.post([&started, &finished, released] {
    started.set_value();
    released.wait();
    finished.set_value();
  }));
  ASSERT_TRUE(service.post([second_ran] { second_ran->store(true); }));
  started.get_future().wait();
  EXPECT_FALSE(service.stop_requested());
  EXPECT_FALSE(service.stop());  // gave up after the grace: the job is still blocked
  EXPECT_TRUE(service.stop_requested());
  EXPECT_FALSE(service.post([] {}));
  release.set_value();
  finished.get_future().wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(second_ran->load());
}

// A job that ends within the grace is joined, and queued work still runs before stop()
// returns; an import queued behind it sees the stop and refuses before writing.
TEST(NoticeWorkflow, StopFinishesQueuedWorkAndImportsRefuse) {
  Workflow w;
  w.service->start();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(w.service->post([released] { released.wait(); }));
  auto import_code = std::make_shared<std::string>();
  const std::string xml = read_file(std::string(TRUSTMON_SOURCE_DIR) + "/tests/data/tl-samples/tl-ua.xml").value();
  ASSERT_TRUE(w.service->post([&w, import_code, xml] {
    auto r = w.service->import_sync("other", xml, w.admin);
    *import_code = r ? "ok" : r.error().code;
  }));
  // The job is released only once stop() has asked for the stop, so the queued import
  // always runs after it.
  std::thread releaser([&release, &w] {
    while (!w.service->stop_requested()) std::this_thread::yield();
    release.set_value();
  });
  EXPECT_TRUE(w.service->stop());
  releaser.join();
  EXPECT_EQ(*import_code, "shutting_down");
  auto txn = storage::ReadTxn::begin(*w.env);
  storage::ReadScope scope(*txn);
  EXPECT_FALSE(load_model(*txn, "other").value().has_value());
}

}  // namespace
}  // namespace trustmon::tsl
