// Reservation codec (see reservation.hpp). Value layout, format 1, 155 bytes:
//   u8 format | be64 id | be32 participant | 32 csr | 32 spki | 32 subject | be32 issuer |
//   u8 state | u8 origin | be64 created | be64 expires | be64 changed | 32 cert | u8 pop |
//   be64 first_seen
#include "responder/csr/reservation.hpp"

#include <cstring>

#include "common/enum_names.hpp"
#include "storage/epoch_index.hpp"

namespace trustmon::csr {
namespace {

constexpr std::uint8_t kFormat = 1;
constexpr std::size_t kSize = 1 + 8 + 4 + 32 + 32 + 32 + 4 + 1 + 1 + 8 + 8 + 8 + 32 + 1 + 8;

// Wire names (JSON, audit events); the literals make name(...).data() NUL-terminated.
constexpr EnumNames<ReservationState, 5> kStates({{{ReservationState::reserved, "reserved"},
                                                   {ReservationState::issued, "issued"},
                                                   {ReservationState::revoked, "revoked"},
                                                   {ReservationState::released, "released"},
                                                   {ReservationState::expired, "expired"}}});
constexpr EnumNames<Origin, 2> kOrigins({{{Origin::request, "request"}, {Origin::certificate, "certificate"}}});

Error corrupt(const char* why) { return make_error(ErrorKind::storage, "storage_corrupt", std::string("csr reservation record: ") + why); }

}  // namespace

const char* state_name(ReservationState s) { return kStates.name(s).data(); }
const char* origin_name(Origin o) { return kOrigins.name(o).data(); }

ReservationState effective_state(const Reservation& r, UnixTime now) {
  if (r.state == ReservationState::reserved && now >= r.expires) return ReservationState::expired;
  return r.state;
}

bool blocks(ReservationState effective) {
  return effective == ReservationState::reserved || effective == ReservationState::issued ||
         effective == ReservationState::revoked;
}

Bytes encode_reservation_key(ReservationId id) {
  Bytes key(8);
  put_be64(key.data(), id);
  return key;
}

Bytes key_index_key(const Sha256& spki, ReservationId id) {
  return storage::epoch_key(ByteView(spki.data(), spki.size()), 0,
                            static_cast<std::uint32_t>(id >> storage::kCsrKeyEpochShift));
}

std::optional<ReservationId> decode_reservation_key(ByteView key) {
  if (key.size() != 8) return std::nullopt;
  return get_be64(key.data());
}

Bytes encode_reservation(const Reservation& r) {
  Bytes out(kSize);
  std::uint8_t* p = out.data();
  auto u8 = [&p](std::uint8_t v) { *p++ = v; };
  auto be32 = [&p](std::uint32_t v) { put_be32(p, v); p += 4; };
  auto be64 = [&p](std::uint64_t v) { put_be64(p, v); p += 8; };
  auto hash = [&p](const Sha256& h) { std::memcpy(p, h.data(), h.size()); p += h.size(); };
  u8(kFormat);
  be64(r.id);
  be32(r.participant);
  hash(r.csr_sha256);
  hash(r.spki_sha256);
  hash(r.subject_sha256);
  be32(r.issuer);
  u8(static_cast<std::uint8_t>(r.state));
  u8(static_cast<std::uint8_t>(r.origin));
  be64(static_cast<std::uint64_t>(r.created));
  be64(static_cast<std::uint64_t>(r.expires));
  be64(static_cast<std::uint64_t>(r.changed));
  hash(r.cert_sha256);
  u8(r.pop_verified ? 1 : 0);
  be64(static_cast<std::uint64_t>(r.first_seen));
  return out;
}

Result<Reservation> decode_reservation(ByteView value) {
  if (value.size() != kSize) return corrupt("wrong size");
  const std::uint8_t* p = value.data();
  auto u8 = [&p]() { return *p++; };
  auto be32 = [&p]() { const std::uint32_t v = get_be32(p); p += 4; return v; };
  auto be64 = [&p]() { const std::uint64_t v = get_be64(p); p += 8; return v; };
  auto hash = [&p](Sha256& h) { std::memcpy(h.data(), p, h.size()); p += h.size(); };
  if (u8() != kFormat) return corrupt("unknown format");
  Reservation r;
  r.id = be64();
  r.participant = be32();
  hash(r.csr_sha256);
  hash(r.spki_sha256);
  hash(r.subject_sha256);
  r.issuer = be32();
  const std::uint8_t state = u8();
  const std::uint8_t origin = u8();
  if (state > static_cast<std::uint8_t>(ReservationState::expired)) return corrupt("unknown state");
  if (origin > static_cast<std::uint8_t>(Origin::certificate)) return corrupt("unknown origin");
  r.state = static_cast<ReservationState>(state);
  r.origin = static_cast<Origin>(origin);
  r.created = static_cast<UnixTime>(be64());
  r.expires = static_cast<UnixTime>(be64());
  r.changed = static_cast<UnixTime>(be64());
  hash(r.cert_sha256);
  const std::uint8_t pop = u8();
  if (pop > 1) return corrupt("bad proof-of-possession flag");
  r.pop_verified = pop == 1;
  r.first_seen = static_cast<UnixTime>(be64());
  return r;
}

}  // namespace trustmon::csr
