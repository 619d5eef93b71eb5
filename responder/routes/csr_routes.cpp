#include "responder/routes/csr_routes.hpp"

#include <functional>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "responder/routes/csr_json.hpp"
#include "responder/http/worker.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "responder/registry/certificate_body.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/bounded_json.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"

namespace trustmon::routes {

using nlohmann::json;

class CsrRoutes {
 public:
  CsrRoutes(csr::CsrService& service, ApiContext& ctx) : service_(service), ctx_(ctx), pool_(1, "csr") {}

  void check(http::Request& req);
  void reserve(http::Request& req);
  void reservation(http::Request& req);
  void list(http::Request& req);
  void commit(http::Request& req);
  void release(http::Request& req);

 private:
  struct Input {
    std::vector<Bytes> csrs;
    bool batch = false;
    std::string issuer;  // name, "" = unspecified
    UnixTime ttl = 0;
  };
  // Reads the body; replies and returns nullopt when it is not usable. On the loop.
  std::optional<Input> read_input(http::Request& req, bool allow_batch);
  // A JSON body with its limits applied while parsing (bounded_json.hpp). Any thread.
  Result<Input> input_from_json(ByteView body, bool allow_batch) const;
  static bool is_json(http::Request& req);
  // The check of a read input, on the request's worker.
  void check_input(std::shared_ptr<http::Request> shared, Input in, std::uint32_t participant);
  // Completion of a commit or release: the reservation as it is now, from the Writer thread.
  std::function<void(Result<csr::Reservation>)> reply_reservation(std::shared_ptr<http::Request> req);
  // Resolves an issuer name to its id (0 for ""); replies 404 when unknown.
  std::optional<std::uint32_t> issuer_id(http::Request& req, const std::string& name);
  void reply_error(http::Request& req, const Error& e) {
    req.reply_json(http::status_of(e.kind), error_json(e));
  }

  csr::CsrService& service_;
  ApiContext& ctx_;
  ThreadPool pool_;
};

namespace {

std::optional<Bytes> csr_bytes(const json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.find("-----BEGIN") != std::string::npos) return Bytes(s.begin(), s.end());  // PEM: parse_csr reads it
  return base64_decode_lenient(s);
}

}  // namespace

bool CsrRoutes::is_json(http::Request& req) {
  return registry::media_type(req.header("Content-Type").value_or("")) == "application/json";
}

std::optional<CsrRoutes::Input> CsrRoutes::read_input(http::Request& req, bool allow_batch) {
  const std::string type = registry::media_type(req.header("Content-Type").value_or(""));
  ByteView body = req.body();
  if (type == "application/pkcs10" || type == "application/x-pem-file" || type == "application/octet-stream") {
    Input in;
    in.csrs.emplace_back(body.begin(), body.end());
    if (auto issuer = req.query("issuer")) in.issuer = *issuer;
    return in;
  }
  if (type != "application/json") {
    req.reply_error(415, "unsupported_media_type", "use application/json, application/pkcs10 or application/x-pem-file");
    return std::nullopt;
  }
  auto in = input_from_json(body, allow_batch);
  if (!in) {
    req.reply_error(in.error());
    return std::nullopt;
  }
  return std::move(*in);
}

Result<CsrRoutes::Input> CsrRoutes::input_from_json(ByteView body, bool allow_batch) const {
  const std::size_t max_batch = service_.policy().max_check_batch;
  const auto batch_too_large = make_error(ErrorKind::too_large, "csr_batch_too_large",
                                          "at most " + std::to_string(max_batch) + " requests per batch");
  // Items per array or object: a batch's "csrs" at most (checked while parsing).
  auto doc = parse_bounded_json(body, JsonLimits{16, max_batch, batch_too_large, "the body must be a JSON object"});
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) return make_error(ErrorKind::invalid, "json_malformed", "the body must be a JSON object");
  Input in;
  if (auto it = doc->find("issuer"); it != doc->end() && !it->is_null()) {
    if (!it->is_string()) return make_error(ErrorKind::invalid, "invalid_argument", "\"issuer\" must be an issuer name");
    in.issuer = it->get<std::string>();
  }
  if (auto it = doc->find("ttl"); it != doc->end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
      return make_error(ErrorKind::invalid, "ttl_out_of_range", "\"ttl\" must be a number of seconds");
    in.ttl = it->get<std::int64_t>();
  }
  if (auto it = doc->find("csrs"); allow_batch && it != doc->end()) {
    if (!it->is_array()) return make_error(ErrorKind::invalid, "json_malformed", "\"csrs\" must be an array");
    if (it->size() > max_batch) return batch_too_large;  // the parser stops earlier; kept as the rule
    in.batch = true;
    for (const auto& v : *it) {
      auto bytes = csr_bytes(v);
      if (!bytes) return make_error(ErrorKind::invalid, "csr_malformed", "each request is a PEM or base64 DER string");
      in.csrs.push_back(std::move(*bytes));
    }
    return in;
  }
  auto it = doc->find("csr");
  auto bytes = it == doc->end() ? std::nullopt : csr_bytes(*it);
  if (!bytes)
    return make_error(ErrorKind::invalid, "csr_malformed", "\"csr\" must be a PEM or base64 DER certificate request");
  in.csrs.push_back(std::move(*bytes));
  return in;
}

std::optional<std::uint32_t> CsrRoutes::issuer_id(http::Request& req, const std::string& name) {
  if (name.empty()) return 0U;
  const pki::Issuer* k = ctx_.issuers.find_by_name(name);
  if (!k) {
    req.reply_error(404, "issuer_not_found", "no configured issuer is named \"" + name + "\"");
    return std::nullopt;
  }
  return k->id;
}

void CsrRoutes::check(http::Request& req) {
  auto principal = guard(req, ctx_, access::Need::read, "csr.check");
  if (!principal) return;
  const std::uint32_t participant = principal->actor.participant;
  if (is_json(req) && req.body().size() > kInlineJsonBytes) {
    // A large JSON body (a batch) is parsed on the pool, off the event loop; the check
    // goes on back on the request's worker.
    const ByteView body = req.body();  // read on the loop; valid until the reply
    auto shared = std::make_shared<http::Request>(std::move(req));
    pool_.submit([this, shared, body, participant] {
      auto in = input_from_json(body, true);
      if (!in) return shared->reply_error(in.error());
      auto input = std::make_shared<Input>(std::move(*in));
      shared->worker().post([this, shared, input, participant] { check_input(shared, std::move(*input), participant); });
    });
    return;
  }
  auto in = read_input(req, true);
  if (!in) return;
  check_input(std::make_shared<http::Request>(std::move(req)), std::move(*in), participant);
}

void CsrRoutes::check_input(std::shared_ptr<http::Request> shared, Input in, std::uint32_t participant) {
  http::Request& req = *shared;
  auto issuer = issuer_id(req, in.issuer);
  if (!issuer) return;
  const std::uint32_t issuer_value = *issuer;
  if (!in.batch) {
    // One request: parsed and checked right here (a fraction of a millisecond, like a
    // live OCSP signature), in the worker's snapshot.
    auto parsed = csr::parse_csr(in.csrs.front());
    if (!parsed) return reply_error(req, parsed.error());
    WorkerState& state = worker_state(req);
    storage::ReadScope scope(state.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
    auto r = service_.check(state.txn, *parsed, participant, issuer_value);
    if (!r) return reply_error(req, r.error());
    return req.reply_json(200, to_json(*r));
  }
  // A batch (up to max_check_batch requests) is parsed on the pool, off the event loop,
  // then checked back on the request's worker against one snapshot.
  auto input = std::make_shared<Input>(std::move(in));
  pool_.submit([this, shared, input, participant, issuer_value] {
    std::vector<csr::ParsedCsr> parsed;
    parsed.reserve(input->csrs.size());
    std::vector<std::optional<Error>> errors(input->csrs.size());
    for (std::size_t i = 0; i < input->csrs.size(); ++i) {
      auto p = csr::parse_csr(input->csrs[i]);
      if (!p) {
        errors[i] = p.error();
        parsed.emplace_back();  // placeholder, never checked
        continue;
      }
      parsed.push_back(std::move(*p));
    }
    http::Worker& worker = shared->worker();
    worker.post([this, shared, parsed = std::move(parsed), errors = std::move(errors), participant,
                 issuer_value]() mutable {
      WorkerState& state = worker_state(*shared);
      storage::ReadScope scope(state.txn);
      if (!scope.status()) return shared->reply_error(503, "storage_unavailable", "cannot read");
      std::vector<csr::ParsedCsr> good;
      for (std::size_t i = 0; i < parsed.size(); ++i)
        if (!errors[i]) good.push_back(parsed[i]);
      auto r = service_.check_batch(state.txn, good, participant, issuer_value);
      if (!r) return reply_error(*shared, r.error());
      json results = json::array();
      std::size_t next = 0;
      for (std::size_t i = 0; i < parsed.size(); ++i) {
        json item = errors[i] ? error_json(*errors[i]) : to_json((*r)[next++]);
        item["index"] = i;
        results.push_back(std::move(item));
      }
      shared->reply_json(200, json{{"results", std::move(results)}});
    });
  });
}

void CsrRoutes::reserve(http::Request& req) {
  auto principal = guard(req, ctx_, access::Need::write, "csr.reserve");
  if (!principal) return;
  if (principal->kind != access::ParticipantKind::qtsp) {
    deny(req, ctx_, principal->actor, "csr.reserve", json{{"path", std::string(req.path())}},
         make_error(ErrorKind::forbidden, "participant_kind_not_allowed", "only qualified trust service providers reserve requests"));
    return;
  }
  auto in = read_input(req, false);
  if (!in) return;
  auto issuer = issuer_id(req, in->issuer);
  if (!issuer) return;
  auto parsed = csr::parse_csr(in->csrs.front());
  if (!parsed) return reply_error(req, parsed.error());
  auto shared = std::make_shared<http::Request>(std::move(req));
  service_.reserve(std::move(*parsed), principal->actor, *issuer, in->ttl,
                   [this, shared](Result<csr::ReserveOutcome> r) {
                     if (!r) return reply_error(*shared, r.error());
                     const int status = r->reservation ? 201 : 409;
                     shared->reply_json(status, to_json(*r, service_.now()));
                   });
}

void CsrRoutes::reservation(http::Request& req) {
  auto id = path_id<csr::ReservationId>(req);
  if (!id) return;
  auto principal = guard(req, ctx_, access::Need::read, "csr.reservation.read");
  if (!principal) return;
  WorkerState& state = worker_state(req);
  storage::ReadScope scope(state.txn);
  if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
  auto got = service_.get(state.txn, *id);
  if (!got) return reply_error(req, got.error());
  const bool admin = principal->role == access::Role::admin && principal->kind == access::ParticipantKind::central_body;
  // Someone else's reservation is not shown (its id would tell who is issuing what).
  if (!*got || (!admin && (*got)->participant != principal->actor.participant))
    return reply_error(req, make_error(ErrorKind::not_found, "reservation_not_found", "no reservation " + std::to_string(*id)));
  req.reply_json(200, json{{"reservation", to_json(**got, service_.now())}});
}

// GET /api/v1/csr/reservations?state=&before=&limit=: the caller's reservations (every
// participant's for a central-body admin), newest first. A page looks at most kListScan
// records, so a participant with few reservations among many still gets a bounded answer:
// `next` (the id to pass as `before`) says where to go on.
void CsrRoutes::list(http::Request& req) {
  constexpr std::size_t kListScan = 20000;
  auto principal = guard(req, ctx_, access::Need::read, "csr.reservation.list");
  if (!principal) return;
  std::size_t limit = 50;
  if (auto l = req.query("limit")) {
    auto v = parse_id<std::uint32_t>(*l);
    if (!v || *v > 500) return req.reply_error(400, "invalid_argument", "limit must be 1..500");
    limit = *v;
  }
  std::optional<csr::ReservationId> before;
  if (auto b = req.query("before")) {
    before = parse_id<csr::ReservationId>(*b);
    if (!before) return req.reply_error(400, "invalid_argument", "before must be a reservation id");
  }
  std::optional<std::string> state = req.query("state");
  const bool all = is_central_admin(*principal);
  const std::uint32_t own = principal->actor.participant;
  const UnixTime now = service_.now();
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    auto cur = storage::Cursor::open(txn, storage::Table::csr_reservations);
    if (!cur) return std::move(cur).error();
    Result<bool> at = before ? cur->seek(csr::encode_reservation_key(*before)) : cur->last();
    if (before) {
      // seek lands on the first key >= before: step back to the first one below it.
      if (!at) return std::move(at).error();
      at = *at ? cur->prev() : cur->last();
    }
    json items = json::array();
    std::size_t scanned = 0;
    std::optional<csr::ReservationId> next;
    for (; at.ok() && *at; at = cur->prev()) {
      auto r = csr::decode_reservation(cur->value());
      if (!r) return std::move(r).error();
      if (items.size() == limit || scanned == kListScan) {
        next = r->id + 1;  // "before" is exclusive: resume at this record
        break;
      }
      ++scanned;
      if (!all && r->participant != own) continue;
      if (state && *state != csr::state_name(csr::effective_state(*r, now))) continue;
      items.push_back(to_json(*r, now));
    }
    if (!at) return std::move(at).error();
    json out = {{"reservations", std::move(items)}};
    out["next"] = next ? json(std::to_string(*next)) : json(nullptr);
    return out;
  });
}

std::function<void(Result<csr::Reservation>)> CsrRoutes::reply_reservation(std::shared_ptr<http::Request> req) {
  return [this, req](Result<csr::Reservation> res) {
    if (!res) return reply_error(*req, res.error());
    req->reply_json(200, json{{"reservation", to_json(*res, service_.now())}});
  };
}

void CsrRoutes::release(http::Request& req) {
  auto id = path_id<csr::ReservationId>(req);
  if (!id) return;
  auto principal = guard(req, ctx_, access::Need::write, "csr.release");
  if (!principal) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  service_.release(*id, principal->actor, reply_reservation(shared));
}

void CsrRoutes::commit(http::Request& req) {
  auto id = path_id<csr::ReservationId>(req);
  if (!id) return;
  auto principal = guard(req, ctx_, access::Need::write, "csr.commit");
  if (!principal) return;
  // Two fields: a small bound stops a nested or many-item body at once.
  auto parsed_doc = parse_bounded_json(
      req.body(), JsonLimits{4, 16, make_error(ErrorKind::invalid, "json_malformed", "the body must be a JSON object"),
                             "the body must be a JSON object"});
  if (!parsed_doc || !parsed_doc->is_object()) return req.reply_error(400, "json_malformed", "the body must be a JSON object");
  const json& doc = *parsed_doc;
  Sha256 cert_sha{};
  std::optional<Sha256> cert_spki;
  if (auto it = doc.find("certificate"); it != doc.end() && it->is_string()) {
    auto certs = x509s_from_pem(it->get<std::string>());
    if (!certs || certs->empty())
      return req.reply_error(400, "certificate_malformed", "\"certificate\" must be a PEM certificate");
    X509* cert = certs->front().get();
    cert_sha = sha256(x509_der(cert));
    auto spki = pki::key_fingerprint(X509_get_X509_PUBKEY(cert));
    if (!spki) return reply_error(req, spki.error());
    cert_spki = *spki;
  } else if (auto h = doc.find("certificate_sha256"); h != doc.end() && h->is_string()) {
    auto raw = hex_decode(h->get<std::string>());
    if (!raw || raw->size() != cert_sha.size())
      return req.reply_error(400, "invalid_argument", "\"certificate_sha256\" must be 64 hex digits");
    std::copy(raw->begin(), raw->end(), cert_sha.begin());
  } else {
    return req.reply_error(400, "invalid_argument", "give \"certificate\" (PEM) or \"certificate_sha256\"");
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  service_.commit(*id, cert_sha, cert_spki, principal->actor, reply_reservation(shared));
}

std::shared_ptr<CsrRoutes> add_csr_routes(http::Router& router, csr::CsrService& service, ApiContext& ctx) {
  using M = http::Method;
  auto routes = std::make_shared<CsrRoutes>(service, ctx);
  CsrRoutes* r = routes.get();
  router.add(M::Post, "/api/v1/csr/check", [r](http::Request& req) { r->check(req); }, http::kBulkRoute);
  router.add(M::Post, "/api/v1/csr/reservations", [r](http::Request& req) { r->reserve(req); }, http::kApiRoute);
  router.add(M::Get, "/api/v1/csr/reservations", [r](http::Request& req) { r->list(req); }, http::kApiRoute);
  router.add(M::Get, "/api/v1/csr/reservations/{id}", [r](http::Request& req) { r->reservation(req); }, http::kApiRoute);
  router.add(M::Post, "/api/v1/csr/reservations/{id}/commit", [r](http::Request& req) { r->commit(req); }, http::kApiRoute);
  router.add(M::Post, "/api/v1/csr/reservations/{id}/release", [r](http::Request& req) { r->release(req); }, http::kApiRoute);
  return routes;
}

}  // namespace trustmon::routes
