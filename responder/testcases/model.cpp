// See model.hpp.
#include "responder/testcases/model.hpp"

#include <algorithm>

#include "common/enum_names.hpp"

namespace trustmon::testcases {
namespace {

using nlohmann::json;

constexpr EnumNames<Kind, 13> kKinds({{{Kind::certificate, "certificate"},
                                       {Kind::csr, "csr"},
                                       {Kind::ocsp_response, "ocsp_response"},
                                       {Kind::crl, "crl"},
                                       {Kind::tsl, "tsl"},
                                       {Kind::tsp_response, "tsp_response"},
                                       {Kind::cades, "cades"},
                                       {Kind::xades, "xades"},
                                       {Kind::pades, "pades"},
                                       {Kind::asic, "asic"},
                                       {Kind::jades, "jades"},
                                       {Kind::login_flow, "login_flow"},
                                       {Kind::protocol_exchange, "protocol_exchange"}}});
constexpr EnumNames<Polarity, 2> kPolarities({{{Polarity::positive, "positive"}, {Polarity::negative, "negative"}}});
constexpr EnumNames<Visibility, 3> kVisibilities({{{Visibility::public_, "public"},
                                                   {Visibility::participants, "participants"},
                                                   {Visibility::private_, "private"}}});
constexpr EnumNames<State, 5> kStates({{{State::draft, "draft"},
                                        {State::proposed, "proposed"},
                                        {State::accepted, "accepted"},
                                        {State::disputed, "disputed"},
                                        {State::deprecated, "deprecated"}}});

// ETSI TS 119 102-2 / EN 319 102-1 sub-indications (the design notes' closed list).
constexpr std::array<std::string_view, 22> kSubIndications = {
    "FORMAT_FAILURE",          "HASH_FAILURE",
    "SIG_CRYPTO_FAILURE",      "REVOKED",
    "SIG_CONSTRAINTS_FAILURE", "CHAIN_CONSTRAINTS_FAILURE",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE", "CRYPTO_CONSTRAINTS_FAILURE",
    "EXPIRED",                 "NOT_YET_VALID",
    "POLICY_PROCESSING_ERROR", "SIGNATURE_POLICY_NOT_AVAILABLE",
    "TIMESTAMP_ORDER_FAILURE", "NO_SIGNING_CERTIFICATE_FOUND",
    "NO_CERTIFICATE_CHAIN_FOUND", "REVOKED_NO_POE",
    "REVOKED_CA_NO_POE",       "OUT_OF_BOUNDS_NO_POE",
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE", "NO_POE",
    "TRY_LATER",               "SIGNED_DATA_NOT_FOUND"};

constexpr std::array<std::string_view, 3> kMains = {"total-passed", "total-failed", "indeterminate"};

Error corrupt(const char* what) {
  return make_error(ErrorKind::storage, "storage_corrupt", std::string("test case record: ") + what);
}

Error verdict_invalid(std::string_view field, const std::string& why) {
  return make_error(ErrorKind::invalid, "verdict_invalid", "\"" + std::string(field) + "\": " + why);
}

Bytes with_format(const json& j) {
  const std::string t = j.dump(-1, ' ', false, json::error_handler_t::replace);
  Bytes out;
  out.reserve(t.size() + 1);
  out.push_back(kRecordFormat);
  out.insert(out.end(), t.begin(), t.end());
  return out;
}

Result<json> parse_record(ByteView v) {
  if (v.empty() || v[0] != kRecordFormat) return corrupt("unknown format");
  const std::string_view body = as_chars(v.subspan(1));
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt("not JSON");
  return j;
}

Verdict verdict_from_stored(const json& j) {
  Verdict v;
  v.main = j.value("main", std::string());
  v.sub = j.value("sub", std::string());
  if (auto it = j.find("http_status"); it != j.end() && it->is_number_integer()) v.http_status = it->get<int>();
  v.ocsp_cert_status = j.value("ocsp_cert_status", std::string());
  v.error_code = j.value("error_code", std::string());
  return v;
}

json strings_json(const std::vector<std::string>& v) { return json(v); }

std::vector<std::string> strings_from(const json& j) {
  std::vector<std::string> out;
  for (const auto& e : j) out.push_back(e.get<std::string>());
  return out;
}

}  // namespace

const char* kind_name(Kind k) { return kKinds.name(k).data(); }
std::optional<Kind> kind_from_name(std::string_view s) { return kKinds.parse(s); }
const char* polarity_name(Polarity p) { return kPolarities.name(p).data(); }
std::optional<Polarity> polarity_from_name(std::string_view s) { return kPolarities.parse(s); }
const char* visibility_name(Visibility v) { return kVisibilities.name(v).data(); }
std::optional<Visibility> visibility_from_name(std::string_view s) { return kVisibilities.parse(s); }
const char* state_name(State s) { return kStates.name(s).data(); }
std::optional<State> state_from_name(std::string_view s) { return kStates.parse(s); }
bool is_protocol(Kind k) { return k == Kind::login_flow || k == Kind::protocol_exchange; }

bool known_subindication(std::string_view suffix) {
  return std::find(kSubIndications.begin(), kSubIndications.end(), suffix) != kSubIndications.end();
}

Result<Verdict> parse_verdict(const json& j, Kind kind, std::string_view field) {
  if (!j.is_object()) return verdict_invalid(field, "must be an object");
  Verdict v;
  auto text = [&j](const char* name) -> std::optional<std::string> {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::string();
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  if (!is_protocol(kind)) {
    auto main = text("main");
    if (!main || main->empty()) return verdict_invalid(field, "\"main\" is a urn:etsi:019102:mainindication: URN");
    if (main->rfind(kMainPrefix, 0) != 0 ||
        std::find(kMains.begin(), kMains.end(), std::string_view(*main).substr(kMainPrefix.size())) == kMains.end())
      return verdict_invalid(field, "\"main\" must be " + std::string(kMainPrefix) + "total-passed, total-failed or indeterminate");
    v.main = *main;
    auto sub = text("sub");
    if (!sub) return verdict_invalid(field, "\"sub\" must be a string");
    if (!sub->empty()) {
      if (sub->rfind(kSubPrefix, 0) != 0 || !known_subindication(std::string_view(*sub).substr(kSubPrefix.size())))
        return verdict_invalid(field, "\"sub\" must be " + std::string(kSubPrefix) + "X with X from TS 119 102-2's list");
      if (v.main == std::string(kMainPrefix) + "total-passed")
        return verdict_invalid(field, "total-passed has no sub-indication");
      v.sub = *sub;
    }
    for (const char* p : {"http_status", "ocsp_cert_status", "error_code"})
      if (j.contains(p)) return verdict_invalid(field, std::string("\"") + p + "\" is for protocol cases");
    return v;
  }
  if (j.contains("main") || j.contains("sub"))
    return verdict_invalid(field, "protocol cases expect http_status, ocsp_cert_status or error_code");
  if (auto it = j.find("http_status"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 100 || it->get<std::int64_t>() > 599)
      return verdict_invalid(field, "\"http_status\" is 100..599");
    v.http_status = it->get<int>();
  }
  auto status = text("ocsp_cert_status");
  if (!status || (!status->empty() && *status != "good" && *status != "revoked" && *status != "unknown"))
    return verdict_invalid(field, "\"ocsp_cert_status\" is good, revoked or unknown");
  v.ocsp_cert_status = *status;
  auto code = text("error_code");
  if (!code || code->size() > kMaxText) return verdict_invalid(field, "\"error_code\" is a short string");
  v.error_code = *code;
  if (!v.http_status && v.ocsp_cert_status.empty() && v.error_code.empty())
    return verdict_invalid(field, "give at least one of http_status, ocsp_cert_status, error_code");
  return v;
}

json verdict_json(const Verdict& v) {
  json j = json::object();
  if (!v.main.empty()) j["main"] = v.main;
  if (!v.sub.empty()) j["sub"] = v.sub;
  if (v.http_status) j["http_status"] = *v.http_status;
  if (!v.ocsp_cert_status.empty()) j["ocsp_cert_status"] = v.ocsp_cert_status;
  if (!v.error_code.empty()) j["error_code"] = v.error_code;
  return j;
}

std::string verdict_key(const Verdict& v) { return verdict_json(v).dump(); }

bool agrees(const Verdict& expected, const Verdict& observed) {
  if (expected.main != observed.main) return false;
  if (!expected.sub.empty() && expected.sub != observed.sub) return false;
  if (expected.http_status && expected.http_status != observed.http_status) return false;
  if (!expected.ocsp_cert_status.empty() && expected.ocsp_cert_status != observed.ocsp_cert_status) return false;
  if (!expected.error_code.empty() && expected.error_code != observed.error_code) return false;
  return true;
}

Outcome outcome_of(const Verdict& expected, const Verdict& observed) {
  if (agrees(expected, observed)) return Outcome::agree;
  const std::string indeterminate = std::string(kMainPrefix) + "indeterminate";
  if (observed.main == indeterminate && expected.main != indeterminate) return Outcome::indeterminate;
  return Outcome::disagree;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::agree: return "agree";
    case Outcome::disagree: return "disagree";
    case Outcome::indeterminate: return "indeterminate";
  }
  return "disagree";
}

Bytes case_key(std::uint64_t id, std::uint32_t version) {
  Bytes k(12);
  put_be64(k.data(), id);
  put_be32(k.data() + 8, version);
  return k;
}

Bytes id_key(std::uint64_t id) {
  Bytes k(8);
  put_be64(k.data(), id);
  return k;
}

Bytes encode_case(const CaseRecord& r) {
  json inputs = json::array();
  for (const Input& i : r.inputs)
    inputs.push_back({{"role", i.role}, {"media_type", i.media_type}, {"sha256", i.sha256}, {"size", i.size}});
  json params = {{"trust_anchor", r.params.trust_anchor}, {"policy_oid", r.params.policy_oid}};
  if (r.params.validation_time) params["validation_time"] = *r.params.validation_time;
  return with_format({{"id", r.id},
                      {"version", r.version},
                      {"kind", kind_name(r.kind)},
                      {"polarity", polarity_name(r.polarity)},
                      {"refs", strings_json(r.refs)},
                      {"title", r.title},
                      {"inputs", std::move(inputs)},
                      {"params", std::move(params)},
                      {"expected", verdict_json(r.expected)},
                      {"owner", r.owner},
                      {"visibility", visibility_name(r.visibility)},
                      {"tags", strings_json(r.tags)},
                      {"state", state_name(r.state)},
                      {"producer_product", r.producer_product},
                      {"created", r.created},
                      {"actor", r.actor},
                      {"state_changed", r.state_changed}});
}

Result<CaseRecord> decode_case(ByteView v) {
  auto parsed = parse_record(v);
  if (!parsed) return std::move(parsed).error();
  const json& j = *parsed;
  CaseRecord r;
  try {
    r.id = j.at("id").get<std::uint64_t>();
    r.version = j.at("version").get<std::uint32_t>();
    auto kind = kind_from_name(j.at("kind").get<std::string>());
    auto polarity = polarity_from_name(j.at("polarity").get<std::string>());
    auto visibility = visibility_from_name(j.at("visibility").get<std::string>());
    auto state = state_from_name(j.at("state").get<std::string>());
    if (!kind || !polarity || !visibility || !state) return corrupt("names");
    r.kind = *kind;
    r.polarity = *polarity;
    r.visibility = *visibility;
    r.state = *state;
    r.refs = strings_from(j.at("refs"));
    r.title = j.at("title").get<std::string>();
    for (const json& i : j.at("inputs"))
      r.inputs.push_back(Input{i.at("role").get<std::string>(), i.at("media_type").get<std::string>(),
                               i.at("sha256").get<std::string>(), i.at("size").get<std::uint64_t>()});
    const json& p = j.at("params");
    r.params.trust_anchor = p.at("trust_anchor").get<std::string>();
    r.params.policy_oid = p.at("policy_oid").get<std::string>();
    if (auto t = p.find("validation_time"); t != p.end()) r.params.validation_time = t->get<UnixTime>();
    r.expected = verdict_from_stored(j.at("expected"));
    r.owner = j.at("owner").get<std::uint32_t>();
    r.tags = strings_from(j.at("tags"));
    r.producer_product = j.at("producer_product").get<std::uint64_t>();
    r.created = j.at("created").get<UnixTime>();
    r.actor = j.at("actor").get<std::string>();
    r.state_changed = j.at("state_changed").get<UnixTime>();
  } catch (const json::exception&) {
    return corrupt("case fields");
  }
  return r;
}

Bytes encode_product(const ProductRecord& r) {
  return with_format({{"id", r.id},
                      {"participant", r.participant},
                      {"vendor", r.vendor},
                      {"name", r.name},
                      {"version", r.version},
                      {"created", r.created},
                      {"actor", r.actor}});
}

Result<ProductRecord> decode_product(ByteView v) {
  auto parsed = parse_record(v);
  if (!parsed) return std::move(parsed).error();
  const json& j = *parsed;
  ProductRecord r;
  try {
    r.id = j.at("id").get<std::uint64_t>();
    r.participant = j.at("participant").get<std::uint32_t>();
    r.vendor = j.at("vendor").get<std::string>();
    r.name = j.at("name").get<std::string>();
    r.version = j.at("version").get<std::string>();
    r.created = j.at("created").get<UnixTime>();
    r.actor = j.at("actor").get<std::string>();
  } catch (const json::exception&) {
    return corrupt("product fields");
  }
  return r;
}

Bytes encode_submission(const SubmissionRecord& r) {
  return with_format({{"id", r.id},
                      {"product", r.product},
                      {"participant", r.participant},
                      {"case", r.case_id},
                      {"case_version", r.case_version},
                      {"observed", verdict_json(r.observed)},
                      {"agrees", r.agrees},
                      {"report_sha256", r.report_sha256},
                      {"submitted", r.submitted},
                      {"actor", r.actor}});
}

Result<SubmissionRecord> decode_submission(ByteView v) {
  auto parsed = parse_record(v);
  if (!parsed) return std::move(parsed).error();
  const json& j = *parsed;
  SubmissionRecord r;
  try {
    r.id = j.at("id").get<std::uint64_t>();
    r.product = j.at("product").get<std::uint64_t>();
    r.participant = j.at("participant").get<std::uint32_t>();
    r.case_id = j.at("case").get<std::uint64_t>();
    r.case_version = j.at("case_version").get<std::uint32_t>();
    r.observed = verdict_from_stored(j.at("observed"));
    r.agrees = j.at("agrees").get<bool>();
    r.report_sha256 = j.at("report_sha256").get<std::string>();
    r.submitted = j.at("submitted").get<UnixTime>();
    r.actor = j.at("actor").get<std::string>();
  } catch (const json::exception&) {
    return corrupt("submission fields");
  }
  return r;
}

Bytes encode_campaign(const CampaignRecord& r) {
  json sel = {{"tags", strings_json(r.selector.tags)}};
  if (r.selector.kind) sel["kind"] = kind_name(*r.selector.kind);
  if (r.selector.polarity) sel["polarity"] = polarity_name(*r.selector.polarity);
  json cases = json::array();
  for (const CampaignCase& c : r.cases) cases.push_back(json::array({c.id, c.version}));
  return with_format({{"id", r.id},
                      {"product", r.product},
                      {"participant", r.participant},
                      {"selector", std::move(sel)},
                      {"created", r.created},
                      {"expires", r.expires},
                      {"sample", r.sample},
                      {"cases", std::move(cases)},
                      {"actor", r.actor}});
}

Result<CampaignRecord> decode_campaign(ByteView v) {
  auto parsed = parse_record(v);
  if (!parsed) return std::move(parsed).error();
  const json& j = *parsed;
  CampaignRecord r;
  try {
    r.id = j.at("id").get<std::uint64_t>();
    r.product = j.at("product").get<std::uint64_t>();
    r.participant = j.at("participant").get<std::uint32_t>();
    const json& sel = j.at("selector");
    r.selector.tags = strings_from(sel.at("tags"));
    if (auto k = sel.find("kind"); k != sel.end()) {
      r.selector.kind = kind_from_name(k->get<std::string>());
      if (!r.selector.kind) return corrupt("campaign kind");
    }
    if (auto p = sel.find("polarity"); p != sel.end()) {
      r.selector.polarity = polarity_from_name(p->get<std::string>());
      if (!r.selector.polarity) return corrupt("campaign polarity");
    }
    r.created = j.at("created").get<UnixTime>();
    r.expires = j.at("expires").get<UnixTime>();
    r.sample = j.at("sample").get<bool>();
    for (const json& c : j.at("cases")) r.cases.push_back(CampaignCase{c.at(0).get<std::uint64_t>(), c.at(1).get<std::uint32_t>()});
    r.actor = j.at("actor").get<std::string>();
  } catch (const json::exception&) {
    return corrupt("campaign fields");
  }
  return r;
}

bool may_read(const Reader& r, const CaseRecord& c) {
  switch (c.visibility) {
    case Visibility::public_: return true;
    case Visibility::participants: return !r.anonymous;
    case Visibility::private_: return !r.anonymous && (r.central || r.participant == c.owner);
  }
  return false;
}

Status check_transition(State from, State to, bool owner, bool central) {
  const auto not_permitted = [](const std::string& why) {
    return make_error(ErrorKind::forbidden, "testcase_not_permitted", why);
  };
  const auto invalid = make_error(ErrorKind::conflict, "transition_invalid",
                                  std::string("a case cannot go from ") + state_name(from) + " to " + state_name(to));
  if (from == State::deprecated || from == to) return invalid;
  switch (to) {
    case State::deprecated:
      return owner || central ? Status{} : not_permitted("the owner or the central body deprecates a case");
    case State::proposed:
      if (from != State::draft) return invalid;
      return owner || central ? Status{} : not_permitted("the owner or the central body proposes a case");
    case State::draft:
      if (from != State::proposed) return invalid;
      return owner || central ? Status{} : not_permitted("the owner or the central body withdraws a proposal");
    case State::accepted:
      if (from != State::proposed && from != State::disputed) return invalid;
      return central ? Status{} : not_permitted("the central body accepts cases");
    case State::disputed:
      if (from != State::accepted) return invalid;
      return central ? Status{} : not_permitted("the central body disputes cases (or enough products do)");
  }
  return invalid;
}

Result<State> state_after_edit(State from) {
  if (from == State::deprecated)
    return make_error(ErrorKind::conflict, "case_deprecated", "a deprecated case cannot be edited");
  return from == State::draft ? State::draft : State::proposed;
}

bool selects(const Selector& s, const CaseRecord& c) {
  if (s.kind && *s.kind != c.kind) return false;
  if (s.polarity && *s.polarity != c.polarity) return false;
  for (const std::string& t : s.tags)
    if (std::find(c.tags.begin(), c.tags.end(), t) == c.tags.end()) return false;
  return true;
}

}  // namespace trustmon::testcases
