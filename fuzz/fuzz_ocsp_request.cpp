// OCSP requests as a relying party sends them: a POST body (DER) and a GET path (percent-
// and base64-encoded DER), through the same decoders and parser as the route. Property: no
// crash, no sanitizer report; a parsed request names 1..max CertIDs.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/bytes.hpp"
#include "responder/ocsp/request.hpp"

using namespace trustmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kMaxCertIds = 16;
  ocsp::ParsedRequest parsed;
  if (ocsp::parse_request(ByteView(data, size), kMaxCertIds, parsed) == nullptr) {
    if (parsed.certids.empty() || parsed.certids.size() > kMaxCertIds) std::abort();
  }
  // The GET form: the input as the path after /ocsp/.
  char text[8192];
  auto text_len = percent_decode_to(std::string_view(reinterpret_cast<const char*>(data), size), text, sizeof text);
  if (!text_len) return 0;
  for (std::size_t i = 0; i < *text_len; ++i)  // as the route does: a space can only be a '+'
    if (text[i] == ' ') text[i] = '+';
  std::uint8_t der[8192];
  auto der_len = base64_decode_to(std::string_view(text, *text_len), der, sizeof der);
  if (!der_len) return 0;
  if (ocsp::parse_request(ByteView(der, *der_len), kMaxCertIds, parsed) == nullptr) {
    if (parsed.certids.empty() || parsed.certids.size() > kMaxCertIds) std::abort();
  }
  return 0;
}
