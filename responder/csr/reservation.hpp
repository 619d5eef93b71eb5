// Reservation records of the CSR uniqueness service and their codecs (kept here, not in
// storage/, because only this module reads them).
//
//   csr_reservations  be64 id -> Reservation (format byte, fixed-width big-endian fields)
//   csr_index         SHA-256 of CSR DER -> be64 id of the reservation holding or having
//                     issued that request (the newest one)
//   csr_key_index     DUPSORT: be32 epoch || key fingerprint -> be64 id of every
//                     reservation that uses the key and is not released or expired; the
//                     epoch is id >> storage::kCsrKeyEpochShift, so new entries go to the
//                     newest epoch's small region (storage/epoch_index.hpp)
//
// A reservation is `reserved` until its holder commits it (`issued`, the certificate is
// known), releases it, or its TTL passes (`expired`, also computed at read time before
// the sweeper stores it). `revoked` follows `issued` when the certificate is revoked.
// Records of origin `certificate` stand for a certificate that reached the registry
// without a reservation: they have no CSR hash and block the key like an issued one.
#pragma once

#include <cstdint>
#include <optional>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::csr {

using ReservationId = std::uint64_t;

enum class ReservationState : std::uint8_t { reserved = 0, issued = 1, revoked = 2, released = 3, expired = 4 };
const char* state_name(ReservationState s);

enum class Origin : std::uint8_t {
  request = 0,      // reserved from a CSR
  certificate = 1,  // recorded from an ingested certificate with no matching reservation
};
const char* origin_name(Origin o);

struct Reservation {
  ReservationId id = 0;
  std::uint32_t participant = 0;
  Sha256 csr_sha256{};      // all zero for origin certificate
  Sha256 spki_sha256{};
  Sha256 subject_sha256{};
  std::uint32_t issuer = 0;  // 0 = unspecified
  ReservationState state = ReservationState::reserved;
  Origin origin = Origin::request;
  UnixTime created = 0;
  UnixTime expires = 0;      // end of the TTL (meaningful while reserved)
  UnixTime changed = 0;      // last state change
  Sha256 cert_sha256{};      // all zero until issued
  bool pop_verified = false;
  UnixTime first_seen = 0;   // when this CSR was first reserved (kept across re-reservations)
};

// The state as of `now`: a reservation past its TTL is expired even before the sweeper
// has stored that.
ReservationState effective_state(const Reservation& r, UnixTime now);
// Reserved and within its TTL, issued, or revoked: the request (and key) has been used.
bool blocks(ReservationState effective);

Bytes encode_reservation_key(ReservationId id);  // be64
// The csr_key_index key of reservation `id`'s key fingerprint.
Bytes key_index_key(const Sha256& spki, ReservationId id);
std::optional<ReservationId> decode_reservation_key(ByteView key);

Bytes encode_reservation(const Reservation& r);
// "storage_corrupt" for a wrong size, an unknown format byte or enum value.
Result<Reservation> decode_reservation(ByteView value);

}  // namespace trustmon::csr
