#include "responder/routes/web_routes.hpp"

#include <string>
#include <vector>

#include "responder/http/request.hpp"
#include "responder/routes/http_cache.hpp"

namespace trustmon::routes {
namespace {

bool accepts_gzip(http::Request& req) {
  auto header = req.header("Accept-Encoding");
  if (!header) return false;
  // Good enough for browsers: "gzip" listed and not refused with q=0.
  const std::size_t at = header->find("gzip");
  if (at == std::string_view::npos) return false;
  const std::string_view rest = header->substr(at + 4);
  const std::string_view param = rest.substr(0, rest.find(','));
  return param.find("q=0") == std::string_view::npos || param.find("q=0.") != std::string_view::npos;
}

void serve(http::Request& req, const webui::Asset& asset, bool page) {
  std::vector<http::Header> headers;
  headers.push_back({"ETag", asset.etag});
  headers.push_back({"Vary", "Accept-Encoding"});
  headers.push_back({"X-Content-Type-Options", "nosniff"});
  if (page) {
    headers.push_back({"Cache-Control", "no-cache"});
    headers.push_back({"Content-Security-Policy", kCabinetCsp});
    headers.push_back({"X-Frame-Options", "DENY"});
    headers.push_back({"Referrer-Policy", "no-referrer"});
    headers.push_back({"Cross-Origin-Opener-Policy", "same-origin"});
  } else {
    headers.push_back({"Cache-Control", "public, max-age=31536000, immutable"});
  }
  if (auto inm = req.header("If-None-Match"); inm && etag_matches(*inm, asset.etag)) {
    req.reply_not_modified(headers);
    return;
  }
  if (asset.gzip && accepts_gzip(req)) {
    headers.push_back({"Content-Encoding", "gzip"});
    req.reply_shared(200, asset.content_type, asset.gzip, headers);
    return;
  }
  req.reply_shared(200, asset.content_type, asset.body, headers);
}

}  // namespace

void add_web_routes(http::Router& router, std::shared_ptr<const webui::StaticSite> site) {
  router.add(http::Method::Get, "/", [site](http::Request& req) { serve(req, site->index(), true); });
  router.add(http::Method::Get, "/index.html", [site](http::Request& req) { serve(req, site->index(), true); });
  router.add_prefix(http::Method::Get, "/assets/", [site](http::Request& req) {
    const std::string_view name = req.path().substr(8);
    const webui::Asset* asset = site->asset(name);
    if (asset == nullptr) return req.reply_error(404, "not_found", "no such cabinet file");
    serve(req, *asset, false);
  });
}

void add_web_unavailable(http::Router& router, std::string why) {
  router.add(http::Method::Get, "/", [why = std::move(why)](http::Request& req) {
    req.reply_error(503, "cabinet_unavailable", "the cabinet's files are not installed: " + why);
  });
}

}  // namespace trustmon::routes
