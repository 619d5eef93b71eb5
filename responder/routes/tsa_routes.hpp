// HTTP adapter for the test bed's time-stamping authority (testbed::Tsa): POST /testca/tsa
// (RFC 3161 §3.4: application/timestamp-query in, application/timestamp-reply out; a
// rejection is still a 200 with a TimeStampResp) and GET /testca/tsa.pem (the TSA
// certificate and its chain). It owns the trustmon_tsa_requests_total counters. The faults
// and time travel in force for a request come from the caller's `options_of`; `?at=RFC3339`
// on the POST sets TsaOptions::at over what `options_of` returned.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "responder/http/request.hpp"
#include "responder/http/router.hpp"
#include "responder/testbed/tsa.hpp"

namespace trustmon::routes {

// trustmon_tsa_requests_total{status=...}: granted, rejection (a TimeStampResp refusing the
// query), unsupported_media_type (415), invalid_request (400: a bad ?at), internal_error.
class TsaCounters {
 public:
  enum class Status : std::uint8_t { granted, rejection, unsupported_media_type, invalid_request, internal_error };
  static constexpr std::size_t kCount = 5;

  void count(Status status) noexcept;
  std::uint64_t value(Status status) const noexcept;
  std::string metrics_text() const;

 private:
  std::array<std::atomic<std::uint64_t>, kCount> by_status_{};
};

using TsaOptionsOf = std::function<testbed::TsaOptions(const http::Request&)>;

// Registers POST /testca/tsa and GET /testca/tsa.pem. `tsa` and `counters` must outlive the
// server; `options_of` (may be empty: no faults) is called on the worker's thread for each
// POST, and an exception from it answers 500.
void add_tsa_routes(http::Router& router, const testbed::Tsa& tsa, TsaOptionsOf options_of, TsaCounters& counters);

}  // namespace trustmon::routes
