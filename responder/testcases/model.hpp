// Test cases and the interoperability matrix (docs/testbed.md "Test cases and the
// interoperability matrix"): the records of the testcase_* tables, their codecs and keys,
// and the pure rules — verdicts (ETSI TS 119 102-2 URNs or a protocol's expected status),
// the agree rule, the state machine and who may make each transition, visibility.
//
// Records: format byte kRecordFormat || JSON (like the statistics reports). Keys:
//   testcase_blobs        SHA-256 (32 octets) -> the artefact's bytes, as uploaded
//   testcase_cases        be64 case id || be32 version -> CaseRecord
//   testcase_products     be64 product id -> ProductRecord
//   testcase_submissions  be64 submission id -> SubmissionRecord
//   testcase_campaigns    be64 campaign id -> CampaignRecord
// Ids are allocated from counters in `meta` (kMetaLast*), inside the Writer job.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace trustmon::testcases {

inline constexpr std::uint8_t kRecordFormat = 1;

// Caps (every input is capped; the bulk body cap, 16 MiB by default, holds the base64).
inline constexpr std::size_t kMaxArtefactBytes = 4u << 20;     // one input, decoded
inline constexpr std::size_t kMaxArtefactsBytes = 8u << 20;    // all inputs of one case, decoded
inline constexpr std::size_t kMaxInputs = 16;
inline constexpr std::size_t kMaxReportBytes = 1u << 20;       // a submission's raw validation report
inline constexpr std::size_t kMaxRefs = 32;
inline constexpr std::size_t kMaxTags = 32;
inline constexpr std::size_t kMaxText = 512;                   // title, vendor, names, refs, tags
inline constexpr std::size_t kMaxCampaignCases = 1000;

// Automatic dispute: this many products, of at least this many vendors, observing the
// same verdict that contradicts the expected one for one case version.
inline constexpr std::size_t kDisputeProducts = 3;
inline constexpr std::size_t kDisputeVendors = 2;

inline constexpr std::string_view kMetaLastCase = "testcase_last_case";
inline constexpr std::string_view kMetaLastProduct = "testcase_last_product";
inline constexpr std::string_view kMetaLastSubmission = "testcase_last_submission";
inline constexpr std::string_view kMetaLastCampaign = "testcase_last_campaign";

enum class Kind : std::uint8_t {
  certificate, csr, ocsp_response, crl, tsl, tsp_response, cades, xades, pades, asic, jades, login_flow,
  protocol_exchange
};
enum class Polarity : std::uint8_t { positive, negative };
enum class Visibility : std::uint8_t { public_, participants, private_ };
enum class State : std::uint8_t { draft, proposed, accepted, disputed, deprecated };

const char* kind_name(Kind k);
std::optional<Kind> kind_from_name(std::string_view s);
const char* polarity_name(Polarity p);
std::optional<Polarity> polarity_from_name(std::string_view s);
const char* visibility_name(Visibility v);
std::optional<Visibility> visibility_from_name(std::string_view s);
const char* state_name(State s);
std::optional<State> state_from_name(std::string_view s);
// login_flow and protocol_exchange expect a protocol status, the others a TS 119 102-2 verdict.
bool is_protocol(Kind k);

// "urn:etsi:019102:mainindication:" + total-passed | total-failed | indeterminate.
inline constexpr std::string_view kMainPrefix = "urn:etsi:019102:mainindication:";
inline constexpr std::string_view kSubPrefix = "urn:etsi:019102:subindication:";
// The closed list of sub-indications (ETSI EN 319 102-1 §5.1.3, as URN suffixes).
bool known_subindication(std::string_view suffix);

// An expected or observed verdict: `main` (+ `sub`) for signatures and artefacts, or the
// protocol fields. Unset members are absent.
struct Verdict {
  std::string main;  // full URN, or "" for protocols
  std::string sub;   // full URN, or ""
  std::optional<int> http_status;
  std::string ocsp_cert_status;  // good | revoked | unknown, or ""
  std::string error_code;
  bool operator==(const Verdict&) const = default;
};
// Parses and checks a verdict for a case of `kind`; errors: 400 verdict_invalid.
Result<Verdict> parse_verdict(const nlohmann::json& j, Kind kind, std::string_view field);
nlohmann::json verdict_json(const Verdict& v);
// A canonical text of the verdict (grouping equal observations).
std::string verdict_key(const Verdict& v);

// The agree rule: every member set in `expected` equals `observed`'s (main always; the
// sub-indication only when the expected one has one; protocol fields when expected).
bool agrees(const Verdict& expected, const Verdict& observed);
enum class Outcome : std::uint8_t { agree, disagree, indeterminate };
// The matrix's word: agree; indeterminate when the product answered indeterminate and
// indeterminate was not expected; disagree otherwise.
Outcome outcome_of(const Verdict& expected, const Verdict& observed);
const char* outcome_name(Outcome o);

struct Input {
  std::string role;        // e.g. "signed-document", "signer-certificate"
  std::string media_type;  // e.g. "application/pkix-cert"
  std::string sha256;      // lower-case hex
  std::uint64_t size = 0;
  bool operator==(const Input&) const = default;
};

struct Params {
  std::optional<UnixTime> validation_time;
  std::string trust_anchor;  // a trusted-list version ("tl:<seq>") or a test CA's name
  std::string policy_oid;    // "" = none
  bool operator==(const Params&) const = default;
};

struct CaseRecord {
  std::uint64_t id = 0;
  std::uint32_t version = 1;
  Kind kind = Kind::certificate;
  Polarity polarity = Polarity::positive;
  std::vector<std::string> refs;  // standard clauses, e.g. "ETSI EN 319 412-2 §4.3.1"
  std::string title;
  std::vector<Input> inputs;
  Params params;
  Verdict expected;
  std::uint32_t owner = 0;        // participant (0 = the central body's bootstrap)
  Visibility visibility = Visibility::participants;
  std::vector<std::string> tags;
  State state = State::draft;
  std::uint64_t producer_product = 0;  // 0 = none named
  UnixTime created = 0;                // this version's
  std::string actor;                   // who made this version
  UnixTime state_changed = 0;
  bool operator==(const CaseRecord&) const = default;
};

struct ProductRecord {
  std::uint64_t id = 0;
  std::uint32_t participant = 0;
  std::string vendor;
  std::string name;
  std::string version;
  UnixTime created = 0;
  std::string actor;
  bool operator==(const ProductRecord&) const = default;
};

struct SubmissionRecord {
  std::uint64_t id = 0;
  std::uint64_t product = 0;
  std::uint32_t participant = 0;  // the product's
  std::uint64_t case_id = 0;
  std::uint32_t case_version = 0;
  Verdict observed;
  bool agrees = false;
  std::string report_sha256;  // "" = none (the raw report is a blob)
  UnixTime submitted = 0;
  std::string actor;
  bool operator==(const SubmissionRecord&) const = default;
};

struct Selector {
  std::optional<Kind> kind;
  std::optional<Polarity> polarity;
  std::vector<std::string> tags;  // every one must be on the case
  bool operator==(const Selector&) const = default;
};

struct CampaignCase {
  std::uint64_t id = 0;
  std::uint32_t version = 0;
  bool operator==(const CampaignCase&) const = default;
};

struct CampaignRecord {
  std::uint64_t id = 0;
  std::uint64_t product = 0;
  std::uint32_t participant = 0;  // the product's
  Selector selector;
  UnixTime created = 0;
  UnixTime expires = 0;
  bool sample = false;
  std::vector<CampaignCase> cases;
  std::string actor;
  bool operator==(const CampaignRecord&) const = default;
};

Bytes case_key(std::uint64_t id, std::uint32_t version);
Bytes id_key(std::uint64_t id);  // be64

Bytes encode_case(const CaseRecord& r);
Result<CaseRecord> decode_case(ByteView v);
Bytes encode_product(const ProductRecord& r);
Result<ProductRecord> decode_product(ByteView v);
Bytes encode_submission(const SubmissionRecord& r);
Result<SubmissionRecord> decode_submission(ByteView v);
Bytes encode_campaign(const CampaignRecord& r);
Result<CampaignRecord> decode_campaign(ByteView v);

// ---- who may do what ----------------------------------------------------------------

// The reader of a case: a participant (or the central body, or nobody signed in).
struct Reader {
  bool anonymous = true;
  bool central = false;           // the central body (and the bootstrap administrator)
  std::uint32_t participant = 0;
};
bool may_read(const Reader& r, const CaseRecord& c);

// The state machine. Allowed transitions (`by` = who may make them):
//   draft      -> proposed    owner, central body
//   proposed   -> draft       owner, central body (withdrawn for more work)
//   proposed   -> accepted    central body
//   accepted   -> disputed    central body; automatically on contradicting submissions
//   proposed   -> disputed    automatically on contradicting submissions
//   disputed   -> accepted    central body (the case is upheld)
//   any but deprecated -> deprecated   owner, central body
// Errors: 409 transition_invalid, 403 testcase_not_permitted.
Status check_transition(State from, State to, bool owner, bool central);

// The state of version n+1 after an edit of a case in `from`: draft stays draft, a
// deprecated case cannot be edited (409 case_deprecated), anything else goes back to
// proposed (the new version has to be accepted again).
Result<State> state_after_edit(State from);

// Selector match on a case version (campaigns).
bool selects(const Selector& s, const CaseRecord& c);

}  // namespace trustmon::testcases
