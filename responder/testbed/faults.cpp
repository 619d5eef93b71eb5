#include "responder/testbed/faults.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "common/time.hpp"

namespace trustmon::testbed {
namespace {

constexpr std::array<std::pair<std::string_view, ocsp::OcspFault>, 12> kOcspFaults = {{
    {"unsigned", ocsp::OcspFault::unsigned_response},
    {"wrong_signer", ocsp::OcspFault::wrong_signer},
    {"wrong_certid", ocsp::OcspFault::wrong_certid},
    {"stale_next_update", ocsp::OcspFault::stale_next_update},
    {"future_this_update", ocsp::OcspFault::future_this_update},
    {"nonce_missing", ocsp::OcspFault::nonce_missing},
    {"nonce_wrong", ocsp::OcspFault::nonce_wrong},
    {"try_later", ocsp::OcspFault::try_later},
    {"internal_error", ocsp::OcspFault::internal_error},
    {"unauthorized", ocsp::OcspFault::unauthorized},
    {"truncated", ocsp::OcspFault::truncated},
    {"delay", ocsp::OcspFault::delay},
}};
constexpr std::array<std::pair<std::string_view, CrlFault>, 2> kCrlFaults = {{
    {"expired_next_update", CrlFault::expired_next_update},
    {"bad_signature", CrlFault::bad_signature},
}};
constexpr std::array<std::pair<std::string_view, TsaFault>, 4> kTsaFaults = {{
    {"wrong_imprint", TsaFault::wrong_imprint},
    {"time_skew", TsaFault::time_skew},
    {"no_ess_cert_id_v2", TsaFault::no_ess_cert_id_v2},
    {"untrusted_tsa", TsaFault::untrusted_tsa},
}};

template <typename Table>
auto lookup(const Table& table, std::string_view name) -> std::optional<typename Table::value_type::second_type> {
  for (const auto& [n, v] : table)
    if (n == name) return v;
  return std::nullopt;
}

bool live(const Fault& f, UnixTime now) noexcept {
  return f.spec.expires > now && (f.spec.count == 0 || f.used < f.spec.count);
}

}  // namespace

std::vector<std::string_view> fault_names(FaultTarget target) {
  std::vector<std::string_view> out;
  if (target == FaultTarget::ocsp)
    for (const auto& f : kOcspFaults) out.push_back(f.first);
  if (target == FaultTarget::crl)
    for (const auto& f : kCrlFaults) out.push_back(f.first);
  if (target == FaultTarget::tsa)
    for (const auto& f : kTsaFaults) out.push_back(f.first);
  return out;
}

const char* target_name(FaultTarget t) noexcept {
  switch (t) {
    case FaultTarget::ocsp: return "ocsp";
    case FaultTarget::crl: return "crl";
    case FaultTarget::tsa: return "tsa";
  }
  return "ocsp";
}

std::optional<FaultTarget> parse_target(std::string_view name) noexcept {
  if (name == "ocsp") return FaultTarget::ocsp;
  if (name == "crl") return FaultTarget::crl;
  if (name == "tsa") return FaultTarget::tsa;
  return std::nullopt;
}

FaultBoard::FaultBoard(const pki::IssuerSet& issuers, const ocsp::ResponderTable& responders)
    : responders_(responders), test_issuers_(issuers.test_ids()) {}

Result<std::uint64_t> FaultBoard::add(FaultSpec spec, UnixTime now) {
  if (!covers(spec.issuer))
    return make_error(ErrorKind::forbidden, "issuer_not_test", "only the test bed's issuers can be faulted");
  bool known = false;
  if (spec.target == FaultTarget::ocsp) known = lookup(kOcspFaults, spec.fault).has_value();
  if (spec.target == FaultTarget::crl) known = lookup(kCrlFaults, spec.fault).has_value();
  if (spec.target == FaultTarget::tsa) known = lookup(kTsaFaults, spec.fault).has_value();
  if (!known) {
    std::string names;
    for (auto n : fault_names(spec.target)) names += (names.empty() ? "" : ", ") + std::string(n);
    return make_error(ErrorKind::invalid, "fault_unknown",
                      std::string("the ") + target_name(spec.target) + " faults are: " + names);
  }
  if (spec.fault == "delay" && (spec.param < 1 || spec.param > kMaxDelayMs))
    return make_error(ErrorKind::invalid, "fault_param_invalid",
                      "delay needs \"ms\" between 1 and " + std::to_string(kMaxDelayMs));
  if (spec.fault == "time_skew" && (spec.param == 0 || spec.param > kMaxFaultSeconds || spec.param < -kMaxFaultSeconds))
    return make_error(ErrorKind::invalid, "fault_param_invalid", "time_skew needs \"seconds\", not 0, at most a day either way");
  if (spec.serial && spec.target != FaultTarget::ocsp)
    return make_error(ErrorKind::invalid, "fault_param_invalid", "only OCSP faults name a serial");
  if (spec.count > kMaxFaultCount)
    return make_error(ErrorKind::invalid, "fault_param_invalid", "count is at most " + std::to_string(kMaxFaultCount));
  if (spec.expires <= now || spec.expires > now + kMaxFaultSeconds)
    return make_error(ErrorKind::invalid, "fault_param_invalid", "seconds must be between 1 and 86400");
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(faults_, [now](const Fault& f) { return !live(f, now); });
  if (faults_.size() >= kMaxFaults)
    return make_error(ErrorKind::unavailable, "faults_full", "at most " + std::to_string(kMaxFaults) + " faults at once");
  Fault f;
  f.id = next_id_++;
  f.spec = std::move(spec);
  f.added = now;
  faults_.push_back(std::move(f));
  return faults_.back().id;
}

bool FaultBoard::remove(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return std::erase_if(faults_, [id](const Fault& f) { return f.id == id; }) > 0;
}

std::vector<Fault> FaultBoard::list(UnixTime now) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Fault> out;
  for (const Fault& f : faults_)
    if (live(f, now)) out.push_back(f);
  return out;
}

bool FaultBoard::covers(storage::IssuerId issuer) const noexcept {
  return std::find(test_issuers_.begin(), test_issuers_.end(), issuer) != test_issuers_.end();
}

const Fault* FaultBoard::take(FaultTarget target, storage::IssuerId issuer, ByteView serial, UnixTime now) const {
  Fault* chosen = nullptr;
  for (Fault& f : faults_) {
    if (f.spec.target != target || !live(f, now)) continue;
    if (target != FaultTarget::tsa && f.spec.issuer != issuer) continue;
    if (f.spec.serial) {
      if (!std::equal(f.spec.serial->begin(), f.spec.serial->end(), serial.begin(), serial.end())) continue;
      chosen = &f;  // a serial's own fault wins
      break;
    }
    if (chosen == nullptr) chosen = &f;
  }
  if (chosen != nullptr) ++chosen->used;
  return chosen;
}

ocsp::FaultDraw FaultBoard::draw(storage::IssuerId issuer, ByteView serial, UnixTime now) const {
  std::lock_guard<std::mutex> lock(mu_);
  ocsp::FaultDraw out;
  if (faults_.empty()) return out;
  const Fault* f = take(FaultTarget::ocsp, issuer, serial, now);
  if (f == nullptr) return out;
  out.fault = lookup(kOcspFaults, f->spec.fault).value_or(ocsp::OcspFault::none);
  if (out.fault == ocsp::OcspFault::delay) out.delay_ms = static_cast<std::uint32_t>(f->spec.param);
  return out;
}

const ocsp::ResponderKeys* FaultBoard::wrong_signer(storage::IssuerId issuer) const noexcept {
  // Another test issuer's responder: a real, well-formed signature by a key that is not
  // authorised for this CA.
  for (storage::IssuerId other : test_issuers_)
    if (other != issuer)
      if (const ocsp::ResponderKeys* k = responders_.find_by_id(other)) return k;
  return nullptr;
}

CrlFault FaultBoard::draw_crl(storage::IssuerId issuer, UnixTime now) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (faults_.empty()) return CrlFault::none;
  const Fault* f = take(FaultTarget::crl, issuer, {}, now);
  return f == nullptr ? CrlFault::none : lookup(kCrlFaults, f->spec.fault).value_or(CrlFault::none);
}

TsaDraw FaultBoard::draw_tsa(UnixTime now) const {
  std::lock_guard<std::mutex> lock(mu_);
  TsaDraw out;
  if (faults_.empty()) return out;
  const Fault* f = take(FaultTarget::tsa, 0, {}, now);
  if (f == nullptr) return out;
  out.fault = lookup(kTsaFaults, f->spec.fault).value_or(TsaFault::none);
  if (out.fault == TsaFault::time_skew) out.skew_seconds = f->spec.param;
  return out;
}

nlohmann::json fault_json(const Fault& f, const pki::IssuerSet& issuers) {
  nlohmann::json j = {{"id", f.id}, {"target", target_name(f.spec.target)}, {"fault", f.spec.fault}};
  if (const pki::Issuer* i = issuers.find_by_id(f.spec.issuer)) j["issuer"] = i->name;
  if (f.spec.serial) j["serial"] = hex_encode(*f.spec.serial, true);
  if (f.spec.fault == "delay") j["ms"] = f.spec.param;
  if (f.spec.fault == "time_skew") j["skew_seconds"] = f.spec.param;
  if (f.spec.count != 0) j["count"] = f.spec.count;
  j["used"] = f.used;
  j["expires"] = format_rfc3339(f.spec.expires);
  return j;
}

}  // namespace trustmon::testbed
