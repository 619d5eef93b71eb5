// The audited writes of the test-case exchange on a temporary store: artefacts stored once
// by SHA-256 and shared, versions kept, transitions and refusals recorded, submissions
// tallied, the automatic dispute in the tipping commit (with its event), the matrix and
// its filters and visibility, campaigns, seeding by a stable key.
#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "responder/testcases/service.hpp"
#include "storage/event_log.hpp"
#include "storage/scan.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::testcases {
namespace {

using nlohmann::json;

const std::string kPassed = "urn:etsi:019102:mainindication:total-passed";
const std::string kFailed = "urn:etsi:019102:mainindication:total-failed";
const std::string kRevoked = "urn:etsi:019102:subindication:REVOKED";

struct Fixture : ::testing::Test {
  storage::testing::TempDir dir;
  std::unique_ptr<storage::Env> env = storage::testing::open_env(dir.path(), std::size_t{64} << 20);
  storage::Writer writer{*env};
  FixedClock clock{1796000000};
  TestcaseService service{writer, clock};
  Caller central{Actor::bootstrap(), true};
  Caller alice{Actor{7, 1, 1, std::nullopt}, false};  // vendor A's participant
  Caller bob{Actor{8, 2, 2, std::nullopt}, false};    // vendor B's participant

  void SetUp() override { writer.start(); }
  void TearDown() override { writer.stop(); }

  static CaseDraft draft(const std::string& artefact, Visibility vis = Visibility::participants) {
    json j = {{"kind", "cades"},
              {"polarity", "negative"},
              {"title", "revoked signer"},
              {"refs", {"EN 319 102-1 §5.2.6"}},
              {"tags", {"revocation"}},
              {"visibility", visibility_name(vis)},
              {"params", {{"trust_anchor", "TEST Root"}, {"validation_time", "2026-12-01T00:00:00Z"}}},
              {"expected", {{"main", kFailed}, {"sub", kRevoked}}},
              {"inputs", {{{"role", "signature"}, {"media_type", "application/pkcs7-signature"},
                           {"content", base64_encode(as_bytes(artefact))}}}}};
    auto d = parse_case_draft(j);
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
    return *d;
  }
  CaseRecord make_case(const Caller& who, const std::string& artefact, State state = State::accepted,
                       Visibility vis = Visibility::participants) {
    auto c = service.run_sync(service.create_case(who, draft(artefact, vis)));
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (state == State::draft) return *c;
    EXPECT_TRUE(service.run_sync(service.set_state(who, c->id, State::proposed)).ok());
    if (state == State::proposed) return *get(c->id);
    EXPECT_TRUE(service.run_sync(service.set_state(central, c->id, State::accepted)).ok());
    return *get(c->id);
  }
  std::uint64_t product(const Caller& who, const std::string& vendor, const std::string& name) {
    auto p = service.run_sync(service.add_product(who, ProductDraft{std::nullopt, vendor, name, "1.0"}));
    EXPECT_TRUE(p.ok()) << p.error().message;
    return p->id;
  }
  Result<SubmitOutcome> submit(const Caller& who, std::uint64_t prod, std::uint64_t case_id, json observed,
                               std::optional<std::uint32_t> version = std::nullopt) {
    SubmissionDraft d;
    d.product = prod;
    d.case_id = case_id;
    d.version = version;
    d.observed = std::move(observed);
    return service.run_sync(service.submit(who, std::move(d)));
  }
  std::optional<CaseRecord> get(std::uint64_t id, std::optional<std::uint32_t> version = std::nullopt) {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    auto c = get_case(*txn, id, version);
    EXPECT_TRUE(c.ok());
    return *c;
  }
  std::vector<storage::EventRecord> events(const std::string& type) {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    std::vector<storage::EventRecord> out;
    EXPECT_TRUE(storage::for_each(*txn, storage::Table::events, [&](ByteView k, ByteView v) -> Status {
                  auto e = storage::decode_event(k, v);
                  if (!e) return std::move(e).error();
                  if (e->type == type) out.push_back(std::move(*e));
                  return {};
                }).ok());
    return out;
  }
  std::size_t blob_count() {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    std::size_t n = 0;
    EXPECT_TRUE(storage::for_each(*txn, storage::Table::testcase_blobs, [&](ByteView, ByteView) { ++n; }).ok());
    return n;
  }
  Matrix matrix(const Reader& r, const CaseFilter& f = {}) {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    auto m = compute_matrix(*txn, r, f);
    EXPECT_TRUE(m.ok());
    return *m;
  }
};

TEST_F(Fixture, ArtefactsAreStoredOnceAndVersionsStayReadable) {
  const CaseRecord a = make_case(alice, "the same signature bytes", State::draft);
  const CaseRecord b = make_case(bob, "the same signature bytes", State::draft);
  EXPECT_EQ(a.inputs[0].sha256, hex_encode(sha256(as_bytes("the same signature bytes"))));
  EXPECT_EQ(a.inputs[0].sha256, b.inputs[0].sha256);
  EXPECT_EQ(a.inputs[0].size, 24u);
  EXPECT_EQ(blob_count(), 1u);
  EXPECT_EQ(a.owner, 7u);
  EXPECT_EQ(a.state, State::draft);
  EXPECT_EQ(b.id, a.id + 1);
  {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    auto blob = get_blob(*txn, a.inputs[0].sha256);
    ASSERT_TRUE(blob.ok() && *blob);
    EXPECT_EQ(std::string(as_chars(**blob)), "the same signature bytes");
    EXPECT_TRUE(*blob_readable(*txn, Reader{false, false, 9}, a.inputs[0].sha256));  // participants' case
    EXPECT_FALSE(*blob_readable(*txn, Reader{}, a.inputs[0].sha256));
  }

  // An input may name a stored artefact instead of uploading it; an unknown one is refused.
  CaseDraft d2 = draft("ignored");
  d2.inputs[0].bytes.reset();
  d2.inputs[0].sha256 = a.inputs[0].sha256;
  d2.title = "revoked signer, second take";
  auto v2 = service.run_sync(service.edit_case(alice, a.id, d2));
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  EXPECT_EQ(v2->version, 2u);
  EXPECT_EQ(v2->state, State::draft);
  EXPECT_EQ(blob_count(), 1u);
  EXPECT_EQ(get(a.id)->title, "revoked signer, second take");
  EXPECT_EQ(get(a.id, 1)->title, "revoked signer");
  d2.inputs[0].sha256 = std::string(64, '0');
  auto unknown = service.run_sync(service.edit_case(alice, a.id, d2));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "artefact_unknown");
  // Only the owner or the central body edits; the refusal is recorded.
  auto foreign = service.run_sync(service.edit_case(bob, a.id, draft("x")));
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, "testcase_not_permitted");
  auto refused = events("testcase.refused");
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_NE(refused[1].payload.find("testcase_not_permitted"), std::string::npos) << refused[1].payload;
  EXPECT_EQ(events("testcase.case.created").size(), 2u);
  EXPECT_EQ(events("testcase.case.versioned").size(), 1u);
  EXPECT_EQ(get(a.id)->version, 2u);  // the refused edits wrote nothing
}

TEST_F(Fixture, StatesFollowTheMachineAndAnEditOfAnAcceptedCaseIsProposedAgain) {
  const CaseRecord c = make_case(alice, "sig", State::proposed);
  auto self_accept = service.run_sync(service.set_state(alice, c.id, State::accepted));
  ASSERT_FALSE(self_accept.ok());
  EXPECT_EQ(self_accept.error().code, "testcase_not_permitted");
  ASSERT_TRUE(service.run_sync(service.set_state(central, c.id, State::accepted)).ok());
  EXPECT_EQ(get(c.id)->state, State::accepted);
  auto edited = service.run_sync(service.edit_case(alice, c.id, draft("sig v2")));
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(edited->state, State::proposed);
  EXPECT_EQ(get(c.id, 1)->state, State::accepted);  // the old version keeps what it was
  ASSERT_TRUE(service.run_sync(service.set_state(alice, c.id, State::deprecated)).ok());
  auto back = service.run_sync(service.set_state(central, c.id, State::accepted));
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, "transition_invalid");
  EXPECT_EQ(service.run_sync(service.edit_case(alice, c.id, draft("v3"))).error().code, "case_deprecated");
  auto prod = product(bob, "B", "validator");
  EXPECT_EQ(submit(bob, prod, c.id, {{"main", kFailed}}).error().code, "case_deprecated");
}

TEST_F(Fixture, SubmissionsAreCheckedAndTalliedAndAgreeIsComputed) {
  const CaseRecord c = make_case(alice, "sig");
  const auto pb = product(bob, "Vendor B", "checker");
  // Someone else's product, a private case of another owner, a malformed verdict.
  EXPECT_EQ(submit(alice, pb, c.id, {{"main", kFailed}}).error().code, "testcase_not_permitted");
  EXPECT_EQ(submit(bob, 99, c.id, {{"main", kFailed}}).error().code, "product_not_found");
  EXPECT_EQ(submit(bob, pb, 99, {{"main", kFailed}}).error().code, "case_not_found");
  EXPECT_EQ(submit(bob, pb, c.id, {{"main", "failed"}}).error().code, "verdict_invalid");
  const CaseRecord hidden = make_case(alice, "private sig", State::accepted, Visibility::private_);
  EXPECT_EQ(submit(bob, pb, hidden.id, {{"main", kFailed}}).error().code, "testcase_not_permitted");
  const CaseRecord draft_case = make_case(alice, "draft sig", State::draft);
  EXPECT_EQ(submit(bob, pb, draft_case.id, {{"main", kFailed}}).error().code, "case_draft");

  auto agreed = submit(bob, pb, c.id, {{"main", kFailed}, {"sub", kRevoked}});
  ASSERT_TRUE(agreed.ok()) << agreed.error().message;
  EXPECT_TRUE(agreed->submission.agrees);
  EXPECT_FALSE(agreed->disputed);
  EXPECT_EQ(agreed->submission.case_version, 1u);
  EXPECT_EQ(agreed->submission.participant, 8u);
  auto other_sub = submit(bob, pb, c.id, {{"main", kFailed}, {"sub", "urn:etsi:019102:subindication:EXPIRED"}});
  ASSERT_TRUE(other_sub.ok());
  EXPECT_FALSE(other_sub->submission.agrees);  // expected has a sub-indication: it is compared
  auto txn = storage::ReadTxn::begin(*env);
  storage::ReadScope scope(*txn);
  auto tally = get_tally(*txn, c.id, 1);
  ASSERT_TRUE(tally.ok());
  ASSERT_EQ(tally->size(), 1u);  // the product's latest observation only
  EXPECT_EQ(tally->at(pb).submission, other_sub->submission.id);
  EXPECT_EQ(tally->at(pb).outcome, Outcome::disagree);
  auto listed = list_submissions(*txn, Reader{false, false, 9}, SubmissionFilter{c.id, std::nullopt}, 0, 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->items.size(), 2u);
  auto one = list_submissions(*txn, Reader{false, false, 9}, SubmissionFilter{c.id, std::nullopt}, 0, 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->items.size(), 1u);
  ASSERT_TRUE(one->next.has_value());
  auto rest = list_submissions(*txn, Reader{false, false, 9}, SubmissionFilter{c.id, std::nullopt}, *one->next, 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].id, other_sub->submission.id);
}

TEST_F(Fixture, ThreeProductsOfTwoVendorsContradictingDisputeTheCaseInTheTippingCommit) {
  const CaseRecord c = make_case(alice, "sig");
  const auto a1 = product(alice, "Vendor A", "one");
  const auto a2 = product(alice, "Vendor A", "two");
  const auto b1 = product(bob, "Vendor B", "three");
  const auto b2 = product(bob, "Vendor B", "four");
  const json passed = {{"main", kPassed}};
  // Two products of one vendor, then a third of the same vendor: no dispute.
  ASSERT_FALSE(submit(alice, a1, c.id, passed)->disputed);
  ASSERT_FALSE(submit(alice, a2, c.id, passed)->disputed);
  ASSERT_FALSE(submit(bob, b1, c.id, {{"main", kFailed}, {"sub", kRevoked}})->disputed);  // agrees
  EXPECT_EQ(get(c.id)->state, State::accepted);
  EXPECT_TRUE(events("testcase.disputed").empty());
  // The product of the second vendor contradicting the same way tips it.
  auto tip = submit(bob, b2, c.id, passed);
  ASSERT_TRUE(tip.ok());
  EXPECT_TRUE(tip->disputed);
  EXPECT_EQ(get(c.id)->state, State::disputed);
  auto disputed = events("testcase.disputed");
  ASSERT_EQ(disputed.size(), 1u);
  const json payload = json::parse(disputed[0].payload);
  EXPECT_EQ(payload["participant"], 7);  // the owner's watches get it
  EXPECT_EQ(payload["case"], c.id);
  EXPECT_EQ(payload["issuer"], "");
  EXPECT_EQ(payload["observed"]["main"], kPassed);
  EXPECT_EQ(payload["products"], json({a1, a2, b2}));
  EXPECT_EQ(payload["vendors"], 2);
  // The filing event and the dispute are in the same commit: consecutive sequence numbers
  // (the dispute first: the audited event is appended when the job settles).
  auto filed = events("testcase.submission.filed");
  ASSERT_EQ(filed.size(), 4u);
  EXPECT_EQ(disputed[0].seq + 1, filed.back().seq);
  EXPECT_NE(filed.back().payload.find("\"disputed\":true"), std::string::npos) << filed.back().payload;
  // A further contradiction does not dispute again; the central body upholds the case.
  ASSERT_FALSE(submit(bob, b1, c.id, passed)->disputed);
  EXPECT_EQ(events("testcase.disputed").size(), 1u);
  ASSERT_TRUE(service.run_sync(service.set_state(central, c.id, State::accepted)).ok());
}

TEST_F(Fixture, MatrixCountsProducerByValidatorWithFiltersAndVisibility) {
  const auto producer = product(alice, "Vendor A", "signer");
  const auto v1 = product(bob, "Vendor B", "validator");
  CaseDraft d = draft("produced sig", Visibility::public_);
  d.producer_product = producer;
  auto c1 = service.run_sync(service.create_case(alice, d));
  ASSERT_TRUE(c1.ok());
  ASSERT_TRUE(service.run_sync(service.set_state(alice, c1->id, State::proposed)).ok());
  const CaseRecord c2 = make_case(alice, "private", State::accepted, Visibility::private_);
  const CaseRecord c3 = make_case(bob, "bob's own", State::accepted, Visibility::participants);
  ASSERT_TRUE(submit(bob, v1, c1->id, {{"main", kFailed}, {"sub", kRevoked}}).ok());             // agree
  ASSERT_TRUE(submit(bob, v1, c3.id, {{"main", "urn:etsi:019102:mainindication:indeterminate"}}).ok());  // indeterminate
  ASSERT_TRUE(submit(alice, producer, c2.id, {{"main", kPassed}}).ok());                         // disagree
  d.producer_product = 999;
  EXPECT_EQ(service.run_sync(service.create_case(alice, d)).error().code, "product_unknown");

  const Matrix all = matrix(Reader{false, true, 0});
  ASSERT_EQ(all.cells.size(), 3u);
  EXPECT_EQ(all.cases, 3u);
  // (producer 0 = none named) sorted by (producer, validator)
  EXPECT_EQ(all.cells[0].producer, 0u);
  EXPECT_EQ(all.cells[0].validator, producer);
  EXPECT_EQ(all.cells[0].disagree, 1u);
  EXPECT_EQ(all.cells[1].producer, 0u);
  EXPECT_EQ(all.cells[1].validator, v1);
  EXPECT_EQ(all.cells[1].indeterminate, 1u);
  EXPECT_EQ(all.cells[2].producer, producer);
  EXPECT_EQ(all.cells[2].validator, v1);
  EXPECT_EQ(all.cells[2].agree, 1u);
  EXPECT_EQ(all.products.size(), 2u);
  // Bob does not see Alice's private case; anonymous readers see the public one only.
  EXPECT_EQ(matrix(Reader{false, false, 8}).cells.size(), 2u);
  const Matrix anon = matrix(Reader{});
  ASSERT_EQ(anon.cells.size(), 1u);
  EXPECT_EQ(anon.cells[0].agree, 1u);
  CaseFilter f;
  f.tag = "nope";
  EXPECT_TRUE(matrix(Reader{false, true, 0}, f).cells.empty());
  f = CaseFilter{};
  f.clause = "EN 319 102-1 §5.2.6";
  f.owner = 8;
  EXPECT_EQ(matrix(Reader{false, true, 0}, f).cells.size(), 1u);
  const std::string csv = matrix_csv(all);
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")), "producer,producer_name,validator,validator_name,agree,disagree,indeterminate");
  EXPECT_NE(csv.find("," + std::to_string(v1) + ",Vendor B validator 1.0,0,0,1\r\n"), std::string::npos) << csv;
  // A deprecated case leaves the matrix.
  ASSERT_TRUE(service.run_sync(service.set_state(bob, c3.id, State::deprecated)).ok());
  EXPECT_EQ(matrix(Reader{false, true, 0}).cells.size(), 2u);
}

TEST_F(Fixture, CampaignsPickAcceptedCasesAndShowDispositions) {
  const CaseRecord c1 = make_case(alice, "one");
  const CaseRecord c2 = make_case(alice, "two");
  make_case(alice, "draft", State::draft);
  const auto pb = product(bob, "Vendor B", "checker");
  CampaignDraft d{pb, Selector{Kind::cades, std::nullopt, {"revocation"}}, clock.now() + 3600, false};
  EXPECT_EQ(service.run_sync(service.create_campaign(alice, d)).error().code, "testcase_not_permitted");
  auto k = service.run_sync(service.create_campaign(bob, d));
  ASSERT_TRUE(k.ok()) << k.error().message;
  ASSERT_EQ(k->cases.size(), 2u);
  EXPECT_EQ(k->cases[0].id, c1.id);
  EXPECT_EQ(k->cases[1].id, c2.id);
  ASSERT_TRUE(submit(bob, pb, c1.id, {{"main", kFailed}, {"sub", kRevoked}}).ok());
  auto txn = storage::ReadTxn::begin(*env);
  storage::ReadScope scope(*txn);
  auto ds = dispositions(*txn, *k, clock.now());
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->size(), 2u);
  EXPECT_EQ((*ds)[0].disposition, Disposition::passed);
  EXPECT_EQ((*ds)[1].disposition, Disposition::unreceived);
  auto later = dispositions(*txn, *k, clock.now() + 7200);
  EXPECT_EQ((*later)[1].disposition, Disposition::expired);
  CampaignDraft none{pb, Selector{Kind::xades, std::nullopt, {}}, clock.now() + 3600, false};
  EXPECT_EQ(service.run_sync(service.create_campaign(bob, none)).error().code, "campaign_empty");
  EXPECT_EQ(parse_campaign_draft(json{{"product", pb}, {"expires", "2020-01-01T00:00:00Z"}}, clock.now()).error().code,
            "campaign_invalid");
}

TEST_F(Fixture, SeedingIsIdempotentByItsStableKey) {
  SeedCase seed{"ocsp-unsigned", draft("an unsigned OCSP response", Visibility::public_)};
  auto first = seed_case(writer, clock, seed);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->created);
  auto again = seed_case(writer, clock, seed);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, first->id);
  const auto c = get(first->id);
  EXPECT_EQ(c->state, State::accepted);
  EXPECT_EQ(c->owner, 0u);
  EXPECT_NE(std::find(c->tags.begin(), c->tags.end(), "seed:ocsp-unsigned"), c->tags.end());
  EXPECT_EQ(events("testcase.case.seeded").size(), 1u);  // the no-op is not recorded
  auto other = seed_case(writer, clock, SeedCase{"ocsp-wrong-signer", draft("another")});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->id, first->id);
  // Participants cannot use the seed namespace.
  json j = {{"kind", "crl"}, {"polarity", "positive"}, {"title", "t"}, {"tags", {"seed:ocsp-unsigned"}},
            {"params", {{"trust_anchor", "x"}}}, {"expected", {{"main", kPassed}}},
            {"inputs", {{{"role", "crl"}, {"media_type", "application/pkix-crl"}, {"content", "AAAA"}}}}};
  EXPECT_EQ(parse_case_draft(j).error().code, "case_invalid");
}

TEST(TestcaseParse, ArtefactCapsAndRequiredFields) {
  const std::string big(kMaxArtefactBytes + 3, 'x');
  json j = {{"kind", "pades"}, {"polarity", "positive"}, {"title", "t"},
            {"params", {{"trust_anchor", "x"}}}, {"expected", {{"main", kPassed}}},
            {"inputs", {{{"role", "doc"}, {"media_type", "application/pdf"}, {"content", base64_encode(as_bytes(big))}}}}};
  auto r = parse_case_draft(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "artefact_too_large");
  EXPECT_EQ(r.error().kind, ErrorKind::too_large);
  j["inputs"] = json::array();
  EXPECT_EQ(parse_case_draft(j).error().code, "case_invalid");
  j["inputs"] = {{{"role", "doc"}, {"media_type", "application/pdf"}, {"content", "not base64!"}}};
  EXPECT_EQ(parse_case_draft(j).error().code, "case_invalid");
  j["inputs"] = {{{"role", "doc"}, {"media_type", "application/pdf"}, {"content", "AAAA"}}};
  EXPECT_TRUE(parse_case_draft(j).ok());
  j["kind"] = "signature";
  EXPECT_EQ(parse_case_draft(j).error().code, "case_invalid");
  j["kind"] = "pades";
  j.erase("expected");
  EXPECT_EQ(parse_case_draft(j).error().code, "verdict_invalid");
  const std::string report(kMaxReportBytes + 1, 'r');
  EXPECT_EQ(parse_submission_draft(json{{"product", 1}, {"case", 1}, {"observed", {{"main", kPassed}}},
                                        {"report", base64_encode(as_bytes(report))}})
                .error()
                .code,
            "report_too_large");
}

}  // namespace
}  // namespace trustmon::testcases
