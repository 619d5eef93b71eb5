// Changing the test-case tables: every write is one storage::AuditedWrite job (events
// `testcase.*`, refusals `testcase.refused`), ids from counters in `meta`, artefacts
// stored content-addressed (put if absent: one copy shared by every case naming it).
//
// Events (type: action -> target, details):
//   testcase.case.created        testcase.case.create   {case, version} {kind, inputs, visibility}
//   testcase.case.versioned      testcase.case.edit     {case, version} {state}
//   testcase.case.state_changed  testcase.case.state    {case, version} {from, to}
//   testcase.case.seeded         testcase.case.seed     {case, version} {seed}  (not recorded when present)
//   testcase.product.created     testcase.product.create {product, participant}
//   testcase.submission.filed    testcase.submission.file {submission, case, version, product} {agrees, disputed}
//   testcase.campaign.created    testcase.campaign.create {campaign, product} {cases, sample}
// and, in the commit of the submission that tips a case into `disputed` (see model.hpp's
// thresholds), a plain event `testcase.disputed` with payload {issuer:"", participant:
// the case's owner, case, version, title, expected, observed, products, vendors}: the
// watches of kind `testcases` of that participant receive it (watch/matcher.hpp).
//
// The request forms (CaseDraft, ...) are parsed from JSON by parse_*(): errors 400
// case_invalid / verdict_invalid / submission_invalid / product_invalid / campaign_invalid,
// 413 artefact_too_large. Checks that need the store run inside the job: 404
// case_not_found / product_not_found, 422 artefact_unknown / product_unknown, 403
// testcase_not_permitted, 409 transition_invalid / case_deprecated / case_draft.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/testcases/model.hpp"
#include "responder/testcases/store.hpp"
#include "storage/audited.hpp"
#include "storage/writer.hpp"

namespace trustmon::testcases {

// Who writes: the actor, and whether it acts for the central body (every right).
struct Caller {
  Actor actor;
  bool central = false;
};

struct NewInput {
  std::string role;
  std::string media_type;
  std::optional<Bytes> bytes;  // uploaded with the case, or
  std::string sha256;          // an artefact already stored (lower-case hex)
};

struct CaseDraft {
  Kind kind = Kind::certificate;
  Polarity polarity = Polarity::positive;
  std::vector<std::string> refs;
  std::string title;
  std::vector<NewInput> inputs;
  Params params;
  Verdict expected;
  Visibility visibility = Visibility::participants;
  std::vector<std::string> tags;
  std::uint64_t producer_product = 0;
};
// {kind, polarity, refs[], title, inputs[{role, media_type, content (base64) | sha256}],
//  params {validation_time (RFC 3339), trust_anchor, policy_oid?}, expected {...},
//  visibility?, tags[]?, producer_product?}
Result<CaseDraft> parse_case_draft(const nlohmann::json& j);

struct ProductDraft {
  std::optional<std::uint32_t> participant;  // central body only: for another participant
  std::string vendor, name, version;
};
Result<ProductDraft> parse_product_draft(const nlohmann::json& j);

struct SubmissionDraft {
  std::uint64_t product = 0;
  std::uint64_t case_id = 0;
  std::optional<std::uint32_t> version;  // nullopt = the latest
  nlohmann::json observed;               // checked against the case's kind in the job
  std::optional<Bytes> report;           // the raw validation report
};
Result<SubmissionDraft> parse_submission_draft(const nlohmann::json& j);

struct CampaignDraft {
  std::uint64_t product = 0;
  Selector selector;
  UnixTime expires = 0;
  bool sample = false;
};
Result<CampaignDraft> parse_campaign_draft(const nlohmann::json& j, UnixTime now);

struct SubmitOutcome {
  SubmissionRecord submission;
  bool disputed = false;  // this submission tipped the case into disputed
};

template <typename T>
struct Op {
  storage::AuditEvent event;
  storage::AuditedWrite::Apply<T> apply;
};

class TestcaseService {
 public:
  TestcaseService(storage::Writer& writer, const Clock& clock) : audited_(writer), clock_(clock) {}

  Op<CaseRecord> create_case(const Caller& caller, CaseDraft draft) const;
  Op<CaseRecord> edit_case(const Caller& caller, std::uint64_t id, CaseDraft draft) const;
  Op<CaseRecord> set_state(const Caller& caller, std::uint64_t id, State to) const;
  Op<ProductRecord> add_product(const Caller& caller, ProductDraft draft) const;
  Op<SubmitOutcome> submit(const Caller& caller, SubmissionDraft draft) const;
  Op<CampaignRecord> create_campaign(const Caller& caller, CampaignDraft draft) const;

  // Runs on the Writer thread once durable (or refused, recorded; or failed).
  template <typename T>
  void run(Op<T> op, std::function<void(Result<T>)> done) {
    audited_.run<T>(std::move(op.event), std::move(op.apply), std::move(done));
  }
  // The same, waiting (tests, tools, start-up; never on an event loop or the Writer).
  template <typename T>
  Result<T> run_sync(Op<T> op) {
    return audited_.run_sync<T>(std::move(op.event), std::move(op.apply));
  }
  const Clock& clock() const { return clock_; }

 private:
  storage::AuditedWrite audited_;
  const Clock& clock_;
};

// ---- seeding (the test bed's first start) -----------------------------------------

struct SeedCase {
  std::string name;  // stable key: the case carries the tag "seed:<name>"
  CaseDraft draft;   // inputs with their bytes; visibility as given (public by convention)
};
struct SeedOutcome {
  std::uint64_t id = 0;
  std::uint32_t version = 0;
  bool created = false;  // false: a case with the tag existed, nothing was written
};
// Registers `seed` as a central-body case (owner 0, state accepted) unless a case tagged
// "seed:<name>" exists. One audited job (testcase.case.seeded, recorded only when
// created); waits for the commit, so call it from a start-up or service thread.
Result<SeedOutcome> seed_case(storage::Writer& writer, const Clock& clock, const SeedCase& seed);

}  // namespace trustmon::testcases
