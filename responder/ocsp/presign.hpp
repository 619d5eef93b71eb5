// Pre-signing: the single-CertID response for a known certificate, as stored in
// ocsp_responses and served without crypto on the hot path.
//
// Policy: pre-signed responses use a SHA-1 CertID with NULL parameters (the default of
// OpenSSL, browsers and most libraries; RFC 5019 §2.1.1), no nonce, thisUpdate =
// now - backdate and nextUpdate = thisUpdate + validity - jitter, where the jitter is a
// deterministic function of the serial in [0, validity/10): responses signed in one
// batch then fall due at different times instead of all at once.
#pragma once

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/ocsp/hash_alg.hpp"
#include "responder/ocsp/options.hpp"
#include "responder/ocsp/responder_keys.hpp"
#include "responder/ocsp/signer.hpp"
#include "storage/records.hpp"

namespace trustmon::ocsp {

inline constexpr HashAlg kPresignHashAlg = HashAlg::sha1;

// Seconds taken off the validity of this serial's pre-signed responses.
UnixTime presign_jitter(ByteView serial, UnixTime validity) noexcept;

// The SingleStatus a certs record states (good or revoked, with reason and invalidity date).
SingleStatus status_from_record(ByteView certid_der, const storage::CertRecord& record, UnixTime this_update,
                                UnixTime next_update) noexcept;

// True when a stored response states what `record` states (status and revocation time).
bool presigned_matches(const storage::OcspResponseView& response, const storage::CertRecord& record) noexcept;

Result<storage::OcspResponseRecord> presign(const ResponderKeys& issuer, ByteView serial,
                                            const storage::CertRecord& record, const OcspOptions& options,
                                            UnixTime now);

}  // namespace trustmon::ocsp
