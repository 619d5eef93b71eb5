#include "responder/routes/stats_report_routes.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "common/time.hpp"
#include "responder/access/model.hpp"
#include "responder/access/service.hpp"
#include "responder/pki/cms.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"
#include "responder/stats/drilldown.hpp"
#include "responder/stats/series.hpp"

namespace trustmon::routes {

class StatsReportRoutes {
 public:
  StatsReportRoutes() : pool_(2, "reports", kNice) {}
  ThreadPool& pool() { return pool_; }

 private:
  static constexpr int kNice = 10;  // below the loops, like the series queries
  ThreadPool pool_;
};

namespace {

using nlohmann::json;

constexpr std::size_t kMaxCellCertificates = 10000;

struct Context {
  ApiContext& api;
  storage::Env& env;
  stats::ReportService& service;
  ThreadPool& pool;
};

Error not_permitted(const std::string& why) { return make_error(ErrorKind::forbidden, "stats_report_not_permitted", why); }

json problems_json(const std::vector<stats::Problem>& ps) {
  json a = json::array();
  for (const auto& p : ps) a.push_back(p.to_json());
  return a;
}

bool media_is(std::optional<std::string_view> header, std::string_view type) {
  if (!header) return false;
  std::string_view h = *header;
  const auto semi = h.find(';');
  if (semi != std::string_view::npos) h = h.substr(0, semi);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  if (h.size() != type.size()) return false;
  for (std::size_t i = 0; i < h.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(h[i])) != type[i]) return false;
  return true;
}

// Is the signer's certificate bound to one of `participant`'s representatives as an
// active client-certificate credential?
Status signer_belongs(const storage::ReadTxn& txn, ByteView signer_der, std::uint32_t participant, UnixTime now) {
  const Error refused = make_error(ErrorKind::forbidden, "signer_not_representative",
                                   "the signer's certificate is not a credential of one of the provider's representatives");
  auto got = txn.get(storage::Table::credential_lookup,
                     access::lookup_key(access::CredentialKind::certificate, sha256(signer_der)));
  if (!got) return std::move(got).error();
  if (!*got || (*got)->size() != 4) return refused;
  auto credential = access::get_credential(txn, get_be32((*got)->data()));
  if (!credential) return std::move(credential).error();
  if (!*credential || (*credential)->revoked != 0 || ((*credential)->expires != 0 && (*credential)->expires <= now))
    return refused;
  auto rep = access::get_representative(txn, (*credential)->representative);
  if (!rep) return std::move(rep).error();
  if (!*rep || (*rep)->participant != participant || (*rep)->status != access::EntityStatus::active) return refused;
  return {};
}

std::optional<std::uint32_t> parse_revision(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || p != text->data() + text->size()) return 0;  // refused as revision_invalid
  return v;
}

void reply_filed(http::Request& req, Result<stats::FilingOutcome> r, const std::vector<stats::Problem>& problems) {
  if (!r) {
    const Error& e = r.error();
    if (e.code == "report_invalid")
      return req.reply_json(422, json{{"error", {{"code", e.code}, {"message", e.message}, {"problems", problems_json(problems)}}}},
                            {{"Cache-Control", "no-store"}});
    if (!e.is_refusal()) log().error("stats report: {}: {}", e.code, e.message);
    return req.reply_error(e);
  }
  req.reply_json(201, json{{"id", r->id}, {"revision", r->revision}, {"warnings", problems_json(r->warnings)}},
                 {{"Cache-Control", "no-store"}});
}

void handle_file(http::Request& req, Context& c) {
  constexpr std::string_view kAction = "stats.report.file";
  auto principal = guard(req, c.api, access::Need::write, kAction);
  if (!principal) return;
  if (principal->bootstrap || principal->kind != access::ParticipantKind::qtsp)
    return deny(req, c.api, principal->actor, kAction, json::object(),
                not_permitted("reports are filed by providers (a QTSP's operator)"));
  const ByteView body = req.body();
  if (body.empty()) return req.reply_error(400, "body_missing", "the report is the body");
  const auto type = req.header("Content-Type");
  const bool signed_body = media_is(type, "application/pkcs7-mime") || media_is(type, "application/cms");
  const std::size_t cap = signed_body ? pki::kMaxCmsBytes : stats::kMaxReportBytes;
  if (body.size() > cap) return req.reply_error(413, "body_too_large", "a report is at most 4 MiB (8 MiB signed)");
  stats::Filing filing;
  filing.actor = principal->actor;
  filing.provider = principal->participant_name;
  filing.csv_revision = parse_revision(req.query("revision"));
  const auto format = req.query("format");
  if (!signed_body) {
    if (media_is(type, "text/csv")) filing.format = stats::ReportFormat::csv;
    else if (type && !media_is(type, "application/json"))
      return req.reply_error(415, "media_type_unsupported", "send application/json, text/csv or application/pkcs7-mime");
    filing.text.assign(as_chars(body));
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  Bytes raw = signed_body ? to_bytes(body) : Bytes();
  c.pool.submit([shared, &c, filing = std::move(filing), raw = std::move(raw), signed_body, format,
                 actor = principal->actor]() mutable {
    if (signed_body) {
      auto verified = pki::verify_cms(raw);
      if (!verified) return shared->reply_error(verified.error());
      Snapshot snap;
      if (Status s = snap.open(c.env); !s) return shared->reply_error(s.error());
      const UnixTime now = c.api.clock.now();
      auto issuer = pki::check_signer(*snap.txn, c.api.issuers, verified->signer.get(), now);
      Status owner = issuer ? signer_belongs(*snap.txn, verified->signer_der, actor.participant, now) : Status{};
      if (!issuer || !owner) {
        const Error why = !issuer ? issuer.error() : owner.error();
        if (!why.is_refusal()) return shared->reply_error(why);
        return deny(*shared, c.api, actor, "stats.report.file",
                    json{{"signer_sha256", hex_encode(sha256(verified->signer_der))}}, why);
      }
      filing.text.assign(as_chars(verified->content));
      const bool csv = format ? *format == "csv" : (filing.text.find_first_not_of(" \t\r\n") != std::string::npos &&
                                                    filing.text[filing.text.find_first_not_of(" \t\r\n")] != '{');
      filing.format = csv ? stats::ReportFormat::csv : stats::ReportFormat::json;
      stats::ReportSignature sig;
      sig.cms = std::move(verified->cms_der);
      sig.signer_sha256 = hex_encode(sha256(verified->signer_der));
      sig.signer_subject = x509_name_text(X509_get_subject_name(verified->signer.get()));
      sig.signing_time = verified->signing_time;
      filing.signature = std::move(sig);
    }
    c.service.file(std::move(filing), [shared](Result<stats::FilingOutcome> r, std::vector<stats::Problem> problems) {
      reply_filed(*shared, std::move(r), problems);
    });
  });
}

void handle_list(http::Request& req, Context& c) {
  constexpr std::string_view kAction = "stats.report.list";
  auto principal = guard(req, c.api, access::Need::read, kAction);
  if (!principal) return;
  if (!is_central_body(*principal) && principal->kind != access::ParticipantKind::qtsp)
    return deny(req, c.api, principal->actor, kAction, json::object(),
                not_permitted("reports are for providers (their own) and the central body"));
  const std::optional<std::uint32_t> only = is_central_body(*principal) ? std::nullopt : std::optional(principal->actor.participant);
  reply_read(req, [only](const storage::ReadTxn& txn) -> Result<json> {
    auto list = stats::list_reports(txn, only);
    if (!list) return std::move(list).error();
    json arr = json::array();
    for (const auto& r : *list) arr.push_back(stats::stored_report_json(r, false));
    return json{{"reports", std::move(arr)}};
  });
}

// The report {id} if the caller may read it; otherwise the request is answered (404, or
// 403 recorded) and nullopt returned.
std::optional<stats::StoredReport> readable_report(http::Request& req, Context& c, std::string_view action,
                                                   std::optional<access::Principal>& principal) {
  auto id = path_id<std::uint64_t>(req);
  if (!id) return std::nullopt;
  principal = guard(req, c.api, access::Need::read, action);
  if (!principal) return std::nullopt;
  std::optional<stats::StoredReport> found;
  {
    WorkerState& state = worker_state(req);
    storage::ReadScope scope(state.txn);
    if (!scope.status()) {
      req.reply_error(503, "storage_unavailable", "cannot read");
      return std::nullopt;
    }
    auto got = stats::get_report(state.txn, *id);
    if (!got) {
      req.reply_error(got.error());
      return std::nullopt;
    }
    if (!*got) {
      req.reply_error(404, "report_not_found", "no report " + std::to_string(*id));
      return std::nullopt;
    }
    found = std::move(**got);
  }
  if (!is_central_body(*principal) && (principal->kind != access::ParticipantKind::qtsp ||
                                found->participant != principal->actor.participant)) {
    deny(req, c.api, principal->actor, action, json{{"report", *id}},
         not_permitted("a provider reads its own reports only"));
    return std::nullopt;
  }
  return found;
}

void handle_get(http::Request& req, Context& c) {
  std::optional<access::Principal> principal;
  auto report = readable_report(req, c, "stats.report.get", principal);
  if (!report) return;
  if (const auto f = req.query("format"); f && *f == "csv")
    return req.reply(200, "text/csv; charset=utf-8; header=present", std::string_view(stats::report_to_csv(report->report)),
                     {{"Cache-Control", "no-store"}});
  req.reply_json(200, stats::stored_report_json(*report, true), {{"Cache-Control", "no-store"}});
}

// A derived cell of the report: the observation's metric (derived), its issuer and its
// other dimensions as codes. nullopt for report-only metrics and cells without a value.
struct DerivedCell {
  stats::Metric metric;
  storage::IssuerId issuer = 0;
  std::map<stats::Dim, std::uint32_t> dims;  // without the issuer
};

std::optional<DerivedCell> derived_cell(const stats::Observation& o, const pki::IssuerSet& issuers) {
  const auto metric = stats::parse_metric(o.metric);
  if (!metric) return std::nullopt;
  DerivedCell cell{*metric, 0, {}};
  for (const auto& [name, code] : o.dims) {
    const auto dim = stats::parse_dim(name);
    if (!dim) return std::nullopt;
    if (*dim == stats::Dim::issuer) {
      const pki::Issuer* issuer = issuers.find_by_name(code);
      if (!issuer) return std::nullopt;
      cell.issuer = issuer->id;
      continue;
    }
    const auto c = stats::parse_code(*dim, code);
    if (!c) return std::nullopt;
    cell.dims[*dim] = *c;
  }
  if (cell.issuer == 0) return std::nullopt;
  return cell;
}

// The derived value of a cell over the report's period: read_series with the cell's
// dimensions as the breakdown and as filters.
Result<std::int64_t> derived_value(storage::ReadTxn& txn, const DerivedCell& cell, const stats::Period& period) {
  stats::SeriesQuery q;
  q.metric = cell.metric;
  q.freq = period.freq;
  q.from = period.first;
  q.to = period.end - 1;
  q.issuers = std::set<storage::IssuerId>{cell.issuer};
  q.by.push_back(stats::Dim::issuer);
  q.only[stats::Dim::issuer] = {cell.issuer};
  for (const auto& [dim, code] : cell.dims) {
    q.by.push_back(dim);
    q.only[dim] = {code};
  }
  auto series = stats::read_series(txn, q);
  if (!series) return std::move(series).error();
  std::int64_t sum = 0;
  for (const auto& line : series->lines)
    for (const auto& point : line.points)
      if (point.period == period) sum += point.value;
  return sum;
}

json cell_json(std::size_t index, const stats::Observation& o) {
  return json{{"cell", index}, {"metric", o.metric}, {"dims", o.dims}, {"cell_text", stats::cell_text(o)}};
}

void handle_reconciliation(http::Request& req, Context& c) {
  std::optional<access::Principal> principal;
  auto report = readable_report(req, c, "stats.report.reconciliation", principal);
  if (!report) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, report = std::move(*report)] {
    Snapshot snap;
    if (Status s = snap.open(c.env); !s) return shared->reply_error(s.error());
    json cells = json::array();
    for (std::size_t i = 0; i < report.report.observations.size(); ++i) {
      const stats::Observation& o = report.report.observations[i];
      const auto cell = derived_cell(o, c.api.issuers);
      if (!cell || !o.value) continue;
      auto derived = derived_value(*snap.txn, *cell, report.report.period);
      if (!derived) {
        if (!derived.error().is_refusal()) log().error("reconciliation: {}", derived.error().message);
        return shared->reply_error(derived.error());
      }
      json e = cell_json(i, o);
      e["reported"] = *o.value;
      e["derived"] = *derived;
      e["delta"] = *o.value - *derived;
      cells.push_back(std::move(e));
    }
    shared->reply_json(200,
                       json{{"report", report.id},
                            {"period", stats::period_label(report.report.period)},
                            {"revision", report.report.revision},
                            {"computed_at", format_rfc3339(c.api.clock.now())},
                            {"cells", std::move(cells)}},
                       {{"Cache-Control", "no-store"}});
  });
}

void handle_cell(http::Request& req, Context& c) {
  std::optional<access::Principal> principal;
  const std::string_view cell_param = req.path_param("cell");
  std::size_t index = 0;
  {
    auto [p, ec] = std::from_chars(cell_param.data(), cell_param.data() + cell_param.size(), index);
    if (ec != std::errc() || p != cell_param.data() + cell_param.size())
      return req.reply_error(404, "cell_not_found", "a cell is named by its observation's index in the report");
  }
  std::size_t limit = 1000;
  if (const auto l = req.query("limit")) {
    auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc() || p != l->data() + l->size() || limit == 0 || limit > kMaxCellCertificates)
      return req.reply_error(400, "limit_invalid", "limit is 1 to 10000");
  }
  auto report = readable_report(req, c, "stats.report.cell", principal);
  if (!report) return;
  if (index >= report->report.observations.size())
    return req.reply_error(404, "cell_not_found", "the report has " + std::to_string(report->report.observations.size()) + " observations");
  const stats::Observation o = report->report.observations[index];
  const auto cell = derived_cell(o, c.api.issuers);
  if (!cell)
    return req.reply_error(make_error(ErrorKind::unprocessable, "cell_not_derived",
                                      "the cell is a report-only metric: trustmon holds no certificates for it"));
  if (cell->metric == stats::Metric::certs_released)
    return req.reply_error(make_error(ErrorKind::unprocessable, "cell_not_listable",
                                      "releases from hold are counted, but no record keeps which certificates"));
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, report = std::move(*report), o, cell = *cell, index, limit] {
    Snapshot snap;
    if (Status s = snap.open(c.env); !s) return shared->reply_error(s.error());
    const stats::Calendar& cal = c.service.calendar();
    stats::CellQuery q;
    q.metric = cell.metric;
    q.period = report.report.period;
    q.issuer = cell.issuer;
    q.dims = cell.dims;
    q.closed_at = cal.start_of(report.report.period.end);
    q.limit = limit;
    auto found = stats::certificates_in_cell(*snap.txn, cal, q);
    if (!found) {
      if (!found.error().is_refusal()) log().error("reconciliation cell: {}", found.error().message);
      return shared->reply_error(found.error());
    }
    auto derived = derived_value(*snap.txn, cell, report.report.period);
    if (!derived) return shared->reply_error(derived.error());
    json list = json::array();
    const auto when = [](UnixTime t) { return t ? json(format_rfc3339(t)) : json(nullptr); };
    for (const auto& cert : found->certificates)
      list.push_back({{"issuer", o.dims.at("issuer")},
                      {"serial", cert.serial_hex},
                      {"sha256", cert.sha256_hex.empty() ? json(nullptr) : json(cert.sha256_hex)},
                      {"not_before", when(cert.not_before)},
                      {"not_after", when(cert.not_after)},
                      {"ingested_at", when(cert.ingested_at)},
                      {"revocation_time", when(cert.revocation_time)},
                      {"pushed_late", cert.pushed_late}});
    json body = cell_json(index, o);
    body["report"] = report.id;
    body["period"] = stats::period_label(report.report.period);
    body["reported"] = o.value ? json(*o.value) : json(nullptr);
    body["derived"] = *derived;
    body["delta"] = o.value ? json(*o.value - *derived) : json(nullptr);
    body["closed_at"] = format_rfc3339(q.closed_at);
    body["count"] = found->count;
    body["truncated"] = found->truncated;
    body["certificates"] = std::move(list);
    shared->reply_json(200, body, {{"Cache-Control", "no-store"}});
  });
}

}  // namespace

std::shared_ptr<StatsReportRoutes> add_stats_report_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                                           stats::ReportService& service) {
  auto routes = std::make_shared<StatsReportRoutes>();
  auto c = std::make_shared<Context>(Context{ctx, env, service, routes->pool()});
  using M = http::Method;
  router.add(M::Post, "/api/v1/stats/reports", [c](http::Request& req) { handle_file(req, *c); }, http::kBulkRoute);
  router.add(M::Get, "/api/v1/stats/reports", [c](http::Request& req) { handle_list(req, *c); }, http::kApiRoute);
  router.add(M::Get, "/api/v1/stats/reports/{id}", [c](http::Request& req) { handle_get(req, *c); }, http::kApiRoute);
  router.add(M::Get, "/api/v1/stats/reports/{id}/reconciliation",
             [c](http::Request& req) { handle_reconciliation(req, *c); }, http::kApiRoute);
  router.add(M::Get, "/api/v1/stats/reports/{id}/reconciliation/{cell}", [c](http::Request& req) { handle_cell(req, *c); },
             http::kApiRoute);
  return routes;
}

}  // namespace trustmon::routes
