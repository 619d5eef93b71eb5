// OCSP service settings shared by the responder, pre-signing and the refresher.
#pragma once

#include <cstddef>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/ocsp/request.hpp"

namespace trustmon::ocsp {

struct OcspOptions {
  // nextUpdate - thisUpdate, for pre-signed and live responses (RFC 5019 §2.2.4 asks
  // for a validity that lets caches work; a day is the usual choice).
  UnixTime validity = 86400;
  // The same for certificates past their notAfter: their status no longer changes, so
  // their responses carry ArchiveCutoff (RFC 6960 §4.4.4) and live long (presign.hpp).
  UnixTime expired_validity = 30 * 86400;
  // The refresher re-signs a pre-signed response once now >= nextUpdate - refresh_margin.
  UnixTime refresh_margin = 6 * 3600;
  // A pre-signed response is served only while now + fresh_margin < nextUpdate, so a
  // client (or an HTTP cache) never receives one that expires in transit.
  UnixTime fresh_margin = 60;
  // ... and only if its thisUpdate <= now + clock_skew (refuses responses "from the future").
  UnixTime clock_skew = 60;
  // thisUpdate = now - backdate. 0: clients check thisUpdate against their own clock
  // with a tolerance (OpenSSL: 5 min), and producedAt is always the real signing time.
  UnixTime backdate = 0;
  bool echo_nonce = true;
  // RFC 6960 §2.2: answer "revoked" (certificateHold, 1970-01-01, extended-revoke) for
  // serials never issued, instead of "unknown".
  bool unknown_as_revoked = false;
  // Cross-check a pre-signed response against the certs record before serving it (one
  // more B-tree lookup) and sign live if they disagree. A safety net for a writer that
  // changed a status without replacing its pre-signed response.
  bool check_presigned_status = true;
  std::size_t max_certids = kDefaultMaxCertIds;
  std::size_t max_request_bytes = 4096;
  // Live signatures per second per issuer (a token bucket holding one second's worth);
  // 0 = unlimited. Beyond it, answers that need live signing are tryLater, so a flood of
  // nonce or unknown-serial requests cannot take every core; pre-signed answers are unaffected.
  double live_signatures_per_second = 0;
};

// invalid_config when a value would break the service (e.g. a refresh margin that
// leaves no time between re-signings).
Status validate(const OcspOptions& options);

}  // namespace trustmon::ocsp
