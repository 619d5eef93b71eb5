// The pure rules of the test-case exchange: record codecs, verdicts (TS 119 102-2 URNs and
// protocol statuses), the agree rule and the matrix's outcome, the state machine and who
// may make each transition, visibility, selectors, the dispute rule over a tally, and
// campaign dispositions.
#include <gtest/gtest.h>

#include "responder/testcases/model.hpp"
#include "responder/testcases/store.hpp"

namespace trustmon::testcases {
namespace {

using nlohmann::json;

const std::string kPassed = "urn:etsi:019102:mainindication:total-passed";
const std::string kFailed = "urn:etsi:019102:mainindication:total-failed";
const std::string kIndet = "urn:etsi:019102:mainindication:indeterminate";
const std::string kRevoked = "urn:etsi:019102:subindication:REVOKED";
const std::string kExpired = "urn:etsi:019102:subindication:EXPIRED";

Verdict v(std::string main, std::string sub = "") {
  Verdict x;
  x.main = std::move(main);
  x.sub = std::move(sub);
  return x;
}

CaseRecord sample_case() {
  CaseRecord c;
  c.id = 42;
  c.version = 3;
  c.kind = Kind::cades;
  c.polarity = Polarity::negative;
  c.refs = {"EN 319 102-1 §5.2.6", "TS 119 124-3"};
  c.title = "Signer revoked before signing — підписувач відкликаний";
  c.inputs = {Input{"signature", "application/pkcs7-signature", std::string(64, 'a'), 1234},
              Input{"signed_data", "text/plain", std::string(64, 'b'), 5}};
  c.params.validation_time = 1790000000;
  c.params.trust_anchor = "TEST Root";
  c.params.policy_oid = "1.2.804.2.1.1.1.2.3.1";
  c.expected = v(kFailed, kRevoked);
  c.owner = 7;
  c.visibility = Visibility::private_;
  c.tags = {"plugtests", "revocation"};
  c.state = State::accepted;
  c.producer_product = 9;
  c.created = 1790000100;
  c.actor = "p7/r1/c1";
  c.state_changed = 1790000200;
  return c;
}

TEST(TestcaseCodec, EveryRecordRoundTrips) {
  const CaseRecord c = sample_case();
  const Bytes enc = encode_case(c);
  ASSERT_EQ(enc[0], kRecordFormat);
  auto back = decode_case(enc);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, c);
  CaseRecord proto;
  proto.kind = Kind::protocol_exchange;
  proto.expected.http_status = 503;
  proto.expected.error_code = "tryLater";
  auto proto_back = decode_case(encode_case(proto));
  ASSERT_TRUE(proto_back.ok());
  EXPECT_EQ(*proto_back, proto);
  EXPECT_FALSE(proto_back->params.validation_time.has_value());

  const ProductRecord p{5, 7, "Vendor A", "Validator", "2.1", 100, "p7/r1/c1"};
  EXPECT_EQ(*decode_product(encode_product(p)), p);
  SubmissionRecord s{11, 5, 7, 42, 3, v(kIndet, "urn:etsi:019102:subindication:TRY_LATER"), false,
                     std::string(64, 'c'), 200, "p7/r1/c1"};
  EXPECT_EQ(*decode_submission(encode_submission(s)), s);
  CampaignRecord k;
  k.id = 2;
  k.product = 5;
  k.participant = 7;
  k.selector.kind = Kind::pades;
  k.selector.tags = {"x"};
  k.created = 10;
  k.expires = 20;
  k.sample = true;
  k.cases = {{1, 1}, {4, 2}};
  k.actor = "bootstrap";
  EXPECT_EQ(*decode_campaign(encode_campaign(k)), k);
  Tally t{{5, TallyEntry{11, "Vendor A", verdict_key(v(kFailed)), Outcome::disagree, 200}}};
  EXPECT_EQ(*decode_tally(encode_tally(t)), t);

  // Another format or broken JSON is storage_corrupt, never a partial record.
  Bytes other = enc;
  other[0] = 2;
  EXPECT_EQ(decode_case(other).error().code, "storage_corrupt");
  Bytes cut(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(enc.size() / 2));
  EXPECT_EQ(decode_case(cut).error().code, "storage_corrupt");
  EXPECT_EQ(decode_product(encode_case(c)).error().code, "storage_corrupt");
  // Keys: a case's versions sort together, after its id.
  EXPECT_LT(case_key(1, 0xffffffff), case_key(2, 1));
  EXPECT_LT(case_key(2, 1), case_key(2, 2));
}

TEST(TestcaseVerdict, SignatureCasesTakeTheEtsiUrnsAndTheClosedSubList) {
  auto ok = parse_verdict(json{{"main", kFailed}, {"sub", kRevoked}}, Kind::xades, "expected");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->main, kFailed);
  EXPECT_EQ(ok->sub, kRevoked);
  EXPECT_TRUE(parse_verdict(json{{"main", kPassed}}, Kind::certificate, "expected").ok());
  for (const json& bad : {json{{"main", "TOTAL_PASSED"}}, json{{"main", kMainPrefix}},
                          json{{"main", "urn:etsi:019102:mainindication:passed"}},
                          json{{"main", kFailed}, {"sub", "urn:etsi:019102:subindication:BROKEN"}},
                          json{{"main", kFailed}, {"sub", "REVOKED"}}, json{{"main", kPassed}, {"sub", kRevoked}},
                          json{{"main", kFailed}, {"http_status", 200}}, json::object(), json::array()}) {
    auto r = parse_verdict(bad, Kind::pades, "expected");
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.error().code, "verdict_invalid") << bad.dump();
  }
  EXPECT_TRUE(known_subindication("SIGNED_DATA_NOT_FOUND"));
  EXPECT_FALSE(known_subindication("signed_data_not_found"));
}

TEST(TestcaseVerdict, ProtocolCasesTakeAStatus) {
  auto ok = parse_verdict(json{{"http_status", 200}, {"ocsp_cert_status", "revoked"}}, Kind::protocol_exchange, "x");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->http_status, 200);
  EXPECT_EQ(ok->ocsp_cert_status, "revoked");
  EXPECT_TRUE(parse_verdict(json{{"error_code", "USER_REFUSED"}}, Kind::login_flow, "x").ok());
  for (const json& bad : {json{{"main", kPassed}}, json::object(), json{{"http_status", 99}},
                          json{{"http_status", "200"}}, json{{"ocsp_cert_status", "fine"}}}) {
    auto r = parse_verdict(bad, Kind::protocol_exchange, "x");
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.error().code, "verdict_invalid");
  }
}

TEST(TestcaseVerdict, AgreeComparesTheSubIndicationOnlyWhenExpectedHasOne) {
  EXPECT_TRUE(agrees(v(kFailed), v(kFailed, kRevoked)));
  EXPECT_TRUE(agrees(v(kFailed, kRevoked), v(kFailed, kRevoked)));
  EXPECT_FALSE(agrees(v(kFailed, kRevoked), v(kFailed, kExpired)));
  EXPECT_FALSE(agrees(v(kFailed, kRevoked), v(kFailed)));
  EXPECT_FALSE(agrees(v(kPassed), v(kFailed)));
  Verdict expected;
  expected.http_status = 200;
  expected.ocsp_cert_status = "revoked";
  Verdict observed = expected;
  observed.error_code = "extra detail";  // not expected: not compared
  EXPECT_TRUE(agrees(expected, observed));
  observed.ocsp_cert_status = "good";
  EXPECT_FALSE(agrees(expected, observed));

  EXPECT_EQ(outcome_of(v(kFailed), v(kFailed)), Outcome::agree);
  EXPECT_EQ(outcome_of(v(kFailed), v(kPassed)), Outcome::disagree);
  EXPECT_EQ(outcome_of(v(kFailed), v(kIndet)), Outcome::indeterminate);
  EXPECT_EQ(outcome_of(v(kIndet, kRevoked), v(kIndet)), Outcome::disagree);  // wrong sub, not "undecided"
  EXPECT_EQ(outcome_of(v(kIndet), v(kIndet, kRevoked)), Outcome::agree);
}

TEST(TestcaseStates, TransitionsAndWhoMakesThem) {
  struct Row {
    State from, to;
    bool owner, central;
    const char* code;  // "" = allowed
  };
  const Row rows[] = {
      {State::draft, State::proposed, true, false, ""},
      {State::draft, State::proposed, false, false, "testcase_not_permitted"},
      {State::draft, State::proposed, false, true, ""},
      {State::draft, State::accepted, false, true, "transition_invalid"},
      {State::proposed, State::accepted, true, false, "testcase_not_permitted"},
      {State::proposed, State::accepted, false, true, ""},
      {State::proposed, State::draft, true, false, ""},
      {State::accepted, State::disputed, true, false, "testcase_not_permitted"},
      {State::accepted, State::disputed, false, true, ""},
      {State::disputed, State::accepted, false, true, ""},
      {State::disputed, State::proposed, true, true, "transition_invalid"},
      {State::accepted, State::deprecated, true, false, ""},
      {State::accepted, State::deprecated, false, false, "testcase_not_permitted"},
      {State::deprecated, State::accepted, true, true, "transition_invalid"},
      {State::accepted, State::accepted, true, true, "transition_invalid"},
  };
  for (const Row& r : rows) {
    Status s = check_transition(r.from, r.to, r.owner, r.central);
    const std::string what = std::string(state_name(r.from)) + "->" + state_name(r.to);
    if (*r.code == '\0') {
      EXPECT_TRUE(s.ok()) << what;
    } else {
      ASSERT_FALSE(s.ok()) << what;
      EXPECT_EQ(s.error().code, r.code) << what;
    }
  }
  EXPECT_EQ(*state_after_edit(State::draft), State::draft);
  EXPECT_EQ(*state_after_edit(State::accepted), State::proposed);
  EXPECT_EQ(*state_after_edit(State::disputed), State::proposed);
  EXPECT_EQ(state_after_edit(State::deprecated).error().code, "case_deprecated");
}

TEST(TestcaseVisibility, PublicParticipantsPrivate) {
  CaseRecord c = sample_case();
  const Reader anonymous{};
  const Reader owner{false, false, 7};
  const Reader other{false, false, 8};
  const Reader central{false, true, 1};
  c.visibility = Visibility::public_;
  EXPECT_TRUE(may_read(anonymous, c));
  c.visibility = Visibility::participants;
  EXPECT_FALSE(may_read(anonymous, c));
  EXPECT_TRUE(may_read(other, c));
  c.visibility = Visibility::private_;
  EXPECT_FALSE(may_read(other, c));
  EXPECT_TRUE(may_read(owner, c));
  EXPECT_TRUE(may_read(central, c));
  EXPECT_FALSE(may_read(anonymous, c));
}

TEST(TestcaseSelector, KindPolarityAndEveryTag) {
  const CaseRecord c = sample_case();
  EXPECT_TRUE(selects(Selector{}, c));
  EXPECT_TRUE(selects(Selector{Kind::cades, Polarity::negative, {"plugtests"}}, c));
  EXPECT_FALSE(selects(Selector{Kind::xades, std::nullopt, {}}, c));
  EXPECT_FALSE(selects(Selector{std::nullopt, Polarity::positive, {}}, c));
  EXPECT_FALSE(selects(Selector{std::nullopt, std::nullopt, {"plugtests", "other"}}, c));
}

TallyEntry entry(std::string vendor, const Verdict& observed, Outcome o) {
  return TallyEntry{1, std::move(vendor), verdict_key(observed), o, 0};
}

TEST(TestcaseDispute, ThreeProductsOfTwoVendorsContradictingTheSameWay) {
  const Verdict passed = v(kPassed);
  Tally t{{1, entry("A", passed, Outcome::disagree)}, {2, entry("A", passed, Outcome::disagree)}};
  EXPECT_FALSE(contradiction(t).has_value());  // two products
  t[3] = entry("A", passed, Outcome::disagree);
  EXPECT_FALSE(contradiction(t).has_value());  // three products, one vendor
  t[3] = entry("B", v(kIndet), Outcome::indeterminate);
  EXPECT_FALSE(contradiction(t).has_value());  // two vendors, but not the same way
  t[4] = entry("B", passed, Outcome::disagree);
  t[5] = entry("C", v(kFailed), Outcome::agree);  // an agreeing product does not hold it back
  auto c = contradiction(t);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->products, (std::vector<std::uint64_t>{1, 2, 4}));
  EXPECT_EQ(c->vendors, 2u);
  EXPECT_EQ(c->key, verdict_key(passed));
  // The thresholds are parameters (constants by default).
  EXPECT_FALSE(contradiction(t, 4, 2).has_value());
  EXPECT_FALSE(contradiction(t, 3, 3).has_value());
  EXPECT_EQ(kDisputeProducts, 3u);
  EXPECT_EQ(kDisputeVendors, 2u);
}

TEST(TestcaseCampaign, DispositionsFromTheLatestSubmissionBeforeTheExpiry) {
  auto sub = [](std::uint64_t id, bool ok, UnixTime at) {
    SubmissionRecord s;
    s.id = id;
    s.agrees = ok;
    s.submitted = at;
    return s;
  };
  EXPECT_EQ(disposition_of({}, 100, 50, nullptr), Disposition::unreceived);
  EXPECT_EQ(disposition_of({}, 100, 150, nullptr), Disposition::expired);
  EXPECT_EQ(disposition_of({sub(1, true, 10)}, 100, 150, nullptr), Disposition::passed);
  const SubmissionRecord* chosen = nullptr;
  const std::vector<SubmissionRecord> two = {sub(2, false, 20), sub(1, true, 10)};
  EXPECT_EQ(disposition_of(two, 100, 50, &chosen), Disposition::fail);
  ASSERT_NE(chosen, nullptr);
  EXPECT_EQ(chosen->id, 2u);
  // Late submissions do not change the outcome.
  EXPECT_EQ(disposition_of({sub(1, false, 10), sub(3, true, 120)}, 100, 150, nullptr), Disposition::fail);
  EXPECT_EQ(disposition_of({sub(3, true, 120)}, 100, 150, nullptr), Disposition::expired);
  EXPECT_STREQ(disposition_name(Disposition::unreceived), "unreceived");
}

}  // namespace
}  // namespace trustmon::testcases
