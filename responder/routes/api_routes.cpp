#include "responder/routes/api_routes.hpp"

#include "responder/routes/testca_routes.hpp"

#include <algorithm>

#include <memory>
#include <nlohmann/json.hpp>

#include "common/utf8.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/ossl.hpp"
#include "common/thread_pool.hpp"
#include "responder/registry/attributes.hpp"
#include "responder/registry/certificate_body.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/bounded_json.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"
#include "storage/cert_events.hpp"
#include "storage/records.hpp"

namespace trustmon::routes {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxRevocationsPerBatch = 10000;

// Ingest and revocation are for QTSPs (their own issuers, enforced per item by the
// registry) and for the central body (every issuer). Replies and returns nullopt otherwise.
std::optional<Actor> writer_actor(http::Request& req, ApiContext& ctx, std::string_view action) {
  auto principal = guard(req, ctx, access::Need::write, action);
  if (!principal) return std::nullopt;
  if (!ctx.issuers.test_ids().empty()) {
    // Every participant's operators may write for the test bed's issuers (and a QTSP also
    // for its own; the registry refuses the rest per item).
    if (principal->kind != access::ParticipantKind::qtsp && principal->kind != access::ParticipantKind::central_body)
      principal->actor.issuers.emplace();
    return with_test_issuers(principal->actor, ctx.issuers);
  }
  if (principal->kind != access::ParticipantKind::qtsp && principal->kind != access::ParticipantKind::central_body) {
    deny(req, ctx, principal->actor, action, json{{"path", std::string(req.path())}},
         make_error(ErrorKind::forbidden, "participant_kind_not_allowed", std::string("a ") + access::kind_name(principal->kind) +
                                                        " participant does not ingest or revoke certificates"));
    return std::nullopt;
  }
  return principal->actor;
}

// Which items a batch reply lists (`?results=`): every item (the default), or only the
// refused ones, which is what a bulk import needs: the counts say the rest.
enum class ResultsShown { all, refused };

// Replies 400 and returns nullopt when `?results=` is neither "all" nor "refused".
std::optional<ResultsShown> results_or_reply(http::Request& req) {
  auto v = req.query("results");
  if (!v || *v == "all") return ResultsShown::all;
  if (*v == "refused") return ResultsShown::refused;
  req.reply_error(400, "query_invalid", "results must be \"all\" or \"refused\"");
  return std::nullopt;
}

void append_item_json(std::string& out, std::size_t index, const registry::ItemOutcome& o) {
  out += "{\"index\":";
  out += std::to_string(index);
  out += ",\"status\":\"";
  out += registry::item_status_name(o.status);
  out += '"';
  if (!o.issuer.empty()) {
    out += ",\"issuer\":";
    append_json_string(out, o.issuer);
  }
  if (!o.serial_hex.empty()) {
    out += ",\"serial\":";
    append_json_string(out, o.serial_hex);
  }
  if (!o.sha256_hex.empty()) {
    out += ",\"sha256\":";
    append_json_string(out, o.sha256_hex);
    if (!o.signature_checked) out += ",\"signature_checked\":false";
  }
  if (o.error) {
    out += ",\"error\":{\"code\":";
    append_json_string(out, o.error->code);
    out += ",\"message\":";
    append_json_string(out, o.error->message);
    out += '}';
  }
  out += '}';
}

// The batch reply, written without a JSON tree: it is built on the Writer thread, once per
// request, and a bulk batch has thousands of items.
std::string batch_reply_body(const registry::BatchReport& report, const std::vector<registry::ItemStatus>& counted,
                             ResultsShown shown) {
  std::string out;
  out.reserve(64 + (shown == ResultsShown::all ? report.items.size() * 160 : 0));
  out += '{';
  for (auto k : counted) {
    out += '"';
    out += registry::item_status_name(k);
    out += "\":";
    out += std::to_string(report.count(k));
    out += ',';
  }
  out += "\"results\":[";
  bool first = true;
  for (std::size_t i = 0; i < report.items.size(); ++i) {
    const registry::ItemOutcome& o = report.items[i];
    if (shown == ResultsShown::refused && o.status != registry::ItemStatus::refused) continue;
    if (!first) out += ',';
    first = false;
    append_item_json(out, i, o);
  }
  out += "]}";
  return out;
}

// Replies from the Writer thread, or from a preparation thread for a refused request
// (Request::reply posts to the worker's loop).
registry::Registry::Callback reply_with(std::shared_ptr<http::Request> req,
                                        std::initializer_list<registry::ItemStatus> counted,
                                        ResultsShown shown = ResultsShown::all) {
  std::vector<registry::ItemStatus> kinds(counted);
  return [req = std::move(req), kinds, shown](Result<registry::BatchReport> result) {
    if (!result) {
      const Error& e = result.error();
      if (e.is_refusal()) {
        req->reply_error(e);
        return;
      }
      log().error("batch write failed: {}: {}", e.code, e.message);
      req->reply_error(500, "storage_error", e.message);
      return;
    }
    // Every item refused because the caller does not operate its issuer: the request as a
    // whole is forbidden (the refusals are already in the event log).
    const bool all_denied = !result->items.empty() &&
                            std::all_of(result->items.begin(), result->items.end(), [](const registry::ItemOutcome& o) {
                              return o.error && o.error->kind == ErrorKind::forbidden;
                            });
    if (all_denied) {
      req->reply_error(403, "issuer_not_operated", result->items.front().error->message);
      return;
    }
    req->note("items", std::to_string(result->items.size()));
    req->reply(200, "application/json", batch_reply_body(*result, kinds, shown));
  };
}

void handle_certificates(http::Request& req, registry::Registry& registry, ApiContext& ctx) {
  auto actor = writer_actor(req, ctx, "certificate.ingest");
  if (!actor) return;
  auto shown = results_or_reply(req);
  if (!shown) return;
  // The body is decoded on a preparation thread (Registry::ingest_body); here it is only
  // copied out of the connection's buffer.
  std::string content_type(req.header("Content-Type").value_or(""));
  ByteView body = req.body();
  auto shared = std::make_shared<http::Request>(std::move(req));
  registry.ingest_body(std::move(content_type), Bytes(body.begin(), body.end()), std::move(*actor),
                       reply_with(shared,
                                  {registry::ItemStatus::stored, registry::ItemStatus::duplicate,
                                   registry::ItemStatus::refused},
                                  *shown));
}

// One revocation object -> input; fields must be strings when present ("release" a boolean).
std::optional<registry::RevocationInput> revocation_from_json(const json& j) {
  if (!j.is_object()) return std::nullopt;
  registry::RevocationInput in;
  if (auto it = j.find("release"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return std::nullopt;
    in.release = it->get<bool>();
  }
  for (auto& [field, target] : {std::pair<const char*, std::string*>{"issuer", &in.issuer},
                                {"serial", &in.serial_hex},
                                {"reason", &in.reason},
                                {"time", &in.time},
                                {"invalidity_date", &in.invalidity_date}}) {
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) return std::nullopt;
    *target = it->get<std::string>();
  }
  return in;
}

// The revocations of a body: one revocation object, or {"revocations": [...]}. Parsed
// with the limits applied while parsing (bounded_json.hpp). Pure: runs on any thread.
Result<std::vector<registry::RevocationInput>> revocations_from_body(ByteView body) {
  const JsonLimits limits{
      16, kMaxRevocationsPerBatch,
      make_error(ErrorKind::too_large, "batch_too_large",
                 "at most " + std::to_string(kMaxRevocationsPerBatch) + " revocations"),
      "the body is not a JSON object"};
  auto doc = parse_bounded_json(body, limits);
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) return make_error(ErrorKind::invalid, "json_malformed", "the body is not a JSON object");
  std::vector<registry::RevocationInput> inputs;
  if (auto it = doc->find("revocations"); it != doc->end()) {
    if (!it->is_array())
      return make_error(ErrorKind::invalid, "json_malformed", "\"revocations\" must be an array");
    // The parser stopped at item kMaxRevocationsPerBatch + 1 already.
    inputs.reserve(it->size());
    for (const auto& item : *it) {
      auto in = revocation_from_json(item);
      if (!in)
        return make_error(ErrorKind::invalid, "json_malformed",
                          "each revocation is an object of string fields (and an optional boolean \"release\")");
      inputs.push_back(std::move(*in));
    }
    return inputs;
  }
  auto in = revocation_from_json(*doc);
  if (!in) return make_error(ErrorKind::invalid, "json_malformed", "revocation fields must be strings (\"release\" a boolean)");
  inputs.push_back(std::move(*in));
  return inputs;
}

}  // namespace

// Owns the pool that parses large revocation bodies, off the workers' loops.
class ApiRoutes {
 public:
  ApiRoutes() : pool_(1, "json", kParseNice) {}
  ThreadPool& pool() { return pool_; }

 private:
  // Below the loops, like the registry's preparation threads: a large body must not
  // delay the OCSP answers of the worker that received it.
  static constexpr int kParseNice = 10;
  ThreadPool pool_;
};

namespace {

void handle_revocations(http::Request& req, registry::Registry& registry, ApiContext& ctx, ThreadPool& pool) {
  auto actor = writer_actor(req, ctx, "certificate.revoke");
  if (!actor) return;
  auto shown = results_or_reply(req);
  if (!shown) return;
  if (registry::media_type(req.header("Content-Type").value_or("")) != "application/json") {
    req.reply_error(415, "unsupported_media_type", "use application/json");
    return;
  }
  const ByteView body = req.body();  // read here, on the loop; valid until the reply
  auto shared = std::make_shared<http::Request>(std::move(req));
  auto revoke = [&registry, shared, body, shown = *shown, actor = std::move(*actor)]() mutable {
    auto inputs = revocations_from_body(body);
    if (!inputs) return shared->reply_error(inputs.error());
    registry.revoke(std::move(*inputs), std::move(actor),
                    reply_with(shared,
                               {registry::ItemStatus::revoked, registry::ItemStatus::unchanged,
                                registry::ItemStatus::released, registry::ItemStatus::refused},
                               shown));
  };
  // A small body (the usual single revocation) is parsed right here; a large one on the
  // pool, so the worker goes on answering (OCSP) meanwhile.
  if (body.size() <= kInlineJsonBytes) return revoke();
  pool.submit(std::move(revoke));
}

void handle_crl(http::Request& req, registry::Registry& registry, ApiContext& ctx) {
  auto actor = writer_actor(req, ctx, "certificate.revoke");
  if (!actor) return;
  auto shown = results_or_reply(req);
  if (!shown) return;
  const std::string type = registry::media_type(req.header("Content-Type").value_or(""));
  if (type != "application/pkix-crl" && type != "application/x-pem-file" && type != "application/octet-stream") {
    req.reply_error(415, "unsupported_media_type", "send the CRL as application/pkix-crl (DER) or PEM");
    return;
  }
  ByteView body = req.body();
  auto shared = std::make_shared<http::Request>(std::move(req));
  registry.upload_crl(Bytes(body.begin(), body.end()), std::move(*actor),
                      reply_with(shared,
                                 {registry::ItemStatus::revoked, registry::ItemStatus::unchanged,
                                  registry::ItemStatus::refused},
                                 *shown));
}

// Query parameters that are not an attribute.
bool is_search_option(std::string_view key) {
  for (std::string_view k : {"status", "at", "issuer", "issued_after", "issued_before", "cursor", "limit"})
    if (key == k) return true;
  return false;
}

void handle_search(http::Request& req, const registry::CertificateSearch& search, ApiContext& ctx) {
  if (!guard(req, ctx, access::Need::read, "certificate.search")) return;
  registry::SearchQuery q;
  // Every parameter that is not an option names the attribute searched (one at most).
  std::string_view raw = req.raw_query();
  while (!raw.empty()) {
    const std::size_t amp = raw.find('&');
    const std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq));
    if (!key || key->empty() || is_search_option(*key)) continue;
    auto value = req.query(*key);
    if (!value) return req.reply_error(400, "query_invalid", "unreadable value for \"" + *key + "\"");
    if (q.attribute) return req.reply_error(400, "query_invalid", "search by one attribute at a time");
    auto attribute = registry::parse_attribute_query(*key, *value);
    if (!attribute) return req.reply_error(400, attribute.error().code, attribute.error().message);
    q.attribute = std::move(*attribute);
  }
  if (auto v = req.query("status")) {
    auto f = registry::status_filter_from_name(*v);
    if (!f) return req.reply_error(400, "query_invalid", "status must be valid, revoked, expired, not_yet_valid or any");
    q.status = *f;
  }
  for (auto [name, target] : {std::pair<const char*, std::optional<UnixTime>*>{"issued_after", &q.issued_after},
                              {"issued_before", &q.issued_before}}) {
    if (auto v = req.query(name)) {
      auto t = parse_rfc3339(*v);
      if (!t) return req.reply_error(400, "query_invalid", std::string(name) + " must be an RFC 3339 time");
      *target = *t;
    }
  }
  if (auto v = req.query("at")) {
    auto t = parse_rfc3339(*v);
    if (!t) return req.reply_error(400, "query_invalid", "at must be an RFC 3339 time");
    q.at = *t;
  }
  if (auto v = req.query("issuer")) q.issuer = *v;
  if (auto v = req.query("cursor")) q.cursor = *v;
  if (auto v = req.query("limit")) {
    auto n = parse_id<std::size_t>(*v);
    if (!n || *n > registry::kMaxSearchLimit)
      return req.reply_error(400, "query_invalid", "limit must be 1.." + std::to_string(registry::kMaxSearchLimit));
    q.limit = *n;
  }
  WorkerState& state = worker_state(req);
  storage::ReadScope scope(state.txn);
  if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
  auto page = search.search(state.txn, q);
  if (!page) {
    const Error& e = page.error();
    if (!e.is_refusal()) log().error("certificate search failed: {}: {}", e.code, e.message);
    return req.reply_error(e);
  }
  json items = json::array();
  for (const auto& item : page->items) items.push_back(registry::to_json(item));
  json body = {{"certificates", std::move(items)},
               {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}};
  req.reply_json(200, body, {{"Cache-Control", "no-store"}});
}

// The certificate's status changes (revocations, holds, releases) from the event log,
// oldest first: {"seq","time","type","actor","reason"?,"revocation_time"?}.
Result<json> status_history(const storage::ReadTxn& txn, ByteView cert_key) {
  json out = json::array();
  auto seqs = storage::cert_event_seqs(txn, cert_key);
  if (!seqs) return std::move(seqs).error();
  for (std::uint64_t seq : *seqs) {
    const Bytes key = storage::encode_event_key(seq);
    auto got = txn.get(storage::Table::events, key);
    if (!got) return std::move(got).error();
    if (!*got) continue;
    auto e = storage::decode_event(key, **got);
    if (!e) return std::move(e).error();
    json item = {{"seq", e->seq}, {"time", format_rfc3339(e->time)}, {"type", e->type}, {"actor", e->actor}};
    json payload = json::parse(e->payload, nullptr, false);
    if (payload.is_object()) {
      for (const char* field : {"reason", "revocation_time", "invalidity_date"})
        if (payload.contains(field)) item[field] = payload[field];
    }
    out.push_back(std::move(item));
  }
  return out;
}

void handle_certificate(http::Request& req, const registry::CertificateSearch& search, ApiContext& ctx) {
  if (!guard(req, ctx, access::Need::read, "certificate.read")) return;
  constexpr std::string_view kPrefix = "/api/v1/certificates/";
  std::string_view hex = req.path().substr(kPrefix.size());
  auto raw = hex_decode(hex);
  if (!raw || raw->size() != 32) return req.reply_error(404, "certificate_not_found", "not a certificate SHA-256");
  Sha256 sha{};
  std::copy(raw->begin(), raw->end(), sha.begin());
  WorkerState& state = worker_state(req);
  storage::ReadScope scope(state.txn);
  if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
  auto got = search.get_by_sha256(state.txn, sha);
  if (!got) return req.reply_error(500, got.error().code, got.error().message);
  if (!*got) return req.reply_error(404, "certificate_not_found", "no certificate with this SHA-256");
  const std::string accept(req.header("Accept").value_or(""));
  if (accept.find("application/pkix-cert") != std::string::npos)
    return req.reply(200, "application/pkix-cert", ByteView((*got)->der), {{"Cache-Control", "no-store"}});
  json body = registry::to_json((*got)->summary);
  body["der"] = base64_encode((*got)->der);
  auto history = status_history(state.txn, (*got)->cert_key);
  if (!history) return req.reply_error(500, history.error().code, history.error().message);
  body["history"] = std::move(*history);
  req.reply_json(200, body, {{"Cache-Control", "no-store"}});
}

}  // namespace

std::shared_ptr<ApiRoutes> add_api_routes(http::Router& router, registry::Registry& registry,
                                          const registry::CertificateSearch& search, ApiContext& ctx) {
  auto routes = std::make_shared<ApiRoutes>();
  ThreadPool& pool = routes->pool();
  router.add(http::Method::Post, "/api/v1/certificates",
             [&registry, &ctx](http::Request& req) { handle_certificates(req, registry, ctx); }, http::kBulkRoute);
  router.add(http::Method::Get, "/api/v1/certificates",
             [&search, &ctx](http::Request& req) { handle_search(req, search, ctx); }, http::kApiRoute);
  router.add_prefix(http::Method::Get, "/api/v1/certificates/",
                    [&search, &ctx](http::Request& req) { handle_certificate(req, search, ctx); }, http::kApiRoute);
  router.add(http::Method::Post, "/api/v1/revocations",
             [&registry, &ctx, &pool](http::Request& req) { handle_revocations(req, registry, ctx, pool); }, http::kBulkRoute);
  router.add(http::Method::Post, "/api/v1/crls", [&registry, &ctx](http::Request& req) { handle_crl(req, registry, ctx); },
             http::kBulkRoute);
  return routes;
}

}  // namespace trustmon::routes
