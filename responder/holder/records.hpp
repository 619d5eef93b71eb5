// The certificate holder's requests as stored: renewals without changes in the data and
// revocation requests, their numbers, states and the steps between them, and the index
// that finds an open request from what the registry sees (a key, a certificate).
//
//   renewals             be64 number -> RenewalRecord (format byte, field codec)
//   revocation_requests  be64 number -> RevocationRequestRecord
//   holder_index         u8 kind || key -> value:
//     kRenewalByKey      || key fingerprint (32)  -> be64 number of the open renewal with that new key
//     kRenewalByCurrent  || certs key             -> be64 number of the open renewal of that certificate
//     kRequestByTarget   || certificate SHA-256   -> be64 number of the open revocation request
//     kReplacedBy        || certs key             -> certs key of the certificate a renewal issued for it
//     kReplaces          || certs key             -> certs key of the certificate it was issued to replace
//   An open request has its entries; closing it (issued, rejected, done) removes them, and
//   an issued renewal writes both lineage entries.
//
// Numbers: RN-000001, RR-000001 (at least six digits), allocated in the Writer as the
// table's last number + 1. Only that exact text names a request (RN-1 does not).
//
// States and steps (a step not listed is refused; the same decision twice changes nothing):
//   renewal:  submitted -accept-> accepted; submitted|accepted -reject-> rejected;
//             submitted|accepted -issue-> issued (a certificate with the new key ingested for
//             the issuer). rejected and issued are final.
//   revocation request: submitted -revoked-> done (the certificate revoked, or held when a
//             hold was asked for); submitted -reject-> rejected. done and rejected are final.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/access/session.hpp"

namespace trustmon::holder {

using RequestNumber = std::uint64_t;
using access::HolderIdentifier;

enum class RenewalState : std::uint8_t { submitted = 1, accepted = 2, rejected = 3, issued = 4 };
enum class RevocationRequestState : std::uint8_t { submitted = 1, done = 2, rejected = 3 };
const char* state_name(RenewalState s);
const char* state_name(RevocationRequestState s);
std::optional<RenewalState> renewal_state_from_name(std::string_view name);
std::optional<RevocationRequestState> revocation_request_state_from_name(std::string_view name);

enum class RenewalStep : std::uint8_t { accept, reject, issue };
enum class RevocationRequestStep : std::uint8_t { revoked, reject };
// The state after `step`, or nullopt when the step is not allowed from `from`. A repeated
// accept gives `accepted` again (the caller records nothing for it).
std::optional<RenewalState> after(RenewalState from, RenewalStep step);
std::optional<RevocationRequestState> after(RevocationRequestState from, RevocationRequestStep step);
bool is_open(RenewalState s);
bool is_open(RevocationRequestState s);

// "RN-000001" / "RR-000001"; parse_* accept exactly that form (nullopt otherwise).
std::string renewal_number(RequestNumber n);
std::string revocation_request_number(RequestNumber n);
std::optional<RequestNumber> parse_renewal_number(std::string_view text);
std::optional<RequestNumber> parse_revocation_request_number(std::string_view text);

// A certificate as trustmon stores it: issuer id, serial octets (as certs keys hold them),
// SHA-256 of the DER.
struct CertRef {
  std::uint32_t issuer = 0;
  Bytes serial;
  Sha256 sha256{};
  bool empty() const { return issuer == 0 && serial.empty(); }
  bool operator==(const CertRef&) const = default;
};

// A provider's (or the central body's) decision: who, when, why.
struct Decision {
  std::string by;  // Actor::label()
  UnixTime at = 0;
  std::string reason;
  bool operator==(const Decision&) const = default;
};

inline constexpr std::size_t kMaxIdentifiers = 16;
inline constexpr std::size_t kMaxReasonBytes = 1000;

struct RenewalRecord {
  RequestNumber number = 0;
  RenewalState state = RenewalState::submitted;
  UnixTime created = 0;
  UnixTime changed = 0;
  std::string filed_by;  // Actor::label() of the holder
  std::string holder_name;
  std::vector<HolderIdentifier> identifiers;  // the holder's, at filing
  CertRef current;                            // the certificate being renewed (the signer)
  std::uint32_t participant = 0;              // the provider operating current.issuer
  std::uint64_t reservation = 0;              // the CSR reservation made for it (csr/)
  Bytes csr_der;
  Sha256 csr_sha256{};
  Sha256 spki_sha256{};  // pki::key_fingerprint of the new key
  bool pop_verified = false;
  Bytes signed_request;  // the CMS SignedData as filed: the holder's signed evidence
  std::optional<Decision> decision;
  CertRef issued;  // the new certificate, once issued
  bool operator==(const RenewalRecord&) const = default;
};

struct RevocationRequestRecord {
  RequestNumber number = 0;
  RevocationRequestState state = RevocationRequestState::submitted;
  UnixTime created = 0;
  UnixTime changed = 0;
  std::string filed_by;
  std::string holder_name;
  std::vector<HolderIdentifier> identifiers;
  CertRef target;   // the certificate to revoke
  int reason = 0;   // RFC 5280 CRLReason code asked for
  CertRef signer;   // the holder's certificate that signed the request
  std::uint32_t participant = 0;
  Bytes signed_request;
  std::optional<Decision> decision;  // a rejection
  UnixTime revoked_at = 0;           // done: the revocation time the provider stored
  std::string done_by;               // done: who revoked (Actor::label())
  bool operator==(const RevocationRequestRecord&) const = default;
};

Bytes number_key(RequestNumber n);  // be64
std::optional<RequestNumber> decode_number_key(ByteView key);
Bytes encode_renewal(const RenewalRecord& r);
Bytes encode_revocation_request(const RevocationRequestRecord& r);
// "storage_corrupt" for another format, a wrong length or an unknown state.
Result<RenewalRecord> decode_renewal(ByteView value);
Result<RevocationRequestRecord> decode_revocation_request(ByteView value);

enum IndexKind : std::uint8_t {
  kRenewalByKey = 1,
  kRenewalByCurrent = 2,
  kRequestByTarget = 3,
  kReplacedBy = 4,
  kReplaces = 5,
};
Bytes index_key(IndexKind kind, ByteView key);

// Whether a holder with `identifiers` owns a request filed with `filed` (any in common).
bool shares_identifier(const std::vector<HolderIdentifier>& filed, const std::vector<HolderIdentifier>& identifiers);

}  // namespace trustmon::holder
