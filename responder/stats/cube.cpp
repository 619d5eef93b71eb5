// The cube's key codec, the change accumulator and the transition rules (cube.hpp).
#include "responder/stats/cube.hpp"

#include <algorithm>

namespace trustmon::stats {
namespace {

constexpr std::size_t kCellKeySize = 1 + 4 + 4 + 6;
constexpr std::uint8_t kRollupBit = 0x80;
constexpr std::uint32_t kDayBias = 0x80000000u;

}  // namespace

Bytes encode_cell_key(const Cell& c) {
  Bytes k(kCellKeySize);
  k[0] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(c.metric) | (c.month_rollup ? kRollupBit : 0));
  put_be32(k.data() + 1, static_cast<std::uint32_t>(c.day) + kDayBias);
  put_be32(k.data() + 5, c.issuer);
  k[9] = static_cast<std::uint8_t>(c.profile.key_alg);
  k[10] = static_cast<std::uint8_t>(c.profile.purpose);
  k[11] = static_cast<std::uint8_t>(c.profile.storage);
  k[12] = static_cast<std::uint8_t>(c.profile.subject_kind);
  k[13] = static_cast<std::uint8_t>(c.validity);
  k[14] = c.reason;
  return k;
}

std::optional<Cell> decode_cell_key(ByteView key) {
  if (key.size() != kCellKeySize) return std::nullopt;
  Cell c;
  const std::uint8_t m = key[0] & static_cast<std::uint8_t>(~kRollupBit);
  if (m < 1 || m > static_cast<std::uint8_t>(Metric::certs_active)) return std::nullopt;
  c.metric = static_cast<Metric>(m);
  c.month_rollup = (key[0] & kRollupBit) != 0;
  c.day = static_cast<Day>(get_be32(key.data() + 1) - kDayBias);
  c.issuer = get_be32(key.data() + 5);
  c.profile = Profile::unpack(std::uint32_t{key[9]} << 24 | std::uint32_t{key[10]} << 16 |
                              std::uint32_t{key[11]} << 8 | key[12]);
  c.validity = key[13] <= static_cast<std::uint8_t>(Validity::gt_3y) ? static_cast<Validity>(key[13])
                                                                       : Validity::unknown;
  c.reason = key[14];
  return c;
}

Validity validity_of(UnixTime not_before, UnixTime not_after) {
  if (not_after <= not_before) return Validity::unknown;
  const UnixTime days = (not_after - not_before) / 86400;
  if (days <= 366) return Validity::le_1y;
  if (days <= 731) return Validity::le_2y;
  if (days <= 1096) return Validity::le_3y;
  return Validity::gt_3y;
}

std::uint8_t reason_code(int stored_reason) {
  return stored_reason < 0 || stored_reason > 10 ? kReasonNone : static_cast<std::uint8_t>(stored_reason);
}

void Deltas::add(const Cell& c, std::int64_t n) {
  if (n == 0) return;
  cells_[c] += n;
  Cell month = c;
  month.month_rollup = true;
  month.day = period_containing(Freq::month, c.day).first;
  cells_[month] += n;
}

Status Deltas::apply(storage::WriteTxn& txn) const {
  for (const auto& [cell, n] : cells_) {
    if (n == 0) continue;
    const Bytes key = encode_cell_key(cell);
    auto old = txn.get(storage::Table::stats_cells, key);
    if (!old) return std::move(old).error();
    std::int64_t value = n;
    if (*old) {
      if ((*old)->size() != 8) return make_error(ErrorKind::storage, "storage_corrupt", "stats cell of the wrong size");
      value += static_cast<std::int64_t>(get_be64((*old)->data()));
    }
    if (value == 0) {
      auto gone = txn.del(storage::Table::stats_cells, key);
      if (!gone) return std::move(gone).error();
      continue;
    }
    std::uint8_t buf[8];
    put_be64(buf, static_cast<std::uint64_t>(value));
    if (Status s = txn.put(storage::Table::stats_cells, key, ByteView(buf, sizeof buf)); !s) return s;
  }
  return {};
}

std::uint32_t code_of(const Cell& c, Dim d) {
  switch (d) {
    case Dim::issuer: return c.issuer;
    case Dim::key_alg: return static_cast<std::uint32_t>(c.profile.key_alg);
    case Dim::purpose: return static_cast<std::uint32_t>(c.profile.purpose);
    case Dim::storage: return static_cast<std::uint32_t>(c.profile.storage);
    case Dim::subject_kind: return static_cast<std::uint32_t>(c.profile.subject_kind);
    case Dim::validity: return static_cast<std::uint32_t>(c.validity);
    case Dim::reason: return c.reason;
  }
  return 0;
}

Cell cell_of(Metric m, Day day, const CertFacts& f) {
  Cell c;
  c.metric = m;
  c.day = day;
  c.issuer = f.issuer;
  if (f.known) {
    c.profile = f.profile;
    c.validity = validity_of(f.not_before, f.not_after);
  }
  return c;
}

// The certificate in the active stock from `from` until its notAfter (sign +1), or taken
// out of it from `from` (sign -1). Reaching notAfter while active is the expired flow.
void Transition::active_interval(Deltas& d, const CertFacts& f, UnixTime from, int sign) const {
  if (!f.known || from >= f.not_after) return;
  const Day start = std::max(cal_.day_of(from), cal_.day_of(f.not_before));
  const Day end = cal_.day_of(f.not_after);
  if (start > end) return;  // notAfter before notBefore: never active
  if (start < end) {
    d.add(cell_of(Metric::certs_active, start, f), sign);
    d.add(cell_of(Metric::certs_active, end, f), -sign);
  }
  d.add(cell_of(Metric::certs_expired, end, f), sign);
}

namespace {

Metric revocation_metric(int reason) {
  return reason == storage::kReasonCertificateHold ? Metric::certs_held : Metric::certs_revoked;
}

}  // namespace

void Transition::issued(Deltas& d, const CertFacts& after, const std::optional<CertFacts>& before) const {
  if (!counted(after.issuer)) return;
  d.add(cell_of(Metric::certs_issued, cal_.day_of(after.not_before), after), 1);
  active_interval(d, after, after.not_before, 1);
  if (!before || before->status != storage::CertStatus::revoked) return;
  // Revoked or held before trustmon saw it: that flow moves to the certificate's profile,
  // and the certificate leaves the stock at the revocation.
  const Metric m = revocation_metric(before->reason);
  const std::uint8_t reason = m == Metric::certs_revoked ? reason_code(before->reason) : kReasonNone;
  const Day day = cal_.day_of(before->revocation_time);
  CertFacts bare = *before;
  bare.known = false;
  Cell from = cell_of(m, day, bare), to = cell_of(m, day, after);
  from.reason = to.reason = reason;
  d.add(from, -1);
  d.add(to, 1);
  active_interval(d, after, before->revocation_time, -1);
}

void Transition::revoked(Deltas& d, const std::optional<CertFacts>& before, const CertFacts& after) const {
  if (!counted(after.issuer)) return;
  const Metric m = revocation_metric(after.reason);
  Cell flow = cell_of(m, cal_.day_of(after.revocation_time), after);
  if (m == Metric::certs_revoked) flow.reason = reason_code(after.reason);
  d.add(flow, 1);
  if (before && before->status == storage::CertStatus::good) active_interval(d, after, after.revocation_time, -1);
}

void Transition::released(Deltas& d, const CertFacts& before, UnixTime at) const {
  if (!counted(before.issuer)) return;
  d.add(cell_of(Metric::certs_released, cal_.day_of(at), before), 1);
  active_interval(d, before, std::max(at, before.revocation_time), 1);
}

}  // namespace trustmon::stats
