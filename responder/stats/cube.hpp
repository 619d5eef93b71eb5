// The derived statistics cube: counters per local day × metric × issuer × dimensions,
// kept in the table `stats_cells` and changed inside the Writer job that stores the
// certificate event they count, so a committed event and its figures are one commit.
//
// Key: u8 metric (| 0x80 for a month's rollup) · be32 day (+ 2^31; the rollup's is the
// month's first day) · be32 issuer id · u8 key_alg · u8 purpose · u8 storage ·
// u8 subject_kind · u8 validity · u8 reason (kReasonNone except for revocations)
// → be64 two's complement count. Each change is written to its day and to its month's
// rollup, so a series by month or longer, and the stock at a date, read a month per
// entry instead of thirty.
//
// Flows are counted on the day they happen (docs/statistics.md): issued on notBefore's
// day, revoked and held on the revocation time's day, released on the release's day,
// expired on notAfter's day for a certificate active until then. `certs_active` is stored
// as its daily net change; the stock at the end of a day is the sum of the changes up to
// it. Every change of a certificate goes through `Transition`, the one rule set the
// Writer jobs and the rebuild from the event log share, so both give the same cells.
#pragma once

#include <algorithm>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "responder/stats/calendar.hpp"
#include "responder/stats/codes.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"

namespace trustmon::stats {

// One cell's coordinates.
struct Cell {
  Metric metric = Metric::certs_issued;
  bool month_rollup = false;
  Day day = 0;
  storage::IssuerId issuer = 0;
  Profile profile;
  Validity validity = Validity::unknown;
  std::uint8_t reason = kReasonNone;
  auto operator<=>(const Cell&) const = default;
};
Bytes encode_cell_key(const Cell& c);
std::optional<Cell> decode_cell_key(ByteView key);

Validity validity_of(UnixTime not_before, UnixTime not_after);
std::uint8_t reason_code(int stored_reason);  // storage reason (kNoReason = -1) -> code
// A cell's code of one dimension (issuer: its id): what series group and filter by.
std::uint32_t code_of(const Cell& c, Dim d);

// Changes gathered by a job, applied once at its end (a job of 256 certificates of one
// issuer and day touches a handful of cells).
class Deltas {
 public:
  void add(const Cell& c, std::int64_t n);
  bool empty() const { return cells_.empty(); }
  const std::map<Cell, std::int64_t>& cells() const { return cells_; }
  // Adds each change to its cell in `txn` (and deletes cells that reach 0).
  Status apply(storage::WriteTxn& txn) const;
  void clear() { cells_.clear(); }

 private:
  std::map<Cell, std::int64_t> cells_;
};

// What the statistics know of one certificate: its record's fields that matter.
struct CertFacts {
  storage::IssuerId issuer = 0;
  bool known = false;  // its DER is held (not a bare revocation)
  UnixTime not_before = 0, not_after = 0;
  Profile profile;
  storage::CertStatus status = storage::CertStatus::good;
  UnixTime revocation_time = 0;
  int reason = storage::kNoReason;
};

// The cell a certificate counts in for a metric on a day: its issuer, and its profile and
// validity bucket when its DER is held (unknown otherwise); reason kReasonNone.
Cell cell_of(Metric m, Day day, const CertFacts& f);

// The rules: each records the flows of one change and moves the active stock.
class Transition {
 public:
  explicit Transition(const Calendar& cal) : cal_(cal) {}
  // A certificate stored; `before` is the bare record it completes (a revocation or hold
  // seen first), whose flows move from the unknown profile to the certificate's own.
  void issued(Deltas& d, const CertFacts& after, const std::optional<CertFacts>& before) const;
  // A revocation or hold stored over `before` (good, or on hold when revoked for good;
  // absent when the serial was never seen).
  void revoked(Deltas& d, const std::optional<CertFacts>& before, const CertFacts& after) const;
  // A hold released at `at`.
  void released(Deltas& d, const CertFacts& before, UnixTime at) const;
  // Issuers never counted (the test bed's CAs: docs/testbed.md). Set before the first
  // transition; read without locking afterwards.
  void exclude(std::vector<storage::IssuerId> issuers) { excluded_ = std::move(issuers); }
  bool counted(storage::IssuerId issuer) const noexcept {
    return std::find(excluded_.begin(), excluded_.end(), issuer) == excluded_.end();
  }

 private:
  void active_interval(Deltas& d, const CertFacts& f, UnixTime from, int sign) const;
  const Calendar& cal_;
  std::vector<storage::IssuerId> excluded_;
};

}  // namespace trustmon::stats
