// The certificates behind a derived cell, for reconciliation: which of trustmon's
// certificates of one issuer count in a metric × period × dimensions cell by the same
// rules as the cube (cube.hpp), read from their records in one snapshot. A provider
// diffs the list against its CA database and pushes what is missing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "responder/stats/calendar.hpp"
#include "responder/stats/codes.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"

namespace trustmon::stats {

struct CellCertificate {
  std::string serial_hex;
  std::string sha256_hex;   // empty: a revocation of a certificate never pushed
  UnixTime not_before = 0;  // the issuance time the statistics use
  UnixTime not_after = 0;
  UnixTime ingested_at = 0;  // 0: stored before trustmon recorded ingest times
  UnixTime revocation_time = 0;  // revoked or held ones
  bool pushed_late = false;      // ingested after the period closed (`closed_at`)
};

struct CellQuery {
  Metric metric = Metric::certs_issued;  // certs_released is not listed (no record keeps it)
  Period period;
  storage::IssuerId issuer = 0;
  std::map<Dim, std::uint32_t> dims;  // the cell's other coordinates (issuer not among them)
  UnixTime closed_at = 0;             // when the period closed (its end in the zone)
  std::size_t limit = 1000;
};

struct CellCertificates {
  std::uint64_t count = 0;  // all that count in the cell
  bool truncated = false;   // more than `limit`
  std::vector<CellCertificate> certificates;  // at most `limit`, in serial order
};

// Walks the issuer's records (certs keys are issuer-prefixed). certs_active lists those
// active at the period's end; certs_expired those that reached notAfter in it while active.
Result<CellCertificates> certificates_in_cell(storage::ReadTxn& txn, const Calendar& cal, const CellQuery& q);

}  // namespace trustmon::stats
