// HTTP adapter for the OCSP responder: POST /ocsp (and POST / for clients configured with
// a bare URL), GET /ocsp/{base64 request} (RFC 6960 A.1, RFC 5019). OCSP errors are OCSP
// responses (HTTP 200, constant bytes), never JSON. GET answers that are cacheable carry
// RFC 5019 headers (Cache-Control, Last-Modified, Expires, ETag) and honour If-None-Match.
// They are fast routes (http::kFastEssentialRoute): on plain HTTP the connection gate answers
// them itself when the whole request is read (responder/http/gate.hpp), with the same
// handlers, bytes, access-log notes and counters as through evhttp; so the handlers answer
// before they return.
#pragma once

#include <array>
#include <atomic>
#include <string>

#include "common/clock.hpp"
#include "responder/http/router.hpp"
#include "responder/ocsp/responder.hpp"

namespace trustmon::routes {

class DelayedReplies;

// Answers by outcome, for /metrics: trustmon_ocsp_answers_total{outcome=...} with the
// labels cache, live, malformed, unauthorized, internal_error, try_later, not_modified
// (a 304 is counted again under this label) and other. Counted by ocsp::Outcome value.
class OcspCounters {
 public:
  void count(ocsp::Outcome outcome) noexcept;
  void count_not_modified() noexcept;
  std::string metrics_text() const;

 private:
  std::array<std::atomic<std::uint64_t>, ocsp::kOutcomeCount> by_outcome_{};
  std::atomic<std::uint64_t> not_modified_{0};
};

// `delayed`: where the test bed's delay fault waits (null: no test bed, answers go at once).
// `?at=RFC3339` on either route asks a test issuer's answer as of that time.
void add_ocsp_routes(http::Router& router, const ocsp::Responder& responder, std::size_t max_request_bytes,
                     const Clock& clock, OcspCounters& counters, DelayedReplies* delayed = nullptr);

}  // namespace trustmon::routes
