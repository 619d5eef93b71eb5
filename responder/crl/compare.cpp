#include "responder/crl/compare.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::crl {

namespace {

// Key order of serials within an issuer (storage/records.hpp): length, then bytes.
int compare_serials(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  if (a.empty()) return 0;
  return std::memcmp(a.data(), b.data(), a.size());
}

// A CRL entry's serial, zero-padded to a fixed width: ordered like cert keys (length,
// then bytes; the padding is equal within one length).
struct Listed {
  std::array<std::uint8_t, storage::kMaxSerialBytes> bytes{};
  std::uint8_t size = 0;
  int reason = storage::kNoReason;
  ByteView serial() const noexcept { return ByteView(bytes.data(), size); }
  bool operator<(const Listed& o) const noexcept { return size != o.size ? size < o.size : bytes < o.bytes; }
};

// No reasonCode and unspecified are one reason (RFC 5280 5.3.1).
int normalized_reason(int reason) noexcept { return reason == storage::kNoReason ? 0 : reason; }

bool expired_at(const storage::CertRecord& r, UnixTime t) noexcept {
  return r.not_after != 0 && r.not_after < t;
}

}  // namespace

Result<registry::CrlComparison> compare_crl(const storage::ReadTxn& txn, storage::IssuerId issuer,
                                            UnixTime this_update,
                                            const std::vector<registry::CrlEntry>& entries) {
  registry::CrlComparison out;
  out.this_update = this_update;

  // The readable entries in key order, each serial once, copied into one flat array: the
  // sort and the merge then read contiguous memory instead of following two pointers per
  // comparison (which cost more than the walk itself, bench/bench_crl_compare.cpp).
  std::vector<Listed> listed;
  listed.reserve(entries.size());
  for (const auto& e : entries) {
    if (e.error || e.serial.empty() || e.serial.size() > storage::kMaxSerialBytes) {
      ++out.skipped;
      continue;
    }
    Listed& l = listed.emplace_back();
    std::memcpy(l.bytes.data(), e.serial.data(), e.serial.size());
    l.size = static_cast<std::uint8_t>(e.serial.size());
    l.reason = e.reason;
  }
  std::sort(listed.begin(), listed.end());
  const auto unique_end = std::unique(listed.begin(), listed.end(), [](const Listed& a, const Listed& b) {
    return a.size == b.size && a.bytes == b.bytes;
  });
  out.skipped += static_cast<std::uint64_t>(listed.end() - unique_end);
  listed.erase(unique_end, listed.end());
  out.entries = listed.size();

  std::size_t next = 0;  // the first listed serial not yet met in the walk
  Status walked = storage::for_each_prefix(
      txn, storage::Table::certs, storage::encode_issuer_key(issuer),
      [&](ByteView key, ByteView value) -> Status {
        auto k = storage::decode_cert_key(key);
        if (!k) return make_error(ErrorKind::storage, "storage_corrupt", "undecodable certs key");
        // Listed serials before this record have no record at all.
        int order = 1;
        while (next < listed.size() && (order = compare_serials(listed[next].serial(), k->serial)) < 0) {
          out.unknown_here.add(listed[next].serial());
          ++next;
        }
        const bool on_crl = next < listed.size() && order == 0;
        auto record = storage::decode_cert(value);
        if (!record) return std::move(record).error();
        const bool revoked = record->status == storage::CertStatus::revoked;
        if (on_crl) {
          const Listed& entry = listed[next++];
          if (!record->has_der)
            out.unknown_here.add(k->serial);
          else if (!revoked)
            out.good_here.add(k->serial);
          else if (normalized_reason(record->reason) != normalized_reason(entry.reason))
            out.reason_differs.add(k->serial);
          return {};
        }
        if (!revoked || expired_at(*record, this_update)) return {};
        if (record->revocation_time <= this_update)
          out.missing_from_crl.add(k->serial);
        else
          out.revoked_after.add(k->serial);
        return {};
      });
  if (!walked) return walked.error();
  for (; next < listed.size(); ++next) out.unknown_here.add(listed[next].serial());
  return out;
}

Result<registry::CrlComparison> StatusComparer::compare(
    storage::IssuerId issuer, UnixTime this_update, const std::vector<registry::CrlEntry>& entries) const {
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) return std::move(txn).error();
  storage::ReadScope scope(*txn);
  if (!scope.status()) return scope.status().error();
  return compare_crl(*txn, issuer, this_update, entries);
}

}  // namespace trustmon::crl
