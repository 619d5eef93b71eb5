#include "responder/routes/tl_routes.hpp"

#include <openssl/x509.h>

#include <charconv>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/log.hpp"
#include "common/time.hpp"
#include "responder/access/service.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"
#include "tsl/service.hpp"

namespace trustmon::routes {
namespace {

using nlohmann::json;

constexpr std::string_view kListType = "application/vnd.etsi.tsl+xml";
constexpr std::string_view kCurrentCache = "public, max-age=300";
constexpr std::string_view kImmutableCache = "public, max-age=31536000, immutable";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v == 0) return std::nullopt;
  return v;
}


void reply_error(http::Request& req, const Error& e) {
  if (!e.is_refusal()) log().error("trusted list: {} ({})", e.message, e.code);
  req.reply_error(e);
}

// Does the request's validator match? If-None-Match wins over If-Modified-Since (RFC 9110).
bool not_modified(http::Request& req, std::string_view etag, UnixTime last_modified) {
  if (auto inm = req.header("If-None-Match")) {
    std::string_view list = *inm;
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      std::string_view tag = list.substr(0, comma);
      while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
      while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
      if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // weak comparison for GET
      if (tag == "*" || tag == etag) return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    return false;
  }
  if (auto ims = req.header("If-Modified-Since")) {
    auto t = parse_http_date(*ims);
    return t && last_modified <= *t;
  }
  return false;
}

// Replies with `body` or 304, with the validators and caching headers.
void reply_cached(http::Request& req, std::string_view content_type, ByteView body, const std::string& etag,
                  UnixTime last_modified, std::string_view cache_control) {
  const std::string date = format_http_date(last_modified);
  const http::Header headers[] = {{"ETag", etag}, {"Last-Modified", date}, {"Cache-Control", cache_control}};
  if (not_modified(req, etag, last_modified)) return req.reply_not_modified(http::Headers(headers));
  req.reply(200, content_type, body, http::Headers(headers));
}

class TlHandler {
 public:
  TlHandler(ApiContext& ctx, tsl::TlService& tl) : ctx_(ctx), tl_(tl) {}

  // ---- public ------------------------------------------------------------------------

  void tl_public(http::Request& req) {
    std::string_view rest = req.path().substr(4);  // after "/tl/"
    WorkerState& state = worker_state(req);
    storage::ReadScope scope(state.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
    const std::string& list = tl_.options().default_list;
    if (rest == "changes.atom") {
      auto a = artifacts(req, state.txn, list);
      if (!a) return;
      return reply_cached(req, "application/atom+xml", as_bytes((*a)->atom),
                          "\"" + list + "-" + std::to_string((*a)->sequence) + "-atom\"", (*a)->issued, kCurrentCache);
    }
    if (rest.substr(0, 8) == "history/" && ends_with(rest, ".xml")) {
      auto seq = parse_u64(rest.substr(8, rest.size() - 12));
      if (!seq) return not_found(req);
      return serve_version(req, state.txn, list, *seq, false);
    }
    if (ends_with(rest, ".xml")) return serve_version(req, state.txn, rest.substr(0, rest.size() - 4), 0, false);
    if (ends_with(rest, ".sha2")) return serve_version(req, state.txn, rest.substr(0, rest.size() - 5), 0, true);
    not_found(req);
  }

  void certs_public(http::Request& req) {
    std::string_view rest = req.path().substr(7);  // after "/certs/"
    WorkerState& state = worker_state(req);
    storage::ReadScope scope(state.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
    const std::string& list = tl_.options().default_list;
    auto a = artifacts(req, state.txn, list);
    if (!a) return;
    const tsl::Artifacts& art = **a;
    const std::string tag = "\"" + list + "-" + std::to_string(art.sequence);
    if (rest == "CACertificates.p7b")
      return reply_cached(req, "application/pkcs7-mime", art.p7b, tag + "-p7b\"", art.issued, kCurrentCache);
    if (rest == "CAs.json")
      return reply_cached(req, "application/json", as_bytes(art.cas_json), tag + "-json\"", art.issued, kCurrentCache);
    if (rest.substr(0, 3) == "ca/" && ends_with(rest, ".cer")) {
      std::string hex(rest.substr(3, rest.size() - 7));
      for (char& c : hex)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      auto it = art.ca_der.find(hex);
      if (it == art.ca_der.end()) return req.reply_error(404, "certificate_not_found", "no such CA certificate in the list");
      return reply_cached(req, "application/pkix-cert", it->second, "\"" + hex + "\"", art.issued, kCurrentCache);
    }
    not_found(req);
  }

  // GET /api/v1/tl: the published lists (public).
  void lists_public(http::Request& req) {
    read(req, [this](const storage::ReadTxn& txn) -> Result<json> {
      auto names = tsl::list_names(txn);
      if (!names) return std::move(names).error();
      json lists = json::array();
      for (const std::string& name : *names) {
        auto current = tsl::find_version_view(txn, name, 0);
        if (!current) return std::move(current).error();
        if (!*current) continue;
        lists.push_back({{"name", name}, {"sequence", (*current)->sequence}, {"issue_date", format_rfc3339((*current)->issued)}});
      }
      // "default": the configured list ([tl] name), published or not yet.
      return json{{"lists", std::move(lists)}, {"default", tl_.options().default_list}};
    });
  }

  // GET /api/v1/tl/{name}/view: the current version for people (tsl/view.hpp; public).
  void view_public(http::Request& req) {
    auto name = list_name(req);
    if (!name) return;
    WorkerState& state = worker_state(req);
    storage::ReadScope scope(state.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
    auto a = artifacts(req, state.txn, *name);
    if (!a) return;
    const std::string etag = "\"" + *name + "-" + std::to_string((*a)->sequence) + "-view\"";
    return reply_cached(req, "application/json", as_bytes((*a)->view_json), etag, (*a)->issued, kCurrentCache);
  }

  // ---- admin -------------------------------------------------------------------------
  // POST /api/v1/admin/tl/{name}/... ; the name is checked before anything else.

  void admin_import(http::Request& req) {
    auto name = list_name(req);
    if (!name) return;
    auto p = guard(req, ctx_, access::Need::admin, "tl.import");
    if (!p) return;
    ByteView body = req.body();
    std::string xml(as_chars(body));
    Actor actor = p->actor;
    on_service(req, [this, name = *name, xml = std::move(xml), actor] { return tl_.import_sync(name, xml, actor); },
               200);
  }

  void admin_publish(http::Request& req) {
    auto name = list_name(req);
    if (!name) return;
    auto p = guard(req, ctx_, access::Need::admin, "tl.publish");
    if (!p) return;
    Actor actor = p->actor;
    on_service(req, [this, name = *name, actor] { return tl_.publish_sync(name, actor); }, 201);
  }

  void admin_versions(http::Request& req) {
    if (auto name = list_name(req)) versions(req, *name);
  }

  void admin_issuers(http::Request& req) {
    if (auto name = list_name(req)) issuers(req, *name);
  }

  // ---- notices -----------------------------------------------------------------------

  void notices_list(http::Request& req) {
    auto p = guard(req, ctx_, access::Need::read, "tl.notice.list");
    if (!p) return;
    const std::optional<std::uint32_t> only = is_central_body(*p) ? std::nullopt : std::optional(p->actor.participant);
    read(req, [only](const storage::ReadTxn& txn) -> Result<json> {
      auto list = tsl::list_notices(txn, only);
      if (!list) return std::move(list).error();
      json arr = json::array();
      for (const auto& n : *list) arr.push_back(tsl::notice_to_json(n));
      return json{{"notices", std::move(arr)}};
    });
  }

  void notice_get(http::Request& req) {
    auto id = path_id<std::uint64_t>(req);
    if (!id) return;
    auto p = guard(req, ctx_, access::Need::read, "tl.notice.get");
    if (!p) return;
    const bool all = is_central_body(*p);
    const std::uint32_t participant = p->actor.participant;
    read(req, [id, all, participant](const storage::ReadTxn& txn) -> Result<json> {
      auto n = tsl::get_notice(txn, *id);
      if (!n) return std::move(n).error();
      // Another participant's notice is not revealed.
      if (!n->has_value() || (!all && (*n)->participant != participant))
        return make_error(ErrorKind::not_found, "tl_notice_not_found", "no change notice " + std::to_string(*id));
      return tsl::notice_to_json(**n);
    });
  }

  void notice_approve(http::Request& req) {
    auto id = path_id<std::uint64_t>(req);
    if (!id) return;
    auto p = guard(req, ctx_, access::Need::admin, "tl.notice.approve");
    if (!p) return;
    Actor actor = p->actor;
    on_service(req, [this, id, actor] { return tl_.approve_sync(*id, actor); }, 200);
  }

  void notice_reject(http::Request& req) {
    auto id = path_id<std::uint64_t>(req);
    if (!id) return;
    auto p = guard(req, ctx_, access::Need::admin, "tl.notice.reject");
    if (!p) return;
    auto doc = body_object(req);
    if (!doc) return;
    std::string reason;
    if (auto it = doc->find("reason"); it != doc->end() && it->is_string()) reason = it->get<std::string>();
    Actor actor = p->actor;
    on_service(req, [this, id, reason, actor] { return tl_.reject_sync(*id, reason, actor); }, 200);
  }

  void file_notice(http::Request& req) {
    auto p = guard(req, ctx_, access::Need::write, "tl.notice.file");
    if (!p) return;
    auto doc = body_object(req);
    if (!doc) return;
    auto notice = tsl::notice_from_json(*doc, tl_.options().default_list);
    if (!notice) return reply_error(req, notice.error());
    const json target = {{"provider", notice->provider}, {"kind", tsl::notice_kind_name(notice->kind)}};
    // Whose entries may this caller change? The central body: any; a QTSP: its own,
    // recognised by its registration code; anyone else: none.
    std::optional<std::string> owner_code;
    if (!is_central_body(*p)) {
      if (p->kind != access::ParticipantKind::qtsp)
        return deny(req, ctx_, p->actor, "tl.notice.file", target,
                    make_error(ErrorKind::forbidden, "tl_notice_forbidden", "only QTSPs and the central body file change notices"));
      WorkerState& state = worker_state(req);
      storage::ReadScope scope(state.txn);
      if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
      auto participant = access::get_participant(state.txn, p->actor.participant);
      if (!participant || !participant->has_value()) return req.reply_error(503, "storage_unavailable", "cannot read");
      owner_code = (*participant)->code;
    }
    Actor actor = p->actor;
    auto shared = std::make_shared<http::Request>(std::move(req));
    ApiContext& ctx = ctx_;
    const bool queued = tl_.post([this, shared, &ctx, actor, target, owner_code, n = std::move(*notice)]() mutable {
      Result<json> r = tl_.file_sync(std::move(n), actor, owner_code);
      if (!r) {
        if (r.error().kind == ErrorKind::forbidden)
          return deny(*shared, ctx, actor, "tl.notice.file", target, r.error());
        return reply_error(*shared, r.error());
      }
      shared->reply_json(201, *r, {{"Cache-Control", "no-store"}});
    });
    if (!queued) shared->reply_error(503, "shutting_down", "the server is stopping");
  }

 private:
  static void not_found(http::Request& req) { req.reply_error(404, "not_found", "no such resource"); }

  // The route's {name} as a valid list name, or a 400 reply and nullopt.
  static std::optional<std::string> list_name(http::Request& req) {
    std::string name(req.path_param("name"));
    if (!tsl::valid_list_name(name)) {
      req.reply_error(400, "tl_invalid_name", "invalid list name");
      return std::nullopt;
    }
    return name;
  }


  template <typename Fn>
  void read(http::Request& req, Fn fn) {
    reply_read(req, fn);
  }

  // Runs `work` on the TlService thread and replies from there.
  template <typename Fn>
  void on_service(http::Request& req, Fn work, int ok_status) {
    auto shared = std::make_shared<http::Request>(std::move(req));
    const bool queued = tl_.post([shared, work = std::move(work), ok_status] {
      Result<json> r = work();
      if (!r) return reply_error(*shared, r.error());
      shared->reply_json(ok_status, *r, {{"Cache-Control", "no-store"}});
    });
    if (!queued) shared->reply_error(503, "shutting_down", "the server is stopping");
  }

  Result<std::shared_ptr<const tsl::Artifacts>> artifacts_of(const storage::ReadTxn& txn, const std::string& list) {
    return tl_.artifacts(txn, list);
  }
  // The artifacts of the current version, or a reply (404 nothing published, 500) and nullopt.
  std::optional<std::shared_ptr<const tsl::Artifacts>> artifacts(http::Request& req, const storage::ReadTxn& txn,
                                                                 const std::string& list) {
    auto a = artifacts_of(txn, list);
    if (!a) {
      reply_error(req, a.error());
      return std::nullopt;
    }
    if (!*a) {
      req.reply_error(404, "tl_not_published", "no version of the trusted list is published yet");
      return std::nullopt;
    }
    return std::move(*a);
  }

  void serve_version(http::Request& req, const storage::ReadTxn& txn, std::string_view name, std::uint64_t sequence,
                     bool digest) {
    if (!tsl::valid_list_name(name)) return not_found(req);
    auto v = tsl::find_version_view(txn, name, sequence);
    if (!v) return reply_error(req, v.error());
    if (!v->has_value())
      return req.reply_error(404, "tl_not_published", sequence ? "no such version" : "no version is published yet");
    const tsl::VersionView& view = **v;
    const std::string hex = hex_encode(view.sha256);
    const std::string_view cache = sequence ? kImmutableCache : kCurrentCache;
    if (digest) return reply_cached(req, "text/plain", as_bytes(hex), "\"" + hex + "-sha2\"", view.issued, cache);
    reply_cached(req, kListType, as_bytes(view.xml), "\"" + hex + "\"", view.issued, cache);
  }

  void versions(http::Request& req, const std::string& name) {
    if (!guard(req, ctx_, access::Need::admin, "tl.versions")) return;
    read(req, [name](const storage::ReadTxn& txn) -> Result<json> {
      auto list = tsl::list_versions(txn, name);
      if (!list) return std::move(list).error();
      json arr = json::array();
      for (const auto& v : *list) {
        json e = {{"sequence", v.sequence}, {"issued", format_rfc3339(v.issued)}, {"sha256", hex_encode(v.sha256)},
                  {"href", "/tl/history/" + std::to_string(v.sequence) + ".xml"}};
        e["next_update"] = v.next_update ? json(format_rfc3339(*v.next_update)) : json(nullptr);
        arr.push_back(std::move(e));
      }
      return json{{"list", name}, {"versions", std::move(arr)}};
    });
  }

  // The list's CA certificates against the configured issuers: same certificate (by
  // SHA-256), or same subject and public key (a re-issued CA certificate).
  void issuers(http::Request& req, const std::string& name) {
    if (!guard(req, ctx_, access::Need::admin, "tl.issuers")) return;
    read(req, [this, name](const storage::ReadTxn& txn) -> Result<json> {
      auto a = tl_.artifacts(txn, name);
      if (!a) return std::move(a).error();
      if (!*a) return make_error(ErrorKind::invalid, "tl_not_published", "no version of the trusted list is published yet");
      const auto configured = ctx_.issuers.all();
      std::vector<bool> seen(configured.size(), false);
      json matched = json::array(), missing = json::array();
      std::set<std::string> done;
      for (const auto& ca : (*a)->cas) {
        const std::string hex = hex_encode(sha256(ca.der));
        if (!done.insert(hex).second) continue;
        auto cert = x509_from_der(ca.der);
        if (!cert) continue;
        json entry = {{"sha256", hex},
                      {"subject", x509_name_text(X509_get_subject_name(cert->get()))},
                      {"provider", ca.provider_name},
                      {"status", ca.status},
                      {"ocsp", ca.ocsp},
                      {"href", "/certs/ca/" + hex + ".cer"}};
        bool found = false;
        const std::vector<tsl::CaCertificate> one = {ca};
        for (std::size_t i = 0; i < configured.size() && !found; ++i) {
          X509* mine = configured[i]->ca.get();
          if (tsl::entries_of(one, mine).empty()) continue;
          found = true;
          seen[i] = true;
          entry["issuer"] = configured[i]->name;
          entry["matched_by"] = x509_der(mine) == ca.der ? "certificate" : "subject_and_key";
        }
        (found ? matched : missing).push_back(std::move(entry));
      }
      ossl_errors();
      json unlisted = json::array();
      for (std::size_t i = 0; i < configured.size(); ++i)
        if (!seen[i]) unlisted.push_back(configured[i]->name);
      return json{{"list", name},
                  {"sequence", (*a)->sequence},
                  {"matched", std::move(matched)},
                  {"missing", std::move(missing)},
                  {"not_in_list", std::move(unlisted)}};
    });
  }

  ApiContext& ctx_;
  tsl::TlService& tl_;
};

}  // namespace

void add_tl_routes(http::Router& router, ApiContext& ctx, tsl::TlService& tl) {
  using M = http::Method;
  auto handler = std::make_shared<TlHandler>(ctx, tl);
  auto on = [&handler](void (TlHandler::*fn)(http::Request&)) {
    return [handler, fn](http::Request& req) { ((*handler).*fn)(req); };
  };
  router.add_prefix(M::Get, "/tl/", on(&TlHandler::tl_public));
  router.add_prefix(M::Get, "/certs/", on(&TlHandler::certs_public));
  router.add(M::Post, "/api/v1/admin/tl/{name}/import", on(&TlHandler::admin_import), http::kBulkRoute);
  router.add(M::Post, "/api/v1/admin/tl/{name}/publish", on(&TlHandler::admin_publish), http::kApiRoute);
  router.add(M::Get, "/api/v1/admin/tl/{name}/versions", on(&TlHandler::admin_versions), http::kApiRoute);
  router.add(M::Get, "/api/v1/admin/tl/{name}/issuers", on(&TlHandler::admin_issuers), http::kApiRoute);
  router.add(M::Get, "/api/v1/tl", on(&TlHandler::lists_public));
  router.add(M::Get, "/api/v1/tl/{name}/view", on(&TlHandler::view_public));
  router.add(M::Get, "/api/v1/tl/notices", on(&TlHandler::notices_list), http::kApiRoute);
  router.add(M::Post, "/api/v1/tl/notices", on(&TlHandler::file_notice), http::kApiRoute);
  router.add(M::Get, "/api/v1/tl/notices/{id}", on(&TlHandler::notice_get), http::kApiRoute);
  router.add(M::Post, "/api/v1/tl/notices/{id}/approve", on(&TlHandler::notice_approve), http::kApiRoute);
  router.add(M::Post, "/api/v1/tl/notices/{id}/reject", on(&TlHandler::notice_reject), http::kApiRoute);
}

}  // namespace trustmon::routes
