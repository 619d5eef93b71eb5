// See service.hpp.
#include "responder/testcases/service.hpp"

#include <algorithm>

#include "common/ossl.hpp"
#include "common/time.hpp"
#include "storage/event_log.hpp"
#include "storage/scan.hpp"

namespace trustmon::testcases {
namespace {

using nlohmann::json;

Error invalid(const char* code, const std::string& why) { return make_error(ErrorKind::invalid, code, why); }
Error not_permitted(const std::string& why) { return make_error(ErrorKind::forbidden, "testcase_not_permitted", why); }
Error case_not_found(std::uint64_t id) {
  return make_error(ErrorKind::not_found, "case_not_found", "no test case " + std::to_string(id));
}
Error product_not_found(std::uint64_t id) {
  return make_error(ErrorKind::not_found, "product_not_found", "no product " + std::to_string(id));
}

// A short text member: absent -> "" (or an error when required).
Result<std::string> short_text(const json& j, const char* name, const char* code, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return invalid(code, std::string("\"") + name + "\" is required");
    return std::string();
  }
  if (!it->is_string()) return invalid(code, std::string("\"") + name + "\" must be a string");
  std::string s = it->get<std::string>();
  if (s.size() > kMaxText) return invalid(code, std::string("\"") + name + "\" is at most 512 bytes");
  if (required && s.empty()) return invalid(code, std::string("\"") + name + "\" must not be empty");
  return s;
}

Result<std::vector<std::string>> text_list(const json& j, const char* name, std::size_t max, const char* code) {
  std::vector<std::string> out;
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array() || it->size() > max)
    return invalid(code, std::string("\"") + name + "\" is an array of at most " + std::to_string(max) + " strings");
  for (const json& e : *it) {
    if (!e.is_string() || e.get<std::string>().empty() || e.get<std::string>().size() > kMaxText)
      return invalid(code, std::string("\"") + name + "\" items are non-empty strings of at most 512 bytes");
    if (std::find(out.begin(), out.end(), e.get<std::string>()) == out.end()) out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::uint64_t> id_member(const json& j, const char* name, const char* code, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return invalid(code, std::string("\"") + name + "\" is required");
    return std::uint64_t{0};
  }
  if (!it->is_number_integer() || it->get<std::int64_t>() <= 0)
    return invalid(code, std::string("\"") + name + "\" is a positive id");
  return it->get<std::uint64_t>();
}

bool is_hex_sha256(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::uint64_t> next_id(storage::WriteTxn& txn, std::string_view counter) {
  auto v = txn.get(storage::Table::meta, as_bytes(counter));
  if (!v) return std::move(v).error();
  std::uint64_t last = 0;
  if (*v) {
    if ((*v)->size() != 8) return make_error(ErrorKind::storage, "storage_corrupt", "testcase counter");
    last = get_be64((*v)->data());
  }
  std::uint8_t buf[8];
  put_be64(buf, last + 1);
  if (Status s = txn.put(storage::Table::meta, as_bytes(counter), ByteView(buf, 8)); !s) return std::move(s).error();
  return last + 1;
}

// Stores the uploaded artefacts (put if absent) and checks the referenced ones exist.
Result<std::vector<Input>> store_inputs(storage::WriteTxn& txn, const std::vector<NewInput>& inputs) {
  std::vector<Input> out;
  for (const NewInput& n : inputs) {
    Input in{n.role, n.media_type, n.sha256, 0};
    if (n.bytes) {
      const Sha256 digest = sha256(*n.bytes);
      in.sha256 = hex_encode(digest);
      in.size = n.bytes->size();
      auto put = txn.put_if_absent(storage::Table::testcase_blobs, ByteView(digest.data(), digest.size()), *n.bytes);
      if (!put) return std::move(put).error();
    } else {
      auto digest = hex_decode(n.sha256);
      auto got = txn.get(storage::Table::testcase_blobs, *digest);
      if (!got) return std::move(got).error();
      if (!*got)
        return make_error(ErrorKind::unprocessable, "artefact_unknown",
                          "no stored artefact has SHA-256 " + n.sha256 + "; upload its content");
      in.size = (*got)->size();
    }
    out.push_back(std::move(in));
  }
  return out;
}

Status check_producer(storage::WriteTxn& txn, std::uint64_t producer) {
  if (producer == 0) return {};
  auto p = get_product(txn, producer);
  if (!p) return std::move(p).error();
  if (!*p) return make_error(ErrorKind::unprocessable, "product_unknown", "no product " + std::to_string(producer));
  return {};
}

void fill(CaseRecord& r, CaseDraft& d, std::vector<Input> inputs) {
  r.kind = d.kind;
  r.polarity = d.polarity;
  r.refs = std::move(d.refs);
  r.title = std::move(d.title);
  r.inputs = std::move(inputs);
  r.params = std::move(d.params);
  r.expected = std::move(d.expected);
  r.visibility = d.visibility;
  r.tags = std::move(d.tags);
  r.producer_product = d.producer_product;
}

storage::AuditEvent event(const Caller& c, std::string action, std::string type, json target, UnixTime now) {
  storage::AuditEvent e = storage::action_event(c.actor.label(), std::move(action), std::move(target), now);
  e.type = std::move(type);
  e.refused_type = "testcase.refused";
  return e;
}

// Writes a case's latest version (or a new one).
Status put_case(storage::WriteTxn& txn, const CaseRecord& r) {
  return txn.put(storage::Table::testcase_cases, case_key(r.id, r.version), encode_case(r));
}

bool is_owner(const Caller& c, const CaseRecord& r) { return c.actor.participant == r.owner; }

Reader reader_of(const Caller& c) { return Reader{false, c.central, c.actor.participant}; }

// The case `id` (latest), readable by the caller: else 404 / 403.
Result<CaseRecord> readable_latest(storage::WriteTxn& txn, const Caller& caller, std::uint64_t id) {
  auto got = get_case(txn, id, std::nullopt);
  if (!got) return std::move(got).error();
  if (!*got) return case_not_found(id);
  if (!may_read(reader_of(caller), **got)) return not_permitted("the case is private to its owner");
  return std::move(**got);
}

}  // namespace

Result<CaseDraft> parse_case_draft(const json& j) {
  if (!j.is_object()) return invalid("case_invalid", "a case is a JSON object");
  CaseDraft d;
  auto kind = short_text(j, "kind", "case_invalid", true);
  if (!kind) return std::move(kind).error();
  auto k = kind_from_name(*kind);
  if (!k) return invalid("case_invalid", "\"kind\" is not a known kind of test case");
  d.kind = *k;
  auto polarity = short_text(j, "polarity", "case_invalid", true);
  if (!polarity) return std::move(polarity).error();
  auto p = polarity_from_name(*polarity);
  if (!p) return invalid("case_invalid", "\"polarity\" is positive or negative");
  d.polarity = *p;
  auto title = short_text(j, "title", "case_invalid", true);
  if (!title) return std::move(title).error();
  d.title = std::move(*title);
  auto refs = text_list(j, "refs", kMaxRefs, "case_invalid");
  if (!refs) return std::move(refs).error();
  d.refs = std::move(*refs);
  auto tags = text_list(j, "tags", kMaxTags, "case_invalid");
  if (!tags) return std::move(tags).error();
  d.tags = std::move(*tags);
  for (const std::string& t : d.tags)
    if (t.rfind("seed:", 0) == 0) return invalid("case_invalid", "tags starting with \"seed:\" are the test bed's");
  if (auto v = j.find("visibility"); v != j.end() && !v->is_null()) {
    auto vis = v->is_string() ? visibility_from_name(v->get<std::string>()) : std::nullopt;
    if (!vis) return invalid("case_invalid", "\"visibility\" is public, participants or private");
    d.visibility = *vis;
  }
  auto producer = id_member(j, "producer_product", "case_invalid", false);
  if (!producer) return std::move(producer).error();
  d.producer_product = *producer;

  auto params = j.find("params");
  if (params == j.end() || !params->is_object()) return invalid("case_invalid", "\"params\" is an object");
  auto anchor = short_text(*params, "trust_anchor", "case_invalid", true);
  if (!anchor) return std::move(anchor).error();
  d.params.trust_anchor = std::move(*anchor);
  auto oid = short_text(*params, "policy_oid", "case_invalid", false);
  if (!oid) return std::move(oid).error();
  d.params.policy_oid = std::move(*oid);
  auto when = short_text(*params, "validation_time", "case_invalid", false);
  if (!when) return std::move(when).error();
  if (!when->empty()) {
    auto t = parse_rfc3339(*when);
    if (!t) return invalid("case_invalid", "\"params.validation_time\" is an RFC 3339 time");
    d.params.validation_time = *t;
  }

  auto expected = j.find("expected");
  if (expected == j.end()) return invalid("verdict_invalid", "\"expected\" is required");
  auto verdict = parse_verdict(*expected, d.kind, "expected");
  if (!verdict) return std::move(verdict).error();
  d.expected = std::move(*verdict);

  auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_array() || inputs->empty() || inputs->size() > kMaxInputs)
    return invalid("case_invalid", "\"inputs\" is an array of 1 to 16 artefacts");
  std::size_t total = 0;
  for (const json& i : *inputs) {
    if (!i.is_object()) return invalid("case_invalid", "each input is an object");
    NewInput n;
    auto role = short_text(i, "role", "case_invalid", true);
    if (!role) return std::move(role).error();
    n.role = std::move(*role);
    auto media = short_text(i, "media_type", "case_invalid", true);
    if (!media) return std::move(media).error();
    n.media_type = std::move(*media);
    auto content = i.find("content");
    if (content != i.end() && !content->is_null()) {
      if (!content->is_string()) return invalid("case_invalid", "\"content\" is base64 text");
      const std::string& text = content->get_ref<const std::string&>();
      const auto size = base64_check_lenient(text);
      if (!size) return invalid("case_invalid", "\"content\" is not base64");
      if (*size > kMaxArtefactBytes)
        return make_error(ErrorKind::too_large, "artefact_too_large", "an artefact is at most 4 MiB");
      total += *size;
      if (total > kMaxArtefactsBytes)
        return make_error(ErrorKind::too_large, "artefact_too_large", "a case's artefacts are at most 8 MiB in all");
      n.bytes = base64_decode_lenient(text);
      if (!n.bytes) return invalid("case_invalid", "\"content\" is not base64");
      if (n.bytes->empty()) return invalid("case_invalid", "an artefact is not empty");
    } else {
      auto sha = short_text(i, "sha256", "case_invalid", true);
      if (!sha) return invalid("case_invalid", "each input has \"content\" (base64) or the \"sha256\" of a stored artefact");
      std::transform(sha->begin(), sha->end(), sha->begin(), [](unsigned char c) { return std::tolower(c); });
      if (!is_hex_sha256(*sha)) return invalid("case_invalid", "\"sha256\" is 64 hex digits");
      n.sha256 = std::move(*sha);
    }
    d.inputs.push_back(std::move(n));
  }
  return d;
}

Result<ProductDraft> parse_product_draft(const json& j) {
  if (!j.is_object()) return invalid("product_invalid", "a product is a JSON object");
  ProductDraft d;
  for (auto [name, out] : {std::pair{"vendor", &d.vendor}, std::pair{"name", &d.name}, std::pair{"version", &d.version}}) {
    auto t = short_text(j, name, "product_invalid", true);
    if (!t) return std::move(t).error();
    *out = std::move(*t);
  }
  if (auto p = j.find("participant"); p != j.end() && !p->is_null()) {
    if (!p->is_number_integer() || p->get<std::int64_t>() <= 0 || p->get<std::int64_t>() > 0xffffffffLL)
      return invalid("product_invalid", "\"participant\" is a participant id");
    d.participant = p->get<std::uint32_t>();
  }
  return d;
}

Result<SubmissionDraft> parse_submission_draft(const json& j) {
  if (!j.is_object()) return invalid("submission_invalid", "a submission is a JSON object");
  SubmissionDraft d;
  auto product = id_member(j, "product", "submission_invalid", true);
  if (!product) return std::move(product).error();
  d.product = *product;
  auto c = id_member(j, "case", "submission_invalid", true);
  if (!c) return std::move(c).error();
  d.case_id = *c;
  auto version = id_member(j, "version", "submission_invalid", false);
  if (!version) return std::move(version).error();
  if (*version > 0xffffffffu) return invalid("submission_invalid", "\"version\" is a case version");
  if (*version != 0) d.version = static_cast<std::uint32_t>(*version);
  auto observed = j.find("observed");
  if (observed == j.end() || !observed->is_object()) return invalid("verdict_invalid", "\"observed\" is an object");
  d.observed = *observed;
  if (auto r = j.find("report"); r != j.end() && !r->is_null()) {
    if (!r->is_string()) return invalid("submission_invalid", "\"report\" is base64 text");
    const auto size = base64_check_lenient(r->get_ref<const std::string&>());
    if (!size) return invalid("submission_invalid", "\"report\" is not base64");
    if (*size > kMaxReportBytes)
      return make_error(ErrorKind::too_large, "report_too_large", "a validation report is at most 1 MiB");
    d.report = base64_decode_lenient(r->get_ref<const std::string&>());
    if (!d.report || d.report->empty()) return invalid("submission_invalid", "\"report\" is not base64");
  }
  return d;
}

Result<CampaignDraft> parse_campaign_draft(const json& j, UnixTime now) {
  if (!j.is_object()) return invalid("campaign_invalid", "a campaign is a JSON object");
  CampaignDraft d;
  auto product = id_member(j, "product", "campaign_invalid", true);
  if (!product) return std::move(product).error();
  d.product = *product;
  auto expires = short_text(j, "expires", "campaign_invalid", true);
  if (!expires) return std::move(expires).error();
  auto t = parse_rfc3339(*expires);
  if (!t || *t <= now) return invalid("campaign_invalid", "\"expires\" is an RFC 3339 time in the future");
  d.expires = *t;
  if (auto s = j.find("sample"); s != j.end() && !s->is_null()) {
    if (!s->is_boolean()) return invalid("campaign_invalid", "\"sample\" is true or false");
    d.sample = s->get<bool>();
  }
  auto sel = j.find("selector");
  if (sel != j.end() && !sel->is_null()) {
    if (!sel->is_object()) return invalid("campaign_invalid", "\"selector\" is an object");
    auto kind = short_text(*sel, "kind", "campaign_invalid", false);
    if (!kind) return std::move(kind).error();
    if (!kind->empty()) {
      d.selector.kind = kind_from_name(*kind);
      if (!d.selector.kind) return invalid("campaign_invalid", "\"selector.kind\" is not a known kind");
    }
    auto polarity = short_text(*sel, "polarity", "campaign_invalid", false);
    if (!polarity) return std::move(polarity).error();
    if (!polarity->empty()) {
      d.selector.polarity = polarity_from_name(*polarity);
      if (!d.selector.polarity) return invalid("campaign_invalid", "\"selector.polarity\" is positive or negative");
    }
    auto tags = text_list(*sel, "tags", kMaxTags, "campaign_invalid");
    if (!tags) return std::move(tags).error();
    d.selector.tags = std::move(*tags);
  }
  return d;
}

// ---- the jobs ---------------------------------------------------------------------

Op<CaseRecord> TestcaseService::create_case(const Caller& caller, CaseDraft draft) const {
  const UnixTime now = clock_.now();
  auto d = std::make_shared<CaseDraft>(std::move(draft));
  storage::AuditEvent e = event(caller, "testcase.case.create", "testcase.case.created", json::object(), now);
  e.details = {{"kind", kind_name(d->kind)}, {"inputs", d->inputs.size()}, {"visibility", visibility_name(d->visibility)}};
  return {std::move(e), [caller, d, now](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<CaseRecord> {
            CaseDraft draft_copy = *d;  // each run starts from the draft as given
            if (Status s = check_producer(txn, draft_copy.producer_product); !s) return std::move(s).error();
            auto inputs = store_inputs(txn, draft_copy.inputs);
            if (!inputs) return std::move(inputs).error();
            auto id = next_id(txn, kMetaLastCase);
            if (!id) return std::move(id).error();
            CaseRecord r;
            r.id = *id;
            r.version = 1;
            fill(r, draft_copy, std::move(*inputs));
            r.owner = caller.actor.participant;
            r.state = State::draft;
            r.created = now;
            r.state_changed = now;
            r.actor = caller.actor.label();
            if (Status s = put_case(txn, r); !s) return std::move(s).error();
            ev.target = {{"case", r.id}, {"version", r.version}};
            return r;
          }};
}

Op<CaseRecord> TestcaseService::edit_case(const Caller& caller, std::uint64_t id, CaseDraft draft) const {
  const UnixTime now = clock_.now();
  auto d = std::make_shared<CaseDraft>(std::move(draft));
  storage::AuditEvent e = event(caller, "testcase.case.edit", "testcase.case.versioned", json{{"case", id}}, now);
  return {std::move(e), [caller, d, id, now](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<CaseRecord> {
            CaseDraft draft_copy = *d;
            auto latest = readable_latest(txn, caller, id);
            if (!latest) return std::move(latest).error();
            if (!is_owner(caller, *latest) && !caller.central)
              return not_permitted("only the owner or the central body edits a case");
            auto state = state_after_edit(latest->state);
            if (!state) return std::move(state).error();
            if (Status s = check_producer(txn, draft_copy.producer_product); !s) return std::move(s).error();
            auto inputs = store_inputs(txn, draft_copy.inputs);
            if (!inputs) return std::move(inputs).error();
            CaseRecord r = *latest;
            // The seed tag stays with the case: editing keeps its stable key.
            std::vector<std::string> seed_tags;
            for (const std::string& t : latest->tags)
              if (t.rfind("seed:", 0) == 0) seed_tags.push_back(t);
            fill(r, draft_copy, std::move(*inputs));
            for (std::string& t : seed_tags)
              if (std::find(r.tags.begin(), r.tags.end(), t) == r.tags.end()) r.tags.push_back(std::move(t));
            r.version = latest->version + 1;
            r.state = *state;
            r.created = now;
            r.actor = caller.actor.label();
            if (r.state != latest->state) r.state_changed = now;
            if (Status s = put_case(txn, r); !s) return std::move(s).error();
            ev.target["version"] = r.version;
            ev.details = {{"state", state_name(r.state)}};
            return r;
          }};
}

Op<CaseRecord> TestcaseService::set_state(const Caller& caller, std::uint64_t id, State to) const {
  const UnixTime now = clock_.now();
  storage::AuditEvent e = event(caller, "testcase.case.state", "testcase.case.state_changed", json{{"case", id}}, now);
  e.details = {{"to", state_name(to)}};
  return {std::move(e), [caller, id, to, now](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<CaseRecord> {
            auto latest = readable_latest(txn, caller, id);
            if (!latest) return std::move(latest).error();
            ev.target["version"] = latest->version;
            ev.details["from"] = state_name(latest->state);
            if (Status s = check_transition(latest->state, to, is_owner(caller, *latest), caller.central); !s)
              return std::move(s).error();
            latest->state = to;
            latest->state_changed = now;
            if (Status s = put_case(txn, *latest); !s) return std::move(s).error();
            return std::move(*latest);
          }};
}

Op<ProductRecord> TestcaseService::add_product(const Caller& caller, ProductDraft draft) const {
  const UnixTime now = clock_.now();
  storage::AuditEvent e = event(caller, "testcase.product.create", "testcase.product.created", json::object(), now);
  return {std::move(e), [caller, draft, now](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<ProductRecord> {
            std::uint32_t participant = caller.actor.participant;
            if (draft.participant && *draft.participant != participant) {
              if (!caller.central) return not_permitted("a participant registers its own products");
              participant = *draft.participant;
            }
            auto id = next_id(txn, kMetaLastProduct);
            if (!id) return std::move(id).error();
            ProductRecord r{*id, participant, draft.vendor, draft.name, draft.version, now, caller.actor.label()};
            if (Status s = txn.put(storage::Table::testcase_products, id_key(r.id), encode_product(r)); !s)
              return std::move(s).error();
            ev.target = {{"product", r.id}, {"participant", r.participant}};
            return r;
          }};
}

Op<SubmitOutcome> TestcaseService::submit(const Caller& caller, SubmissionDraft draft) const {
  const UnixTime now = clock_.now();
  auto d = std::make_shared<SubmissionDraft>(std::move(draft));
  storage::AuditEvent e =
      event(caller, "testcase.submission.file", "testcase.submission.filed",
            json{{"case", d->case_id}, {"product", d->product}}, now);
  return {std::move(e), [caller, d, now](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<SubmitOutcome> {
            auto product = get_product(txn, d->product);
            if (!product) return std::move(product).error();
            if (!*product) return product_not_found(d->product);
            if (!caller.central && (*product)->participant != caller.actor.participant)
              return not_permitted("a participant submits for its own products");
            auto latest = readable_latest(txn, caller, d->case_id);
            if (!latest) return std::move(latest).error();
            if (latest->state == State::deprecated)
              return make_error(ErrorKind::conflict, "case_deprecated", "the case is deprecated");
            if (latest->state == State::draft && !is_owner(caller, *latest) && !caller.central)
              return make_error(ErrorKind::conflict, "case_draft", "the case is a draft of its owner");
            CaseRecord target = *latest;
            if (d->version && *d->version != latest->version) {
              auto old = get_case(txn, d->case_id, d->version);
              if (!old) return std::move(old).error();
              if (!*old)
                return make_error(ErrorKind::not_found, "case_not_found",
                                  "case " + std::to_string(d->case_id) + " has no version " + std::to_string(*d->version));
              target = std::move(**old);
            }
            ev.target["version"] = target.version;
            auto observed = parse_verdict(d->observed, target.kind, "observed");
            if (!observed) return std::move(observed).error();
            SubmitOutcome out;
            SubmissionRecord& s = out.submission;
            if (d->report) {
              const Sha256 digest = sha256(*d->report);
              s.report_sha256 = hex_encode(digest);
              auto put = txn.put_if_absent(storage::Table::testcase_blobs, ByteView(digest.data(), digest.size()), *d->report);
              if (!put) return std::move(put).error();
            }
            auto id = next_id(txn, kMetaLastSubmission);
            if (!id) return std::move(id).error();
            s.id = *id;
            s.product = d->product;
            s.participant = (*product)->participant;
            s.case_id = target.id;
            s.case_version = target.version;
            s.observed = std::move(*observed);
            s.agrees = agrees(target.expected, s.observed);
            s.submitted = now;
            s.actor = caller.actor.label();
            if (Status st = txn.put(storage::Table::testcase_submissions, id_key(s.id), encode_submission(s)); !st)
              return std::move(st).error();
            // The tally of the case version: this product's latest observation.
            auto tally = get_tally(txn, target.id, target.version);
            if (!tally) return std::move(tally).error();
            (*tally)[s.product] = TallyEntry{s.id, (*product)->vendor, verdict_key(s.observed),
                                             outcome_of(target.expected, s.observed), now};
            if (Status st = txn.put(storage::Table::meta, as_bytes(tally_key(target.id, target.version)),
                                    encode_tally(*tally));
                !st)
              return std::move(st).error();
            // The automatic dispute, in this commit.
            if (target.version == latest->version &&
                (latest->state == State::accepted || latest->state == State::proposed)) {
              if (auto c = contradiction(*tally)) {
                latest->state = State::disputed;
                latest->state_changed = now;
                if (Status st = put_case(txn, *latest); !st) return std::move(st).error();
                json observed_json = json::parse(c->key, nullptr, false);
                json payload = {{"issuer", ""},
                                {"participant", latest->owner},
                                {"case", latest->id},
                                {"version", latest->version},
                                {"title", latest->title},
                                {"expected", verdict_json(latest->expected)},
                                {"observed", std::move(observed_json)},
                                {"products", c->products},
                                {"vendors", c->vendors}};
                auto seq = storage::append_event(
                    txn, {"testcase.disputed", caller.actor.label(),
                          payload.dump(-1, ' ', false, json::error_handler_t::replace), now});
                if (!seq) return std::move(seq).error();
                out.disputed = true;
              }
            }
            ev.target["submission"] = s.id;
            ev.details = {{"agrees", s.agrees}, {"disputed", out.disputed}};
            return out;
          }};
}

Op<CampaignRecord> TestcaseService::create_campaign(const Caller& caller, CampaignDraft draft) const {
  const UnixTime now = clock_.now();
  storage::AuditEvent e =
      event(caller, "testcase.campaign.create", "testcase.campaign.created", json{{"product", draft.product}}, now);
  return {std::move(e), [caller, draft, now](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<CampaignRecord> {
            auto product = get_product(txn, draft.product);
            if (!product) return std::move(product).error();
            if (!*product) return product_not_found(draft.product);
            if (!caller.central && (*product)->participant != caller.actor.participant)
              return not_permitted("a campaign is for one of the participant's own products");
            CampaignRecord r;
            r.product = draft.product;
            r.participant = (*product)->participant;
            r.selector = draft.selector;
            r.created = now;
            r.expires = draft.expires;
            r.sample = draft.sample;
            r.actor = caller.actor.label();
            // The accepted cases (latest versions) the caller may read and the selector picks.
            const Reader reader = reader_of(caller);
            std::optional<Bytes> pending;
            std::uint64_t pending_id = 0;
            Status error;
            auto take = [&]() -> bool {
              if (!pending) return true;
              auto c = decode_case(*pending);
              pending.reset();
              if (!c) {
                error = std::move(c).error();
                return false;
              }
              if (c->state == State::accepted && may_read(reader, *c) && selects(r.selector, *c))
                r.cases.push_back(CampaignCase{c->id, c->version});
              return r.cases.size() < kMaxCampaignCases;
            };
            Status walked = storage::for_each(txn, storage::Table::testcase_cases, [&](ByteView key, ByteView value) -> bool {
              if (key.size() != 12) return true;
              const std::uint64_t cid = get_be64(key.data());
              if (pending && cid != pending_id && !take()) return false;
              pending = to_bytes(value);
              pending_id = cid;
              return true;
            });
            if (!walked) return std::move(walked).error();
            if (error) take();
            if (!error) return std::move(error).error();
            if (r.cases.empty())
              return make_error(ErrorKind::unprocessable, "campaign_empty", "no accepted case matches the selector");
            auto id = next_id(txn, kMetaLastCampaign);
            if (!id) return std::move(id).error();
            r.id = *id;
            if (Status s = txn.put(storage::Table::testcase_campaigns, id_key(r.id), encode_campaign(r)); !s)
              return std::move(s).error();
            ev.target["campaign"] = r.id;
            ev.details = {{"cases", r.cases.size()}, {"sample", r.sample}};
            return r;
          }};
}

Result<SeedOutcome> seed_case(storage::Writer& writer, const Clock& clock, const SeedCase& seed) {
  if (seed.name.empty() || seed.name.size() > 200)
    return make_error(ErrorKind::invalid, "case_invalid", "a seed's name is 1 to 200 bytes");
  for (const NewInput& n : seed.draft.inputs)
    if (n.bytes && n.bytes->size() > kMaxArtefactBytes)
      return make_error(ErrorKind::too_large, "artefact_too_large", "an artefact is at most 4 MiB");
  const std::string tag = "seed:" + seed.name;
  const UnixTime now = clock.now();
  Caller central{Actor::bootstrap(), true};
  storage::AuditEvent e = event(central, "testcase.case.seed", "testcase.case.seeded", json::object(), now);
  e.actor = "testbed";
  e.details = {{"seed", seed.name}};
  auto d = std::make_shared<CaseDraft>(seed.draft);
  storage::AuditedWrite audited(writer);
  return audited.run_sync<SeedOutcome>(std::move(e), [d, tag, now](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<SeedOutcome> {
    std::optional<SeedOutcome> found;
    Status error;
    Status walked = storage::for_each(txn, storage::Table::testcase_cases, [&](ByteView, ByteView value) -> bool {
      if (as_chars(value).find(tag) == std::string_view::npos) return true;
      auto c = decode_case(value);
      if (!c) {
        error = std::move(c).error();
        return false;
      }
      if (std::find(c->tags.begin(), c->tags.end(), tag) != c->tags.end()) {
        if (!found || found->id != c->id || found->version < c->version) found = SeedOutcome{c->id, c->version, false};
      }
      return true;
    });
    if (!walked) return std::move(walked).error();
    if (!error) return std::move(error).error();
    if (found) {
      ev.recorded = false;
      return *found;
    }
    CaseDraft draft_copy = *d;
    if (Status s = check_producer(txn, draft_copy.producer_product); !s) return std::move(s).error();
    auto inputs = store_inputs(txn, draft_copy.inputs);
    if (!inputs) return std::move(inputs).error();
    auto id = next_id(txn, kMetaLastCase);
    if (!id) return std::move(id).error();
    CaseRecord r;
    r.id = *id;
    fill(r, draft_copy, std::move(*inputs));
    if (std::find(r.tags.begin(), r.tags.end(), tag) == r.tags.end()) r.tags.push_back(tag);
    r.owner = 0;
    r.state = State::accepted;
    r.created = now;
    r.state_changed = now;
    r.actor = "testbed";
    if (Status s = put_case(txn, r); !s) return std::move(s).error();
    ev.target = {{"case", r.id}, {"version", r.version}};
    return SeedOutcome{r.id, r.version, true};
  });
}

}  // namespace trustmon::testcases
