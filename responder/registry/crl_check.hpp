// The registry's hook for comparing an uploaded CRL with trustmon's own status data
// (responder/crl/compare.hpp implements it and defines each category), and the result of
// that comparison, which the crl.discrepancy event (event_payloads.hpp), the check API
// and `trustmonctl crl check` all report.
//
// Policy: the registry depends on this interface only, never on trustmon_crl (which links
// the registry); the daemon wires the implementation in (RegistryOptions::crl_checker).
// The comparison reads its own LMDB snapshot, off the Writer thread; a failed comparison
// is logged by the registry and never fails the upload whose entries are already stored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/registry/crl_reader.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

// At most this many serials are listed per category; the count is always exact.
inline constexpr std::size_t kMaxListedSerials = 1000;

// The serials of one category: exact count, the first kMaxListedSerials in serial order
// (upper-case hex, as events and API replies write serials).
struct SerialList {
  std::uint64_t count = 0;
  std::vector<std::string> serials;
  bool truncated() const noexcept { return count > serials.size(); }
  void add(ByteView serial) {
    if (serials.size() < kMaxListedSerials) serials.push_back(hex_encode(serial, true));
    ++count;
  }
};

struct CrlComparison {
  UnixTime this_update = 0;
  std::uint64_t entries = 0;  // CRL entries compared (distinct readable serials)
  std::uint64_t skipped = 0;  // entries not compared: unreadable (the reader refused them) or repeated
  SerialList missing_from_crl;
  SerialList unknown_here;
  SerialList good_here;
  SerialList reason_differs;
  SerialList revoked_after;  // informative: not a discrepancy
  bool agrees() const noexcept {
    return missing_from_crl.count == 0 && unknown_here.count == 0 && good_here.count == 0 &&
           reason_differs.count == 0;
  }
};

class CrlChecker {
 public:
  virtual ~CrlChecker() = default;
  // Compares the entries of a complete CRL of `issuer` (thisUpdate `this_update`) with the
  // issuer's current status records, in one read snapshot. Errors: storage faults.
  virtual Result<CrlComparison> compare(storage::IssuerId issuer, UnixTime this_update,
                                        const std::vector<CrlEntry>& entries) const = 0;
};

}  // namespace trustmon::registry
