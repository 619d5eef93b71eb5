// The body of a route that takes a signed document (a holder's renewal or revocation
// request, a joining application): the CMS SignedData DER itself (Content-Type
// application/cms, application/pkcs7-mime or application/octet-stream), or a JSON object
// whose member `field` is its base64.
#pragma once

#include <optional>

#include "common/bytes.hpp"
#include "responder/http/request.hpp"

namespace trustmon::routes {

// The signed bytes; replies (400 request_missing / cms_malformed, 413, 415) and returns
// nullopt when there are none.
std::optional<Bytes> signed_body(http::Request& req, const char* field);

}  // namespace trustmon::routes
