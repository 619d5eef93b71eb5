// Key and value codecs for every table. Values carry a leading format byte so a later
// schema can read older records. Decoders validate lengths and never read past the
// input; a record that fails to decode is "storage_corrupt".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::storage {

using IssuerId = std::uint32_t;

// Names of records in the `meta` table.
inline constexpr std::string_view kMetaSchemaVersion = "schema_version";
inline constexpr std::string_view kMetaEventsHead = "events_head";
// be64 count of certificates the registry has stored (their attr_index epochs).
inline constexpr std::string_view kMetaStoredCertificates = "stored_certificates";
// Present once the OCSP refresher has given every stored response and every certificate
// without one its ocsp_due entry (responder/ocsp/refresher.hpp).
inline constexpr std::string_view kMetaOcspDueBuilt = "ocsp_due_built";
// SHA-256 of the bootstrap admin token written by `trustmonctl init` (32 raw bytes).
inline constexpr std::string_view kMetaBootstrapTokenSha256 = "bootstrap_token_sha256";

// Serial numbers: big-endian magnitude without leading zeros (common/ossl.hpp
// serial_bytes). RFC 5280 caps them at 20 octets; we accept up to kMaxSerialBytes.
inline constexpr std::size_t kMaxSerialBytes = 32;

// certs / ocsp_responses key: be32(issuer id) || u8(serial length) || serial.
// Length before value keeps numeric order within an issuer. Leading zero octets are
// dropped (one key per number; zero stays {0}). Callers check 1 <= size <=
// kMaxSerialBytes: an empty or (after dropping zeros) longer serial gives an EMPTY
// Bytes, which LMDB refuses as a key, so misuse fails instead of colliding.
Bytes encode_cert_key(IssuerId issuer, ByteView serial);
struct CertKey {
  IssuerId issuer;
  ByteView serial;  // points into the key bytes
};
std::optional<CertKey> decode_cert_key(ByteView key);

Bytes encode_issuer_key(IssuerId id);     // be32
Bytes encode_event_key(std::uint64_t seq);  // be64

// RFC 5280 CRLReason codes; kNoReason when the revocation carries none.
inline constexpr int kNoReason = -1;
inline constexpr int kCertificateHold = 6;  // RFC 5280 certificateHold
inline constexpr int kReasonCertificateHold = 6;
inline constexpr int kReasonRemoveFromCrl = 8;  // a delta-CRL instruction, never a revocation
// Parses "keyCompromise" etc. (RFC 5280 names; also "unspecified", "removeFromCRL").
std::optional<int> reason_from_name(std::string_view name);
const char* reason_name(int code);  // "unspecified" .. "aACompromise"; "none" for kNoReason

enum class CertStatus : std::uint8_t { good = 0, revoked = 1 };

struct CertRecord {
  CertStatus status = CertStatus::good;
  UnixTime revocation_time = 0;      // valid when revoked
  int reason = kNoReason;            // valid when revoked
  UnixTime invalidity_date = 0;      // 0 = absent
  UnixTime not_before = 0;           // 0 = unknown (revocation of a certificate never ingested)
  UnixTime not_after = 0;
  Sha256 cert_sha256{};              // all zero = DER not held
  bool has_der = false;
  std::uint32_t participant = 0;     // who supplied it (0 = bootstrap admin / none yet)
  // False when the certificate's signature could not be checked (an algorithm OpenSSL
  // does not implement, e.g. DSTU 4145) and its issuer is configured to accept that.
  // Format-1 records (written before the flag existed) decode as true: every
  // certificate stored then was verified.
  bool signature_checked = true;
  // Key of the DER in cert_der: be64(der_id) when not 0 (ids are given in ingest order,
  // so the DER of a bulk import is appended); 0 (records before format 3) = the DER is
  // keyed by cert_sha256.
  std::uint64_t der_id = 0;
  // Format 4: the statistics profile (stats::Profile::packed()) fixed at ingest, and when
  // trustmon stored the certificate. Older records decode with no profile (the statistics
  // read it from the DER) and ingested_at 0 (unknown).
  std::optional<std::uint32_t> stats_profile;
  UnixTime ingested_at = 0;
};
// A reason that is not an RFC 5280 code (e.g. 7) is stored as kNoReason. Written in
// format 3 (format 1, then the signature_checked octet, then be64 der_id); all formats
// decode.
Bytes encode_cert(const CertRecord& r);
Result<CertRecord> decode_cert(ByteView value);

struct IssuerRecord {
  IssuerId id = 0;
  std::string name;      // as in the config
  Sha256 identity{};     // SHA-256(subject DER || SubjectPublicKeyInfo DER) of the CA
  Bytes ca_der;
  UnixTime added = 0;
};
Bytes encode_issuer(const IssuerRecord& r);
Result<IssuerRecord> decode_issuer(ByteView value);

// A pre-signed OCSPResponse (the whole DER, ready to send) and the status it states.
struct OcspResponseRecord {
  UnixTime produced_at = 0;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  CertStatus status = CertStatus::good;  // status the bytes state (to detect races)
  UnixTime revocation_time = 0;          // idem, for revoked
  Bytes der;
};
Bytes encode_ocsp_response(const OcspResponseRecord& r);
Result<OcspResponseRecord> decode_ocsp_response(ByteView value);
// Hot path: same record, DER as a view into `value` (no copy).
struct OcspResponseView {
  UnixTime produced_at = 0;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  CertStatus status = CertStatus::good;
  UnixTime revocation_time = 0;
  ByteView der;
};
Result<OcspResponseView> view_ocsp_response(ByteView value);

}  // namespace trustmon::storage
