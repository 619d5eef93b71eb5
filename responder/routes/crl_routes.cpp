#include "responder/routes/crl_routes.hpp"

#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <string>

#include "common/time.hpp"
#include "responder/http/request.hpp"
#include "responder/routes/http_cache.hpp"
#include "responder/routes/worker_state.hpp"
#include "storage/crls.hpp"

namespace trustmon::routes {

namespace {

constexpr std::string_view kCrlType = "application/pkix-crl";
constexpr std::string_view kSuffix = ".crl";
constexpr std::string_view kDeltaSuffix = ".delta.crl";
// A CRL by number never changes.
constexpr long long kHistoryMaxAge = 365LL * 86400;

// The latest CRL of each scope, held once in memory and referenced by every reply that
// sends it (http::Request::reply_shared): a 10 MB CRL is not copied per request. A reply
// finds the scope's current CRL in its read snapshot first (the stored head decides what
// is current), and takes the held bytes only when their SHA-256 is that CRL's.
class LatestCache {
 public:
  std::shared_ptr<const Bytes> bytes_of(std::uint32_t issuer, storage::CrlScope scope, const storage::CrlView& v) {
    const Key key{issuer, static_cast<std::uint8_t>(scope.kind), scope.shard};
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = held_.find(key);
      if (it != held_.end() && it->second.sha256 == v.sha256) return it->second.der;
    }
    auto der = std::make_shared<const Bytes>(v.der.begin(), v.der.end());  // outside the lock
    std::lock_guard<std::mutex> lock(mu_);
    held_[key] = Held{v.sha256, der};
    return der;
  }

 private:
  using Key = std::tuple<std::uint32_t, std::uint8_t, std::uint16_t>;
  struct Held {
    Sha256 sha256{};
    std::shared_ptr<const Bytes> der;
  };
  std::mutex mu_;
  std::map<Key, Held> held_;
};

struct Context {
  Context(const pki::IssuerSet& i, const Clock& c, SpecialCrl s) : issuers(i), clock(c), special(std::move(s)) {}
  const pki::IssuerSet& issuers;
  const Clock& clock;
  SpecialCrl special;
  LatestCache latest;
};

bool not_modified(const http::Request& req, std::string_view etag, UnixTime last_modified) {
  if (auto inm = req.header("If-None-Match")) return etag_matches(*inm, etag);
  if (auto ims = req.header("If-Modified-Since")) {
    auto since = parse_http_date(*ims);
    return since && last_modified <= *since;
  }
  return false;
}

// Replies with the stored CRL `v` (read in the worker's transaction, still in scope): the
// body is `held` when given (referenced, not copied), else copied out of the map.
void reply_crl(http::Request& req, const storage::CrlView& v, long long max_age, UnixTime expires_at,
               std::shared_ptr<const Bytes> held = nullptr) {
  char cache_control[96];
  const int cc_len =
      std::snprintf(cache_control, sizeof cache_control, "max-age=%lld, public, no-transform", max_age);
  char last_modified[kHttpDateLength + 1];
  format_http_date_to(v.this_update, last_modified);
  char expires[kHttpDateLength + 1];
  std::array<char, kEtagMax> etag_text;
  const std::string_view etag = format_etag(v.sha256, etag_text);
  std::array<http::Header, 4> headers{{{"Cache-Control", std::string_view(cache_control, static_cast<std::size_t>(cc_len))},
                                       {"Last-Modified", std::string_view(last_modified, kHttpDateLength)},
                                       {"ETag", etag},
                                       {}}};
  std::size_t n = 3;
  if (expires_at != 0) {
    format_http_date_to(expires_at, expires);
    headers[n++] = {"Expires", std::string_view(expires, kHttpDateLength)};
  }
  const http::Headers used(headers.data(), n);
  req.note("crl", storage::crl_number_decimal(v.number));
  if (not_modified(req, etag, v.this_update)) {
    req.reply_not_modified(used);
    return;
  }
  if (held) {
    req.reply_shared(200, kCrlType, std::move(held), used);
  } else {
    req.reply(200, kCrlType, v.der, used);
  }
}

// Finds a CRL with `find` in the worker's snapshot and replies with it (`missing` when
// there is none), while the snapshot still holds the bytes.
template <class Find, class Reply>
void serve(http::Request& req, const char* missing, Find&& find, Reply&& reply) {
  WorkerState& state = worker_state(req);
  storage::ReadScope scope(state.txn);
  if (!scope.status()) {
    req.reply_error(scope.status().error());
    return;
  }
  Result<std::optional<storage::CrlView>> found = find(state.txn);
  if (!found) {
    req.reply_error(found.error());
    return;
  }
  if (!*found) {
    req.reply_error(make_error(ErrorKind::not_found, "crl_not_found", missing));
    return;
  }
  reply(**found);
}

const pki::Issuer* issuer_named(http::Request& req, const Context& ctx, std::string_view name) {
  const pki::Issuer* issuer = ctx.issuers.find_by_name(name);
  if (issuer == nullptr)
    req.reply_error(make_error(ErrorKind::not_found, "issuer_unknown", "no configured issuer has this name"));
  return issuer;
}

// Replies with the latest CRL of one of the issuer's scopes, cacheable until its nextUpdate.
void serve_latest(http::Request& req, Context& ctx, const pki::Issuer& issuer, storage::CrlScope scope,
                  const char* missing) {
  serve(
      req, missing, [&](const storage::ReadTxn& txn) { return storage::latest_crl(txn, issuer.id, scope); },
      [&](const storage::CrlView& v) {
        const UnixTime now = ctx.clock.now();
        const long long max_age = v.next_update > now ? static_cast<long long>(v.next_update - now) : 0;
        reply_crl(req, v, max_age, v.next_update, ctx.latest.bytes_of(issuer.id, scope, v));
      });
}

// A test issuer's CRL as of `?at=`, or with a fault in force (SpecialCrl); false when the
// stored CRL is the answer.
bool serve_special(http::Request& req, Context& ctx, const pki::Issuer& issuer) {
  std::optional<UnixTime> at;
  if (auto text = req.query("at")) {
    at = parse_rfc3339(*text);
    if (!at) {
      req.reply_error(400, "query_invalid", "at must be an RFC 3339 time");
      return true;
    }
  }
  auto special = ctx.special(issuer, at);
  if (!special) return false;
  if (!*special) {
    req.reply_error(special->error());
    return true;
  }
  req.note("crl", "testbed");
  req.reply(200, "application/pkix-crl", **special, {{"Cache-Control", "no-store"}});
  return true;
}

// GET /crl/{file}: "<issuer>.crl" is the issuer's latest complete CRL, "<issuer>.delta.crl"
// its latest delta CRL.
void handle_latest(http::Request& req, Context& ctx) {
  std::string_view file = req.path_param("file");
  if (file.ends_with(kDeltaSuffix) && file.size() > kDeltaSuffix.size()) {
    const pki::Issuer* issuer = issuer_named(req, ctx, file.substr(0, file.size() - kDeltaSuffix.size()));
    if (issuer != nullptr)
      serve_latest(req, ctx, *issuer, storage::kDeltaCrl, "no delta CRL is published for this issuer");
    return;
  }
  if (!file.ends_with(kSuffix) || file.size() == kSuffix.size()) {
    req.reply_error(make_error(ErrorKind::not_found, "crl_not_found", "CRLs are at /crl/{issuer}.crl"));
    return;
  }
  const pki::Issuer* issuer = issuer_named(req, ctx, file.substr(0, file.size() - kSuffix.size()));
  if (issuer == nullptr) return;
  if (issuer->test && ctx.special && serve_special(req, ctx, *issuer)) return;
  serve_latest(req, ctx, *issuer, storage::kCompleteCrl, "no CRL is published for this issuer yet");
}

// GET /crl/{issuer}/{file}: "<shard>.crl" (decimal, from 0) is the issuer's shard CRL.
void handle_shard(http::Request& req, Context& ctx) {
  const pki::Issuer* issuer = issuer_named(req, ctx, req.path_param("issuer"));
  if (issuer == nullptr) return;
  std::string_view file = req.path_param("file");
  unsigned shard = 0;
  bool ok = file.ends_with(kSuffix) && file.size() > kSuffix.size() && file.size() <= kSuffix.size() + 5;
  for (std::size_t i = 0; ok && i + kSuffix.size() < file.size(); ++i) {
    ok = file[i] >= '0' && file[i] <= '9' && !(i == 0 && file[i] == '0' && file.size() > kSuffix.size() + 1);
    shard = shard * 10 + static_cast<unsigned>(file[i] - '0');
  }
  if (!ok || shard >= storage::kNoShard) {
    req.reply_error(make_error(ErrorKind::not_found, "crl_not_found", "shard CRLs are at /crl/{issuer}/{shard}.crl"));
    return;
  }
  serve_latest(req, ctx, *issuer, storage::CrlScope{storage::CrlKind::complete, static_cast<std::uint16_t>(shard)},
               "no CRL is published for this shard");
}

// GET /crl/{issuer}/history/{file}: "<number>.crl", the issuer's CRL with that number.
void handle_history(http::Request& req, const Context& ctx) {
  const pki::Issuer* issuer = issuer_named(req, ctx, req.path_param("issuer"));
  if (issuer == nullptr) return;
  std::string_view file = req.path_param("file");
  std::optional<Bytes> number;
  if (file.ends_with(kSuffix)) number = storage::parse_crl_number_decimal(file.substr(0, file.size() - kSuffix.size()));
  if (!number) {
    req.reply_error(
        make_error(ErrorKind::not_found, "crl_not_found", "CRLs by number are at /crl/{issuer}/history/{number}.crl"));
    return;
  }
  serve(
      req, "this issuer published no CRL with this number",
      [&](const storage::ReadTxn& txn) { return storage::crl_by_number(txn, issuer->id, *number); },
      [&](const storage::CrlView& v) { reply_crl(req, v, kHistoryMaxAge, 0); });
}

}  // namespace

void add_crl_routes(http::Router& router, const pki::IssuerSet& issuers, const Clock& clock, SpecialCrl special) {
  auto ctx = std::make_shared<Context>(issuers, clock, std::move(special));
  router.add(http::Method::Get, "/crl/{file}", [ctx](http::Request& req) { handle_latest(req, *ctx); },
             http::kEssentialRoute);
  router.add(http::Method::Get, "/crl/{issuer}/{file}", [ctx](http::Request& req) { handle_shard(req, *ctx); },
             http::kEssentialRoute);
  router.add(http::Method::Get, "/crl/{issuer}/history/{file}",
             [ctx](http::Request& req) { handle_history(req, *ctx); }, http::kEssentialRoute);
}

}  // namespace trustmon::routes
