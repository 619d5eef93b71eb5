#include "responder/routes/joining_routes.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "responder/http/address_quota.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/signed_body.hpp"
#include "responder/routes/worker_state.hpp"

namespace trustmon::routes {

using nlohmann::json;

namespace {

constexpr std::uint32_t kFilingsPerHour = 10;
constexpr std::uint32_t kLookupsPerHour = 60;

void reply_refusal(http::Request& req, const Error& e) {
  if (!e.is_refusal()) log().error("joining request failed: {}: {}", e.code, e.message);
  req.reply_error(e, {{"Cache-Control", "no-store"}});
}

}  // namespace

class JoiningRoutes {
 public:
  JoiningRoutes(ApiContext& ctx, storage::Env& env, joining::JoiningService& service)
      : ctx_(ctx), env_(env), service_(service), pool_(1, "joining") {}

  void file(http::Request& req);
  void status(http::Request& req);
  void list(http::Request& req);
  void record(http::Request& req);
  void signed_bytes(http::Request& req);
  void decide(http::Request& req);

 private:
  // Within the address's quota; otherwise 429 with Retry-After (counted, not recorded).
  bool within(http::Request& req, http::AddressQuota& quota);
  // The central body's principal (need: read or admin); otherwise refused (recorded).
  std::optional<access::Principal> central(http::Request& req, access::Need need, std::string_view action);

  ApiContext& ctx_;
  storage::Env& env_;
  joining::JoiningService& service_;
  http::AddressQuota filings_{kFilingsPerHour, 3600};
  http::AddressQuota lookups_{kLookupsPerHour, 3600};
  ThreadPool pool_;
};

bool JoiningRoutes::within(http::Request& req, http::AddressQuota& quota) {
  auto wait = quota.take(req.peer(), ctx_.clock.now());
  if (!wait) return true;
  ctx_.counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
  req.reply_error(429, "rate_limited", "too many requests from this address; try later",
                  {{"Retry-After", std::to_string(*wait)}, {"Cache-Control", "no-store"}});
  return false;
}

std::optional<access::Principal> JoiningRoutes::central(http::Request& req, access::Need need,
                                                        std::string_view action) {
  auto principal = guard(req, ctx_, need, action);
  if (!principal) return std::nullopt;
  if (!is_central_body(*principal)) {
    deny(req, ctx_, principal->actor, action, json{{"path", std::string(req.path())}},
         make_error(ErrorKind::forbidden, "central_body_only", "joining applications are the central body's to review"));
    return std::nullopt;
  }
  return principal;
}

void JoiningRoutes::file(http::Request& req) {
  if (!within(req, filings_)) return;
  auto bytes = signed_body(req, "application");
  if (!bytes) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  pool_.submit([this, shared, bytes = std::move(*bytes)]() mutable {
    file_application(env_, service_, std::move(bytes), shared->peer(), [shared](Result<json> filed) {
      if (!filed) return reply_refusal(*shared, filed.error());
      shared->reply_json(201, *filed, {{"Cache-Control", "no-store"}});
    });
  });
}

void JoiningRoutes::status(http::Request& req) {
  if (!within(req, lookups_)) return;
  auto doc = body_object(req);
  if (!doc) return;
  StringField number = string_field(req, *doc, "number");
  if (!number.ok) return;
  StringField secret = string_field(req, *doc, "secret");
  if (!secret.ok) return;
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    auto a = joining::JoiningService::status(txn, number.value.value_or(""), secret.value.value_or(""));
    if (!a) return std::move(a).error();
    return joining::JoiningService::status_json(*a);
  });
}

void JoiningRoutes::list(http::Request& req) {
  auto principal = central(req, access::Need::read, "joining.list");
  if (!principal) return;
  std::optional<joining::State> state;
  if (auto s = req.query("state")) {
    state = joining::state_from_name(*s);
    if (!state) return req.reply_error(400, "invalid_argument", "state is pending, approved or rejected");
  }
  std::optional<joining::Number> before;
  if (auto b = req.query("before")) {
    before = joining::parse_number(*b);
    if (!before) return req.reply_error(400, "invalid_argument", "before must be an application number");
  }
  std::size_t limit = 50;
  if (auto l = req.query("limit")) {
    auto v = parse_id<std::uint32_t>(*l);
    if (!v || *v > joining::kMaxPageLimit)
      return req.reply_error(400, "invalid_argument", "limit must be 1.." + std::to_string(joining::kMaxPageLimit));
    limit = *v;
  }
  const std::string format = req.query("format").value_or("json");
  if (format != "json" && format != "csv") return req.reply_error(400, "invalid_argument", "format is json or csv");
  if (format == "csv") {
    WorkerState& ws = worker_state(req);
    storage::ReadScope scope(ws.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
    auto page = joining::JoiningService::list(ws.txn, state, before, limit);
    if (!page) return reply_refusal(req, page.error());
    return req.reply(200, "text/csv; charset=utf-8", joining::JoiningService::applications_csv(page->items),
                     {{"Cache-Control", "no-store"}, {"Content-Disposition", "attachment; filename=\"joining-applications.csv\""}});
  }
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    auto page = joining::JoiningService::list(txn, state, before, limit);
    if (!page) return std::move(page).error();
    json items = json::array();
    for (const auto& a : page->items) {
      json one = service_.record_json(a, nullptr);
      one.erase("document");
      items.push_back(std::move(one));
    }
    return json{{"applications", std::move(items)},
                {"next", page->next ? json(joining::format_number(*page->next)) : json(nullptr)}};
  });
}

void JoiningRoutes::record(http::Request& req) {
  auto principal = central(req, access::Need::read, "joining.read");
  if (!principal) return;
  const std::string text(req.path_param("number"));
  const auto number = joining::parse_number(text);
  if (!number) return req.reply_error(404, "application_not_found", "no application " + text);
  auto shared = std::make_shared<http::Request>(std::move(req));
  // The signer's standing is re-checked (a CMS verification): off the event loop.
  pool_.submit([this, shared, number = *number, text] {
    Snapshot snap;
    if (!snap.open(env_)) return shared->reply_error(503, "storage_unavailable", "cannot read");
    auto a = joining::JoiningService::get(*snap.txn, number);
    if (!a) return reply_refusal(*shared, a.error());
    if (!*a) return shared->reply_error(404, "application_not_found", "no application " + text);
    shared->reply_json(200, service_.record_json(**a, &*snap.txn), {{"Cache-Control", "no-store"}});
  });
}

void JoiningRoutes::signed_bytes(http::Request& req) {
  auto principal = central(req, access::Need::read, "joining.signed");
  if (!principal) return;
  const std::string text(req.path_param("number"));
  const auto number = joining::parse_number(text);
  if (!number) return req.reply_error(404, "application_not_found", "no application " + text);
  WorkerState& state = worker_state(req);
  storage::ReadScope scope(state.txn);
  if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
  auto a = joining::JoiningService::get(state.txn, *number);
  if (!a) return reply_refusal(req, a.error());
  if (!*a) return req.reply_error(404, "application_not_found", "no application " + text);
  req.reply(200, "application/pkcs7-mime", ByteView((*a)->signed_bytes),
            {{"Cache-Control", "no-store"}, {"Content-Disposition", "attachment; filename=\"" + text + ".p7s\""}});
}

void JoiningRoutes::decide(http::Request& req) {
  constexpr std::string_view kAction = "joining.decide";
  auto principal = central(req, access::Need::admin, kAction);
  if (!principal) return;
  const std::string text(req.path_param("number"));
  const auto number = joining::parse_number(text);
  if (!number) return req.reply_error(404, "application_not_found", "no application " + text);
  auto doc = body_object(req);
  if (!doc) return;
  StringField decision = string_field(req, *doc, "decision");
  if (!decision.ok) return;
  StringField reason = string_field(req, *doc, "reason");
  if (!reason.ok) return;
  if (!decision.value || (*decision.value != "approve" && *decision.value != "reject"))
    return req.reply_error(400, "decision_invalid", "\"decision\" is approve or reject");
  const auto d = *decision.value == "approve" ? joining::Decision::approve : joining::Decision::reject;
  auto shared = std::make_shared<http::Request>(std::move(req));
  pool_.submit([this, shared, number = *number, text, d, reason = reason.value.value_or(""),
                actor = principal->actor]() mutable {
    if (d == joining::Decision::approve) {
      // The signer must still stand at approval (revoked or held since filing: refused).
      Snapshot snap;
      if (!snap.open(env_)) return shared->reply_error(503, "storage_unavailable", "cannot read");
      auto a = joining::JoiningService::get(*snap.txn, number);
      if (!a) return reply_refusal(*shared, a.error());
      if (!*a) return shared->reply_error(404, "application_not_found", "no application " + text);
      if ((*a)->state == joining::State::pending) {
        json now = service_.check_now(*snap.txn, **a);
        if (!now.value("ok", false))
          return shared->reply_error(403, now.value("code", "signature_invalid"),
                                     "the signer no longer stands: " + now.value("message", ""));
      }
    }
    service_.decide(number, d, std::move(reason), std::move(actor), [this, shared](Result<joining::Application> a) {
      if (!a) return reply_refusal(*shared, a.error());
      shared->reply_json(200, service_.record_json(*a, nullptr), {{"Cache-Control", "no-store"}});
    });
  });
}

void file_application(storage::Env& env, joining::JoiningService& service, Bytes signed_bytes, std::string address,
                      std::function<void(Result<json>)> done) {
  Result<joining::Checked> checked = [&]() -> Result<joining::Checked> {
    Snapshot snap;
    if (Status s = snap.open(env); !s) return std::move(s).error();
    return service.check(*snap.txn, signed_bytes, std::move(address));
  }();
  if (!checked) return done(std::move(checked).error());
  service.file(std::move(*checked), [done = std::move(done)](Result<joining::Filed> filed) {
    if (!filed) return done(std::move(filed).error());
    json body = joining::JoiningService::status_json(filed->record);
    body["secret"] = filed->secret;
    body["signer"] = filed->record.signer;
    done(std::move(body));
  });
}

DocumentSink joining_document_sink(storage::Env& env, joining::JoiningService& service) {
  DocumentSink sink;
  sink.precheck = [&service](ByteView content) -> Status {
    const std::string text(reinterpret_cast<const char*>(content.data()), content.size());
    auto doc = joining::parse_document(text, service.now());
    if (!doc) return std::move(doc).error();
    return {};
  };
  sink.file = [&env, &service](Bytes cms, std::string address, std::function<void(Result<json>)> done) {
    file_application(env, service, std::move(cms), std::move(address), std::move(done));
  };
  return sink;
}

std::shared_ptr<JoiningRoutes> add_joining_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                                  joining::JoiningService& service) {
  using M = http::Method;
  auto routes = std::make_shared<JoiningRoutes>(ctx, env, service);
  JoiningRoutes* r = routes.get();
  // Filing and status lookups are public: no credential is asked for at the gate.
  const http::RouteLimits anonymous{http::BodyClass::json, false, false};
  const auto on = [&router, r](M method, const char* path, void (JoiningRoutes::*fn)(http::Request&),
                               http::RouteLimits limits = http::kApiRoute) {
    router.add(method, path, [r, fn](http::Request& req) { (r->*fn)(req); }, limits);
  };
  on(M::Post, "/api/v1/joining/applications", &JoiningRoutes::file, anonymous);
  on(M::Post, "/api/v1/joining/status", &JoiningRoutes::status, anonymous);
  on(M::Get, "/api/v1/joining/applications", &JoiningRoutes::list);
  on(M::Get, "/api/v1/joining/applications/{number}", &JoiningRoutes::record);
  on(M::Get, "/api/v1/joining/applications/{number}/signed", &JoiningRoutes::signed_bytes);
  on(M::Post, "/api/v1/joining/applications/{number}/decision", &JoiningRoutes::decide);
  return routes;
}

}  // namespace trustmon::routes
