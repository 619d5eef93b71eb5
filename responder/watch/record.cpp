#include "responder/watch/record.hpp"

#include "common/enum_names.hpp"
#include "storage/field_codec.hpp"

namespace trustmon::watch {
namespace {

constexpr std::uint8_t kFormat = 2;       // written
constexpr std::uint8_t kFormatNoHolder = 1;  // read: before holder watches

// Wire names (JSON, audit events); the literals make name(...).data() NUL-terminated.
constexpr EnumNames<EventKind, 8> kEventKinds({{{kIssued, "issued"},
                                                {kRevoked, "revoked"},
                                                {kKeyReused, "key_reused"},
                                                {kCrl, "crl"},
                                                {kStats, "stats"},
                                                {kTestcases, "testcases"},
                                                {kRequests, "requests"},
                                                {kLogin, "login"}}});
constexpr EnumNames<Delivery, 2> kDeliveries({{{Delivery::stream, "stream"}, {Delivery::webhook, "webhook"}}});
constexpr EnumNames<WatchState, 3> kWatchStates(
    {{{WatchState::active, "active"}, {WatchState::dead_letter, "dead_letter"}, {WatchState::disabled, "disabled"}}});

}  // namespace

const char* kind_name(EventKind k) { return kEventKinds.name(k).data(); }
std::optional<EventKind> kind_from_name(std::string_view name) { return kEventKinds.parse(name); }
const char* delivery_name(Delivery d) { return kDeliveries.name(d).data(); }
std::optional<Delivery> delivery_from_name(std::string_view name) { return kDeliveries.parse(name); }
const char* state_name(WatchState s) { return kWatchStates.name(s).data(); }

Bytes encode_watch_key(WatchId id) {
  Bytes k(4);
  put_be32(k.data(), id);
  return k;
}

Bytes encode_watch(const WatchRecord& r) {
  storage::FieldWriter w(256);
  w.u8(kFormat);
  w.be32(r.id);
  w.be32(r.owner);
  w.be32(r.representative);
  w.str(r.created_by);
  w.time(r.created);
  w.str(r.name);
  w.be32(static_cast<std::uint32_t>(r.values.size()));
  for (const auto& v : r.values) {
    w.str(v.kind);
    w.str(v.value);
  }
  w.str(r.issuer);
  w.u8(r.kinds);
  w.u8(static_cast<std::uint8_t>(r.delivery));
  w.str(r.url);
  w.var(r.secret);
  w.u8(static_cast<std::uint8_t>(r.state));
  w.be64(r.cursor);
  w.be32(r.epoch);
  w.be32(r.failures);
  w.str(r.last_error);
  w.time(r.last_attempt);
  w.time(r.last_delivery);
  w.be64(r.dead_letter_seq);
  w.be64(r.delivered);
  w.str(r.holder);
  return w.take();
}

Result<WatchRecord> decode_watch(ByteView value) {
  storage::FieldReader in(value);
  const std::uint8_t format = in.u8();
  if ((format != kFormat && format != kFormatNoHolder) || !in.ok())
    return make_error(ErrorKind::storage, "storage_corrupt", "watch record of an unknown format");
  WatchRecord r;
  r.id = in.be32();
  r.owner = in.be32();
  r.representative = in.be32();
  r.created_by = in.str();
  r.created = in.time();
  r.name = in.str();
  const std::uint32_t n = in.be32();
  if (n > kMaxWatchedValues) return make_error(ErrorKind::storage, "storage_corrupt", "watch record with too many values");
  for (std::uint32_t i = 0; i < n && in.ok(); ++i) {
    WatchedValue v;
    v.kind = in.str();
    v.value = in.str();
    r.values.push_back(std::move(v));
  }
  r.issuer = in.str();
  r.kinds = in.u8();
  const std::uint8_t delivery = in.u8();
  r.url = in.str();
  r.secret = to_bytes(in.var());
  const std::uint8_t state = in.u8();
  r.cursor = in.be64();
  r.epoch = in.be32();
  r.failures = in.be32();
  r.last_error = in.str();
  r.last_attempt = in.time();
  r.last_delivery = in.time();
  r.dead_letter_seq = in.be64();
  r.delivered = in.be64();
  if (format == kFormat) r.holder = in.str();
  if (!in.done()) return make_error(ErrorKind::storage, "storage_corrupt", "watch record of the wrong length");
  if (delivery != 1 && delivery != 2) return make_error(ErrorKind::storage, "storage_corrupt", "watch record with an unknown delivery");
  if (state < 1 || state > 3) return make_error(ErrorKind::storage, "storage_corrupt", "watch record with an unknown state");
  if ((r.kinds & ~kKnownKinds) != 0 || r.kinds == 0) return make_error(ErrorKind::storage, "storage_corrupt", "watch record with unknown kinds");
  r.delivery = static_cast<Delivery>(delivery);
  r.state = static_cast<WatchState>(state);
  return r;
}

}  // namespace trustmon::watch
