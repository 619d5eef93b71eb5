// The electronic cabinet's files: GET / (index.html) and GET /assets/{file}, from a
// webui::StaticSite held in memory.
//
// Policy: index.html goes out with the cabinet's security headers (a strict
// Content-Security-Policy without inline script or style, no framing, no sniffing, no
// referrer) and `Cache-Control: no-cache` (revalidated by ETag, so a new build is seen at
// once); assets are `public, max-age=31536000, immutable` (their names carry a content
// hash). A client that accepts gzip gets the .gz form. Unknown assets are 404.
#pragma once

#include <memory>
#include <string>

#include "responder/http/router.hpp"
#include "responder/webui/static_site.hpp"

namespace trustmon::routes {

inline constexpr const char* kCabinetCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void add_web_routes(http::Router& router, std::shared_ptr<const webui::StaticSite> site);
// When the files cannot be loaded: GET / answers 503 cabinet_unavailable with `why`.
void add_web_unavailable(http::Router& router, std::string why);

}  // namespace trustmon::routes
