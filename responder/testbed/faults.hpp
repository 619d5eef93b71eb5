// The test bed's fault board: faults put in force on a test issuer (or one of its serials)
// for N requests or T seconds, read by the OCSP responder (ocsp/special.hpp), the CRL
// route and the time-stamping authority.
//
// Policy:
//  * only test issuers (pki::Issuer::test) can be faulted: add() refuses any other
//    (`issuer_not_test`), and the responder asks the board only about test issuers;
//  * a fault is in force from the moment add() returns (the board is in memory, shared by
//    the worker threads) and gone by itself when its count is used up or its time passes;
//    it does not survive a restart (nothing of a test run should);
//  * a fault naming a serial applies to requests for that serial only and wins over one for
//    the whole issuer; among several, the earliest added applies;
//  * at most kMaxFaults are in force at once (`faults_full`).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "responder/ocsp/responder_keys.hpp"
#include "responder/ocsp/special.hpp"
#include "responder/pki/issuer_set.hpp"

namespace trustmon::testbed {

enum class FaultTarget : std::uint8_t { ocsp, crl, tsa };
enum class CrlFault : std::uint8_t { none, expired_next_update, bad_signature };
enum class TsaFault : std::uint8_t { none, wrong_imprint, time_skew, no_ess_cert_id_v2, untrusted_tsa };

struct FaultSpec {
  FaultTarget target = FaultTarget::ocsp;
  storage::IssuerId issuer = 0;     // the test issuer (TSA faults: any test issuer names the bed)
  std::optional<Bytes> serial;      // one certificate only (OCSP)
  std::string fault;                // the fault's name (fault_names())
  std::int64_t param = 0;           // delay: milliseconds; time_skew: seconds (may be negative)
  std::uint32_t count = 0;          // requests it applies to; 0 = until it expires
  UnixTime expires = 0;             // when it ends by itself
  std::uint32_t owner = 0;          // the participant who put it in force (0: bootstrap)
};

struct Fault {
  std::uint64_t id = 0;
  FaultSpec spec;
  std::uint32_t used = 0;
  UnixTime added = 0;
};

struct TsaDraw {
  TsaFault fault = TsaFault::none;
  std::int64_t skew_seconds = 0;
};

inline constexpr std::size_t kMaxFaults = 256;
inline constexpr UnixTime kMaxFaultSeconds = 86400;
inline constexpr std::uint32_t kMaxFaultCount = 1'000'000;
inline constexpr std::int64_t kMaxDelayMs = 30'000;

// Names of the faults of a target, in documentation order.
std::vector<std::string_view> fault_names(FaultTarget target);
const char* target_name(FaultTarget t) noexcept;
std::optional<FaultTarget> parse_target(std::string_view name) noexcept;

class FaultBoard final : public ocsp::SpecialAnswers {
 public:
  // `issuers` and `responders` must outlive the board.
  FaultBoard(const pki::IssuerSet& issuers, const ocsp::ResponderTable& responders);

  // Error codes: issuer_not_test, fault_unknown, fault_param_invalid, faults_full.
  Result<std::uint64_t> add(FaultSpec spec, UnixTime now);
  bool remove(std::uint64_t id);
  std::vector<Fault> list(UnixTime now) const;

  // ocsp::SpecialAnswers
  bool covers(storage::IssuerId issuer) const noexcept override;
  ocsp::FaultDraw draw(storage::IssuerId issuer, ByteView serial, UnixTime now) const override;
  const ocsp::ResponderKeys* wrong_signer(storage::IssuerId issuer) const noexcept override;

  CrlFault draw_crl(storage::IssuerId issuer, UnixTime now) const;
  TsaDraw draw_tsa(UnixTime now) const;

 private:
  // The fault that applies, counted as used; nullptr when none. Caller holds mu_.
  const Fault* take(FaultTarget target, storage::IssuerId issuer, ByteView serial, UnixTime now) const;

  const ocsp::ResponderTable& responders_;
  std::vector<storage::IssuerId> test_issuers_;
  mutable std::mutex mu_;
  mutable std::vector<Fault> faults_;
  std::uint64_t next_id_ = 1;
};

// {"id","target","issuer","serial"?,"fault","param"?,"count"?,"used","expires"} of a fault.
nlohmann::json fault_json(const Fault& f, const pki::IssuerSet& issuers);

}  // namespace trustmon::testbed
