// The CRLs trustmon publishes, per issuer and CRL number (table `crls`): the record
// format, the key, and the three reads publication needs (the latest of an issuer, one
// by number) plus the write.
//
// Policy: a CRL number is a big-endian magnitude of at most 20 octets (RFC 5280 §5.2.3);
// the key is be32 issuer id || the number left-padded with zeros to 20 octets, so keys
// sort by issuer, then numerically, and an issuer's latest CRL is its last key. Records
// are written once and never changed (every published CRL stays readable by number);
// whoever writes checks that the number is greater than the issuer's latest first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

inline constexpr std::size_t kMaxCrlNumberBytes = 20;

enum class CrlSource : std::uint8_t {
  uploaded = 1,  // signed by the provider, uploaded through the API, published byte for byte
  built = 2,     // built and signed by trustmon
};

struct CrlRecord {
  CrlSource source = CrlSource::uploaded;
  Bytes number;  // magnitude without leading zeros (a single 0x00 for zero)
  UnixTime this_update = 0;
  UnixTime next_update = 0;  // 0: the CRL has none
  UnixTime published_at = 0;
  std::uint64_t entries = 0;
  Sha256 sha256{};  // of der
  Bytes der;
};

// A stored CRL without copying its DER (valid while the transaction's snapshot lives).
struct CrlView {
  CrlSource source = CrlSource::uploaded;
  ByteView number;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  UnixTime published_at = 0;
  std::uint64_t entries = 0;
  Sha256 sha256{};
  ByteView der;
};

// The number without leading zero octets; nullopt when longer than 20 octets.
std::optional<Bytes> normalize_crl_number(ByteView number);
// Decimal text of a number (for URLs and events); "0" for an empty one.
std::string crl_number_decimal(ByteView number);
// The number a decimal text names; nullopt when not digits or past 20 octets.
std::optional<Bytes> parse_crl_number_decimal(std::string_view text);
// Orders two normalized numbers.
int compare_crl_numbers(ByteView a, ByteView b) noexcept;

Bytes encode_crl(const CrlRecord& r);
Result<CrlView> view_crl(ByteView value);

// The latest CRL of an issuer (nullopt: none yet).
Result<std::optional<CrlView>> latest_crl(const ReadTxn& txn, std::uint32_t issuer);
Result<std::optional<CrlView>> latest_crl(const WriteTxn& txn, std::uint32_t issuer);
Result<std::optional<CrlView>> crl_by_number(const ReadTxn& txn, std::uint32_t issuer, ByteView number);
// Stores a record; "crl_number_not_greater" (conflict) when the issuer already has a CRL
// with this number or a greater one.
Status put_crl(WriteTxn& txn, std::uint32_t issuer, const CrlRecord& r);

}  // namespace trustmon::storage
