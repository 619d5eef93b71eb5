// The metric, dimension and code names (stable wire strings: never rename one).
#include "responder/stats/codes.hpp"

#include "common/enum_names.hpp"

namespace trustmon::stats {
namespace {

constexpr EnumNames<Metric, 6> kMetricNames({{
    {Metric::certs_issued, "certs_issued"},
    {Metric::certs_revoked, "certs_revoked"},
    {Metric::certs_held, "certs_held"},
    {Metric::certs_released, "certs_released"},
    {Metric::certs_expired, "certs_expired"},
    {Metric::certs_active, "certs_active"},
}});

constexpr EnumNames<Dim, 7> kDimNames({{
    {Dim::issuer, "issuer"},
    {Dim::key_alg, "key_alg"},
    {Dim::purpose, "purpose"},
    {Dim::storage, "storage"},
    {Dim::subject_kind, "subject_kind"},
    {Dim::validity, "validity"},
    {Dim::reason, "reason"},
}});

// Code lists, indexed by code.
constexpr std::string_view kKeyAlgs[] = {
    "unknown",   "rsa_2048",     "rsa_3072",     "rsa_4096",     "rsa_other",      "ecdsa_p256",
    "ecdsa_p384", "ecdsa_p521",  "ecdsa_other",  "ed25519",      "ed448",          "dstu4145_257",
    "dstu4145_307", "dstu4145_431", "dstu4145_other", "other"};
constexpr std::string_view kPurposes[] = {"unknown", "esign", "eseal", "web"};
constexpr std::string_view kStorages[] = {"unknown", "qscd", "qscd_remote", "no_qscd"};
constexpr std::string_view kSubjectKinds[] = {"unknown", "natural_person", "legal_entity", "representative"};
constexpr std::string_view kValidities[] = {"unknown", "le_1y", "le_2y", "le_3y", "gt_3y"};
// RFC 5280 reasonCodes by code (7 unused) and "none" (kReasonNone) at the end.
constexpr std::string_view kReasons[] = {"unspecified",   "keyCompromise",        "cACompromise",
                                         "affiliationChanged", "superseded",      "cessationOfOperation",
                                         "certificateHold", "removeFromCRL",      "privilegeWithdrawn",
                                         "aACompromise",  "none"};
constexpr std::uint8_t kReasonCodes[] = {0, 1, 2, 3, 4, 5, 6, 8, 9, 10, kReasonNone};

}  // namespace

std::string_view metric_name(Metric m) { return kMetricNames.name(m); }
std::optional<Metric> parse_metric(std::string_view name) { return kMetricNames.parse(name); }
bool is_stock(Metric m) { return m == Metric::certs_active; }

std::string_view dim_name(Dim d) { return kDimNames.name(d); }
std::optional<Dim> parse_dim(std::string_view name) { return kDimNames.parse(name); }

std::span<const std::string_view> code_names(Dim d) {
  switch (d) {
    case Dim::key_alg: return kKeyAlgs;
    case Dim::purpose: return kPurposes;
    case Dim::storage: return kStorages;
    case Dim::subject_kind: return kSubjectKinds;
    case Dim::validity: return kValidities;
    case Dim::reason: return kReasons;
    case Dim::issuer: break;
  }
  return {};
}

std::optional<std::uint8_t> parse_code(Dim d, std::string_view name) {
  const auto names = code_names(d);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] != name) continue;
    return d == Dim::reason ? kReasonCodes[i] : static_cast<std::uint8_t>(i);
  }
  return std::nullopt;
}

std::string_view code_name(Dim d, std::uint8_t code) {
  if (d == Dim::reason) {
    for (std::size_t i = 0; i < std::size(kReasonCodes); ++i)
      if (kReasonCodes[i] == code) return kReasons[i];
    return "none";
  }
  const auto names = code_names(d);
  return code < names.size() ? names[code] : std::string_view("unknown");
}

std::uint32_t Profile::packed() const {
  return static_cast<std::uint32_t>(key_alg) << 24 | static_cast<std::uint32_t>(purpose) << 16 |
         static_cast<std::uint32_t>(storage) << 8 | static_cast<std::uint32_t>(subject_kind);
}

Profile Profile::unpack(std::uint32_t v) {
  // Codes outside a list (a record from a later version) read as unknown.
  const auto pick = [](std::uint32_t c, std::size_t n) { return c < n ? c : 0u; };
  Profile p;
  p.key_alg = static_cast<KeyAlg>(pick(v >> 24 & 0xff, std::size(kKeyAlgs)));
  p.purpose = static_cast<Purpose>(pick(v >> 16 & 0xff, std::size(kPurposes)));
  p.storage = static_cast<Storage>(pick(v >> 8 & 0xff, std::size(kStorages)));
  p.subject_kind = static_cast<SubjectKind>(pick(v & 0xff, std::size(kSubjectKinds)));
  return p;
}

}  // namespace trustmon::stats
