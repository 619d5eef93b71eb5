// Pre-signing: the single-CertID response for a known certificate, as stored in
// ocsp_responses and served without crypto on the hot path.
//
// Policy:
//  * where a response is stored: ocsp_responses under the certificate's key for a SHA-1
//    CertID with NULL parameters (the default of OpenSSL, browsers and most libraries;
//    RFC 5019 §2.1.1), which the refresher signs for every certificate; under the
//    certificate's key || u8(HashAlg) for the other CertID hashes (SHA-256 as RFC 9919
//    recommends, SHA-384, SHA-512), stored once a client asked in that hash
//    (answer_keeper.hpp) and then kept fresh by the refresher like the SHA-1 one. Whoever
//    changes a certificate's status replaces its SHA-1 response and drops the others in
//    the same transaction (drop_other_hash_responses);
//  * the refresher's work list: every stored response has an ocsp_due entry at its
//    nextUpdate, and a certificate stored without a SHA-1 response one at 0
//    (mark_unsigned, by the ingest). Responses are written only through put_response,
//    which moves the entry with the response, so the refresher reads only what is due;
//  * no nonce; thisUpdate = now - backdate;
//  * nextUpdate = thisUpdate + validity - jitter, where the jitter is a deterministic
//    function of the serial in [0, validity/10): responses signed in one batch then fall
//    due at different times instead of all at once;
//  * a certificate past its notAfter no longer changes status: its response lives
//    expired_validity instead, and carries the ArchiveCutoff singleExtension (RFC 6960
//    §4.4.4) with the CA's notBefore, as the status of every certificate the CA issued
//    has been kept since then (a qualified service keeps it after expiry).
#pragma once

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/ocsp/hash_alg.hpp"
#include "responder/ocsp/options.hpp"
#include "responder/ocsp/responder_keys.hpp"
#include "responder/ocsp/signer.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"

namespace trustmon::ocsp {

// The hash of the CertID every certificate has a pre-signed response for.
inline constexpr HashAlg kPresignHashAlg = HashAlg::sha1;

// The ocsp_responses key of the response for `cert_key` (a certs key) in `alg`.
Bytes response_key(ByteView cert_key, HashAlg alg);
// The certs key at the front of an ocsp_responses key (be32 issuer || u8 serial length ||
// serial); nullopt when the key is too short for the length it states.
std::optional<ByteView> cert_key_of_response(ByteView response_key) noexcept;
// The algorithm of an ocsp_responses key whose certs key is `cert_key` long; nullopt when
// it is none of the forms response_key() writes.
std::optional<HashAlg> response_key_alg(ByteView key, std::size_t cert_key_size) noexcept;
// Deletes the stored responses of `cert_key` in every hash but kPresignHashAlg, with
// their ocsp_due entries.
Status drop_other_hash_responses(storage::WriteTxn& txn, ByteView cert_key);

// ocsp_due key: be64(nextUpdate, 0 for "not signed yet") || ocsp_responses key.
Bytes due_key(UnixTime next_update, ByteView response_key);
struct DueKey {
  UnixTime next_update = 0;
  ByteView response_key;  // into the key
};
std::optional<DueKey> decode_due_key(ByteView key) noexcept;
// Stores `record` under `response_key`, replacing what was there, with its ocsp_due entry
// (the replaced response's entry, and a "not signed yet" one, are deleted).
Status put_response(storage::WriteTxn& txn, ByteView response_key, const storage::OcspResponseRecord& record);
// A certificate stored without a SHA-1 response: the refresher's next pass signs one.
Status mark_unsigned(storage::WriteTxn& txn, ByteView cert_key);

// Seconds taken off the validity of this serial's pre-signed responses.
UnixTime presign_jitter(ByteView serial, UnixTime validity) noexcept;

// When a response for `record` signed at `now` is valid, and its archive cutoff (0: none).
struct ResponseWindow {
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  UnixTime archive_cutoff = 0;
};
// `jitter`: take presign_jitter(serial) off the validity (pre-signed responses; live
// answers are signed one at a time and need none).
ResponseWindow response_window(const ResponderKeys& issuer, const storage::CertRecord& record, ByteView serial,
                               const OcspOptions& options, UnixTime now, bool jitter) noexcept;
// True when `record` is past its notAfter at `now`.
bool is_expired(const storage::CertRecord& record, UnixTime now) noexcept;

// The SingleStatus a certs record states (good or revoked, with reason and invalidity
// date), valid over `window`.
SingleStatus status_from_record(ByteView certid_der, const storage::CertRecord& record,
                                const ResponseWindow& window) noexcept;

// True when a stored (or kept) response states what `record` states (status and
// revocation time).
bool presigned_matches(const storage::OcspResponseView& response, const storage::CertRecord& record) noexcept;
bool presigned_matches(const storage::OcspResponseRecord& response, const storage::CertRecord& record) noexcept;

// The pre-signed response of `serial` for a CertID in `alg`.
Result<storage::OcspResponseRecord> presign(const ResponderKeys& issuer, ByteView serial,
                                            const storage::CertRecord& record, const OcspOptions& options,
                                            UnixTime now, HashAlg alg = kPresignHashAlg);

}  // namespace trustmon::ocsp
