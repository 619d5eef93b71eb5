// An ingest request body as sent to POST /api/v1/certificates: the first input byte picks
// the Content-Type (DER, PEM, JSON, or an unknown type), the rest is the body. Property:
// no crash; a decoded body holds at most kMaxCertificatesPerBatch items.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "responder/registry/certificate_body.hpp"

using namespace trustmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kTypes[] = {"application/pkix-cert", "application/x-pem-file",
                                                "application/json", "application/json; charset=utf-8",
                                                "text/plain", ""};
  const std::string_view type = kTypes[data[0] % std::size(kTypes)];
  auto decoded = registry::decode_certificate_body(type, ByteView(data + 1, size - 1));
  if (decoded && decoded->size() > registry::kMaxCertificatesPerBatch) std::abort();
  return 0;
}
