// See ksp_routes.hpp.
#include "responder/routes/ksp_routes.hpp"

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/log.hpp"
#include "common/time.hpp"
#include "responder/http/request.hpp"
#include "responder/registry/certificate_body.hpp"
#include "responder/routes/bounded_json.hpp"

namespace trustmon::routes {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxFormFields = 32;
constexpr std::size_t kMaxFieldBytes = 4096;
constexpr std::size_t kMaxBodyBytes = 16 * 1024;

struct Context {
  testbed::Ksp& ksp;
  std::string base_url;
};

constexpr http::Header kNoStore[] = {{"Cache-Control", "no-store"}, {"Pragma", "no-cache"}};

void reply(http::Request& req, int status, const json& body) { req.reply_json(status, body, kNoStore); }

// An OAuth 2.0 / CSC error body. Faults of the server are logged (their messages carry no
// secret: ksp.cpp never puts one in an error) and answered as server_error.
void reply_error(http::Request& req, const Error& e) {
  if (!e.is_refusal()) {
    log().error("test key store: {}: {}", e.code, e.message);
    return reply(req, 500, {{"error", "server_error"}, {"error_description", "the key store failed; see the server log"}});
  }
  const json body = {{"error", e.code}, {"error_description", e.message}};
  const int status = http::status_of(e.kind);
  if (e.code == "invalid_token") {
    const http::Header headers[] = {kNoStore[0], kNoStore[1], {"WWW-Authenticate", "Bearer error=\"invalid_token\""}};
    return req.reply_json(status, body, headers);
  }
  if (e.code == "invalid_client") {
    const http::Header headers[] = {kNoStore[0], kNoStore[1], {"WWW-Authenticate", "Basic realm=\"trustmon test key store\""}};
    return req.reply_json(status, body, headers);
  }
  if (e.kind == ErrorKind::unavailable) {
    const http::Header headers[] = {kNoStore[0], kNoStore[1], {"Retry-After", "1"}};
    return req.reply_json(status, body, headers);
  }
  reply(req, status, body);
}

void invalid_request(http::Request& req, std::string message) {
  reply_error(req, make_error(ErrorKind::invalid, "invalid_request", std::move(message)));
}

// One application/x-www-form-urlencoded component ('+' is a space).
std::optional<std::string> form_component(std::string_view text) {
  std::string spaced(text);
  for (char& c : spaced)
    if (c == '+') c = ' ';
  return percent_decode(spaced);
}

// name -> value of a form body or query; nullopt when malformed, a name repeats (RFC 6749
// §3.1) or a cap is passed.
using Fields = std::map<std::string, std::string, std::less<>>;
std::optional<Fields> parse_form(std::string_view text) {
  Fields out;
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto name = form_component(pair.substr(0, eq));
    auto value = form_component(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value || value->size() > kMaxFieldBytes || out.size() >= kMaxFormFields) return std::nullopt;
    if (!out.emplace(std::move(*name), std::move(*value)).second) return std::nullopt;
  }
  return out;
}

std::string field(const Fields& f, std::string_view name) {
  const auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

// A small JSON object body ({} when empty); replies invalid_request and returns nullopt
// otherwise.
std::optional<json> json_object(http::Request& req) {
  const ByteView body = req.body();
  if (body.empty()) return json::object();
  if (body.size() > kMaxBodyBytes) {
    invalid_request(req, "the body is larger than 16 KiB");
    return std::nullopt;
  }
  auto doc = parse_bounded_json(
      body, JsonLimits{8, 64, make_error(ErrorKind::invalid, "invalid_request", "too many items in one JSON container"),
                       "the body must be a JSON object"});
  if (!doc || !doc->is_object()) {
    invalid_request(req, "the body must be a JSON object");
    return std::nullopt;
  }
  return std::move(*doc);
}

// A string member ("" when absent); false when present but not a string or too long.
bool string_member(const json& doc, const char* name, std::string& out) {
  const auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) return true;
  if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxFieldBytes) return false;
  out = it->get<std::string>();
  return true;
}

// The bearer token of the Authorization header ("" when there is none).
std::string bearer(const http::Request& req) {
  const std::string_view h = req.header("Authorization").value_or("");
  if (h.size() < 7 || (h.substr(0, 7) != "Bearer " && h.substr(0, 7) != "bearer ")) return {};
  std::string_view token = h.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return std::string(token);
}

// 2026-11-21T05:29:37Z -> 20261121052937Z (GeneralizedTime, as CSC v2 writes validFrom/validTo).
std::string generalized_time(UnixTime t) {
  std::string out;
  for (const char c : format_rfc3339(t))
    if (c != '-' && c != ':' && c != 'T') out += c;
  return out;
}

void handle_info(http::Request& req, Context& c) {
  reply(req, 200,
        {{"specs", "2.0.0.2"},
         {"name", "trustmon test key store"},
         {"logo", ""},
         {"region", "UA"},
         {"lang", "uk"},
         {"description",
          "The test bed's cloud key store: deterministic test holders whose keys are certified by the test CA, "
          "confirmed by a scripted phone. Not a qualified service."},
         {"authType", json::array({"oauth2code"})},
         {"oauth2", c.base_url + "/testbed/ksp"},
         {"methods", json::array({"oauth2/authorize", "oauth2/token", "credentials/list", "credentials/info",
                                  "signatures/signHash"})}});
}

void handle_identities(http::Request& req, Context& c) {
  auto all = c.ksp.identities();
  if (!all) return reply_error(req, all.error());
  json list = json::array();
  for (const auto& i : *all)
    list.push_back({{"rnokpp", i.rnokpp},
                    {"tin", "TINUA-" + i.rnokpp},
                    {"outcome", testbed::ksp_outcome_name(i.outcome)},
                    {"note", i.note},
                    {"credential_id", i.credential_id},
                    {"certificate", base64_encode(i.certificate)}});
  reply(req, 200, {{"version", testbed::kKspIdentitiesVersion}, {"identities", std::move(list)}});
}

// authorize's answer names the approval "pending"; the phone's list names it "id".
json pending_json(const testbed::KspPendingView& p, const char* id_name) {
  json j = {{id_name, p.id}, {"rp_name", p.rp_name}, {"vc", p.vc}, {"context", p.context}};
  if (std::string_view(id_name) == "id") j["created"] = format_rfc3339(p.created);
  j["expires_at"] = format_rfc3339(p.expires_at);
  return j;
}

void handle_authorize(http::Request& req, Context& c) {
  auto fields = parse_form(req.raw_query());
  if (!fields) return invalid_request(req, "the query is malformed, repeats a parameter or is too long");
  testbed::KspAuthorizeRequest r;
  r.response_type = field(*fields, "response_type");
  r.client_id = field(*fields, "client_id");
  r.redirect_uri = field(*fields, "redirect_uri");
  r.scope = field(*fields, "scope");
  r.code_challenge = field(*fields, "code_challenge");
  r.code_challenge_method = field(*fields, "code_challenge_method");
  r.state = field(*fields, "state");
  r.hashes = field(*fields, "hashes");
  r.hash_algorithm_oid = field(*fields, "hashAlgorithmOID");
  r.num_signatures = field(*fields, "numSignatures");
  r.credential_id = field(*fields, "credentialID");
  r.login_hint = field(*fields, "login_hint");
  r.vc = field(*fields, "vc");
  r.context = field(*fields, "context");
  r.phone = std::string(req.header("X-Testbed-Phone").value_or(""));
  auto pending = c.ksp.authorize(r);
  if (!pending) return reply_error(req, pending.error());
  reply(req, 200, pending_json(*pending, "pending"));
}

void handle_pending(http::Request& req, Context& c) {
  const auto rnokpp = req.query("rnokpp");
  if (!rnokpp) return invalid_request(req, "rnokpp is required");
  auto list = c.ksp.pending(*rnokpp);
  if (!list) return reply_error(req, list.error());
  json out = json::array();
  for (const auto& p : *list) out.push_back(pending_json(p, "id"));
  reply(req, 200, {{"pending", std::move(out)}});
}

void handle_approval(http::Request& req, Context& c) {
  auto body = json_object(req);
  if (!body) return;
  testbed::KspDecision d;
  if (!string_member(*body, "action", d.action) || !string_member(*body, "vc", d.vc) ||
      !string_member(*body, "pin", d.pin))
    return invalid_request(req, "action, vc and pin are strings");
  auto redirect = c.ksp.decide(req.path_param("id"), d);
  if (!redirect) return reply_error(req, redirect.error());
  reply(req, 200, {{"redirect", *redirect}});
}

void handle_token(http::Request& req, Context& c) {
  const ByteView body = req.body();
  if (body.size() > kMaxBodyBytes) return invalid_request(req, "the body is larger than 16 KiB");
  testbed::KspTokenRequest r;
  const std::string type = registry::media_type(req.header("Content-Type").value_or(""));
  if (type == "application/json") {
    auto doc = json_object(req);
    if (!doc) return;
    for (const auto& [name, out] : {std::pair{"grant_type", &r.grant_type}, std::pair{"code", &r.code},
                                    std::pair{"client_id", &r.client_id}, std::pair{"client_secret", &r.client_secret},
                                    std::pair{"redirect_uri", &r.redirect_uri},
                                    std::pair{"code_verifier", &r.code_verifier}})
      if (!string_member(*doc, name, *out)) return invalid_request(req, std::string(name) + " must be a string");
  } else if (type == "application/x-www-form-urlencoded" || type.empty()) {
    auto fields = parse_form(as_chars(body));
    if (!fields) return invalid_request(req, "the form is malformed, repeats a parameter or is too long");
    r.grant_type = field(*fields, "grant_type");
    r.code = field(*fields, "code");
    r.client_id = field(*fields, "client_id");
    r.client_secret = field(*fields, "client_secret");
    r.redirect_uri = field(*fields, "redirect_uri");
    r.code_verifier = field(*fields, "code_verifier");
  } else {
    return invalid_request(req, "send application/x-www-form-urlencoded or application/json");
  }
  // client_secret_basic (RFC 6749 §2.3.1): the header's credentials win over the body's.
  const std::string_view auth = req.header("Authorization").value_or("");
  if (auth.size() > 6 && (auth.substr(0, 6) == "Basic " || auth.substr(0, 6) == "basic ")) {
    const auto decoded = auth.size() <= 1024 ? base64_decode(auth.substr(6)) : std::nullopt;
    const std::string_view pair = decoded ? as_chars(*decoded) : std::string_view();
    const std::size_t colon = pair.find(':');
    auto id = colon == std::string_view::npos ? std::nullopt : form_component(pair.substr(0, colon));
    auto secret = colon == std::string_view::npos ? std::nullopt : form_component(pair.substr(colon + 1));
    if (!id || !secret) return invalid_request(req, "the Basic credentials are malformed");
    r.client_id = std::move(*id);
    r.client_secret = std::move(*secret);
  }
  auto grant = c.ksp.token(r);
  if (!grant) return reply_error(req, grant.error());
  reply(req, 200, {{"access_token", grant->access_token},
                   {"token_type", "Bearer"},
                   {"expires_in", grant->expires_in},
                   {"credentialID", grant->credential_id}});
}

void handle_list(http::Request& req, Context& c) {
  if (!json_object(req)) return;
  auto ids = c.ksp.credentials(bearer(req));
  if (!ids) return reply_error(req, ids.error());
  reply(req, 200, {{"credentialIDs", *ids}});
}

void handle_credential_info(http::Request& req, Context& c) {
  auto body = json_object(req);
  if (!body) return;
  std::string id, certificates = "single";
  if (!string_member(*body, "credentialID", id) || !string_member(*body, "certificates", certificates))
    return invalid_request(req, "credentialID and certificates are strings");
  if (certificates != "none" && certificates != "single" && certificates != "chain")
    return invalid_request(req, "certificates must be none, single or chain");
  bool cert_info = false;
  if (const auto it = body->find("certInfo"); it != body->end() && !it->is_null()) {
    if (!it->is_boolean()) return invalid_request(req, "certInfo is a boolean");
    cert_info = it->get<bool>();
  }
  auto info = c.ksp.credential_info(bearer(req), id);
  if (!info) return reply_error(req, info.error());
  json certs = json::array();
  if (certificates != "none") certs.push_back(base64_encode(info->certificate));
  if (certificates == "chain")
    for (const Bytes& der : info->chain) certs.push_back(base64_encode(der));
  // Every certificate is reported valid: the relying party decides from its own index.
  json cert = {{"status", "valid"}, {"certificates", std::move(certs)}};
  if (cert_info) {
    cert["issuerDN"] = info->issuer_dn;
    cert["serialNumber"] = info->serial_hex;
    cert["subjectDN"] = info->subject_dn;
    cert["validFrom"] = generalized_time(info->valid_from);
    cert["validTo"] = generalized_time(info->valid_to);
  }
  reply(req, 200,
        {{"key",
          {{"status", "enabled"}, {"algo", json::array({testbed::kEcPublicKeyOid})}, {"len", 256},
           {"curve", testbed::kP256Oid}}},
         {"cert", std::move(cert)},
         {"auth", {{"mode", "oauth2code"}}},
         {"SCAL", "2"},
         {"multisign", 1}});
}

void handle_sign_hash(http::Request& req, Context& c) {
  auto body = json_object(req);
  if (!body) return;
  testbed::KspSignRequest r;
  if (!string_member(*body, "credentialID", r.credential_id) ||
      !string_member(*body, "hashAlgorithmOID", r.hash_algorithm_oid) || !string_member(*body, "signAlgo", r.sign_algo))
    return invalid_request(req, "credentialID, hashAlgorithmOID and signAlgo are strings");
  const auto hashes = body->find("hashes");
  if (hashes == body->end() || !hashes->is_array()) return invalid_request(req, "hashes is an array of base64 digests");
  for (const auto& h : *hashes) {
    if (!h.is_string()) return invalid_request(req, "hashes is an array of base64 digests");
    r.hashes.push_back(h.get<std::string>());
  }
  auto sigs = c.ksp.sign_hash(bearer(req), r);
  if (!sigs) return reply_error(req, sigs.error());
  json out = json::array();
  for (const Bytes& s : *sigs) out.push_back(base64_encode(s));
  reply(req, 200, {{"signatures", std::move(out)}});
}

}  // namespace

void add_ksp_routes(http::Router& router, testbed::Ksp& ksp, std::string base_url) {
  auto c = std::make_shared<Context>(Context{ksp, std::move(base_url)});
  using M = http::Method;
  const auto route = [&](M method, const char* path, void (*handler)(http::Request&, Context&)) {
    router.add(method, path, [c, handler](http::Request& req) { handler(req, *c); }, http::kOpenRoute);
  };
  route(M::Get, "/testbed/ksp/csc/v2/info", handle_info);
  route(M::Post, "/testbed/ksp/csc/v2/info", handle_info);
  route(M::Get, "/testbed/ksp/oauth2/authorize", handle_authorize);
  route(M::Post, "/testbed/ksp/oauth2/token", handle_token);
  route(M::Post, "/testbed/ksp/csc/v2/credentials/list", handle_list);
  route(M::Post, "/testbed/ksp/csc/v2/credentials/info", handle_credential_info);
  route(M::Post, "/testbed/ksp/csc/v2/signatures/signHash", handle_sign_hash);
  route(M::Get, "/testbed/ksp/pending", handle_pending);
  route(M::Post, "/testbed/ksp/approvals/{id}", handle_approval);
  route(M::Get, "/testbed/ksp/identities", handle_identities);
}

}  // namespace trustmon::routes
