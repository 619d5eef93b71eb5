// The derived statistics' vocabulary: the metrics trustmon counts itself and the closed
// code lists of their dimensions, with the names clients see (docs/statistics.md defines
// each). A certificate's dimensions are packed into a `Profile` (four octets) stored in
// its certs record, so a status change finds them without reading the DER again.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace trustmon::stats {

// Derived metrics. `certs_active` is a stock (certificates active at the end of a period);
// the others are flows (events in a period).
enum class Metric : std::uint8_t {
  certs_issued = 1,
  certs_revoked = 2,
  certs_held = 3,
  certs_released = 4,
  certs_expired = 5,
  certs_active = 6,
};
inline constexpr std::array<Metric, 6> kMetrics = {Metric::certs_issued,   Metric::certs_revoked,
                                                   Metric::certs_held,     Metric::certs_released,
                                                   Metric::certs_expired,  Metric::certs_active};
std::string_view metric_name(Metric m);
std::optional<Metric> parse_metric(std::string_view name);
bool is_stock(Metric m);

// Dimensions of the derived cells. `issuer` is the issuer's config name; the others are
// closed code lists below.
enum class Dim : std::uint8_t { issuer, key_alg, purpose, storage, subject_kind, validity, reason };
inline constexpr std::array<Dim, 7> kDims = {Dim::issuer,       Dim::key_alg,  Dim::purpose, Dim::storage,
                                             Dim::subject_kind, Dim::validity, Dim::reason};
std::string_view dim_name(Dim d);
std::optional<Dim> parse_dim(std::string_view name);

enum class KeyAlg : std::uint8_t {
  unknown, rsa_2048, rsa_3072, rsa_4096, rsa_other, ecdsa_p256, ecdsa_p384, ecdsa_p521, ecdsa_other,
  ed25519, ed448, dstu4145_257, dstu4145_307, dstu4145_431, dstu4145_other, other,
};
enum class Purpose : std::uint8_t { unknown, esign, eseal, web };
enum class Storage : std::uint8_t { unknown, qscd, qscd_remote, no_qscd };
enum class SubjectKind : std::uint8_t { unknown, natural_person, legal_entity, representative };
enum class Validity : std::uint8_t { unknown, le_1y, le_2y, le_3y, gt_3y };

// The code list of a dimension (every code, in code order) and one code's name. For
// `reason` the codes are RFC 5280 reasonCodes (0..10 without 7), named as in RFC 5280
// ("keyCompromise"), plus kReasonNone ("none") for a revocation that states no reason.
std::span<const std::string_view> code_names(Dim d);
std::optional<std::uint8_t> parse_code(Dim d, std::string_view name);
std::string_view code_name(Dim d, std::uint8_t code);
inline constexpr std::uint8_t kReasonNone = 255;

// What a certificate says of itself for the statistics (fixed at ingest).
struct Profile {
  KeyAlg key_alg = KeyAlg::unknown;
  Purpose purpose = Purpose::unknown;
  Storage storage = Storage::unknown;
  SubjectKind subject_kind = SubjectKind::unknown;

  std::uint32_t packed() const;
  static Profile unpack(std::uint32_t v);
  auto operator<=>(const Profile&) const = default;
};

}  // namespace trustmon::stats
