#include "responder/routes/application_routes.hpp"

#include <memory>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "responder/applications/applications.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"

namespace trustmon::routes {
namespace {

using nlohmann::json;

std::string string_member(const json& doc, const char* name) {
  auto it = doc.find(name);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

applications::ApplicationService::Done reply_to(std::shared_ptr<http::Request> req, int ok_status) {
  return [req, ok_status](Result<json> r) {
    if (!r) {
      if (!r.error().is_refusal()) log().error("application: {}", r.error().message);
      return req->reply_error(r.error());
    }
    req->reply_json(ok_status, *r, {{"Cache-Control", "no-store"}});
  };
}

template <typename Fn>
void read(http::Request& req, Fn fn) {
  reply_read(req, fn);
}

void submit(http::Request& req, ApiContext& ctx, applications::ApplicationService& service) {
  auto p = guard(req, ctx, access::Need::write, "application.submit");
  if (!p) return;
  auto doc = body_object(req);
  if (!doc) return;
  auto app = applications::application_from_json(*doc);
  if (!app) return req.reply_error(400, app.error().code, app.error().message);
  service.submit(p->actor, std::move(*app), reply_to(std::make_shared<http::Request>(std::move(req)), 201));
}

void list(http::Request& req, ApiContext& ctx) {
  auto p = guard(req, ctx, access::Need::read, "application.list");
  if (!p) return;
  const std::optional<std::uint32_t> only = is_central_body(*p) ? std::nullopt : std::optional(p->actor.participant);
  read(req, [only](const storage::ReadTxn& txn) -> Result<json> {
    auto list = applications::list_applications(txn, only);
    if (!list) return std::move(list).error();
    json arr = json::array();
    for (const auto& a : *list) arr.push_back(applications::to_json(a));
    return json{{"applications", std::move(arr)}};
  });
}

void get(http::Request& req, ApiContext& ctx) {
  auto parsed = path_id<std::uint64_t>(req);
  if (!parsed) return;
  const std::uint64_t id = *parsed;
  auto p = guard(req, ctx, access::Need::read, "application.get");
  if (!p) return;
  const bool all = is_central_body(*p);
  const std::uint32_t participant = p->actor.participant;
  read(req, [id, all, participant](const storage::ReadTxn& txn) -> Result<json> {
    auto a = applications::get_application(txn, id);
    if (!a) return std::move(a).error();
    if (!a->has_value() || (!all && (*a)->participant != participant))
      return make_error(ErrorKind::not_found, "application_not_found", "no application " + std::to_string(id));
    return applications::to_json(**a);
  });
}

void set_status(http::Request& req, ApiContext& ctx, applications::ApplicationService& service) {
  auto parsed = path_id<std::uint64_t>(req);
  if (!parsed) return;
  const std::uint64_t id = *parsed;
  auto p = guard(req, ctx, access::Need::admin, "application.status");
  if (!p) return;
  auto doc = body_object(req);
  if (!doc) return;
  auto to = applications::state_from_name(string_member(*doc, "state"));
  if (!to || *to == applications::State::submitted)
    return req.reply_error(400, "application_invalid", "\"state\" must be in_review, approved, rejected or completed");
  service.set_state(p->actor, id, *to, string_member(*doc, "note"), string_member(*doc, "certificate"),
                    reply_to(std::make_shared<http::Request>(std::move(req)), 200));
}

}  // namespace

void add_application_routes(http::Router& router, ApiContext& ctx, applications::ApplicationService& service) {
  using M = http::Method;
  router.add(M::Post, "/api/v1/applications", [&ctx, &service](http::Request& req) { submit(req, ctx, service); },
             http::kApiRoute);
  router.add(M::Get, "/api/v1/applications", [&ctx](http::Request& req) { list(req, ctx); }, http::kApiRoute);
  router.add(M::Get, "/api/v1/applications/{id}", [&ctx](http::Request& req) { get(req, ctx); }, http::kApiRoute);
  router.add(M::Post, "/api/v1/applications/{id}/status",
             [&ctx, &service](http::Request& req) { set_status(req, ctx, service); }, http::kApiRoute);
}

}  // namespace trustmon::routes
