// HTTP adapter for the OCSP responder: POST /ocsp (and POST / for clients configured with
// a bare URL), GET /ocsp/{base64 request} (RFC 6960 A.1, RFC 5019). OCSP errors are OCSP
// responses (HTTP 200, constant bytes), never JSON. GET answers that are cacheable carry
// RFC 5019 headers (Cache-Control, Last-Modified, Expires, ETag) and honour If-None-Match.
#pragma once

#include <array>
#include <atomic>
#include <string>

#include "common/clock.hpp"
#include "responder/http/router.hpp"
#include "responder/ocsp/responder.hpp"

namespace trustmon::routes {

// Answers by outcome (cache, live, malformed, unauthorized, internal...), for /metrics.
class OcspCounters {
 public:
  void count(std::string_view outcome) noexcept;
  std::string metrics_text() const;

 private:
  static constexpr std::size_t kSlots = 8;
  std::array<std::atomic<std::uint64_t>, kSlots> counts_{};
};

void add_ocsp_routes(http::Router& router, const ocsp::Responder& responder, std::size_t max_request_bytes,
                     const Clock& clock, OcspCounters& counters);

}  // namespace trustmon::routes
