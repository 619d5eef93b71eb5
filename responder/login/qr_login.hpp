// Cloud-key logins through a QR link (docs/login.md "Cloud key through a QR link"): the
// state of each login from the browser's start to its one-time result, the links the
// browser shows (a new one every second), and the waiting browsers. In memory only: a
// login lives two minutes, and a restart only means starting again.
//
// Policy (RFC 10027's mitigations of cross-device consent phishing):
//  * a login is bound to the browser that started it (the tm_login binding cookie, only its
//    SHA-256 kept); the link, the state and the result are given to that browser only;
//  * the link names the login and the seconds elapsed since it started, authenticated by
//    HMAC-SHA256 with a secret of that login that never leaves the server; it changes every
//    second and is accepted once (link_used), within `link_window` seconds of being made
//    (link_expired), and never after the login expired;
//  * the phone's provider gets a verification code (four digits from the SHA-256 of the
//    challenge) and the context (the starting browser's address and User-Agent) to show;
//    the browser shows the same code;
//  * the signed text is "trustmon-login-v1|<rp>|<id>|<base64 challenge>|<vc>|<start time>";
//    the provider signs its SHA-256 (CSC signHash), named at authorisation (SCAL 2);
//  * a login goes pending → scanned → deciding → decided (result kept) → taken by the first
//    poll of its browser (the session is opened then), or → failed with a code; each
//    transition happens once, under the store's mutex;
//  * at most `max_per_address` logins started per address per minute, `max_per_hint`
//    undecided logins per holder hint, `max_total` in all (login_busy, 429 / 503).
// Codes: login_unknown (404), challenge_binding (403), challenge_expired (410),
// link_invalid (400), link_expired (410), link_used (409), login_busy (429/503),
// challenge_used (409: the result was already taken), and the failure codes the provider
// step reports (user_refused, wrong_vc, provider_failed) or the decision's.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/login/decide.hpp"

namespace trustmon::login {

// A cloud key store the QR login can use ([[login.provider]], docs/operations.md).
struct ProviderConfig {
  std::string name;                 // [a-z0-9_-], what the API names
  std::string title;                // shown in the cabinet
  std::string adapter = "csc2";     // CSC API v2 with OAuth2 authorisation codes
  std::string authorize_url;        // OAuth2 authorisation endpoint (the phone opens it)
  std::string token_url;            // OAuth2 token endpoint
  std::string csc_url;              // CSC API base, e.g. https://ksp.example/csc/v2
  std::string client_id;
  std::string client_secret;
  std::string ca_file;              // TLS trust for the provider ("" = the system's)
};

struct QrOptions {
  std::vector<ProviderConfig> providers;
  std::string base_url;             // how a phone reaches this server (links, redirect_uri)
  std::string rp_name = "trustmon";
  UnixTime lifetime = 120;
  UnixTime link_window = 5;
  std::size_t max_per_address = 10;  // started per minute
  std::size_t max_per_hint = 5;      // undecided at once
  std::size_t max_total = 2000;
};

enum class QrState : std::uint8_t { pending, scanned, deciding, decided, taken, failed };
const char* qr_state_name(QrState s) noexcept;

// A document signed through the QR link instead of a login (docs/joining.md "Cloud key"):
// the sink that files it (`purpose`), the content, and the CMS signed attributes over it
// (pki::cms_signed_attributes) that the key store signs in place of the login text.
struct QrDocument {
  std::string purpose;
  Bytes content;
  Bytes signed_attributes;
};

struct QrStarted {
  std::string id;
  std::string vc;
  std::string binding;   // a new binding secret, or "" when the browser's own was reused
  UnixTime expires = 0;
  std::string link;
};

// What the provider step needs once the phone is back (QrLogins::begin_deciding).
struct QrExchange {
  std::string id;
  const ProviderConfig* provider = nullptr;
  std::string code;
  std::string code_verifier;
  std::string redirect_uri;
  Bytes signed_text;     // the dtbs
  std::string purpose;   // a document's sink; "" for a login
  Bytes content;         // a document's content
  std::string address;   // the starting browser's address
};

// The browser's view of a login; `decision` only in the poll that takes it.
struct QrPoll {
  QrState state = QrState::pending;
  std::optional<Error> failure;
  std::optional<LoginDecision> decision;
  std::optional<nlohmann::json> document;  // a signed document's filing result (taken once)
  std::string provider;
  std::string purpose;
};

class QrLogins {
 public:
  explicit QrLogins(QrOptions options);

  const QrOptions& options() const { return options_; }
  const ProviderConfig* provider(std::string_view name) const;

  // `binding`: the browser's tm_login value when it has one (reused), else "".
  // `document`: sign it instead of logging in.
  Result<QrStarted> start(std::string_view provider, std::string_view hint, std::string_view address,
                          std::string_view user_agent, std::string_view binding, UnixTime now,
                          const QrDocument* document = nullptr);
  Result<std::string> link(std::string_view id, std::string_view binding, UnixTime now);
  // The QR link was opened: checks it and marks the login scanned; returns the provider's
  // authorisation URL to redirect to.
  Result<std::string> scan(std::string_view id, std::string_view elapsed, std::string_view auth, UnixTime now);
  // The provider sent the phone back. An `error` ends the login (user_refused, wrong_vc or
  // provider_failed from `error_description`); a code moves it to deciding.
  Result<QrExchange> begin_deciding(std::string_view id, std::string_view code, std::string_view error,
                                    std::string_view error_description, UnixTime now);
  // The provider step's outcome (a decision, or why not).
  void decide(std::string_view id, Result<LoginDecision> outcome);
  // A signed document's outcome (its sink's answer, or why not).
  void finish_document(std::string_view id, Result<nlohmann::json> outcome);
  // The browser asks; a decided login is taken by this call (one time).
  Result<QrPoll> poll(std::string_view id, std::string_view binding, UnixTime now);
  // Calls `wake` once when the login changes state (scanned, decided, failed); returns
  // false (and never calls it) when it already has, so the caller polls at once.
  bool on_change(std::string_view id, std::function<void()> wake);

 private:
  struct Login {
    std::string provider;
    std::string hint;
    Bytes challenge;
    Bytes secret;
    Sha256 binding_hash{};
    std::string vc;
    std::string address;
    std::string user_agent;
    std::string verifier;  // PKCE
    Bytes signed_text;
    std::string purpose;
    Bytes content;
    std::optional<nlohmann::json> document;
    UnixTime created = 0;
    UnixTime expires = 0;
    QrState state = QrState::pending;
    std::optional<Error> failure;
    std::optional<LoginDecision> decision;
    std::vector<std::function<void()>> waiters;
  };
  void purge(UnixTime now);  // mu_ held
  // A deciding login (of a document or not, as `document` says) gets its outcome into
  // `slot`, or fails; its waiters are woken.
  template <typename T>
  void settle(std::string_view id, Result<T> outcome, std::optional<T> Login::*slot, bool document);
  Result<std::string> scan_locked(std::string_view id, std::string_view elapsed, std::string_view auth, UnixTime now,
                                  std::vector<std::function<void()>>& woken);
  std::string make_link(const std::string& id, const Login& l, UnixTime now) const;
  std::vector<std::function<void()>> take_waiters(Login& l);

  QrOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, Login> logins_;
  std::deque<std::pair<UnixTime, std::string>> by_expiry_;
  std::unordered_map<std::string, std::deque<UnixTime>> started_by_address_;
};

// The four-digit verification code of a challenge.
std::string verification_code(ByteView challenge);

}  // namespace trustmon::login
