#include "responder/routes/holder_routes.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "common/time.hpp"
#include "responder/holder/certificates.hpp"
#include "responder/registry/certificate_body.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/events_routes.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/signed_body.hpp"
#include "responder/routes/worker_state.hpp"
#include "responder/watch/webhook.hpp"
#include "storage/records.hpp"

namespace trustmon::routes {

using nlohmann::json;
using holder::RenewalRecord;
using holder::RevocationRequestRecord;

namespace {

json decision_json(const std::optional<holder::Decision>& d) {
  if (!d) return nullptr;
  return {{"by", d->by}, {"at", format_rfc3339(d->at)}, {"reason", d->reason}};
}

json holder_json(const std::string& name, const std::vector<holder::HolderIdentifier>& ids) {
  return {{"name", name}, {"identifiers", holder::identifiers_json(ids)}};
}

std::string issuer_name(const pki::IssuerSet& issuers, std::uint32_t id) {
  const pki::Issuer* issuer = issuers.find_by_id(id);
  return issuer ? issuer->name : "#" + std::to_string(id);
}

// A renewal as the API shows it; `full` adds the signed request and the CSR (base64 DER).
json renewal_json(const RenewalRecord& r, const pki::IssuerSet& issuers, bool full) {
  json csr = {{"sha256", hex_encode(r.csr_sha256)},
              {"spki_sha256", hex_encode(r.spki_sha256)},
              {"pop_verified", r.pop_verified}};
  if (full) csr["der"] = base64_encode(r.csr_der);
  json j = {{"number", holder::renewal_number(r.number)},
            {"state", holder::state_name(r.state)},
            {"created", format_rfc3339(r.created)},
            {"changed", format_rfc3339(r.changed)},
            {"filed_by", r.filed_by},
            {"holder", holder_json(r.holder_name, r.identifiers)},
            {"issuer", issuer_name(issuers, r.current.issuer)},
            {"participant", r.participant},
            {"certificate", holder::cert_json(issuers, r.current)},
            {"reservation", r.reservation},
            {"csr", std::move(csr)},
            {"decision", decision_json(r.decision)},
            {"issued", holder::cert_json(issuers, r.issued)}};
  if (full) j["request"] = base64_encode(r.signed_request);
  return j;
}

json request_json(const RevocationRequestRecord& r, const pki::IssuerSet& issuers, bool full) {
  json j = {{"number", holder::revocation_request_number(r.number)},
            {"state", holder::state_name(r.state)},
            {"created", format_rfc3339(r.created)},
            {"changed", format_rfc3339(r.changed)},
            {"filed_by", r.filed_by},
            {"holder", holder_json(r.holder_name, r.identifiers)},
            {"issuer", issuer_name(issuers, r.target.issuer)},
            {"participant", r.participant},
            {"certificate", holder::cert_json(issuers, r.target)},
            {"reason", storage::reason_name(r.reason)},
            {"signer", holder::cert_json(issuers, r.signer)},
            {"decision", decision_json(r.decision)},
            {"revoked_at", r.revoked_at != 0 ? json(format_rfc3339(r.revoked_at)) : json(nullptr)},
            {"done_by", r.done_by.empty() ? json(nullptr) : json(r.done_by)}};
  if (full) j["request"] = base64_encode(r.signed_request);
  return j;
}

json cert_name_json(const std::optional<holder::CertName>& n) {
  if (!n) return nullptr;
  return {{"issuer", n->issuer}, {"serial", n->serial}};
}

json certificate_json(const holder::HolderCertificate& c) {
  const registry::CertificateSummary& s = c.summary;
  json ids = json::array();
  for (const auto& [kind, value] : s.identifiers) ids.push_back({{"kind", kind}, {"value", value}});
  json j = {{"group", c.group},
            {"issuer", s.issuer},
            {"serial", s.serial_hex},
            {"sha256", s.sha256_hex},
            {"common_name", s.common_name},
            {"subject", s.subject},
            {"identifiers", std::move(ids)},
            {"not_before", format_rfc3339(s.not_before)},
            {"not_after", format_rfc3339(s.not_after)},
            {"status", std::string_view(c.group) == "held" ? "held" : s.status},
            {"revocation", nullptr},
            {"replaces", cert_name_json(c.replaces)},
            {"replaced_by", cert_name_json(c.replaced_by)},
            {"renewal", c.open_renewal ? json(holder::renewal_number(*c.open_renewal)) : json(nullptr)},
            {"revocation_request",
             c.open_revocation_request ? json(holder::revocation_request_number(*c.open_revocation_request))
                                       : json(nullptr)}};
  if (s.revoked)
    j["revocation"] = {{"time", format_rfc3339(s.revocation_time)}, {"reason", storage::reason_name(s.reason)}};
  return j;
}

// An error answer with the facts a client can act on (`details`, when not null).
void reply_refusal(http::Request& req, const Error& e, const json& details = nullptr) {
  if (!e.is_refusal()) log().error("holder request failed: {}: {}", e.code, e.message);
  if (details.is_null()) return req.reply_error(e);
  req.reply_json(http::status_of(e.kind),
                 json{{"error", {{"code", e.code}, {"message", e.message}, {"details", details}}}});
}

holder::HolderRef holder_ref(const access::Principal& p) {
  return holder::HolderRef{p.actor, p.holder->name, p.holder->identifiers};
}

}  // namespace

class HolderRoutes {
 public:
  HolderRoutes(ApiContext& ctx, storage::Env& env, holder::RequestService& requests,
               const registry::CertificateSearch& search, watch::WatchService& watches, registry::Registry& registry)
      : ctx_(ctx),
        env_(env),
        requests_(requests),
        search_(search),
        watches_(watches),
        registry_(registry),
        pool_(1, "holder") {}

  void certificates(http::Request& req);
  void create_watch(http::Request& req);
  void list_watches(http::Request& req);
  void delete_watch(http::Request& req);
  void events(http::Request& req);
  void file_renewal(http::Request& req);
  void file_revocation_request(http::Request& req);
  void list_renewals(http::Request& req);
  void list_requests(http::Request& req);
  void renewal(http::Request& req);
  void request(http::Request& req);
  void decide_renewal(http::Request& req);
  void decide_request(http::Request& req);

 private:
  // The principal when it is a certificate holder; otherwise 403 holder_only (recorded).
  std::optional<access::Principal> holder_only(http::Request& req, std::string_view action);
  // What the principal may read of requests; otherwise 403 participant_kind_not_allowed.
  std::optional<holder::Viewer> viewer(http::Request& req, const access::Principal& p, std::string_view action);
  std::optional<holder::Reviewer> reviewer(http::Request& req, const access::Principal& p, std::string_view action);
  // `state`, `before` and `limit` of a list; replies 400 and returns false when unusable.
  template <typename State, typename ParseState, typename ParseNumber>
  static bool list_query(http::Request& req, ParseState parse_state, ParseNumber parse_number,
                         std::optional<State>& state, std::optional<holder::RequestNumber>& before,
                         std::size_t& limit);
  // A decision body: {"decision": "accept"|"reject", "reason"?}.
  static std::optional<std::pair<holder::Decide, std::string>> decision_body(http::Request& req);

  ApiContext& ctx_;
  storage::Env& env_;
  holder::RequestService& requests_;
  const registry::CertificateSearch& search_;
  watch::WatchService& watches_;
  registry::Registry& registry_;
  ThreadPool pool_;
};

std::optional<access::Principal> HolderRoutes::holder_only(http::Request& req, std::string_view action) {
  auto principal = guard(req, ctx_, access::Need::holder, action);
  if (!principal) return std::nullopt;
  if (!principal->holder) {
    deny(req, ctx_, principal->actor, action, json{{"path", std::string(req.path())}},
         make_error(ErrorKind::forbidden, "holder_only", "only a certificate holder's session may do this"));
    return std::nullopt;
  }
  return principal;
}

std::optional<holder::Viewer> HolderRoutes::viewer(http::Request& req, const access::Principal& p,
                                                   std::string_view action) {
  holder::Viewer v;
  if (p.holder) {
    v.identifiers = p.holder->identifiers;
  } else if (is_central_body(p)) {
    v.central = true;
  } else if (p.kind == access::ParticipantKind::qtsp) {
    v.issuers = p.actor.issuers.value_or(std::vector<std::uint32_t>{});
  } else {
    deny(req, ctx_, p.actor, action, json{{"path", std::string(req.path())}},
         make_error(ErrorKind::forbidden, "participant_kind_not_allowed",
                    "holders' requests are read by the holder, the issuer's provider and the central body"));
    return std::nullopt;
  }
  return v;
}

std::optional<holder::Reviewer> HolderRoutes::reviewer(http::Request& req, const access::Principal& p,
                                                       std::string_view action) {
  holder::Reviewer r;
  r.actor = p.actor;
  if (is_central_body(p)) {
    r.central = true;
  } else if (p.kind == access::ParticipantKind::qtsp) {
    r.issuers = p.actor.issuers.value_or(std::vector<std::uint32_t>{});
  } else {
    deny(req, ctx_, p.actor, action, json{{"path", std::string(req.path())}},
         make_error(ErrorKind::forbidden, "participant_kind_not_allowed",
                    "holders' requests are decided by the issuer's provider or the central body"));
    return std::nullopt;
  }
  return r;
}

template <typename State, typename ParseState, typename ParseNumber>
bool HolderRoutes::list_query(http::Request& req, ParseState parse_state, ParseNumber parse_number,
                              std::optional<State>& state, std::optional<holder::RequestNumber>& before,
                              std::size_t& limit) {
  if (auto s = req.query("state")) {
    state = parse_state(*s);
    if (!state) {
      req.reply_error(400, "invalid_argument", "unknown state \"" + *s + "\"");
      return false;
    }
  }
  if (auto b = req.query("before")) {
    before = parse_number(*b);
    if (!before) {
      req.reply_error(400, "invalid_argument", "before must be a request number");
      return false;
    }
  }
  limit = 50;
  if (auto l = req.query("limit")) {
    auto v = parse_id<std::uint32_t>(*l);
    if (!v || *v > holder::kMaxPageLimit) {
      req.reply_error(400, "invalid_argument", "limit must be 1.." + std::to_string(holder::kMaxPageLimit));
      return false;
    }
    limit = *v;
  }
  return true;
}

std::optional<std::pair<holder::Decide, std::string>> HolderRoutes::decision_body(http::Request& req) {
  auto doc = body_object(req);
  if (!doc) return std::nullopt;
  StringField decision = string_field(req, *doc, "decision");
  if (!decision.ok) return std::nullopt;
  StringField reason = string_field(req, *doc, "reason");
  if (!reason.ok) return std::nullopt;
  if (!decision.value || (*decision.value != "accept" && *decision.value != "reject")) {
    req.reply_error(400, "decision_invalid", "\"decision\" is accept or reject");
    return std::nullopt;
  }
  return std::make_pair(*decision.value == "accept" ? holder::Decide::accept : holder::Decide::reject,
                        reason.value.value_or(""));
}

void HolderRoutes::certificates(http::Request& req) {
  auto principal = holder_only(req, "holder.certificates");
  if (!principal) return;
  const auto format = req.query("format").value_or("json");
  if (format != "json" && format != "csv") return req.reply_error(400, "invalid_argument", "format is json or csv");
  const bool csv = format == "csv";
  auto shared = std::make_shared<http::Request>(std::move(req));
  pool_.submit([this, shared, csv, ids = principal->holder->identifiers] {
    Snapshot snap;
    if (!snap.open(env_)) return shared->reply_error(503, "storage_unavailable", "cannot read");
    auto list = holder::holder_certificates(*snap.txn, search_, ctx_.issuers, ids);
    if (!list) return reply_refusal(*shared, list.error());
    if (csv) {
      return shared->reply(200, "text/csv; charset=utf-8", holder::holder_certificates_csv(*list),
                           {{"Cache-Control", "no-store"},
                            {"Content-Disposition", "attachment; filename=\"my-certificates.csv\""}});
    }
    json groups = {{"valid", json::array()}, {"held", json::array()}, {"revoked", json::array()},
                   {"expired", json::array()}};
    for (const holder::HolderCertificate& c : list->items) groups[c.group].push_back(certificate_json(c));
    shared->reply_json(200,
                       json{{"identifiers", holder::identifiers_json(ids)},
                            {"count", list->items.size()},
                            {"truncated", list->truncated},
                            {"groups", std::move(groups)}},
                       {{"Cache-Control", "no-store"}});
  });
}

void HolderRoutes::create_watch(http::Request& req) {
  auto principal = holder_only(req, "holder.watch.create");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  StringField name = string_field(req, *doc, "name");
  if (!name.ok) return;
  StringField url = string_field(req, *doc, "url");
  if (!url.ok) return;
  watch::NewWatch w;
  w.name = name.value.value_or("my identifiers");
  if (w.name.size() > 200) return req.reply_error(400, "watch_invalid", "\"name\" is at most 200 characters");
  auto values = watch::parse_values(holder::identifiers_json(principal->holder->identifiers));
  if (!values || values->empty())
    return req.reply_error(409, "no_identifiers", "the session names no identifier a watch can follow");
  w.values = std::move(*values);
  w.kinds = watch::kIssued | watch::kRevoked | watch::kKeyReused | watch::kLogin;
  if (url.value) {
    if (auto parsed = watch::parse_http_url(*url.value); !parsed) return req.reply_error(parsed.error());
    w.delivery = watch::Delivery::webhook;
    w.url = *url.value;
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  watches_.create(principal->actor, std::move(w), [shared](Result<json> r) {
    if (!r) return reply_refusal(*shared, r.error());
    shared->reply_json(201, *r, {{"Cache-Control", "no-store"}});
  });
}

void HolderRoutes::list_watches(http::Request& req) {
  auto principal = holder_only(req, "holder.watch.list");
  if (!principal) return;
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    auto list = watch::WatchService::list_holder(txn, principal->actor.holder);
    if (!list) return std::move(list).error();
    json items = json::array();
    for (const auto& w : *list) items.push_back(watch::WatchService::to_json(w));
    return json{{"watches", std::move(items)}};
  });
}

void HolderRoutes::delete_watch(http::Request& req) {
  auto id = path_id<watch::WatchId>(req);
  if (!id) return;
  auto principal = holder_only(req, "holder.watch.delete");
  if (!principal) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  watches_.remove(principal->actor, false, *id, [shared](Result<json> r) {
    if (!r) return reply_refusal(*shared, r.error());
    shared->reply_json(200, *r, {{"Cache-Control", "no-store"}});
  });
}

void HolderRoutes::events(http::Request& req) {
  auto principal = holder_only(req, "holder.events");
  if (!principal) return;
  const watch::WatchService* watches = &watches_;
  EventMatch match = [watches, holder = principal->actor.holder](const storage::ReadTxn& txn,
                                                                  const storage::EventRecord& e,
                                                                  std::vector<json>& out) {
    watches->holder_notifications(txn, e, holder, out);
  };
  if (req.query("wait")) return serve_long_poll(req, ctx_, principal->actor, std::move(match));
  serve_stream(req, ctx_, principal->actor, std::move(match));
}

void HolderRoutes::file_renewal(http::Request& req) {
  constexpr std::string_view kAction = "renewal.request";
  auto principal = holder_only(req, kAction);
  if (!principal) return;
  auto bytes = signed_body(req, "request");
  if (!bytes) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  pool_.submit([this, shared, bytes = std::move(*bytes), holder = holder_ref(*principal), kAction]() mutable {
    json details;
    Result<holder::RenewalDraft> draft = [&]() -> Result<holder::RenewalDraft> {
      Snapshot snap;
      if (Status s = snap.open(env_); !s) return std::move(s).error();
      return requests_.check_renewal(*snap.txn, bytes, holder, &details);
    }();
    if (!draft) {
      if (draft.error().code == "not_your_certificate")
        return deny(*shared, ctx_, holder.actor, kAction, json{{"path", "/api/v1/renewals"}}, draft.error());
      return reply_refusal(*shared, draft.error(), details);
    }
    requests_.file_renewal(std::move(*draft), std::move(holder), [this, shared](Result<RenewalRecord> r) {
      if (!r) return reply_refusal(*shared, r.error());
      shared->reply_json(201, renewal_json(*r, ctx_.issuers, false), {{"Cache-Control", "no-store"}});
    });
  });
}

void HolderRoutes::file_revocation_request(http::Request& req) {
  constexpr std::string_view kAction = "revocation_request.file";
  auto principal = holder_only(req, kAction);
  if (!principal) return;
  auto bytes = signed_body(req, "request");
  if (!bytes) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  pool_.submit([this, shared, bytes = std::move(*bytes), holder = holder_ref(*principal), kAction]() mutable {
    Result<holder::RevocationDraft> draft = [&]() -> Result<holder::RevocationDraft> {
      Snapshot snap;
      if (Status s = snap.open(env_); !s) return std::move(s).error();
      return requests_.check_revocation_request(*snap.txn, bytes, holder);
    }();
    if (!draft) {
      if (draft.error().code == "not_your_certificate")
        return deny(*shared, ctx_, holder.actor, kAction, json{{"path", "/api/v1/revocation-requests"}},
                    draft.error());
      return reply_refusal(*shared, draft.error());
    }
    requests_.file_revocation_request(std::move(*draft), std::move(holder),
                                      [this, shared](Result<RevocationRequestRecord> r) {
                                        if (!r) return reply_refusal(*shared, r.error());
                                        shared->reply_json(201, request_json(*r, ctx_.issuers, false),
                                                           {{"Cache-Control", "no-store"}});
                                      });
  });
}

void HolderRoutes::list_renewals(http::Request& req) {
  constexpr std::string_view kAction = "renewal.list";
  auto principal = guard(req, ctx_, access::Need::holder, kAction);
  if (!principal) return;
  auto v = viewer(req, *principal, kAction);
  if (!v) return;
  std::optional<holder::RenewalState> state;
  std::optional<holder::RequestNumber> before;
  std::size_t limit = 0;
  if (!list_query(req, holder::renewal_state_from_name, holder::parse_renewal_number, state, before, limit)) return;
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    auto page = holder::RequestService::renewals(txn, *v, state, before, limit);
    if (!page) return std::move(page).error();
    json items = json::array();
    for (const auto& r : page->items) items.push_back(renewal_json(r, ctx_.issuers, false));
    return json{{"renewals", std::move(items)},
                {"next", page->next ? json(holder::renewal_number(*page->next)) : json(nullptr)}};
  });
}

void HolderRoutes::list_requests(http::Request& req) {
  constexpr std::string_view kAction = "revocation_request.list";
  auto principal = guard(req, ctx_, access::Need::holder, kAction);
  if (!principal) return;
  auto v = viewer(req, *principal, kAction);
  if (!v) return;
  std::optional<holder::RevocationRequestState> state;
  std::optional<holder::RequestNumber> before;
  std::size_t limit = 0;
  if (!list_query(req, holder::revocation_request_state_from_name, holder::parse_revocation_request_number, state,
                  before, limit))
    return;
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    auto page = holder::RequestService::revocation_requests(txn, *v, state, before, limit);
    if (!page) return std::move(page).error();
    json items = json::array();
    for (const auto& r : page->items) items.push_back(request_json(r, ctx_.issuers, false));
    return json{{"revocation_requests", std::move(items)},
                {"next", page->next ? json(holder::revocation_request_number(*page->next)) : json(nullptr)}};
  });
}

void HolderRoutes::renewal(http::Request& req) {
  constexpr std::string_view kAction = "renewal.read";
  const auto number = holder::parse_renewal_number(req.path_param("number"));
  auto principal = guard(req, ctx_, access::Need::holder, kAction);
  if (!principal) return;
  auto v = viewer(req, *principal, kAction);
  if (!v) return;
  const std::string text(req.path_param("number"));
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    const Error missing = make_error(ErrorKind::not_found, "renewal_not_found", "no renewal " + text);
    if (!number) return missing;
    auto r = holder::RequestService::renewal(txn, *number);
    if (!r) return std::move(r).error();
    if (!*r || !v->sees((*r)->current.issuer, (*r)->identifiers)) return missing;
    return json{{"renewal", renewal_json(**r, ctx_.issuers, true)}};
  });
}

void HolderRoutes::request(http::Request& req) {
  constexpr std::string_view kAction = "revocation_request.read";
  const auto number = holder::parse_revocation_request_number(req.path_param("number"));
  auto principal = guard(req, ctx_, access::Need::holder, kAction);
  if (!principal) return;
  auto v = viewer(req, *principal, kAction);
  if (!v) return;
  const std::string text(req.path_param("number"));
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    const Error missing = make_error(ErrorKind::not_found, "request_not_found", "no revocation request " + text);
    if (!number) return missing;
    auto r = holder::RequestService::revocation_request(txn, *number);
    if (!r) return std::move(r).error();
    if (!*r || !v->sees((*r)->target.issuer, (*r)->identifiers)) return missing;
    return json{{"revocation_request", request_json(**r, ctx_.issuers, true)}};
  });
}

void HolderRoutes::decide_renewal(http::Request& req) {
  constexpr std::string_view kAction = "renewal.decide";
  const std::string text(req.path_param("number"));
  const auto number = holder::parse_renewal_number(text);
  auto principal = guard(req, ctx_, access::Need::write, kAction);
  if (!principal) return;
  auto r = reviewer(req, *principal, kAction);
  if (!r) return;
  if (!number) return req.reply_error(404, "renewal_not_found", "no renewal " + text);
  auto body = decision_body(req);
  if (!body) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  requests_.decide_renewal(*number, body->first, std::move(body->second), std::move(*r),
                           [this, shared](Result<RenewalRecord> rec) {
                             if (!rec) return reply_refusal(*shared, rec.error());
                             shared->reply_json(200, renewal_json(*rec, ctx_.issuers, false),
                                                {{"Cache-Control", "no-store"}});
                           });
}

void HolderRoutes::decide_request(http::Request& req) {
  constexpr std::string_view kAction = "revocation_request.decide";
  const std::string text(req.path_param("number"));
  const auto number = holder::parse_revocation_request_number(text);
  auto principal = guard(req, ctx_, access::Need::write, kAction);
  if (!principal) return;
  auto r = reviewer(req, *principal, kAction);
  if (!r) return;
  const Error missing = make_error(ErrorKind::not_found, "request_not_found", "no revocation request " + text);
  if (!number) return req.reply_error(missing);
  auto body = decision_body(req);
  if (!body) return;
  auto reply_with = [this](std::shared_ptr<http::Request> shared) {
    return [this, shared](Result<RevocationRequestRecord> rec) {
      if (!rec) return reply_refusal(*shared, rec.error());
      shared->reply_json(200, request_json(*rec, ctx_.issuers, false), {{"Cache-Control", "no-store"}});
    };
  };
  if (body->first == holder::Decide::reject) {
    auto shared = std::make_shared<http::Request>(std::move(req));
    return requests_.reject_revocation_request(*number, std::move(body->second), std::move(*r), reply_with(shared));
  }
  // Accept: the provider revokes the certificate as asked, through the production
  // revocation; the key ledger closes the request in the same commit.
  std::optional<RevocationRequestRecord> record;
  {
    WorkerState& state = worker_state(req);
    storage::ReadScope scope(state.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
    auto got = holder::RequestService::revocation_request(state.txn, *number);
    if (!got) return reply_refusal(req, got.error());
    if (!*got || !r->covers((*got)->target.issuer)) return req.reply_error(missing);
    record = std::move(**got);
  }
  if (!holder::is_open(record->state))
    return req.reply_error(409, "request_closed", "revocation request " + text + " is " +
                                                      holder::state_name(record->state) + " already");
  registry::RevocationInput input;
  input.issuer = issuer_name(ctx_.issuers, record->target.issuer);
  input.serial_hex = hex_encode(record->target.serial, true);
  input.reason = storage::reason_name(record->reason);
  auto shared = std::make_shared<http::Request>(std::move(req));
  registry_.revoke({input}, principal->actor, [shared, number = *number](Result<registry::BatchReport> done) {
    if (!done) return reply_refusal(*shared, done.error());
    if (const auto& item = done->items.front(); item.error) return reply_refusal(*shared, *item.error);
    // The request as the revocation's commit left it, read on the request's worker.
    shared->worker().post([shared, number] {
      reply_read(*shared, [number](const storage::ReadTxn& txn) -> Result<json> {
        auto got = holder::RequestService::revocation_request(txn, number);
        if (!got) return std::move(got).error();
        if (!*got) return make_error(ErrorKind::internal, "internal_error", "the revocation request vanished");
        return json{{"number", holder::revocation_request_number(number)},
                    {"state", holder::state_name((*got)->state)}};
      });
    });
  });
}

std::shared_ptr<HolderRoutes> add_holder_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                                holder::RequestService& requests,
                                                const registry::CertificateSearch& search,
                                                watch::WatchService& watches, registry::Registry& registry) {
  using M = http::Method;
  auto routes = std::make_shared<HolderRoutes>(ctx, env, requests, search, watches, registry);
  HolderRoutes* h = routes.get();
  const auto on = [&router, h](M method, const char* path, void (HolderRoutes::*fn)(http::Request&)) {
    router.add(method, path, [h, fn](http::Request& req) { (h->*fn)(req); }, http::kApiRoute);
  };
  on(M::Get, "/api/v1/holder/certificates", &HolderRoutes::certificates);
  on(M::Post, "/api/v1/holder/watch", &HolderRoutes::create_watch);
  on(M::Get, "/api/v1/holder/watches", &HolderRoutes::list_watches);
  on(M::Delete, "/api/v1/holder/watches/{id}", &HolderRoutes::delete_watch);
  on(M::Get, "/api/v1/holder/events", &HolderRoutes::events);
  on(M::Post, "/api/v1/renewals", &HolderRoutes::file_renewal);
  on(M::Get, "/api/v1/renewals", &HolderRoutes::list_renewals);
  on(M::Get, "/api/v1/renewals/{number}", &HolderRoutes::renewal);
  on(M::Post, "/api/v1/renewals/{number}/decision", &HolderRoutes::decide_renewal);
  on(M::Post, "/api/v1/revocation-requests", &HolderRoutes::file_revocation_request);
  on(M::Get, "/api/v1/revocation-requests", &HolderRoutes::list_requests);
  on(M::Get, "/api/v1/revocation-requests/{number}", &HolderRoutes::request);
  on(M::Post, "/api/v1/revocation-requests/{number}/decision", &HolderRoutes::decide_request);
  return routes;
}

}  // namespace trustmon::routes
