#include "responder/routes/crl_check_routes.hpp"

#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "responder/crl/compare.hpp"
#include "responder/registry/crl_reader.hpp"
#include "responder/registry/event_payloads.hpp"
#include "responder/routes/api_context.hpp"
#include "storage/crls.hpp"

namespace trustmon::routes {

// Owns the thread the comparisons run on.
class CrlCheckRoutes {
 public:
  CrlCheckRoutes() : pool_(1, "crlcheck", kNice) {}
  ThreadPool& pool() { return pool_; }

 private:
  // Below the loops, like the registry's preparation threads: a large issuer's walk must
  // not delay OCSP answers.
  static constexpr int kNice = 10;
  ThreadPool pool_;
};

namespace {

// The reply for the issuer's latest CRL, or the error to answer.
Result<std::string> check_latest(storage::Env& env, const pki::Issuer& issuer) {
  auto txn = storage::ReadTxn::begin(env);
  if (!txn) return std::move(txn).error();
  storage::ReadScope scope(*txn);
  if (!scope.status()) return scope.status().error();
  auto latest = storage::latest_crl(*txn, issuer.id);
  if (!latest) return std::move(latest).error();
  if (!*latest)
    return make_error(ErrorKind::not_found, "crl_not_found",
                      "no CRL of issuer \"" + issuer.name + "\" is published");
  const storage::CrlView& crl = **latest;
  // A published CRL was accepted once: no entry is refused for its date now.
  auto read =
      registry::read_crl(Bytes(crl.der.begin(), crl.der.end()), std::numeric_limits<UnixTime>::max() / 2, 0);
  if (!read)
    return make_error(ErrorKind::internal, "internal_error",
                      "the stored CRL does not parse: " + read.error().message);
  auto comparison = crl::compare_crl(*txn, issuer.id, crl.this_update, read->entries);
  if (!comparison) return std::move(comparison).error();
  std::string out = "{\"issuer\":";
  append_json_string(out, issuer.name);
  out += ",\"number\":";
  append_json_string(out, storage::crl_number_decimal(crl.number));
  out += ",\"source\":";
  out += crl.source == storage::CrlSource::built ? "\"built\"" : "\"uploaded\"";
  out += ",\"this_update\":";
  append_json_string(out, format_rfc3339(crl.this_update));
  if (crl.next_update != 0) {
    out += ",\"next_update\":";
    append_json_string(out, format_rfc3339(crl.next_update));
  }
  registry::append_comparison_members(out, *comparison);
  out += '}';
  return out;
}

void handle_check(http::Request& req, ApiContext& ctx, storage::Env& env, ThreadPool& pool) {
  constexpr std::string_view kAction = "crl.check";
  auto principal = guard(req, ctx, access::Need::read, kAction);
  if (!principal) return;
  const std::string name = req.path_params().decoded("issuer").value_or("");
  const pki::Issuer* issuer = name.empty() ? nullptr : ctx.issuers.find_by_name(name);
  if (issuer == nullptr)
    return req.reply_error(
        make_error(ErrorKind::not_found, "issuer_unknown", "no configured issuer has this name"));
  const bool allowed =
      principal->bootstrap || principal->kind == access::ParticipantKind::central_body ||
      (principal->kind == access::ParticipantKind::qtsp && principal->actor.may_write_issuer(issuer->id));
  if (!allowed) {
    return deny(req, ctx, principal->actor, kAction, nlohmann::json{{"issuer", name}},
                make_error(ErrorKind::forbidden, "issuer_not_operated",
                           "the caller's participant does not operate the issuer \"" + name + "\""));
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  pool.submit([shared, &env, issuer] {
    auto body = check_latest(env, *issuer);
    if (!body) {
      const Error& e = body.error();
      if (!e.is_refusal())
        log().error("crl check of issuer \"{}\" failed: {}: {}", issuer->name, e.code, e.message);
      return shared->reply_error(e);
    }
    shared->reply(200, "application/json", std::string_view(*body), {{"Cache-Control", "no-store"}});
  });
}

}  // namespace

std::shared_ptr<CrlCheckRoutes> add_crl_check_routes(http::Router& router, ApiContext& ctx,
                                                     storage::Env& env) {
  auto routes = std::make_shared<CrlCheckRoutes>();
  ThreadPool& pool = routes->pool();
  router.add(
      http::Method::Get, "/api/v1/crls/{issuer}/check",
      [&ctx, &env, &pool](http::Request& req) { handle_check(req, ctx, env, pool); }, http::kApiRoute);
  return routes;
}

}  // namespace trustmon::routes
