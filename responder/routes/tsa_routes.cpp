// POST /testca/tsa and GET /testca/tsa.pem over testbed::Tsa, and their counters (see tsa_routes.hpp).
#include "responder/routes/tsa_routes.hpp"

#include <exception>
#include <memory>

#include "common/metrics.hpp"
#include "common/time.hpp"
#include "responder/registry/certificate_body.hpp"

namespace trustmon::routes {

namespace {

constexpr std::array<std::string_view, TsaCounters::kCount> kLabels = {
    "granted", "rejection", "unsupported_media_type", "invalid_request", "internal_error"};

struct Context {
  const testbed::Tsa& tsa;
  TsaOptionsOf options_of;
  TsaCounters& counters;
};

void refuse(http::Request& req, Context& ctx, TsaCounters::Status status, int http_status, std::string_view code,
            std::string_view message) {
  ctx.counters.count(status);
  req.note("tsa", kLabels[static_cast<std::size_t>(status)]);
  req.reply_error(http_status, code, message);
}

void handle_post(http::Request& req, Context& ctx) {
  using S = TsaCounters::Status;
  if (registry::media_type(req.header("Content-Type").value_or("")) != "application/timestamp-query")
    return refuse(req, ctx, S::unsupported_media_type, 415, "unsupported_media_type",
                  "send a DER TimeStampReq as application/timestamp-query");
  testbed::TsaOptions options;
  try {
    if (ctx.options_of) options = ctx.options_of(req);
  } catch (const std::exception& e) {
    return refuse(req, ctx, S::internal_error, 500, "internal_error", e.what());
  } catch (...) {
    return refuse(req, ctx, S::internal_error, 500, "internal_error", "the TSA options could not be read");
  }
  if (auto at = req.query("at")) {
    auto t = parse_rfc3339(*at);
    if (!t) return refuse(req, ctx, S::invalid_request, 400, "invalid_at", "at must be an RFC 3339 time");
    options.at = *t;
  }
  auto reply = ctx.tsa.respond(req.body(), options);
  if (!reply) return refuse(req, ctx, S::internal_error, 500, reply.error().code, reply.error().message);
  const auto status = testbed::tsa_status(*reply);
  const S counted = status == testbed::TsaStatus::granted ? S::granted : S::rejection;
  ctx.counters.count(counted);
  req.note("tsa", kLabels[static_cast<std::size_t>(counted)]);
  req.reply(200, "application/timestamp-reply", *reply);
}

}  // namespace

void TsaCounters::count(Status status) noexcept {
  by_status_[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t TsaCounters::value(Status status) const noexcept {
  return by_status_[static_cast<std::size_t>(status)].load(std::memory_order_relaxed);
}

std::string TsaCounters::metrics_text() const {
  std::string out;
  MetricsText m(out);
  constexpr std::string_view kName = "trustmon_tsa_requests_total";
  m.header(kName, "counter", "Time-stamp requests (POST /testca/tsa) by outcome.");
  for (std::size_t i = 0; i < kCount; ++i) m.sample(kName, "status", kLabels[i], by_status_[i].load(std::memory_order_relaxed));
  return out;
}

void add_tsa_routes(http::Router& router, const testbed::Tsa& tsa, TsaOptionsOf options_of, TsaCounters& counters) {
  auto ctx = std::make_shared<Context>(Context{tsa, std::move(options_of), counters});
  router.add(http::Method::Post, "/testca/tsa", [ctx](http::Request& req) { handle_post(req, *ctx); });
  router.add(http::Method::Get, "/testca/tsa.pem", [ctx](http::Request& req) {
    req.reply(200, "application/pem-certificate-chain", std::string_view(ctx->tsa.chain_pem()));
  });
}

}  // namespace trustmon::routes
