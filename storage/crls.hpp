// The CRLs trustmon publishes, per issuer and CRL number (table `crls`), and each scope's
// latest (table `crl_heads`): the record format, the keys, the reads publication needs
// (the latest of a scope, one by number) and the write.
//
// Policy: a CRL number is a big-endian magnitude of at most 20 octets (RFC 5280 §5.2.3);
// the key is be32 issuer id || the number left-padded with zeros to 20 octets, so keys
// sort by issuer, then numerically. All CRLs of an issuer (complete, delta, every shard)
// share one number sequence, as RFC 5280 §5.2.4 asks of complete and delta CRLs: a new
// CRL's number must be greater than the issuer's last key (crl_number_not_greater). A
// scope is (kind, shard): the complete CRL, the delta CRL, or shard k's complete CRL; its
// head is updated with every write, so "the latest of a scope" is one lookup whatever
// else was published since. Records are written once and never changed (every published
// CRL stays readable by number).
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

enum class CrlKind : std::uint8_t {
  complete = 0,  // a complete CRL (of the issuer, or of one shard)
  delta = 1,     // a delta CRL (Delta CRL Indicator), of the whole issuer
};

inline constexpr std::uint16_t kNoShard = 0xffff;

// Which of an issuer's CRLs a record is: the complete CRL, the delta, or a shard.
struct CrlScope {
  CrlKind kind = CrlKind::complete;
  std::uint16_t shard = kNoShard;  // 0.. for shard CRLs (complete only)
  friend bool operator==(const CrlScope&, const CrlScope&) = default;
};
inline constexpr CrlScope kCompleteCrl{};
inline constexpr CrlScope kDeltaCrl{CrlKind::delta, kNoShard};

struct CrlRecord {
  CrlSource source = CrlSource::uploaded;
  CrlScope scope;
  Bytes base_number;  // a delta's base CRL number; empty otherwise
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
  CrlScope scope;
  ByteView base_number;
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

// The latest CRL of one of an issuer's scopes (default: its complete CRL; nullopt: none yet).
Result<std::optional<CrlView>> latest_crl(const ReadTxn& txn, std::uint32_t issuer, CrlScope scope = kCompleteCrl);
Result<std::optional<CrlView>> latest_crl(const WriteTxn& txn, std::uint32_t issuer, CrlScope scope = kCompleteCrl);
// The issuer's greatest CRL number in any scope (nullopt: none yet).
Result<std::optional<Bytes>> last_crl_number(const ReadTxn& txn, std::uint32_t issuer);
Result<std::optional<Bytes>> last_crl_number(const WriteTxn& txn, std::uint32_t issuer);
Result<std::optional<CrlView>> crl_by_number(const ReadTxn& txn, std::uint32_t issuer, ByteView number);
// Stores a record and makes it its scope's head; "crl_number_not_greater" (conflict) when
// the issuer already has a CRL (of any scope) with this number or a greater one.
Status put_crl(WriteTxn& txn, std::uint32_t issuer, const CrlRecord& r);

// The crl_heads key of a scope (for the schema-4 migration).
Bytes crl_head_key(std::uint32_t issuer, CrlScope scope);

}  // namespace trustmon::storage
