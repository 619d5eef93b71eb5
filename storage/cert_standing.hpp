// A stored certificate's standing at a moment, read from trustmon's own status data: what
// a signature login, a signed request and a cabinet session opened by signature rely on
// (never an OCSP fetch or the signer's word).
//
// Refusals (ErrorKind::forbidden, 403): certificate_unknown (no record under that issuer
// and serial), certificate_revoked, certificate_held (revoked with reason
// certificateHold), certificate_expired (`now` outside the record's validity, when the
// record knows it: callers holding the certificate check its own validity too).
#pragma once

#include <cstdint>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

Status check_standing(const ReadTxn& txn, std::uint32_t issuer, ByteView serial, UnixTime now);

}  // namespace trustmon::storage
