// The test bed's cloud key store (docs/testbed.md "Test cloud key store"): the provider side
// of "log in with a qualified signature held in a cloud key store, confirmed on a phone"
// (issue 17), for tests and demos. It speaks a subset of CSC API v2 (oauth2/authorize with
// scope=credential and PKCE S256, oauth2/token, credentials/list, credentials/info,
// signatures/signHash) and plays the phone through a scripted interface (the pending
// approvals of a holder, and a decision on one). Eleven deterministic holders
// (kKspIdentitiesVersion) each hold one P-256 key certified by the test CA and come out
// one way (KspOutcome): approve, refuse, never answer, a wrong verification code, a revoked,
// held or expired certificate, a signature over other bytes, an untrusted issuer, nobody's
// representative, a link scanned twice.
//
// Policy:
//  * pure logic: no HTTP (routes/ksp_routes.cpp adapts it) and no storage (testbed/ksp_seed.cpp
//    makes, seals and stores the holders' keys and certificates, then install()s them);
//  * thread-safe: one mutex over the pending approvals, codes and tokens; the holders are
//    immutable once installed; "now" comes from the injected Clock;
//  * every input is capped; codes (60 s) and tokens (300 s) are one-time, random, and looked
//    up by their SHA-256, never compared as stored secrets; each table holds at most
//    kKspMaxEntries (expired entries go first, then 503 temporarily_unavailable);
//  * SCAL 2: signHash signs only the digest authorised at authorize, once per token; the
//    digest is signed as it is (EVP_PKEY_sign, no second hashing);
//  * the client secret, codes, tokens and keys never reach a log line or an error message;
//    a private key leaves memory only sealed (AES-256-GCM under the store's master key,
//    bound to its holder: seal_private_key);
//  * the store reports every certificate as "valid": the relying party must decide from its
//    own index (identities 05, 06, 07, 09 exist to check that it does).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::testbed {

// What a deterministic holder does (docs/testbed.md, the identity table).
enum class KspOutcome : std::uint8_t {
  approve,               // 01: approves; a valid certificate
  user_refused,          // 02: the phone refuses
  timeout,               // 03: never answers (the approval call is 409 timeout)
  wrong_vc,              // 04: the user types a wrong verification code, whatever is sent
  revoked,               // 05: certificate revoked in trustmon (keyCompromise); signs normally
  on_hold,               // 06: certificate on hold (certificateHold); signs normally
  expired,               // 07: certificate expired (notAfter yesterday); signs normally
  signs_other_bytes,     // 08: signHash signs a different digest (a valid signature over it)
  untrusted_issuer,      // 09: certificate of a CA that is none of trustmon's issuers (not stored)
  not_a_representative,  // 10: a valid person who represents nobody (logs in as a holder)
  replay,                // 11: valid; tests replay its scanned link (nothing special here)
  organisation_head,     // 12: valid; acts for the test organisation EDRPOU 55500012 (signs its applications)
};
const char* ksp_outcome_name(KspOutcome o) noexcept;

struct KspIdentity {
  const char* rnokpp;
  KspOutcome outcome;
  const char* note;
};
// The table only grows; a changed outcome gets a new version (and new keys: ksp_seed.hpp).
inline constexpr const char* kKspIdentitiesVersion = "2026-12-1";
// The organisation identity 12 acts for (its certificate carries NTRUA-55500012).
inline constexpr const char* kKspOrganisationCode = "55500012";
const std::vector<KspIdentity>& ksp_identities();
const KspIdentity* find_ksp_identity(std::string_view rnokpp) noexcept;
// "ksp-<rnokpp>": a holder's one credential.
std::string ksp_credential_id(std::string_view rnokpp);

// OIDs of the subset.
inline constexpr const char* kSha256Oid = "2.16.840.1.101.3.4.2.1";
inline constexpr const char* kEcdsaWithSha256Oid = "1.2.840.10045.4.3.2";
inline constexpr const char* kEcPublicKeyOid = "1.2.840.10045.2.1";
inline constexpr const char* kP256Oid = "1.2.840.10045.3.1.7";

// Caps.
inline constexpr std::size_t kKspMaxEntries = 4096;        // pending approvals, codes, tokens: each
inline constexpr std::size_t kKspMaxRedirectUri = 2048;
inline constexpr std::size_t kKspMaxState = 512;
inline constexpr std::size_t kKspMaxContextChars = 200;    // code points
inline constexpr std::size_t kKspMaxParam = 256;           // any other parameter
inline constexpr UnixTime kKspCodeSeconds = 60;
inline constexpr UnixTime kKspTokenSeconds = 300;
inline constexpr std::size_t kKspMasterKeyBytes = 32;

// AES-256-GCM of the key's DER under `master_key` (32 bytes), with `holder` as additional
// data: 12-octet IV || ciphertext || 16-octet tag. Errors: ksp_master_key_invalid,
// crypto_failed.
Result<Bytes> seal_private_key(ByteView master_key, std::string_view holder, EVP_PKEY* key);
// The key sealed by seal_private_key for the same holder under the same master key.
// Errors: ksp_master_key_invalid, ksp_key_unreadable (another master key or holder, or
// altered octets: the tag does not verify).
Result<EvpPkeyPtr> open_private_key(ByteView master_key, std::string_view holder, ByteView sealed);

struct KspOptions {
  std::string client_id = "trustmon";
  std::string client_secret;  // "" = Ksp::create draws one (read it with Ksp::client_secret())
  std::string rp_name = "trustmon";
  std::chrono::seconds pending_ttl{120};
};

// A holder as the seeding step hands it over: its key, its certificate and the CA above it.
struct KspHolder {
  std::string rnokpp;
  EvpPkeyPtr key;
  Bytes certificate;         // DER
  std::vector<Bytes> chain;  // DER of the issuing CA (the untrusted CA for 09)
};

// GET /testbed/ksp/identities, one row.
struct KspIdentityView {
  std::string rnokpp;
  KspOutcome outcome = KspOutcome::approve;
  std::string note;
  std::string credential_id;
  Bytes certificate;
};

// oauth2/authorize, as received (each value capped by the caller's parser or here).
struct KspAuthorizeRequest {
  std::string response_type, client_id, redirect_uri, scope, code_challenge, code_challenge_method, state, hashes,
      hash_algorithm_oid, num_signatures, credential_id, login_hint, vc, context;
  std::string phone;  // X-Testbed-Phone: the phone's own login (its holder's RNOKPP), else login_hint
};

struct KspPendingView {
  std::string id;  // 128 random bits, base64url
  std::string rnokpp;
  std::string rp_name, vc, context;
  UnixTime created = 0;
  UnixTime expires_at = 0;
};

struct KspDecision {
  std::string action;  // approve | refuse
  std::string vc;      // what the user typed
  std::string pin;     // accepted, not checked (capped)
};

struct KspTokenRequest {
  std::string grant_type, code, client_id, client_secret, redirect_uri, code_verifier;
};

struct KspTokenGrant {
  std::string access_token;
  UnixTime expires_in = kKspTokenSeconds;
  std::string credential_id;
};

struct KspCredentialInfo {
  std::string credential_id;
  Bytes certificate;
  std::vector<Bytes> chain;
  std::string subject_dn, issuer_dn;  // RFC 4514, UTF-8
  std::string serial_hex;             // upper-case
  UnixTime valid_from = 0, valid_to = 0;
};

struct KspSignRequest {
  std::string credential_id;
  std::vector<std::string> hashes;  // base64 (either alphabet)
  std::string hash_algorithm_oid;   // optional: ecdsa-with-SHA256 names its digest
  std::string sign_algo;
};

// Error codes (OAuth 2.0 / CSC; the kind gives the status): invalid_request (400),
// invalid_client (401), invalid_grant (400), unsupported_response_type (400),
// unsupported_grant_type (400), invalid_scope (400), invalid_token (401), not_found (404),
// timeout and already_decided (409), temporarily_unavailable (503: no holders yet, or a
// table is full), crypto_failed (500).
class Ksp {
 public:
  // `master_key`: the 32 octets that seal the holders' keys. Errors:
  // ksp_master_key_invalid, crypto_failed (no randomness for the client secret).
  static Result<std::unique_ptr<Ksp>> create(KspOptions options, Bytes master_key, const Clock& clock);
  Ksp(const Ksp&) = delete;
  Ksp& operator=(const Ksp&) = delete;

  const std::string& client_id() const noexcept { return options_.client_id; }
  // The secret the relying party presents at oauth2/token (the daemon hands it to the login
  // module); drawn by create() unless configured.
  const std::string& client_secret() const noexcept { return options_.client_secret; }
  const std::string& rp_name() const noexcept { return options_.rp_name; }

  Result<Bytes> seal(std::string_view holder, EVP_PKEY* key) const;
  Result<EvpPkeyPtr> open_sealed(std::string_view holder, ByteView sealed) const;

  // Installs the seeded holders (every identity of the table, once); before it, every CSC
  // call answers temporarily_unavailable. Errors: certificate_invalid, identity_unknown.
  Status install(std::vector<KspHolder> holders);
  bool ready() const;
  // The identity table with each holder's credential and certificate (after install()).
  Result<std::vector<KspIdentityView>> identities() const;

  // A pending approval for the holder the phone names.
  Result<KspPendingView> authorize(const KspAuthorizeRequest& request);
  // The holder's undecided, unexpired approvals, newest first. Error: invalid_request
  // (not an RNOKPP).
  Result<std::vector<KspPendingView>> pending(std::string_view rnokpp) const;
  // The phone's decision: the redirect URL (redirect_uri with code and state, or with
  // error=access_denied and error_description user_refused | wrong_vc, and state).
  Result<std::string> decide(std::string_view pending_id, const KspDecision& decision);
  Result<KspTokenGrant> token(const KspTokenRequest& request);
  Result<std::vector<std::string>> credentials(std::string_view access_token);
  Result<KspCredentialInfo> credential_info(std::string_view access_token, std::string_view credential_id);
  // DER ECDSA-Sig-Value for each hash (exactly the one authorised).
  Result<std::vector<Bytes>> sign_hash(std::string_view access_token, const KspSignRequest& request);

  // How many of each are held now (tests, metrics).
  struct Counts {
    std::size_t pending = 0, codes = 0, tokens = 0;
  };
  Counts counts() const;

 private:
  struct Holder {
    std::string rnokpp;
    KspOutcome outcome = KspOutcome::approve;
    std::string credential_id;
    EvpPkeyPtr key;
    KspCredentialInfo info;
  };
  struct Pending {
    std::string rnokpp;
    std::string vc, context, redirect_uri, state, code_challenge;
    Bytes digest;
    UnixTime created = 0, expires = 0;
    std::uint64_t seq = 0;  // orders approvals made in the same second
    bool decided = false;
  };
  struct Code {
    std::string rnokpp, redirect_uri, code_challenge;
    Bytes digest;
    UnixTime expires = 0;
  };
  struct Token {
    std::string rnokpp;
    Bytes digest;
    UnixTime expires = 0;
    bool signed_once = false;
  };
  using Holders = std::vector<Holder>;

  Ksp(KspOptions options, Bytes master_key, const Clock& clock);
  std::shared_ptr<const Holders> holders() const;
  static const Holder* find_holder(const Holders& holders, std::string_view rnokpp) noexcept;
  // The holder of a live access token, and the token in `token` when not null (mu_ held);
  // null when the token is unknown or expired.
  const Holder* token_holder(std::string_view access_token, UnixTime now, Token** token);
  template <class Map>
  static bool make_room(Map& map, UnixTime now);

  KspOptions options_;
  Bytes master_key_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::shared_ptr<const Holders> holders_;  // null until install()
  std::unordered_map<std::string, Pending> pending_;  // by id
  std::unordered_map<std::string, Code> codes_;    // by hex SHA-256 of the code
  std::unordered_map<std::string, Token> tokens_;  // by hex SHA-256 of the token
  std::uint64_t next_seq_ = 1;
};

}  // namespace trustmon::testbed
