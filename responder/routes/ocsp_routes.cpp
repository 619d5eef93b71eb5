#include "responder/routes/ocsp_routes.hpp"

#include <charconv>
#include <cstring>

#include "common/metrics.hpp"
#include "common/time.hpp"
#include "responder/ocsp/signer.hpp"
#include "responder/routes/delayed_replies.hpp"
#include "responder/routes/http_cache.hpp"
#include "responder/routes/worker_state.hpp"

namespace trustmon::routes {

namespace {

constexpr std::string_view kOcspResponseType = "application/ocsp-response";

// The label an answer is counted under in trustmon_ocsp_answers_total and noted as in the
// access log. Stable values: dashboards and tests read them. A 304 is counted once more,
// as not_modified; nothing is counted as other (kept so the series stay the same).
constexpr std::array<std::string_view, 8> kLabels = {"cache",          "live",      "malformed",    "unauthorized",
                                                     "internal_error", "try_later", "not_modified", "other"};

constexpr std::string_view label_of(ocsp::Outcome outcome) noexcept {
  if (outcome == ocsp::Outcome::presigned) return "cache";
  if (ocsp::is_live(outcome)) return "live";
  switch (ocsp::status_of(outcome)) {
    case ocsp::ResponseStatus::malformed_request: return "malformed";
    case ocsp::ResponseStatus::unauthorized: return "unauthorized";
    case ocsp::ResponseStatus::internal_error: return "internal_error";
    case ocsp::ResponseStatus::try_later: return "try_later";
    case ocsp::ResponseStatus::successful:
    case ocsp::ResponseStatus::sig_required: break;
  }
  return "other";
}

struct Context {
  const ocsp::Responder& responder;
  std::size_t max_request_bytes;
  const Clock& clock;
  OcspCounters& counters;
  DelayedReplies* delayed;
};

void reply_constant(http::Request& req, Context& ctx, ocsp::Outcome outcome) {
  ctx.counters.count(outcome);
  req.note("ocsp", label_of(outcome));
  req.reply(200, kOcspResponseType, ocsp::error_response(ocsp::status_of(outcome)));
}

void answer(http::Request& req, Context& ctx, ByteView der, bool get) {
  WorkerState& state = worker_state(req);
  storage::ReadScope scope(state.txn);
  if (!scope.status()) {
    reply_constant(req, ctx, ocsp::Outcome::storage_fault);
    return;
  }
  // `?at=` (the test bed's time travel); the production hot path has no query.
  std::optional<UnixTime> at;
  if (!req.raw_query().empty()) {
    if (auto text = req.query("at")) {
      at = parse_rfc3339(*text);
      if (!at) {
        reply_constant(req, ctx, ocsp::Outcome::malformed);
        return;
      }
    }
  }
  ocsp::Answer a = ctx.responder.answer(der, state.txn, at);
  ctx.counters.count(a.outcome);
  req.note("ocsp", label_of(a.outcome));
  if (a.delay_ms > 0 && ctx.delayed != nullptr) {
    // The test bed's delay fault: the answer (owned bytes) goes out later, from the
    // delaying thread; the worker goes on.
    auto held = std::make_shared<http::Request>(std::move(req));
    ctx.delayed->after(a.delay_ms, [held, body = std::move(a.owned)] { held->reply(200, kOcspResponseType, body); });
    return;
  }
  if (!get || !a.cacheable) {
    // `a.body` may point into the LMDB map: reply (which copies) while the scope lives.
    req.reply(200, kOcspResponseType, a.body);
    return;
  }
  // RFC 5019 §6.2: the response may be cached until nextUpdate. No allocation here:
  // this is the GET hot path.
  UnixTime now = ctx.clock.now();
  UnixTime max_age = a.next_update > now ? a.next_update - now : 0;
  // Written by hand rather than with snprintf (its format parsing ran on every GET).
  constexpr std::string_view kMaxAge = "max-age=", kRest = ", public, no-transform, must-revalidate";
  char cache_control[kMaxAge.size() + 20 + kRest.size()];
  std::memcpy(cache_control, kMaxAge.data(), kMaxAge.size());
  char* const digits_end =
      std::to_chars(cache_control + kMaxAge.size(), cache_control + kMaxAge.size() + 20, max_age).ptr;
  std::memcpy(digits_end, kRest.data(), kRest.size());
  const auto cc_len = static_cast<std::size_t>(digits_end + kRest.size() - cache_control);
  char last_modified[kHttpDateLength + 1];
  char expires[kHttpDateLength + 1];
  format_http_date_to(a.produced_at, last_modified);
  format_http_date_to(a.next_update, expires);
  std::array<char, kEtagMax> etag_text;
  const std::string_view etag = format_etag(a.etag_source, etag_text);
  http::Header headers[] = {{"Cache-Control", std::string_view(cache_control, cc_len)},
                            {"Last-Modified", std::string_view(last_modified, kHttpDateLength)},
                            {"Expires", std::string_view(expires, kHttpDateLength)},
                            {"ETag", etag}};
  if (auto inm = req.header("If-None-Match"); inm && etag_matches(*inm, etag)) {
    ctx.counters.count_not_modified();
    req.reply_not_modified(headers);
    return;
  }
  req.reply(200, kOcspResponseType, a.body, headers);
}

void handle_post(http::Request& req, Context& ctx) {
  ByteView body = req.body();
  if (body.size() > ctx.max_request_bytes) {
    reply_constant(req, ctx, ocsp::Outcome::malformed);
    return;
  }
  answer(req, ctx, body, false);
}

void handle_get(http::Request& req, Context& ctx) {
  std::string_view path = req.path();
  constexpr std::string_view kPrefix = "/ocsp/";
  std::string_view encoded = path.substr(kPrefix.size());
  // Base64 grows the request by 4/3 and percent-encoding by up to 3x more.
  if (encoded.empty() || encoded.size() > ctx.max_request_bytes * 4) {
    reply_constant(req, ctx, ocsp::Outcome::malformed);
    return;
  }
  // Decoded on the stack. RFC 5019 clients use GET only below 255 bytes of request, so an
  // 8 KiB limit for the decoded path costs nothing real; larger requests belong in a POST.
  constexpr std::size_t kStackBytes = 8192;
  char text[kStackBytes];
  std::uint8_t der[kStackBytes];
  // Most clients send the base64 as it is ('/' and '+' are allowed in a path): decoded in
  // place. Only a percent-encoded one is copied out first.
  std::string_view b64 = encoded;
  if (std::memchr(encoded.data(), '%', encoded.size()) != nullptr) {
    auto text_len = percent_decode_to(encoded, text, sizeof text);
    if (!text_len) {
      reply_constant(req, ctx, ocsp::Outcome::malformed);
      return;
    }
    // Some clients and proxies turn '+' into a space; in base64 a space can only be a '+'.
    for (std::size_t i = 0; i < *text_len; ++i)
      if (text[i] == ' ') text[i] = '+';
    b64 = std::string_view(text, *text_len);
  }
  auto der_len = base64_decode_to(b64, der, sizeof der);
  if (!der_len || *der_len > ctx.max_request_bytes) {
    reply_constant(req, ctx, ocsp::Outcome::malformed);
    return;
  }
  answer(req, ctx, ByteView(der, *der_len), true);
}

}  // namespace

void OcspCounters::count(ocsp::Outcome outcome) noexcept {
  by_outcome_[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
}

void OcspCounters::count_not_modified() noexcept { not_modified_.fetch_add(1, std::memory_order_relaxed); }

std::string OcspCounters::metrics_text() const {
  std::string out;
  MetricsText m(out);
  constexpr std::string_view kName = "trustmon_ocsp_answers_total";
  m.header(kName, "counter", "OCSP answers by outcome.");
  for (std::string_view label : kLabels) {
    std::uint64_t n = label == "not_modified" ? not_modified_.load(std::memory_order_relaxed) : 0;
    for (std::size_t i = 0; i < by_outcome_.size(); ++i)
      if (label_of(static_cast<ocsp::Outcome>(i)) == label) n += by_outcome_[i].load(std::memory_order_relaxed);
    m.sample(kName, "outcome", label, n);
  }
  return out;
}

void add_ocsp_routes(http::Router& router, const ocsp::Responder& responder, std::size_t max_request_bytes,
                     const Clock& clock, OcspCounters& counters, DelayedReplies* delayed) {
  auto ctx = std::make_shared<Context>(Context{responder, max_request_bytes, clock, counters, delayed});
  auto post = [ctx](http::Request& req) { handle_post(req, *ctx); };
  // A fast-path request must be answered before its handler returns (router.hpp), so a
  // server that may delay answers (the test bed) serves OCSP through evhttp.
  const auto limits = delayed != nullptr ? http::kEssentialRoute : http::kFastEssentialRoute;
  router.add(http::Method::Post, "/ocsp", post, limits);
  router.add(http::Method::Post, "/ocsp/", post, limits);
  router.add(http::Method::Post, "/", post, limits);
  router.add_prefix(http::Method::Get, "/ocsp/", [ctx](http::Request& req) { handle_get(req, *ctx); }, limits);
}

}  // namespace trustmon::routes
