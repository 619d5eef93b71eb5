// The certificates behind a derived cell (drilldown.hpp): one walk over the issuer's
// records, each tested by the cube's rules for the metric.
#include "responder/stats/drilldown.hpp"

#include "responder/stats/cube.hpp"
#include "storage/scan.hpp"

namespace trustmon::stats {
namespace {

bool in(const Period& p, Day d) { return d >= p.first && d < p.end; }

// Whether the certificate counts in the metric for the period, by the rules of cube.hpp
// applied to its current state (a hold released since is no longer seen here).
bool counts(const Calendar& cal, const CertFacts& f, Metric m, const Period& p) {
  const bool revoked = f.status == storage::CertStatus::revoked;
  const bool hold = revoked && f.reason == storage::kReasonCertificateHold;
  switch (m) {
    case Metric::certs_issued: return f.known && in(p, cal.day_of(f.not_before));
    case Metric::certs_revoked: return revoked && !hold && in(p, cal.day_of(f.revocation_time));
    case Metric::certs_held: return hold && in(p, cal.day_of(f.revocation_time));
    case Metric::certs_released: return false;
    case Metric::certs_expired:
      return f.known && in(p, cal.day_of(f.not_after)) && (!revoked || f.revocation_time >= f.not_after);
    case Metric::certs_active: {
      if (!f.known) return false;
      const Day last = p.end - 1;  // the stock at the end of the period's last day
      const Day start = cal.day_of(f.not_before), end = cal.day_of(f.not_after);
      Day until = end;
      if (revoked && f.revocation_time < f.not_after) until = std::max(cal.day_of(f.revocation_time), start);
      return start <= last && last < until;
    }
  }
  return false;
}

}  // namespace

Result<CellCertificates> certificates_in_cell(storage::ReadTxn& txn, const Calendar& cal, const CellQuery& q) {
  CellCertificates out;
  std::uint8_t prefix[4];
  put_be32(prefix, q.issuer);
  Status s = storage::for_each_prefix(txn, storage::Table::certs, ByteView(prefix, 4),
                                      [&](ByteView k, ByteView v) -> Status {
    auto record = storage::decode_cert(v);
    if (!record) return std::move(record).error();
    Profile profile;
    if (record->stats_profile) profile = Profile::unpack(*record->stats_profile);
    CertFacts f;
    f.issuer = q.issuer;
    f.known = record->has_der;
    f.not_before = record->not_before;
    f.not_after = record->not_after;
    f.profile = profile;
    f.status = record->status;
    f.revocation_time = record->revocation_time;
    f.reason = record->reason;
    if (!counts(cal, f, q.metric, q.period)) return {};
    Cell cell = cell_of(q.metric, 0, f);
    cell.reason = reason_code(f.reason);
    for (const auto& [dim, code] : q.dims)
      if (code_of(cell, dim) != code) return {};
    ++out.count;
    if (out.certificates.size() >= q.limit) {
      out.truncated = true;
      return {};
    }
    CellCertificate c;
    // certs key: be32 issuer · u8 length · serial
    if (k.size() > 5) c.serial_hex = hex_encode(k.subspan(5), true);
    if (record->has_der) c.sha256_hex = hex_encode(record->cert_sha256);
    c.not_before = record->not_before;
    c.not_after = record->not_after;
    c.ingested_at = record->ingested_at;
    if (record->status == storage::CertStatus::revoked) c.revocation_time = record->revocation_time;
    c.pushed_late = q.closed_at != 0 && record->ingested_at > q.closed_at;
    out.certificates.push_back(std::move(c));
    return {};
  });
  if (!s) return std::move(s).error();
  return out;
}

}  // namespace trustmon::stats
