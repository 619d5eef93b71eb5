// A certificate as ingest reads it: the DER walk (pki::parse_cert_parts), attribute
// extraction and the certificate.issued / certificate.revoked payloads the registry would
// append to the hash-chained log. Properties: every payload is strict JSON (nlohmann parses
// it without error, so no invalid UTF-8 and no broken escape reaches the permanent log),
// and every indexed attribute is found by a query for the name and value the events
// report (the query's index key is the stored one: normalisation is idempotent).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "responder/pki/cert_view.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "responder/registry/attributes.hpp"
#include "responder/registry/event_payloads.hpp"

using namespace trustmon;

namespace {

void must_be_json(const std::string& text) {
  if (!nlohmann::json::accept(text)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView der(data, size);
  auto parts = pki::parse_cert_parts(der);
  if (!parts) return 0;
  const Sha256 digest = sha256(der);
  std::vector<registry::Attribute> attributes = registry::extract_attributes(parts->subject, parts->extensions, digest);
  for (const auto& a : attributes) {
    const Bytes stored = registry::index_key(a);
    if (stored.empty()) continue;
    auto query = registry::parse_attribute_query(registry::attribute_name(a), a.value);
    if (!query || registry::index_key(*query) != stored) std::abort();
  }
  std::erase_if(attributes, [](const registry::Attribute& a) { return a.kind == registry::AttrKind::sha256; });
  const Sha256 spki = pki::key_fingerprint(parts->view);
  const std::string serial = hex_encode(pki::view_serial(parts->view), true);
  const std::string fields = registry::certificate_fields({"issuer", serial, hex_encode(digest), spki, true, &attributes});
  must_be_json(registry::issued_payload(fields, 1));
  must_be_json(registry::key_reused_payload(fields, 1, false));
  must_be_json(registry::revoked_payload(
      {"issuer", serial, "keyCompromise", 1767225600, 0, hex_encode(digest), spki, &attributes}));
  return 0;
}
