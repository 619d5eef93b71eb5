#include "responder/routes/watch_routes.hpp"

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>


#include "common/log.hpp"
#include "common/time.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"
#include "responder/watch/dispatcher.hpp"
#include "responder/watch/service.hpp"
#include "responder/watch/webhook.hpp"

namespace trustmon::routes {
namespace {

using nlohmann::json;
constexpr std::string_view kPrefix = "/api/v1/watches";

watch::WatchService::Done reply_to(std::shared_ptr<http::Request> req, int ok_status) {
  return [req, ok_status](Result<json> result) {
    if (!result) {
      const Error& e = result.error();
      if (!e.is_refusal()) log().error("watch action failed: {}: {}", e.code, e.message);
      req->reply_error(e);
      return;
    }
    req->reply_json(ok_status, *result, {{"Cache-Control", "no-store"}});
  };
}

class WatchHandler {
 public:
  WatchHandler(ApiContext& ctx, watch::WatchService& service, watch::Dispatcher& dispatcher)
      : ctx_(ctx), service_(service), dispatcher_(dispatcher) {}

  static std::nullopt_t fail(http::Request& req, int status, std::string_view code, std::string_view message) {
    req.reply_error(status, code, message);
    return std::nullopt;
  }

  // The watch definition of a create or update body; replies 400/404 and returns nullopt
  // when it is not usable.
  std::optional<watch::NewWatch> definition(http::Request& req, const json& doc) {
    watch::NewWatch w;
    StringField name = string_field(req, doc, "name");
    if (!name.ok) return std::nullopt;
    w.name = name.value.value_or("");
    if (w.name.size() > 200) return fail(req, 400, "watch_invalid", "\"name\" is at most 200 characters");
    auto values = watch::parse_values(doc.value("values", json()));
    if (!values) return fail(req, 400, values.error().code, values.error().message);
    w.values = std::move(*values);
    StringField issuer = string_field(req, doc, "issuer");
    if (!issuer.ok) return std::nullopt;
    if (issuer.value) {
      if (!ctx_.issuers.find_by_name(*issuer.value))
        return fail(req, 404, "issuer_not_found", "no configured issuer is named \"" + *issuer.value + "\"");
      w.issuer = *issuer.value;
    }
    if (auto kinds = doc.find("kinds"); kinds != doc.end() && !kinds->is_null()) {
      if (!kinds->is_array() || kinds->empty())
        return fail(req, 400, "watch_invalid",
                    "\"kinds\" is a non-empty array of issued, revoked, key_reused, crl, stats, testcases, requests, "
                    "login");
      w.kinds = 0;
      for (const auto& k : *kinds) {
        auto kind = k.is_string() ? watch::kind_from_name(k.get<std::string>()) : std::nullopt;
        if (!kind)
          return fail(req, 400, "watch_invalid",
                      "\"kinds\" items are issued, revoked, key_reused, crl, stats, testcases, requests or login");
        w.kinds |= *kind;
      }
    }
    // A watch of the owner's test cases or of holders' requests to it names no
    // certificate and no issuer.
    const bool own_events_only = (w.kinds & ~(watch::kTestcases | watch::kRequests)) == 0;
    if (w.values.empty() && w.issuer.empty() && !own_events_only)
      return fail(req, 400, "watch_invalid", "a watch needs \"values\", an \"issuer\", or both");
    // Logins are matched on identifiers only (never every login with an issuer's certificates).
    if ((w.kinds & watch::kLogin) && w.values.empty())
      return fail(req, 400, "watch_invalid", "a watch of kind login needs \"values\"");
    StringField delivery = string_field(req, doc, "delivery");
    if (!delivery.ok) return std::nullopt;
    auto d = watch::delivery_from_name(delivery.value.value_or("stream"));
    if (!d) return fail(req, 400, "watch_invalid", "\"delivery\" is stream or webhook");
    w.delivery = *d;
    StringField url = string_field(req, doc, "url");
    if (!url.ok) return std::nullopt;
    if (w.delivery == watch::Delivery::webhook) {
      if (!url.value) return fail(req, 400, "watch_invalid", "a webhook watch needs a \"url\"");
      if (auto parsed = watch::parse_http_url(*url.value); !parsed)
        return fail(req, 400, parsed.error().code, parsed.error().message);
      w.url = *url.value;
    } else if (url.value) {
      return fail(req, 400, "watch_invalid", "\"url\" is for webhook delivery only");
    }
    if (auto from = doc.find("replay_from"); from != doc.end() && !from->is_null()) {
      if (!from->is_number_unsigned()) return fail(req, 400, "watch_invalid", "\"replay_from\" is a sequence number");
      w.replay_from = from->get<std::uint64_t>();
    }
    return w;
  }

  void create(http::Request& req) {
    auto principal = guard(req, ctx_, access::Need::write, "watch.create");
    if (!principal) return;
    auto doc = body_object(req);
    if (!doc) return;
    auto w = definition(req, *doc);
    if (!w) return;
    auto shared = std::make_shared<http::Request>(std::move(req));
    service_.create(principal->actor, std::move(*w), reply_to(shared, 201));
  }

  // PUT /api/v1/watches/{id}: the same body as a creation (without replay_from).
  void update(http::Request& req) {
    auto parsed = path_id<watch::WatchId>(req);
    if (!parsed) return;
    const watch::WatchId id = *parsed;
    auto principal = guard(req, ctx_, access::Need::write, "watch.update");
    if (!principal) return;
    auto doc = body_object(req);
    if (!doc) return;
    if (doc->contains("replay_from")) return req.reply_error(400, "watch_invalid", "use POST .../replay to move a watch's cursor");
    auto w = definition(req, *doc);
    if (!w) return;
    auto shared = std::make_shared<http::Request>(std::move(req));
    service_.update(principal->actor, is_central_admin(*principal), id, std::move(*w), reply_to(shared, 200));
  }

  template <typename Fn>
  void read(http::Request& req, Fn fn) {
    reply_read(req, fn);
  }

  void list(http::Request& req) {
    auto principal = guard(req, ctx_, access::Need::read, "watch.list");
    if (!principal) return;
    std::optional<std::uint32_t> owner = principal->actor.participant;
    if (is_central_admin(*principal)) {
      owner.reset();
      if (auto o = req.query("owner")) {
        std::uint32_t v = 0;
        auto r = std::from_chars(o->data(), o->data() + o->size(), v);
        if (r.ec != std::errc() || r.ptr != o->data() + o->size())
          return req.reply_error(400, "invalid_argument", "owner must be a participant id");
        owner = v;
      }
    }
    read(req, [owner](const storage::ReadTxn& txn) -> Result<json> {
      auto all = watch::WatchService::list(txn, owner);
      if (!all) return std::move(all).error();
      json arr = json::array();
      for (const auto& r : *all) arr.push_back(watch::WatchService::to_json(r));
      return json{{"watches", std::move(arr)}};
    });
  }

  void get(http::Request& req) {
    auto parsed = path_id<watch::WatchId>(req);
    if (!parsed) return;
    const watch::WatchId id = *parsed;
    auto principal = guard(req, ctx_, access::Need::read, "watch.get");
    if (!principal) return;
    const bool all = is_central_admin(*principal);
    const std::uint32_t participant = principal->actor.participant;
    read(req, [id, all, participant](const storage::ReadTxn& txn) -> Result<json> {
      auto r = watch::WatchService::get(txn, id);
      if (!r) return std::move(r).error();
      if (!*r || (!all && (*r)->owner != participant))
        return make_error(ErrorKind::not_found, "watch_not_found", "no watch " + std::to_string(id));
      return watch::WatchService::to_json(**r);
    });
  }

  // GET /api/v1/watches/{id}/deliveries: the webhook's recent attempts (in memory since
  // the server started; the watch itself keeps the durable summary).
  void deliveries(http::Request& req) {
    auto parsed = path_id<watch::WatchId>(req);
    if (!parsed) return;
    const watch::WatchId id = *parsed;
    auto principal = guard(req, ctx_, access::Need::read, "watch.deliveries");
    if (!principal) return;
    const bool all = is_central_admin(*principal);
    const std::uint32_t participant = principal->actor.participant;
    read(req, [this, id, all, participant](const storage::ReadTxn& txn) -> Result<json> {
      auto r = watch::WatchService::get(txn, id);
      if (!r) return std::move(r).error();
      if (!*r || (!all && (*r)->owner != participant))
        return make_error(ErrorKind::not_found, "watch_not_found", "no watch " + std::to_string(id));
      json list = json::array();
      for (const watch::DeliveryAttempt& a : dispatcher_.deliveries(id)) {
        json j = {{"time", format_rfc3339(a.time)}, {"seq", a.seq},       {"delivered", a.delivered},
                  {"status", a.status},              {"millis", a.millis}};
        if (!a.error.empty()) j["error"] = a.error;
        list.push_back(std::move(j));
      }
      return json{{"watch", id}, {"deliveries", std::move(list)}, {"kept", watch::kDeliveryLogSize}};
    });
  }

  void remove(http::Request& req) {
    auto parsed = path_id<watch::WatchId>(req);
    if (!parsed) return;
    const watch::WatchId id = *parsed;
    auto principal = guard(req, ctx_, access::Need::write, "watch.delete");
    if (!principal) return;
    auto shared = std::make_shared<http::Request>(std::move(req));
    service_.remove(principal->actor, is_central_admin(*principal), id, reply_to(shared, 200));
  }

  void replay(http::Request& req) {
    auto parsed = path_id<watch::WatchId>(req);
    if (!parsed) return;
    const watch::WatchId id = *parsed;
    auto principal = guard(req, ctx_, access::Need::write, "watch.replay");
    if (!principal) return;
    auto doc = body_object(req);
    if (!doc) return;
    std::optional<std::uint64_t> from;
    if (auto f = doc->find("from"); f != doc->end() && !f->is_null()) {
      if (!f->is_number_unsigned()) return req.reply_error(400, "watch_invalid", "\"from\" is a sequence number");
      from = f->get<std::uint64_t>();
    }
    auto shared = std::make_shared<http::Request>(std::move(req));
    service_.replay(principal->actor, is_central_admin(*principal), id, from, reply_to(shared, 200));
  }

  void test(http::Request& req) {
    auto parsed = path_id<watch::WatchId>(req);
    if (!parsed) return;
    const watch::WatchId id = *parsed;
    auto principal = guard(req, ctx_, access::Need::write, "watch.test");
    if (!principal) return;
    const bool all = is_central_admin(*principal);
    std::optional<watch::WatchRecord> record;
    {
      WorkerState& state = worker_state(req);
      storage::ReadScope scope(state.txn);
      if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
      auto r = watch::WatchService::get(state.txn, id);
      if (!r) return req.reply_error(500, r.error().code, r.error().message);
      if (*r && (all || (*r)->owner == principal->actor.participant)) record = std::move(**r);
    }
    auto shared = std::make_shared<http::Request>(std::move(req));
    if (!record || record->delivery == watch::Delivery::stream) {
      // No watch: the service records the refusal. A stream watch: the recorded event
      // reaches the owner's streams as a watch.test notification.
      service_.record_test(principal->actor, all, id, json{{"delivered", true}, {"status", nullptr}, {"error", nullptr}},
                           reply_to(shared, 200));
      return;
    }
    watch::WatchService* service = &service_;
    const Actor actor = principal->actor;
    dispatcher_.test(*record, [service, actor, all, id, shared](json outcome) {
      service->record_test(actor, all, id, std::move(outcome), reply_to(shared, 200));
    });
  }

 private:
  ApiContext& ctx_;
  watch::WatchService& service_;
  watch::Dispatcher& dispatcher_;
};

}  // namespace

void add_watch_routes(http::Router& router, ApiContext& ctx, watch::WatchService& service,
                      watch::Dispatcher& dispatcher) {
  using M = http::Method;
  auto handler = std::make_shared<WatchHandler>(ctx, service, dispatcher);
  auto on = [&handler](void (WatchHandler::*fn)(http::Request&)) {
    return [handler, fn](http::Request& req) { ((*handler).*fn)(req); };
  };
  router.add(M::Post, std::string(kPrefix), on(&WatchHandler::create), http::kApiRoute);
  router.add(M::Get, std::string(kPrefix), on(&WatchHandler::list), http::kApiRoute);
  router.add(M::Get, std::string(kPrefix) + "/{id}", on(&WatchHandler::get), http::kApiRoute);
  router.add(M::Put, std::string(kPrefix) + "/{id}", on(&WatchHandler::update), http::kApiRoute);
  router.add(M::Delete, std::string(kPrefix) + "/{id}", on(&WatchHandler::remove), http::kApiRoute);
  router.add(M::Post, std::string(kPrefix) + "/{id}/test", on(&WatchHandler::test), http::kApiRoute);
  router.add(M::Get, std::string(kPrefix) + "/{id}/deliveries", on(&WatchHandler::deliveries), http::kApiRoute);
  router.add(M::Post, std::string(kPrefix) + "/{id}/replay", on(&WatchHandler::replay), http::kApiRoute);
}

}  // namespace trustmon::routes
