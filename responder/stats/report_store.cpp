// See report_store.hpp.
#include "responder/stats/report_store.hpp"

#include "common/time.hpp"
#include "storage/scan.hpp"

namespace trustmon::stats {
namespace {

using nlohmann::json;

Error corrupt(const std::string& what) {
  return make_error(ErrorKind::storage, "storage_corrupt", "stats report record: " + what);
}

Bytes id_key(std::uint64_t id) {
  Bytes k(8);
  put_be64(k.data(), id);
  return k;
}

json problems_json(const std::vector<Problem>& ps) {
  json a = json::array();
  for (const Problem& p : ps) a.push_back(p.to_json());
  return a;
}

std::vector<Problem> problems_from(const json& a) {
  std::vector<Problem> out;
  for (const json& e : a) {
    Problem p;
    p.pointer = e.value("pointer", "");
    p.row = e.value("row", std::size_t{0});
    p.column = e.value("column", "");
    p.code = e.value("code", "");
    p.message = e.value("message", "");
    out.push_back(std::move(p));
  }
  return out;
}

const char* format_name(ReportFormat f) { return f == ReportFormat::csv ? "csv" : "json"; }

// The provider's reports (every revision) in the write transaction.
template <storage::Transaction Txn>
Result<std::vector<StoredReport>> own_reports(const Txn& txn, std::uint32_t participant) {
  return storage::collect(txn, storage::Table::stats_reports, decode_report_record,
                          [participant](const StoredReport& r) { return r.participant == participant; });
}

}  // namespace

Bytes encode_report_record(const StoredReport& r) {
  json j = {{"id", r.id},
            {"participant", r.participant},
            {"provider", r.provider},
            {"filed_at", r.filed_at},
            {"actor", r.actor},
            {"format", format_name(r.report.format)},
            {"report", report_to_json(r.report)},
            {"warnings", problems_json(r.warnings)},
            {"source", r.source}};
  if (r.signature) {
    json s = {{"cms", base64_encode(r.signature->cms)},
              {"signer_sha256", r.signature->signer_sha256},
              {"signer_subject", r.signature->signer_subject}};
    if (r.signature->signing_time) s["signing_time"] = *r.signature->signing_time;
    j["signature"] = std::move(s);
  }
  const std::string t = j.dump(-1, ' ', false, json::error_handler_t::replace);
  Bytes out;
  out.reserve(t.size() + 1);
  out.push_back(kReportRecordFormat);
  out.insert(out.end(), t.begin(), t.end());
  return out;
}

Result<StoredReport> decode_report_record(ByteView value) {
  if (value.empty() || value[0] != kReportRecordFormat) return corrupt("unknown format");
  const std::string_view body = as_chars(value.subspan(1));
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt("not JSON");
  StoredReport r;
  try {
    r.id = j.at("id").get<std::uint64_t>();
    r.participant = j.at("participant").get<std::uint32_t>();
    r.provider = j.at("provider").get<std::string>();
    r.filed_at = j.at("filed_at").get<UnixTime>();
    r.actor = j.at("actor").get<std::string>();
    auto report = report_from_stored_json(j.at("report"));
    if (!report) return std::move(report).error();
    r.report = std::move(*report);
    r.report.format = j.at("format").get<std::string>() == "csv" ? ReportFormat::csv : ReportFormat::json;
    r.warnings = problems_from(j.at("warnings"));
    r.source = j.at("source").get<std::string>();
    if (auto s = j.find("signature"); s != j.end()) {
      ReportSignature sig;
      auto cms = base64_decode(s->at("cms").get<std::string>());
      if (!cms) return corrupt("signature");
      sig.cms = std::move(*cms);
      sig.signer_sha256 = s->at("signer_sha256").get<std::string>();
      sig.signer_subject = s->at("signer_subject").get<std::string>();
      if (auto t = s->find("signing_time"); t != s->end()) sig.signing_time = t->get<UnixTime>();
      r.signature = std::move(sig);
    }
  } catch (const json::exception&) {
    return corrupt("fields");
  }
  return r;
}

Result<std::optional<StoredReport>> get_report(const storage::ReadTxn& txn, std::uint64_t id) {
  auto v = txn.get(storage::Table::stats_reports, id_key(id));
  if (!v) return std::move(v).error();
  if (!v->has_value()) return std::optional<StoredReport>();
  auto r = decode_report_record(**v);
  if (!r) return std::move(r).error();
  return std::optional<StoredReport>(std::move(*r));
}

Result<std::vector<StoredReport>> list_reports(const storage::ReadTxn& txn, std::optional<std::uint32_t> participant) {
  return storage::collect(txn, storage::Table::stats_reports, decode_report_record,
                          [participant](const StoredReport& r) { return !participant || r.participant == *participant; });
}

json stored_report_json(const StoredReport& r, bool full) {
  json j = {{"id", r.id},
            {"participant", r.participant},
            {"provider", r.provider},
            {"period", period_label(r.report.period)},
            {"freq", std::string(1, freq_sdmx(r.report.period.freq))},
            {"start", date_text(r.report.period.first)},
            {"revision", r.report.revision},
            {"filed_at", format_rfc3339(r.filed_at)},
            {"filed_by", r.actor},
            {"format", format_name(r.report.format)},
            {"observations", r.report.observations.size()},
            {"warnings", r.warnings.size()},
            {"signed", r.signature.has_value()}};
  if (!full) return j;
  j["report"] = report_to_json(r.report);
  j["warnings"] = problems_json(r.warnings);
  if (r.signature) {
    json s = {{"signer_sha256", r.signature->signer_sha256},
              {"signer_subject", r.signature->signer_subject},
              {"cms", base64_encode(r.signature->cms)}};
    if (r.signature->signing_time) s["signing_time"] = format_rfc3339(*r.signature->signing_time);
    j["signature"] = std::move(s);
  }
  return j;
}

// ---- the filing service -------------------------------------------------------------

struct ReportService::Prepared {
  Filing filing;
  ReportCheck check;
  ReportContext ctx;  // without history; completed inside the job
  UnixTime now = 0;
  // What the job found out, read by the done callback (reset on every run).
  std::vector<Problem> problems;
};

ReportService::ReportService(storage::Writer& writer, const Clock& clock, const Calendar& calendar,
                             const CodeLists& code_lists, std::map<std::string, std::uint32_t, std::less<>> issuers)
    : audited_(writer), clock_(clock), calendar_(calendar), code_lists_(code_lists), issuers_(std::move(issuers)) {}

ReportContext ReportService::context(const Actor& actor, const std::string& provider) const {
  ReportContext ctx;
  ctx.calendar = &calendar_;
  ctx.today = calendar_.day_of(clock_.now());
  ctx.code_lists = &code_lists_;
  for (const auto& [name, id] : issuers_) ctx.issuers[name] = actor.may_write_issuer(id);
  ctx.provider_name = provider;
  ctx.history_known = false;
  return ctx;
}

std::shared_ptr<ReportService::Prepared> ReportService::prepare(Filing filing) const {
  auto p = std::make_shared<Prepared>();
  p->now = clock_.now();
  p->ctx = context(filing.actor, filing.provider);
  p->check = filing.format == ReportFormat::csv ? check_report_csv(filing.text, filing.csv_revision, p->ctx)
                                                : check_report_json(filing.text, p->ctx);
  p->filing = std::move(filing);
  return p;
}

storage::AuditEvent ReportService::event_of(const Prepared& p) const {
  const Report& r = p.check.report;
  storage::AuditEvent e = storage::action_event(
      p.filing.actor.label(), "stats.report.file",
      json{{"participant", p.filing.actor.participant}, {"period", period_label(r.period)}, {"revision", r.revision}},
      p.now);
  e.type = "stats.report.filed";
  e.refused_type = "stats.report.refused";
  e.details = {{"format", format_name(p.filing.format)},
               {"observations", r.observations.size()},
               {"signed", p.filing.signature.has_value()}};
  return e;
}

storage::AuditedWrite::Apply<FilingOutcome> ReportService::apply_of(std::shared_ptr<Prepared> p) {
  return [p](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<FilingOutcome> {
    ReportCheck check = p->check;  // each run starts from the check as prepared
    p->problems.clear();
    const Report& r = check.report;
    const bool period_known = r.period.end > r.period.first;
    if (period_known) {
      auto mine = own_reports(txn, p->filing.actor.participant);
      if (!mine) return std::move(mine).error();
      ReportContext ctx = p->ctx;
      ctx.history_known = true;
      const Period before = period_containing(r.period.freq, r.period.first - 1);
      const StoredReport* previous = nullptr;
      for (const StoredReport& s : *mine) {
        if (s.report.period == r.period) ctx.last_revision = std::max(ctx.last_revision, s.report.revision);
        if (s.report.period == before && (!previous || s.report.revision > previous->report.revision)) previous = &s;
      }
      if (previous) ctx.previous_period = &previous->report;
      check_against_history(check, ctx);
    }
    if (!check.ok()) {
      json codes = json::array();
      for (std::size_t i = 0; i < check.errors.size() && i < 20; ++i) codes.push_back(check.errors[i].code);
      ev.details["problems"] = check.errors.size();
      ev.details["codes"] = std::move(codes);
      p->problems = check.errors;
      return make_error(ErrorKind::unprocessable, "report_invalid",
                        std::to_string(check.errors.size()) + " problem(s) in the report; see problems");
    }
    StoredReport s;
    auto id = storage::next_number(txn, storage::Table::stats_reports);
    if (!id) return std::move(id).error();
    s.id = *id;
    s.participant = p->filing.actor.participant;
    s.provider = p->filing.provider;
    s.filed_at = p->now;
    s.actor = p->filing.actor.label();
    s.report = check.report;
    s.warnings = check.warnings;
    if (!p->filing.signature) s.source = p->filing.text;
    s.signature = p->filing.signature;
    if (auto st = txn.put(storage::Table::stats_reports, id_key(s.id), encode_report_record(s)); !st) return st.error();
    ev.target["report"] = s.id;
    ev.details["warnings"] = s.warnings.size();
    return FilingOutcome{s.id, s.report.revision, s.warnings, {}};
  };
}

void ReportService::file(Filing filing, Done done) {
  auto p = prepare(std::move(filing));
  audited_.run<FilingOutcome>(event_of(*p), apply_of(p), [p, done = std::move(done)](Result<FilingOutcome> r) {
    done(std::move(r), p->problems);
  });
}

std::pair<Result<FilingOutcome>, std::vector<Problem>> ReportService::file_sync(Filing filing) {
  auto p = prepare(std::move(filing));
  Result<FilingOutcome> r = audited_.run_sync<FilingOutcome>(event_of(*p), apply_of(p));
  return {std::move(r), p->problems};
}

}  // namespace trustmon::stats
