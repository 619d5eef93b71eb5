#include "responder/routes/signed_body.hpp"

#include <string>

#include "responder/registry/certificate_body.hpp"
#include "responder/routes/json_body.hpp"

namespace trustmon::routes {

std::optional<Bytes> signed_body(http::Request& req, const char* field) {
  const std::string type = registry::media_type(req.header("Content-Type").value_or(""));
  if (type == "application/cms" || type == "application/pkcs7-mime" || type == "application/octet-stream") {
    ByteView body = req.body();
    if (body.empty()) {
      req.reply_error(400, "request_missing", "the body must be the signed document (CMS SignedData, DER)");
      return std::nullopt;
    }
    return to_bytes(body);
  }
  if (type != "application/json") {
    req.reply_error(415, "unsupported_media_type", "use application/json or application/cms");
    return std::nullopt;
  }
  auto doc = body_object(req);
  if (!doc) return std::nullopt;
  const nlohmann::json& object = *doc;
  const auto it = object.find(field);
  if (it == object.end() || !it->is_string()) {
    req.reply_error(400, "request_missing",
                    std::string("\"") + field + "\" (base64 of the signed document, DER) is required");
    return std::nullopt;
  }
  auto der = base64_decode_lenient(it->get_ref<const std::string&>());
  if (!der || der->empty()) {
    req.reply_error(400, "cms_malformed", std::string("\"") + field + "\" must be base64 of a DER CMS SignedData");
    return std::nullopt;
  }
  return der;
}

}  // namespace trustmon::routes
