// Cabinet sessions: what a browser holds instead of an API token.
//
// Policy:
//  * a session is created by presenting a credential once (POST /api/v1/auth/token); the
//    browser then holds only the session cookie, HttpOnly, never the credential;
//  * the cookie is a selector and a verifier: base64url(be64 session id || 32 random
//    bytes). The sessions table stores the SHA-256 of the verifier under the id, so the
//    lookup is by id and the secret is compared in constant time, and a copy of the store
//    gives no usable cookie;
//  * each session has a CSRF secret (32 random bytes) returned in the login answer and by
//    GET /api/v1/me; state-changing requests authenticated by the cookie must carry it in
//    X-CSRF-Token (routes/api_context.cpp guard());
//  * a session acts as its credential: every request re-reads the credential, the
//    representative and the participant (authenticator.cpp). A block, an unblock or a
//    revocation after the session was created ends it for good (an unblock does not revive
//    sessions opened before the block);
//  * a session opened by signature (docs/login.md) also keeps its login certificate
//    (issuer id, serial, SHA-256, notAfter): every request re-reads that certificate's
//    status, so revoking or holding it ends the session. A holder's session (no
//    credential) keeps the holder's name and identifiers, which are what it may see;
//  * sessions expire at an absolute time (no sliding renewal: a request never writes);
//    expired ones are purged at the next login; at most kMaxSessionsPerCredential live
//    sessions per credential (the oldest is ended) and kMaxSessions in all.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::access {

inline constexpr std::string_view kSessionCookie = "tm_session";
inline constexpr std::size_t kMaxSessions = 20000;
inline constexpr std::size_t kMaxSessionsPerCredential = 16;

using SessionSecret = std::array<std::uint8_t, 32>;

enum class SessionMethod : std::uint8_t { token = 1, signature = 2 };

// The certificate a signature login was made with.
struct LoginCertificate {
  std::uint32_t issuer = 0;  // issuer id (pki::IssuerSet)
  Bytes serial;              // serial number octets, as the certs key holds them
  Sha256 sha256{};           // SHA-256 of the DER
  UnixTime not_after = 0;
  bool operator==(const LoginCertificate&) const = default;
};

// An identifier of a holder, as the registry indexes it: ("serial_number", "TINUA-…"),
// ("organization_identifier", "NTRUA-…"), ("drfo", "…"), ("edrpou", "…").
struct HolderIdentifier {
  std::string kind;
  std::string value;
  bool operator==(const HolderIdentifier&) const = default;
};

struct SessionRecord {
  std::uint64_t id = 0;
  Sha256 verifier_hash{};        // SHA-256 of the cookie's verifier
  std::uint32_t credential = 0;  // 0 with bootstrap
  bool bootstrap = false;        // opened with the installation's bootstrap token
  UnixTime created = 0;
  UnixTime expires = 0;
  SessionSecret csrf{};          // the CSRF secret (not a credential on its own)
  std::string address;           // the client's address at login, for listings
  SessionMethod method = SessionMethod::token;
  std::optional<LoginCertificate> certificate;  // signature logins
  // Holder sessions (signature login, credential 0, not bootstrap): who, and what they own.
  std::string holder_name;
  std::vector<HolderIdentifier> identifiers;
  bool holder() const { return method == SessionMethod::signature && credential == 0 && !bootstrap; }
};

Bytes encode_session(const SessionRecord& r);
Result<SessionRecord> decode_session(ByteView v);
Bytes session_key(std::uint64_t id);  // be64

struct SessionCookie {
  std::uint64_t id = 0;
  SessionSecret verifier{};
};
std::string format_session_cookie(const SessionCookie& c);
// nullopt when `text` is not a session cookie value.
std::optional<SessionCookie> parse_session_cookie(std::string_view text);
// The value of cookie `name` in a Cookie header ("a=1; tm_session=…"), if present.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

Result<SessionSecret> random_secret();
std::string csrf_text(const SessionSecret& csrf);  // base64url
// Constant-time comparison of a presented X-CSRF-Token with the session's secret.
bool csrf_matches(const SessionSecret& csrf, std::string_view presented);
Sha256 verifier_hash(const SessionSecret& verifier);

}  // namespace trustmon::access
