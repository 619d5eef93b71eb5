// The test bed's hook into the OCSP responder (testbed/faults.hpp implements it): answers
// for test issuers "as of" another time, or broken on purpose. The responder asks the hook
// only for issuers it covers, so a production issuer can never be faulted; without a hook
// (no [testbed]) the request path is the production one.
#pragma once

#include <cstdint>
#include <span>

#include "common/bytes.hpp"
#include "common/time.hpp"
#include "storage/records.hpp"

namespace trustmon::ocsp {

struct ResponderKeys;

// What an answer is made to get wrong (docs/testbed.md lists what a client sees).
enum class OcspFault : std::uint8_t {
  none,
  unsigned_response,   // the signature's octets are zeroed
  wrong_signer,        // signed by another issuer's responder
  wrong_certid,        // the SingleResponse names another serial
  stale_next_update,   // nextUpdate in the past
  future_this_update,  // thisUpdate an hour ahead
  nonce_missing,       // the request's nonce is not echoed
  nonce_wrong,         // another nonce is returned
  try_later,           // responseStatus tryLater
  internal_error,      // responseStatus internalError
  unauthorized,        // responseStatus unauthorized
  truncated,           // the body is cut in half
  delay,               // a good answer, sent delay_ms late (the route waits)
};

struct FaultDraw {
  OcspFault fault = OcspFault::none;
  std::uint32_t delay_ms = 0;
};

class SpecialAnswers {
 public:
  virtual ~SpecialAnswers() = default;
  // Whether `issuer` is a test issuer (the only ones answered specially).
  virtual bool covers(storage::IssuerId issuer) const noexcept = 0;
  // The fault in force for this issuer and serial now, counted as used; none when none.
  virtual FaultDraw draw(storage::IssuerId issuer, ByteView serial, UnixTime now) const = 0;
  // The responder that signs a wrong_signer answer for `issuer` (another issuer's).
  virtual const ResponderKeys* wrong_signer(storage::IssuerId issuer) const noexcept = 0;
};

}  // namespace trustmon::ocsp
