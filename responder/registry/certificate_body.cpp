#include "responder/registry/certificate_body.hpp"

#include <nlohmann/json.hpp>

#include "common/pem.hpp"

namespace trustmon::registry {

std::string media_type(std::string_view content_type) {
  std::string out;
  for (char c : content_type) {
    if (c == ';') break;
    if (c == ' ' || c == '\t') continue;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

namespace {

// Splits a PEM bundle into the DER of each CERTIFICATE block; other block types
// (keys, CRLs) are an error so that nothing is silently skipped. A CERTIFICATE block
// whose body does not decode becomes an empty item, refused later on its own.
Result<std::vector<Bytes>> split_pem(std::string_view text) {
  constexpr std::string_view kLabel = "CERTIFICATE";
  const auto malformed = [](std::string message) {
    return make_error(ErrorKind::invalid, "pem_malformed", std::move(message));
  };
  std::vector<Bytes> out;
  pem::Reader reader(text);
  pem::Block block;
  for (bool more = true; more;) {
    switch (reader.next(block)) {
      case pem::Next::end:
        more = false;
        continue;
      case pem::Next::block:
        if (block.label() != kLabel) return malformed("only CERTIFICATE blocks are accepted");
        out.push_back(to_bytes(block.der()));
        break;
      case pem::Next::malformed: {
        const pem::Failure& f = reader.failure();
        if (f.problem == pem::Problem::too_large) return malformed("the PEM text is too large");
        if (f.label != kLabel) return malformed("only CERTIFICATE blocks are accepted");
        if (f.problem != pem::Problem::bad_body) return malformed("a CERTIFICATE block is not closed");
        out.emplace_back();
        break;
      }
    }
    if (out.size() > kMaxCertificatesPerBatch)
      return make_error(ErrorKind::too_large, "batch_too_large",
                        "at most " + std::to_string(kMaxCertificatesPerBatch) + " certificates");
  }
  if (out.empty()) return malformed("no CERTIFICATE block found");
  return out;
}

}  // namespace

Result<std::vector<Bytes>> decode_certificate_body(std::string_view content_type, ByteView body) {
  std::string type = media_type(content_type);
  if (type == "application/x-pem-file" || type == "application/pem-certificate-chain")
    return split_pem(as_chars(body));
  if (type == "application/pkix-cert" || type == "application/x-x509-ca-cert" || type == "application/pkix-cert-der") {
    if (body.empty()) return make_error(ErrorKind::invalid, "certificate_malformed", "empty body");
    return std::vector<Bytes>{to_bytes(body)};
  }
  if (type == "application/json") {
    auto doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      return make_error(ErrorKind::invalid, "json_malformed", "the body is not a JSON object");
    auto it = doc.find("certificates");
    if (it == doc.end() || !it->is_array())
      return make_error(ErrorKind::invalid, "json_malformed", "\"certificates\" must be an array of base64 DER strings");
    if (it->size() > kMaxCertificatesPerBatch)
      return make_error(ErrorKind::too_large, "batch_too_large", "at most " + std::to_string(kMaxCertificatesPerBatch) + " certificates");
    std::vector<Bytes> out;
    out.reserve(it->size());
    for (const auto& item : *it) {
      if (!item.is_string()) return make_error(ErrorKind::invalid, "json_malformed", "\"certificates\" items must be strings");
      auto der = base64_decode_lenient(item.get_ref<const std::string&>());
      out.push_back(der ? std::move(*der) : Bytes{});
    }
    return out;
  }
  return make_error(ErrorKind::unsupported, "unsupported_media_type",
                    "use application/json, application/x-pem-file or application/pkix-cert");
}

}  // namespace trustmon::registry
