// Builds and signs OCSPResponses (RFC 6960 §4.2) and holds the constant error responses.
//
// Policy: the DER is written by hand (der::BackWriter) and the tbsResponseData signed
// with the issuer's prepared SigningKey, so we control every byte and pay only for the
// signature. The shape is fixed:
//  * ResponderID byKey (SHA-1 of the responder's public key), version omitted (v1);
//  * each SingleResponse reuses the CertID DER it is given (for live answers: the
//    request's own CertID, so the hash algorithm and encoding match what the client sent);
//  * revoked carries revocationReason only when there is one, and an invalidityDate
//    singleExtension when known; an archiveCutoff singleExtension when given (certificates
//    past their notAfter); times are GeneralizedTime with whole seconds;
//  * the nonce extension echoes the request's extnValue octets verbatim;
//  * extended_revoke adds id-pkix-ocsp-extended-revoke (value NULL) to
//    responseExtensions (RFC 6960 §2.2: "revoked" for a certificate never issued);
//  * certs holds the responder certificate only when it is delegated (not the CA).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/ocsp/hash_alg.hpp"
#include "responder/ocsp/responder_keys.hpp"
#include "storage/records.hpp"

namespace trustmon::ocsp {

// OCSPResponseStatus (RFC 6960 §4.2.1); 4 is unused.
enum class ResponseStatus : std::uint8_t {
  successful = 0,
  malformed_request = 1,
  internal_error = 2,
  try_later = 3,
  sig_required = 5,
  unauthorized = 6,
};

// Constant error responses: OCSPResponse { responseStatus } with no responseBytes.
inline constexpr std::uint8_t kMalformedRequestDer[] = {0x30, 0x03, 0x0a, 0x01, 0x01};
inline constexpr std::uint8_t kInternalErrorDer[] = {0x30, 0x03, 0x0a, 0x01, 0x02};
inline constexpr std::uint8_t kTryLaterDer[] = {0x30, 0x03, 0x0a, 0x01, 0x03};
inline constexpr std::uint8_t kSigRequiredDer[] = {0x30, 0x03, 0x0a, 0x01, 0x05};
inline constexpr std::uint8_t kUnauthorizedDer[] = {0x30, 0x03, 0x0a, 0x01, 0x06};
inline constexpr ByteView kMalformedRequest{kMalformedRequestDer};
inline constexpr ByteView kInternalError{kInternalErrorDer};
inline constexpr ByteView kTryLater{kTryLaterDer};
inline constexpr ByteView kSigRequired{kSigRequiredDer};
inline constexpr ByteView kUnauthorized{kUnauthorizedDer};
// The constant bytes for an error status (empty for `successful`).
ByteView error_response(ResponseStatus status) noexcept;

enum class CertState : std::uint8_t { good, revoked, unknown };

struct SingleStatus {
  ByteView certid_der;  // a whole CertID TLV
  CertState state = CertState::unknown;
  UnixTime revocation_time = 0;         // revoked only
  int reason = storage::kNoReason;      // revoked only; kNoReason = omit revocationReason
  UnixTime invalidity_date = 0;         // revoked only; 0 = omit
  UnixTime this_update = 0;
  UnixTime next_update = 0;             // 0 = omit (never for our responses; kept for completeness)
  // RFC 6960 §4.4.4 archiveCutoff singleExtension: the date from which status is kept
  // after a certificate expires (presign.hpp: the CA's notBefore). 0 = omit.
  UnixTime archive_cutoff = 0;
};

// A complete OCSPResponse (successful, id-pkix-ocsp-basic). Error codes:
// "invalid_argument" (no statuses, bad reason or time), "signing_failed".
Result<Bytes> sign_response(const ResponderKeys& issuer, std::span<const SingleStatus> statuses,
                            std::optional<ByteView> nonce_extn_value, UnixTime produced_at,
                            bool extended_revoke);

// CertID DER for `serial` (magnitude octets) under `issuer`, hashes for `alg`;
// AlgorithmIdentifier with NULL parameters (what OpenSSL clients send). Empty for
// an unsupported algorithm.
Bytes build_certid_der(HashAlg alg, const ResponderKeys& issuer, ByteView serial);

// The signature octets of a successful OCSPResponse (the BIT STRING value without its
// unused-bits octet); nullopt if the DER cannot be read that far.
std::optional<ByteView> response_signature(ByteView response_der) noexcept;

}  // namespace trustmon::ocsp
