// Decoding the bodies of POST /api/v1/certificates into DER certificates, by media type:
// application/x-pem-file (a PEM bundle), application/pkix-cert (one DER certificate) and
// application/json ({"certificates": ["<base64 DER>", ...]}). Only the framing is checked
// here; each item is parsed and verified by the Registry so that a bad item is refused
// alone.
#pragma once

#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace trustmon::registry {

inline constexpr std::size_t kMaxCertificatesPerBatch = 10000;

// Errors: "unsupported_media_type", "json_malformed", "pem_malformed", "batch_too_large".
// A JSON item that is not valid base64 becomes an empty Bytes (refused later as malformed).
Result<std::vector<Bytes>> decode_certificate_body(std::string_view content_type, ByteView body);

// "application/json; charset=utf-8" -> "application/json" (lower case, parameters dropped).
std::string media_type(std::string_view content_type);

}  // namespace trustmon::registry
