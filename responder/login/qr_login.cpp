#include "responder/login/qr_login.hpp"

#include "responder/login/challenge_store.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <charconv>

namespace trustmon::login {
namespace {

Result<Bytes> random_bytes(std::size_t n) {
  Bytes b(n);
  if (RAND_bytes(b.data(), static_cast<int>(n)) != 1)
    return make_error(ErrorKind::internal, "internal_error", "no randomness for a login");
  return b;
}

Error gone_login() { return make_error(ErrorKind::not_found, "login_unknown", "no such login (or it ended long ago)"); }

std::string link_mac(const Bytes& secret, const std::string& id, std::string_view elapsed) {
  const std::string text = id + "|" + std::string(elapsed);
  const Sha256 mac = hmac_sha256(secret, as_bytes(text));
  return base64url_encode(ByteView(mac.data(), 16));
}

Error provider_failure(std::string_view description) {
  if (description == "user_refused")
    return make_error(ErrorKind::forbidden, "user_refused", "the holder refused the login on the phone");
  if (description == "wrong_vc")
    return make_error(ErrorKind::forbidden, "wrong_vc", "the verification code entered on the phone was not this login's");
  return make_error(ErrorKind::forbidden, "provider_failed",
                    "the key store did not authorise the signature" +
                        (description.empty() ? std::string() : ": " + std::string(description.substr(0, 120))));
}

}  // namespace

const char* qr_state_name(QrState s) noexcept {
  switch (s) {
    case QrState::pending: return "pending";
    case QrState::scanned: return "scanned";
    case QrState::deciding: return "deciding";
    case QrState::decided: return "decided";
    case QrState::taken: return "done";
    case QrState::failed: return "failed";
  }
  return "pending";
}

std::string verification_code(ByteView challenge) {
  const Sha256 h = sha256(challenge);
  const unsigned v = (static_cast<unsigned>(h[30]) << 8 | h[31]) % 10000;
  std::string out = std::to_string(v);
  return std::string(4 - out.size(), '0') + out;
}

QrLogins::QrLogins(QrOptions options) : options_(std::move(options)) {}

const ProviderConfig* QrLogins::provider(std::string_view name) const {
  for (const auto& p : options_.providers)
    if (p.name == name) return &p;
  return nullptr;
}

void QrLogins::purge(UnixTime now) {
  // Entries stay a lifetime past their expiry, so late polls get challenge_expired, not
  // login_unknown.
  while (!by_expiry_.empty() && by_expiry_.front().first + options_.lifetime <= now) {
    // Waiters of an erased login are dropped: each has its own timeout reply.
    logins_.erase(by_expiry_.front().second);
    by_expiry_.pop_front();
  }
  for (auto it = started_by_address_.begin(); it != started_by_address_.end();) {
    auto& q = it->second;
    while (!q.empty() && q.front() + 60 <= now) q.pop_front();
    it = q.empty() ? started_by_address_.erase(it) : std::next(it);
  }
}

std::vector<std::function<void()>> QrLogins::take_waiters(Login& l) {
  std::vector<std::function<void()>> w;
  w.swap(l.waiters);
  return w;
}

std::string QrLogins::make_link(const std::string& id, const Login& l, UnixTime now) const {
  const std::string elapsed = std::to_string(now > l.created ? now - l.created : 0);
  return options_.base_url + "/api/v1/auth/qr/" + id + "/scan?e=" + elapsed + "&a=" + link_mac(l.secret, id, elapsed);
}

Result<QrStarted> QrLogins::start(std::string_view provider_name, std::string_view hint, std::string_view address,
                                  std::string_view user_agent, std::string_view binding, UnixTime now,
                                  const QrDocument* document) {
  const ProviderConfig* p = provider(provider_name);
  if (p == nullptr) return make_error(ErrorKind::not_found, "provider_unknown", "no such key store provider");
  auto challenge = random_bytes(32);
  auto secret = random_bytes(32);
  auto raw_id = random_bytes(16);
  auto verifier = random_bytes(32);
  if (!challenge || !secret || !raw_id || !verifier)
    return make_error(ErrorKind::internal, "internal_error", "no randomness for a login");
  QrStarted out;
  std::optional<Sha256> bhash;
  if (!binding.empty()) bhash = binding_hash(binding);
  if (!bhash) {
    auto b = random_bytes(32);
    if (!b) return std::move(b).error();
    out.binding = base64url_encode(*b);
    bhash = binding_hash(out.binding);
  }
  out.id = base64url_encode(*raw_id);
  Login l;
  l.provider = p->name;
  l.hint = std::string(hint);
  l.challenge = std::move(*challenge);
  l.secret = std::move(*secret);
  l.binding_hash = *bhash;
  l.vc = verification_code(l.challenge);
  l.address = std::string(address);
  l.user_agent = std::string(user_agent.substr(0, 120));
  l.verifier = base64url_encode(*verifier);
  l.created = now;
  l.expires = now + options_.lifetime;
  const std::string text = "trustmon-login-v1|" + options_.rp_name + "|" + out.id + "|" + base64_encode(l.challenge) +
                           "|" + l.vc + "|" + std::to_string(now);
  l.signed_text.assign(text.begin(), text.end());
  if (document != nullptr) {
    l.purpose = document->purpose;
    l.content = document->content;
    l.signed_text = document->signed_attributes;
  }
  out.vc = l.vc;
  out.expires = l.expires;

  std::lock_guard lock(mu_);
  purge(now);
  if (logins_.size() >= options_.max_total)
    return make_error(ErrorKind::unavailable, "login_busy", "too many logins in progress; try again in a minute");
  auto& started = started_by_address_[std::string(address)];
  if (started.size() >= options_.max_per_address)
    return make_error(ErrorKind::rate_limited, "login_busy", "too many QR logins from this address; wait a minute");
  if (!l.hint.empty()) {
    std::size_t open = 0;
    for (const auto& [id, other] : logins_)
      if (other.hint == l.hint && other.expires > now &&
          (other.state == QrState::pending || other.state == QrState::scanned || other.state == QrState::deciding))
        ++open;
    if (open >= options_.max_per_hint)
      return make_error(ErrorKind::rate_limited, "login_busy", "too many logins waiting for this holder; wait a minute");
  }
  started.push_back(now);
  out.link = make_link(out.id, l, now);
  by_expiry_.emplace_back(l.expires, out.id);
  logins_.emplace(out.id, std::move(l));
  return out;
}

Result<std::string> QrLogins::link(std::string_view id, std::string_view binding, UnixTime now) {
  std::lock_guard lock(mu_);
  auto it = logins_.find(std::string(id));
  if (it == logins_.end()) return gone_login();
  const Login& l = it->second;
  if (!binding_matches(l.binding_hash, binding))
    return make_error(ErrorKind::forbidden, "challenge_binding", "this login was started by another browser");
  if (l.expires <= now) return make_error(ErrorKind::gone, "challenge_expired", "the login has expired; start again");
  return make_link(it->first, l, now);
}

Result<std::string> QrLogins::scan(std::string_view id, std::string_view elapsed, std::string_view auth, UnixTime now) {
  std::vector<std::function<void()>> woken;
  auto out = scan_locked(id, elapsed, auth, now, woken);
  for (auto& w : woken) w();  // the browser's poll shows "scanned" at once
  return out;
}

Result<std::string> QrLogins::scan_locked(std::string_view id, std::string_view elapsed, std::string_view auth,
                                          UnixTime now, std::vector<std::function<void()>>& woken) {
  std::lock_guard lock(mu_);
  auto it = logins_.find(std::string(id));
  if (it == logins_.end()) return gone_login();
  Login& l = it->second;
  UnixTime e = -1;
  if (elapsed.empty() || elapsed.size() > 6 ||
      std::from_chars(elapsed.data(), elapsed.data() + elapsed.size(), e).ptr != elapsed.data() + elapsed.size())
    return make_error(ErrorKind::invalid, "link_invalid", "the link is damaged");
  const std::string expected = link_mac(l.secret, it->first, elapsed);
  if (auth.size() != expected.size() || CRYPTO_memcmp(auth.data(), expected.data(), expected.size()) != 0)
    return make_error(ErrorKind::invalid, "link_invalid", "the link is damaged");
  if (l.expires <= now) return make_error(ErrorKind::gone, "challenge_expired", "the login has expired");
  if (l.state != QrState::pending)
    return make_error(ErrorKind::conflict, "link_used", "this login's link was already opened; start a new login");
  const UnixTime made = l.created + e;
  if (made > now + 1 || now - made > options_.link_window)
    return make_error(ErrorKind::gone, "link_expired", "the link is older than a few seconds; scan the code again");
  l.state = QrState::scanned;
  woken = take_waiters(l);
  const ProviderConfig* p = provider(l.provider);
  if (p == nullptr) return make_error(ErrorKind::unavailable, "provider_unknown", "the provider is no longer configured");
  const Sha256 digest = sha256(l.signed_text);
  const Sha256 challenge = sha256(as_bytes(l.verifier));
  std::string url = p->authorize_url;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "response_type=code&client_id=" + percent_encode(p->client_id) +
         "&redirect_uri=" + percent_encode(options_.base_url + "/api/v1/auth/qr/callback") +
         "&scope=credential&code_challenge=" + base64url_encode(ByteView(challenge.data(), challenge.size())) +
         "&code_challenge_method=S256&state=" + percent_encode(it->first) +
         "&hashes=" + base64url_encode(ByteView(digest.data(), digest.size())) +
         "&hashAlgorithmOID=2.16.840.1.101.3.4.2.1&numSignatures=1" +
         "&description=" + percent_encode(options_.rp_name + ": login, code " + l.vc) + "&vc=" + l.vc +
         "&context=" + percent_encode(l.address + ", " + l.user_agent);
  if (!l.hint.empty()) url += "&login_hint=" + percent_encode(l.hint);
  return url;
}

Result<QrExchange> QrLogins::begin_deciding(std::string_view id, std::string_view code, std::string_view error,
                                            std::string_view error_description, UnixTime now) {
  std::vector<std::function<void()>> woken;
  Result<QrExchange> out = gone_login();
  {
    std::lock_guard lock(mu_);
    auto it = logins_.find(std::string(id));
    if (it == logins_.end()) return gone_login();
    Login& l = it->second;
    if (l.state != QrState::scanned)
      return make_error(ErrorKind::conflict, "challenge_used", "this login already has its answer");
    if (l.expires <= now) return make_error(ErrorKind::gone, "challenge_expired", "the login has expired");
    if (!error.empty() || code.empty()) {
      l.state = QrState::failed;
      l.failure = provider_failure(error_description);
      woken = take_waiters(l);
      out = *l.failure;
    } else {
      l.state = QrState::deciding;
      QrExchange x;
      x.id = it->first;
      x.provider = provider(l.provider);
      x.code = std::string(code);
      x.code_verifier = l.verifier;
      x.redirect_uri = options_.base_url + "/api/v1/auth/qr/callback";
      x.signed_text = l.signed_text;
      x.purpose = l.purpose;
      x.content = l.content;
      x.address = l.address;
      if (x.provider == nullptr) {
        l.state = QrState::failed;
        l.failure = make_error(ErrorKind::unavailable, "provider_unknown", "the provider is no longer configured");
        woken = take_waiters(l);
        out = *l.failure;
      } else {
        out = std::move(x);
      }
    }
  }
  for (auto& w : woken) w();
  return out;
}

template <typename T>
void QrLogins::settle(std::string_view id, Result<T> outcome, std::optional<T> Login::*slot, bool document) {
  std::vector<std::function<void()>> woken;
  {
    std::lock_guard lock(mu_);
    auto it = logins_.find(std::string(id));
    if (it == logins_.end() || it->second.state != QrState::deciding || it->second.purpose.empty() != !document) return;
    Login& l = it->second;
    if (outcome) {
      l.state = QrState::decided;
      l.*slot = std::move(*outcome);
    } else {
      l.state = QrState::failed;
      l.failure = std::move(outcome).error();
    }
    woken = take_waiters(l);
  }
  for (auto& w : woken) w();
}

void QrLogins::finish_document(std::string_view id, Result<nlohmann::json> outcome) {
  settle(id, std::move(outcome), &Login::document, true);
}

void QrLogins::decide(std::string_view id, Result<LoginDecision> outcome) {
  settle(id, std::move(outcome), &Login::decision, false);
}

Result<QrPoll> QrLogins::poll(std::string_view id, std::string_view binding, UnixTime now) {
  std::lock_guard lock(mu_);
  purge(now);
  auto it = logins_.find(std::string(id));
  if (it == logins_.end()) return gone_login();
  Login& l = it->second;
  if (!binding_matches(l.binding_hash, binding))
    return make_error(ErrorKind::forbidden, "challenge_binding", "this login was started by another browser");
  QrPoll p;
  p.provider = l.provider;
  p.purpose = l.purpose;
  p.state = l.state;
  if (l.state == QrState::failed) {
    p.failure = l.failure;
  } else if (l.state == QrState::decided) {
    p.decision = std::move(l.decision);
    p.document = std::move(l.document);
    l.decision.reset();
    l.document.reset();
    l.state = QrState::taken;
  } else if (l.state == QrState::taken) {
    p.failure = make_error(ErrorKind::conflict, "challenge_used", "this login was already completed");
  } else if (l.expires <= now) {
    p.state = QrState::failed;
    p.failure = make_error(ErrorKind::gone, "challenge_expired", "the login was not confirmed in time; start again");
  }
  return p;
}

bool QrLogins::on_change(std::string_view id, std::function<void()> wake) {
  std::lock_guard lock(mu_);
  auto it = logins_.find(std::string(id));
  if (it == logins_.end()) return false;
  Login& l = it->second;
  if (l.state != QrState::pending && l.state != QrState::scanned && l.state != QrState::deciding) return false;
  if (l.waiters.size() >= 4) return false;
  l.waiters.push_back(std::move(wake));
  return true;
}

}  // namespace trustmon::login
