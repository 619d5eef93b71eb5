// OcspOptions checks (see options.hpp).
#include "responder/ocsp/options.hpp"

namespace trustmon::ocsp {

Status validate(const OcspOptions& o) {
  if (o.validity < 60) return make_error(ErrorKind::invalid, "invalid_config", "ocsp validity must be at least 60 seconds");
  if (o.refresh_margin < 0 || o.refresh_margin >= o.validity - o.validity / 10)
    return make_error(ErrorKind::invalid, "invalid_config",
                      "ocsp refresh margin must be below 90% of the validity (else responses are re-signed "
                      "as soon as they are stored)");
  if (o.expired_validity < 60 || o.refresh_margin >= o.expired_validity - o.expired_validity / 10)
    return make_error(ErrorKind::invalid, "invalid_config",
                      "ocsp expired validity must be at least 60 seconds and leave the refresh margin below 90% of it");
  if (o.fresh_margin < 0 || o.fresh_margin >= o.refresh_margin)
    return make_error(ErrorKind::invalid, "invalid_config", "ocsp fresh margin must be below the refresh margin");
  if (o.clock_skew < 0 || o.backdate < 0 || o.backdate >= o.validity)
    return make_error(ErrorKind::invalid, "invalid_config", "ocsp clock skew and backdate must be >= 0 and backdate below validity");
  if (o.max_certids == 0) return make_error(ErrorKind::invalid, "invalid_config", "ocsp max_certids must be at least 1");
  if (o.max_request_bytes < 64) return make_error(ErrorKind::invalid, "invalid_config", "ocsp max_request_bytes is too small");
  if (!(o.live_signatures_per_second >= 0))
    return make_error(ErrorKind::invalid, "invalid_config", "ocsp live signing rate must be >= 0 (0 = unlimited)");
  return {};
}

}  // namespace trustmon::ocsp
