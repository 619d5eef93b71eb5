#include "responder/routes/testca_routes.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "common/time.hpp"
#include "responder/routes/http_cache.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"
#include "responder/testbed/test_ca.hpp"
#include "responder/registry/serial_hex.hpp"
#include "storage/records.hpp"

namespace trustmon::routes {

class TestcaRoutes {
 public:
  TestcaRoutes() : pool_(2, "testca", kNice) {}
  ThreadPool& pool() { return pool_; }

 private:
  static constexpr int kNice = 5;
  ThreadPool pool_;
};

namespace {

using nlohmann::json;

// What testca_certs keeps per certificate (format 1, JSON): who asked for it, and how.
constexpr std::uint8_t kRecordFormat = 1;

struct Context {
  Context(ApiContext& a, storage::Writer& w, registry::Registry& r, const testbed::TestPki& p, testbed::FaultBoard& f,
          ThreadPool& t, const testbed::TestListFiles& l, std::string b)
      : api(a), writer(w), registry(r), pki(p), faults(f), pool(t), list(l), base_url(std::move(b)) {}
  ApiContext& api;
  storage::Writer& writer;
  registry::Registry& registry;
  const testbed::TestPki& pki;
  testbed::FaultBoard& faults;
  ThreadPool& pool;
  const testbed::TestListFiles& list;
  std::string base_url;
  std::atomic<int> queued{0};  // issue requests waiting for the pool (bounded: kMaxQueued)
};

// Issue requests that may wait for the routes' pool at once (key generation and signing
// queue there); past it: 503 testca_busy.
constexpr int kMaxQueued = 64;

const char* algorithm_name(const testbed::TestCa& ca) { return pki::key_algorithm_name(ca.algorithm); }

void handle_cas(http::Request& req, Context& c) {
  json cas = json::array();
  for (const auto& ca : c.pki.cas()) {
    auto pem = pki::cert_pem(ca.ca.cert.get());
    cas.push_back({{"name", ca.name},
                   {"algorithm", algorithm_name(ca)},
                   {"certificate", pem ? *pem : std::string()},
                   {"ocsp_url", c.base_url + "/ocsp"},
                   {"crl_url", c.base_url + "/crl/" + ca.name + ".crl"}});
  }
  auto root = pki::cert_pem(c.pki.root().cert.get());
  req.reply_json(200, {{"cas", std::move(cas)}, {"root", root ? *root : std::string()},
                       {"tsa_url", c.base_url + "/testca/tsa"}});
}

void handle_file(http::Request& req, Context& c) {
  std::string_view file = req.path_param("file");
  const std::string date = format_http_date(c.list.issued);
  const http::Header list_headers[] = {{"Last-Modified", date}, {"Cache-Control", "max-age=300, public"}};
  if (file == "TL-UA-TEST.xml") return req.reply(200, "application/xml", as_bytes(c.list.xml), list_headers);
  if (file == "CACertificates.Test.p7b") return req.reply(200, "application/pkcs7-mime", c.list.p7b, list_headers);
  if (file == "CAs.Test.json") return req.reply(200, "application/json", as_bytes(c.list.cas_json), list_headers);
  constexpr std::string_view kSuffix = ".cer";
  const testbed::TestCa* ca =
      file.ends_with(kSuffix) ? c.pki.find(file.substr(0, file.size() - kSuffix.size())) : nullptr;
  if (ca == nullptr)
    return req.reply_error(404, "testca_unknown",
                           "the test bed's files are /testca/{ca}.cer, TL-UA-TEST.xml, CACertificates.Test.p7b and "
                           "CAs.Test.json");
  auto der = pki::cert_der(ca->ca.cert.get());
  if (!der) return req.reply_error(der.error());
  req.reply(200, "application/pkix-cert", *der, {{"Cache-Control", "max-age=86400, public"}});
}

json issued_json(const testbed::IssuedCert& cert) {
  return {{"serial", cert.serial_hex}, {"certificate", cert.pem}, {"not_before", format_rfc3339(cert.not_before)},
          {"not_after", format_rfc3339(cert.not_after)}};
}

// Keeps who asked for each stored certificate (for faults on one serial).
void record_issued(Context& c, storage::IssuerId issuer, std::vector<std::string> serials, std::uint32_t participant,
                   std::string scenario, std::string profile, UnixTime now, std::function<void(Status)> done) {
  c.writer.submit(
      [issuer, serials = std::move(serials), participant, scenario = std::move(scenario), profile = std::move(profile),
       now](storage::WriteTxn& txn) -> Status {
        for (const auto& hex : serials) {
          auto serial = registry::serial_from_hex(hex);
          if (!serial) return make_error(ErrorKind::internal, "serial_invalid", "issued serial " + hex);
          const std::string doc = json{{"participant", participant}, {"scenario", scenario}, {"profile", profile},
                                       {"issued", format_rfc3339(now)}}
                                      .dump();
          Bytes value{kRecordFormat};
          value.insert(value.end(), doc.begin(), doc.end());
          if (Status s = txn.put(storage::Table::testca_certs, storage::encode_cert_key(issuer, *serial), value); !s)
            return s;
        }
        return {};
      },
      std::move(done));
}

// The participant who asked for a test certificate (0 when unknown).
std::uint32_t requester_of(const storage::ReadTxn& txn, storage::IssuerId issuer, ByteView serial) {
  auto got = txn.get(storage::Table::testca_certs, storage::encode_cert_key(issuer, serial));
  if (!got || !*got || (*got)->empty() || (**got)[0] != kRecordFormat) return 0;
  auto doc = json::parse((*got)->begin() + 1, (*got)->end(), nullptr, false);
  if (!doc.is_object()) return 0;
  const auto it = doc.find("participant");
  return it != doc.end() && it->is_number_unsigned() ? it->get<std::uint32_t>() : 0;
}

void fail(const std::shared_ptr<http::Request>& req, const Error& e) {
  if (!e.is_refusal()) log().error("testca: {}: {}", e.code, e.message);
  req->reply_error(e);
}

void handle_issue(http::Request& req, Context& c) {
  constexpr std::string_view kAction = "testca.issue";
  auto principal = guard(req, c.api, access::Need::write, kAction);
  if (!principal) return;
  auto body = body_object(req);
  if (!body) return;
  const UnixTime now = c.api.clock.now();
  auto request = testbed::parse_issue_request(*body, now);
  if (!request) return req.reply_error(request.error());
  const testbed::TestCa* ca = c.pki.find(request->ca);
  const pki::Issuer* issuer = ca != nullptr ? c.api.issuers.find_by_name(ca->name) : nullptr;
  if (issuer == nullptr) return req.reply_error(404, "testca_unknown", "no test CA is named " + request->ca);
  const Actor actor = with_test_issuers(principal->actor, c.api.issuers);
  if (c.queued.fetch_add(1) >= kMaxQueued) {
    c.queued.fetch_sub(1);
    return req.reply_error(503, "testca_busy", "too many test certificates are being issued; try again shortly",
                           {{"Retry-After", "1"}});
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, request = std::move(*request), issuer, actor, now] {
    c.queued.fetch_sub(1);
    auto made = testbed::issue(c.pki, request, now, c.base_url);
    if (!made) return fail(shared, made.error());
    auto result = std::make_shared<testbed::IssueResult>(std::move(*made));
    json reply = issued_json(result->certificate);
    reply["chain"] = result->chain_pem;
    reply["scenario"] = testbed::scenario_name(request.scenario);
    reply["profile"] = testbed::profile_name(request.profile);
    reply["ca"] = request.ca;
    reply["ocsp_url"] = c.base_url + "/ocsp";
    reply["crl_url"] = c.base_url + "/crl/" + request.ca + ".crl";
    if (!result->private_key_pem.empty()) reply["private_key"] = result->private_key_pem;
    if (result->first) reply["duplicate_of"] = issued_json(*result->first);
    if (!result->store) {
      reply["stored"] = false;  // untrusted_issuer: no issuer here knows its CA
      shared->reply_json(201, reply, {{"Cache-Control", "no-store"}});
      return;
    }
    reply["stored"] = true;
    std::vector<Bytes> ders;
    std::vector<std::string> serials;
    if (result->first) {
      ders.push_back(result->first->der);
      serials.push_back(result->first->serial_hex);
    }
    ders.push_back(result->certificate.der);
    serials.push_back(result->certificate.serial_hex);
    auto answer = std::make_shared<json>(std::move(reply));
    // 3. who asked, then the answer.
    auto finish = [shared, &c, answer, issuer, serials, actor, request, now]() {
      record_issued(c, issuer->id, serials, actor.participant, testbed::scenario_name(request.scenario),
                    testbed::profile_name(request.profile), now, [shared, answer](Status s) {
                      if (!s) return fail(shared, s.error());
                      shared->reply_json(201, *answer, {{"Cache-Control", "no-store"}});
                    });
    };
    // 2. the scenario's revocation or hold, through the production revocation.
    auto revoke = [shared, &c, answer, issuer, actor, request, result, finish]() {
      if (request.scenario != testbed::Scenario::revoked && request.scenario != testbed::Scenario::on_hold)
        return finish();
      registry::RevocationInput r;
      r.issuer = issuer->name;
      r.serial_hex = result->certificate.serial_hex;
      r.reason = request.scenario == testbed::Scenario::on_hold ? "certificateHold" : request.reason;
      if (request.revocation_time != 0) r.time = format_rfc3339(request.revocation_time);
      c.registry.revoke({r}, actor, [shared, answer, finish](Result<registry::BatchReport> done) {
        if (!done) return fail(shared, done.error());
        const auto& item = done->items.front();
        if (item.error) return fail(shared, *item.error);
        (*answer)["revocation"] = {{"status", registry::item_status_name(item.status)}};
        finish();
      });
    };
    // 1. the production ingest.
    c.registry.ingest(std::move(ders), actor, [shared, revoke](Result<registry::BatchReport> done) {
      if (!done) return fail(shared, done.error());
      for (const auto& item : done->items)
        if (item.error) return fail(shared, *item.error);
      revoke();
    });
  });
}

// GET /testca/ca/{sha256}.cer: a CA certificate named in CAs.Test.json.
void handle_ca_by_hash(http::Request& req, Context& c) {
  std::string_view file = req.path_param("file");
  std::vector<const X509*> all;
  for (const auto& ca : c.pki.cas()) all.push_back(ca.ca.cert.get());
  all.push_back(c.pki.tsa().cert.get());
  for (const X509* cert : all) {
    const Bytes der = x509_der(cert);
    if (file == hex_encode(sha256(der)) + ".cer") return req.reply(200, "application/pkix-cert", der);
  }
  req.reply_error(404, "certificate_not_found", "no such certificate in the test list");
}

void handle_identities(http::Request& req, Context&) { req.reply_json(200, testbed::identities_json()); }

void handle_put_fault(http::Request& req, Context& c) {
  constexpr std::string_view kAction = "testca.fault";
  auto principal = guard(req, c.api, access::Need::write, kAction);
  if (!principal) return;
  auto body = body_object(req);
  if (!body) return;
  testbed::FaultSpec spec;
  const auto str = [&](const char* key) -> std::optional<std::string> {
    const auto it = body->find(key);
    if (it == body->end() || !it->is_string() || it->get_ref<const std::string&>().size() > 128) return std::nullopt;
    return it->get<std::string>();
  };
  const auto target = str("target");
  if (!target || !testbed::parse_target(*target))
    return req.reply_error(400, "request_invalid", "target must be ocsp, crl or tsa");
  spec.target = *testbed::parse_target(*target);
  const auto fault = str("fault");
  if (!fault) return req.reply_error(400, "request_invalid", "fault (a name) is required");
  spec.fault = *fault;
  const auto issuer_name = str("issuer");
  const pki::Issuer* issuer = nullptr;
  if (issuer_name) issuer = c.api.issuers.find_by_name(*issuer_name);
  if (spec.target == testbed::FaultTarget::tsa && issuer == nullptr) {
    for (const pki::Issuer* i : c.api.issuers.all())
      if (i->test && issuer == nullptr) issuer = i;  // the TSA belongs to the bed, not to one CA
  }
  if (issuer == nullptr) return req.reply_error(404, "issuer_unknown", "issuer must name a test CA");
  spec.issuer = issuer->id;
  if (const auto s = str("serial")) {
    auto serial = registry::serial_from_hex(*s);
    if (!serial) return req.reply_error(400, "serial_invalid", "serial must be hexadecimal");
    spec.serial = std::move(*serial);
  }
  const auto number = [&](const char* key, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
    const auto it = body->find(key);
    if (it == body->end()) return true;
    if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi) return false;
    out = it->get<std::int64_t>();
    return true;
  };
  std::int64_t count = 0, seconds = 0, ms = 0, skew = 0;
  if (!number("count", 1, testbed::kMaxFaultCount, count) || !number("seconds", 1, testbed::kMaxFaultSeconds, seconds) ||
      !number("ms", 1, testbed::kMaxDelayMs, ms) ||
      !number("skew_seconds", -testbed::kMaxFaultSeconds, testbed::kMaxFaultSeconds, skew))
    return req.reply_error(400, "request_invalid", "count, seconds, ms and skew_seconds must be integers in range");
  if (count == 0 && seconds == 0) return req.reply_error(400, "request_invalid", "count or seconds is required");
  const UnixTime now = c.api.clock.now();
  spec.count = static_cast<std::uint32_t>(count);
  spec.expires = now + (seconds != 0 ? seconds : testbed::kMaxFaultSeconds);
  spec.param = spec.fault == "delay" ? ms : skew;
  spec.owner = principal->actor.participant;

  // Who may: the central body's administrators; for one serial also whoever asked the test
  // CA for that certificate.
  const bool admin = is_central_admin(*principal);
  if (!admin) {
    bool requester = false;
    if (spec.serial) {
      WorkerState& state = worker_state(req);
      storage::ReadScope scope(state.txn);
      requester = scope.status() && principal->actor.participant != 0 &&
                  requester_of(state.txn, issuer->id, *spec.serial) == principal->actor.participant;
    }
    if (!requester)
      return deny(req, c.api, principal->actor, kAction, json{{"issuer", issuer->name}},
                  make_error(ErrorKind::forbidden, "fault_not_permitted",
                             "a whole test issuer is faulted by the central body's administrators; a serial also by "
                             "whoever asked for its certificate"));
  }
  auto id = c.faults.add(std::move(spec), now);
  if (!id) {
    if (id.error().code == "issuer_not_test")
      return deny(req, c.api, principal->actor, kAction, json{{"issuer", issuer->name}}, id.error());
    return req.reply_error(id.error());
  }
  for (const auto& f : c.faults.list(now))
    if (f.id == *id) return req.reply_json(201, testbed::fault_json(f, c.api.issuers));
  req.reply_json(201, {{"id", *id}});
}

void handle_list_faults(http::Request& req, Context& c) {
  auto principal = guard(req, c.api, access::Need::read, "testca.faults");
  if (!principal) return;
  json list = json::array();
  for (const auto& f : c.faults.list(c.api.clock.now())) list.push_back(testbed::fault_json(f, c.api.issuers));
  req.reply_json(200, {{"faults", std::move(list)}});
}

void handle_delete_fault(http::Request& req, Context& c) {
  constexpr std::string_view kAction = "testca.fault.remove";
  auto principal = guard(req, c.api, access::Need::write, kAction);
  if (!principal) return;
  auto id = path_id<std::uint64_t>(req, "id");
  if (!id) return;
  const bool admin = is_central_admin(*principal);
  for (const auto& f : c.faults.list(c.api.clock.now())) {
    if (f.id != *id) continue;
    if (!admin && f.spec.owner != principal->actor.participant)
      return deny(req, c.api, principal->actor, kAction, json{{"fault", *id}},
                  make_error(ErrorKind::forbidden, "fault_not_permitted", "only who put a fault in force removes it"));
    c.faults.remove(*id);
    return req.reply_json(200, {{"removed", *id}});
  }
  req.reply_error(404, "fault_not_found", "no fault in force has this id");
}

}  // namespace

Actor with_test_issuers(Actor actor, const pki::IssuerSet& issuers) {
  if (!actor.issuers) return actor;  // every issuer already
  for (storage::IssuerId id : issuers.test_ids())
    if (!actor.may_write_issuer(id)) actor.issuers->push_back(id);
  return actor;
}

std::shared_ptr<TestcaRoutes> add_testca_routes(http::Router& router, ApiContext& ctx, storage::Writer& writer,
                                                registry::Registry& registry, const testbed::TestPki& pki,
                                                testbed::FaultBoard& faults, const testbed::TestListFiles& list,
                                                std::string base_url) {
  auto routes = std::make_shared<TestcaRoutes>();
  auto c = std::make_shared<Context>(ctx, writer, registry, pki, faults, routes->pool(), list, std::move(base_url));
  using M = http::Method;
  router.add(M::Get, "/api/v1/testca/cas", [c](http::Request& req) { handle_cas(req, *c); }, http::kOpenRoute);
  router.add(M::Get, "/api/v1/testca/identities", [c](http::Request& req) { handle_identities(req, *c); },
             http::kOpenRoute);
  router.add(M::Post, "/api/v1/testca/certificates", [c](http::Request& req) { handle_issue(req, *c); },
             http::kApiRoute);
  router.add(M::Put, "/api/v1/testca/faults", [c](http::Request& req) { handle_put_fault(req, *c); }, http::kApiRoute);
  router.add(M::Get, "/api/v1/testca/faults", [c](http::Request& req) { handle_list_faults(req, *c); },
             http::kApiRoute);
  router.add(M::Delete, "/api/v1/testca/faults/{id}", [c](http::Request& req) { handle_delete_fault(req, *c); },
             http::kApiRoute);
  router.add(M::Get, "/testca/{file}", [c](http::Request& req) { handle_file(req, *c); }, http::kOpenRoute);
  router.add(M::Get, "/testca/ca/{file}", [c](http::Request& req) { handle_ca_by_hash(req, *c); }, http::kOpenRoute);
  return routes;
}

}  // namespace trustmon::routes
