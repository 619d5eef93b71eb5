// See ksp.hpp.
#include "responder/testbed/ksp.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

#include "common/utf8.hpp"

namespace trustmon::testbed {
namespace {

constexpr std::size_t kIvBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::string_view kSealContext = "trustmon-ksp-key-v1|";
// Identity 08 signs SHA-256 of this prefix and the authorised digest instead of the digest.
constexpr std::string_view kOtherBytes = "trustmon-ksp: other bytes|";

Error invalid_request(std::string message) { return make_error(ErrorKind::invalid, "invalid_request", std::move(message)); }
Error invalid_grant(std::string message) { return make_error(ErrorKind::invalid, "invalid_grant", std::move(message)); }
Error invalid_token() {
  return make_error(ErrorKind::unauthenticated, "invalid_token", "the access token is unknown, expired or missing");
}
Error unavailable(std::string message) {
  return make_error(ErrorKind::unavailable, "temporarily_unavailable", std::move(message));
}
Error not_ready() { return unavailable("the key store's holders are being prepared; try again shortly"); }

Result<std::string> random_b64url(std::size_t octets) {
  Bytes raw(octets);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "RAND_bytes");
  return base64url_encode(raw);
}

// Codes and tokens are kept by their SHA-256, so a lookup never compares a stored secret.
std::string secret_key(std::string_view secret) { return hex_encode(sha256(as_bytes(secret))); }

bool digits(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// RFC 7636 §4.1: 43..128 unreserved characters.
bool valid_verifier(std::string_view v) {
  return v.size() >= 43 && v.size() <= 128 && std::all_of(v.begin(), v.end(), unreserved);
}

// An S256 challenge is base64url of 32 octets without padding: 43 characters.
bool valid_challenge(std::string_view c) {
  return c.size() == 43 && std::all_of(c.begin(), c.end(), [](char ch) {
           return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                  ch == '_';
         });
}

std::string s256(std::string_view verifier) { return base64url_encode(sha256(as_bytes(verifier))); }

// Visible ASCII and space (RFC 6749 appendix A: state is %x20-7E).
bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// An absolute http(s) URL with a host, no fragment (RFC 6749 §3.1.2), visible ASCII only.
bool valid_redirect_uri(std::string_view uri) {
  if (uri.size() > kKspMaxRedirectUri) return false;
  std::string_view rest;
  if (uri.starts_with("https://")) rest = uri.substr(8);
  else if (uri.starts_with("http://")) rest = uri.substr(7);
  else return false;
  if (rest.empty() || rest.front() == '/' || rest.front() == '?' || rest.front() == ':') return false;
  return std::all_of(uri.begin(), uri.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '#'; });
}

// Free text shown on the phone: valid UTF-8 without control characters, at most `max`
// code points.
bool valid_context(std::string_view s, std::size_t max) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    const Utf8Step step = utf8_step(s, i);
    if (!step.valid || step.code_point < 0x20 || step.code_point == 0x7f) return false;
    if (++chars > max) return false;
    i += step.length;
  }
  return true;
}

// application/x-www-form-urlencoded value: unreserved characters as they are, the rest %XX.
std::string form_encode(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : v) {
    if (unreserved(c)) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    }
  }
  return out;
}

std::string with_params(const std::string& uri, const std::vector<std::pair<const char*, std::string>>& params) {
  std::string out = uri;
  char sep = uri.find('?') == std::string::npos ? '?' : '&';
  if (sep == '&' && (out.back() == '?' || out.back() == '&')) sep = '\0';
  for (const auto& [name, value] : params) {
    if (sep != '\0') out += sep;
    sep = '&';
    out += name;
    out += '=';
    out += form_encode(value);
  }
  return out;
}

bool equal_secrets(std::string_view a, std::string_view b) {
  const Sha256 ha = sha256(as_bytes(a)), hb = sha256(as_bytes(b));
  return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

Result<Bytes> sign_digest(EVP_PKEY* key, ByteView digest) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  std::size_t len = 0;
  // The md only tells OpenSSL the digest's length; the octets are signed as they are.
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "EVP_PKEY_sign_init");
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "EVP_PKEY_sign");
  sig.resize(len);
  return sig;
}

std::string seal_aad(std::string_view holder) {
  std::string aad(kSealContext);
  aad += holder;
  return aad;
}

}  // namespace

const char* ksp_outcome_name(KspOutcome o) noexcept {
  switch (o) {
    case KspOutcome::approve: return "approve";
    case KspOutcome::user_refused: return "user_refused";
    case KspOutcome::timeout: return "timeout";
    case KspOutcome::wrong_vc: return "wrong_vc";
    case KspOutcome::revoked: return "revoked";
    case KspOutcome::on_hold: return "on_hold";
    case KspOutcome::expired: return "expired";
    case KspOutcome::signs_other_bytes: return "signs_other_bytes";
    case KspOutcome::untrusted_issuer: return "untrusted_issuer";
    case KspOutcome::not_a_representative: return "not_a_representative";
    case KspOutcome::replay: return "replay";
    case KspOutcome::organisation_head: return "organisation_head";
  }
  return "unknown";
}

const std::vector<KspIdentity>& ksp_identities() {
  static const std::vector<KspIdentity> table = {
      {"5550000001", KspOutcome::approve, "approves; a valid certificate"},
      {"5550000002", KspOutcome::user_refused, "the phone refuses (user_refused)"},
      {"5550000003", KspOutcome::timeout, "never answers: the approval call is 409 timeout, the login expires"},
      {"5550000004", KspOutcome::wrong_vc, "the user types a wrong verification code (wrong_vc)"},
      {"5550000005", KspOutcome::revoked, "certificate revoked in trustmon (keyCompromise); signs normally"},
      {"5550000006", KspOutcome::on_hold, "certificate on hold (certificateHold); signs normally"},
      {"5550000007", KspOutcome::expired, "certificate expired (notAfter yesterday); signs normally"},
      {"5550000008", KspOutcome::signs_other_bytes, "signHash signs a different digest"},
      {"5550000009", KspOutcome::untrusted_issuer,
       "certificate of a CA that is none of trustmon's issuers (not stored); signs normally"},
      {"5550000010", KspOutcome::not_a_representative, "a valid person who is nobody's representative"},
      {"5550000011", KspOutcome::replay, "valid; tests replay its scanned link"},
      {"5550000012", KspOutcome::organisation_head,
       "valid; the head of the test organisation (NTRUA-55500012): signs its joining applications"},
  };
  return table;
}

const KspIdentity* find_ksp_identity(std::string_view rnokpp) noexcept {
  for (const KspIdentity& i : ksp_identities())
    if (rnokpp == i.rnokpp) return &i;
  return nullptr;
}

std::string ksp_credential_id(std::string_view rnokpp) { return "ksp-" + std::string(rnokpp); }

Result<Bytes> seal_private_key(ByteView master_key, std::string_view holder, EVP_PKEY* key) {
  if (master_key.size() != kKspMasterKeyBytes)
    return make_error(ErrorKind::internal, "ksp_master_key_invalid", "the master key is not 32 octets");
  unsigned char* raw = nullptr;
  const int der_len = i2d_PrivateKey(key, &raw);
  if (der_len <= 0 || raw == nullptr) return ossl_error(ErrorKind::internal, "crypto_failed", "i2d_PrivateKey");
  const OsslBytesPtr der(raw);
  Bytes out(kIvBytes + static_cast<std::size_t>(der_len) + kTagBytes);
  const std::string aad = seal_aad(holder);
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  const bool ok = ctx && RAND_bytes(out.data(), static_cast<int>(kIvBytes)) == 1 &&
                  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, master_key.data(), out.data()) == 1 &&
                  EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                                    static_cast<int>(aad.size())) == 1 &&
                  EVP_EncryptUpdate(ctx.get(), out.data() + kIvBytes, &n, der.get(), der_len) == 1 && n == der_len &&
                  EVP_EncryptFinal_ex(ctx.get(), out.data() + kIvBytes + der_len, &n) == 1 && n == 0 &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                                      out.data() + kIvBytes + der_len) == 1;
  OPENSSL_cleanse(der.get(), static_cast<std::size_t>(der_len));
  if (!ok) return ossl_error(ErrorKind::internal, "crypto_failed", "sealing a key store key");
  return out;
}

Result<EvpPkeyPtr> open_private_key(ByteView master_key, std::string_view holder, ByteView sealed) {
  if (master_key.size() != kKspMasterKeyBytes)
    return make_error(ErrorKind::internal, "ksp_master_key_invalid", "the master key is not 32 octets");
  const Error unreadable =
      make_error(ErrorKind::internal, "ksp_key_unreadable", "a sealed key store key does not open under this master key");
  if (sealed.size() <= kIvBytes + kTagBytes || sealed.size() > 64 * 1024) return unreadable;
  const std::size_t body = sealed.size() - kIvBytes - kTagBytes;
  Bytes plain(body);
  const std::string aad = seal_aad(holder);
  Bytes tag(sealed.end() - static_cast<std::ptrdiff_t>(kTagBytes), sealed.end());
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  const bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, master_key.data(), sealed.data()) == 1 &&
                  EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                                    static_cast<int>(aad.size())) == 1 &&
                  EVP_DecryptUpdate(ctx.get(), plain.data(), &n, sealed.data() + kIvBytes, static_cast<int>(body)) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) == 1 &&
                  EVP_DecryptFinal_ex(ctx.get(), plain.data() + n, &n) == 1;
  ossl_errors();  // a tag that does not verify leaves nothing useful in the queue
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return unreadable;
  }
  const unsigned char* p = plain.data();
  EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(plain.size())));
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!key) {
    ossl_errors();
    return unreadable;
  }
  return key;
}

// ---- Ksp ---------------------------------------------------------------------------------

Ksp::Ksp(KspOptions options, Bytes master_key, const Clock& clock)
    : options_(std::move(options)), master_key_(std::move(master_key)), clock_(clock) {}

Result<std::unique_ptr<Ksp>> Ksp::create(KspOptions options, Bytes master_key, const Clock& clock) {
  if (master_key.size() != kKspMasterKeyBytes)
    return make_error(ErrorKind::internal, "ksp_master_key_invalid", "the master key is not 32 octets");
  if (options.client_secret.empty()) {
    auto secret = random_b64url(32);
    if (!secret) return std::move(secret).error();
    options.client_secret = std::move(*secret);
  }
  if (options.pending_ttl.count() <= 0) options.pending_ttl = std::chrono::seconds(120);
  return std::unique_ptr<Ksp>(new Ksp(std::move(options), std::move(master_key), clock));
}

Result<Bytes> Ksp::seal(std::string_view holder, EVP_PKEY* key) const {
  return seal_private_key(master_key_, holder, key);
}

Result<EvpPkeyPtr> Ksp::open_sealed(std::string_view holder, ByteView sealed) const {
  return open_private_key(master_key_, holder, sealed);
}

Status Ksp::install(std::vector<KspHolder> given) {
  auto made = std::make_shared<Holders>();
  for (KspHolder& h : given) {
    const KspIdentity* identity = find_ksp_identity(h.rnokpp);
    if (identity == nullptr || find_holder(*made, h.rnokpp) != nullptr)
      return make_error(ErrorKind::internal, "identity_unknown", "not a key store identity, or twice: " + h.rnokpp);
    auto cert = x509_from_der(h.certificate);
    if (!cert || !h.key) return make_error(ErrorKind::internal, "certificate_invalid", "holder " + h.rnokpp);
    Holder holder;
    holder.rnokpp = h.rnokpp;
    holder.outcome = identity->outcome;
    holder.credential_id = ksp_credential_id(h.rnokpp);
    holder.key = std::move(h.key);
    KspCredentialInfo& info = holder.info;
    info.credential_id = holder.credential_id;
    info.subject_dn = x509_name_text(X509_get_subject_name(cert->get()));
    info.issuer_dn = x509_name_text(X509_get_issuer_name(cert->get()));
    info.serial_hex = hex_encode(serial_bytes(X509_get0_serialNumber(cert->get())), true);
    auto from = asn1_time_to_unix(X509_get0_notBefore(cert->get()));
    auto to = asn1_time_to_unix(X509_get0_notAfter(cert->get()));
    if (!from || !to) return make_error(ErrorKind::internal, "certificate_invalid", "holder " + h.rnokpp);
    info.valid_from = *from;
    info.valid_to = *to;
    info.certificate = std::move(h.certificate);
    info.chain = std::move(h.chain);
    made->push_back(std::move(holder));
  }
  std::lock_guard lock(mu_);
  holders_ = std::move(made);
  return {};
}

bool Ksp::ready() const {
  std::lock_guard lock(mu_);
  return holders_ != nullptr;
}

std::shared_ptr<const Ksp::Holders> Ksp::holders() const {
  std::lock_guard lock(mu_);
  return holders_;
}

const Ksp::Holder* Ksp::find_holder(const Holders& holders, std::string_view rnokpp) noexcept {
  for (const Holder& h : holders)
    if (h.rnokpp == rnokpp) return &h;
  return nullptr;
}

Result<std::vector<KspIdentityView>> Ksp::identities() const {
  const auto all = holders();
  if (!all) return not_ready();
  std::vector<KspIdentityView> out;
  for (const KspIdentity& identity : ksp_identities()) {
    const Holder* h = find_holder(*all, identity.rnokpp);
    if (h == nullptr) continue;
    out.push_back({identity.rnokpp, identity.outcome, identity.note, h->credential_id, h->info.certificate});
  }
  return out;
}

template <class Map>
bool Ksp::make_room(Map& map, UnixTime now) {
  if (map.size() < kKspMaxEntries) return true;
  std::erase_if(map, [now](const auto& entry) { return entry.second.expires <= now; });
  return map.size() < kKspMaxEntries;
}

Result<KspPendingView> Ksp::authorize(const KspAuthorizeRequest& r) {
  for (const std::string* p : {&r.response_type, &r.client_id, &r.scope, &r.code_challenge, &r.code_challenge_method,
                               &r.hashes, &r.hash_algorithm_oid, &r.num_signatures, &r.credential_id, &r.login_hint,
                               &r.vc, &r.phone})
    if (p->size() > kKspMaxParam) return invalid_request("a parameter is longer than 256 characters");
  if (r.client_id != options_.client_id)
    return make_error(ErrorKind::unauthenticated, "invalid_client", "client_id names no client of this key store");
  if (r.response_type != "code")
    return make_error(ErrorKind::invalid, "unsupported_response_type", "response_type must be code");
  if (r.scope != "credential") return make_error(ErrorKind::invalid, "invalid_scope", "scope must be credential");
  if (!valid_redirect_uri(r.redirect_uri))
    return invalid_request("redirect_uri must be an http(s) URL with a host, without a fragment, at most 2048 characters");
  if (r.code_challenge.empty() || r.code_challenge_method != "S256")
    return invalid_request("PKCE is required: code_challenge with code_challenge_method=S256");
  if (!valid_challenge(r.code_challenge)) return invalid_request("code_challenge must be base64url of a SHA-256 digest");
  if (r.hash_algorithm_oid != kSha256Oid) return invalid_request("hashAlgorithmOID must be 2.16.840.1.101.3.4.2.1 (SHA-256)");
  if (r.hashes.find(',') != std::string::npos) return invalid_request("hashes must name exactly one digest");
  const auto digest = base64_decode(r.hashes);
  if (!digest || digest->size() != 32) return invalid_request("hashes must be one base64url SHA-256 digest");
  if (!r.num_signatures.empty() && r.num_signatures != "1") return invalid_request("numSignatures must be 1");
  if (!digits(r.vc, 4)) return invalid_request("vc must be the 4-digit verification code the browser shows");
  if (r.context.size() > 4 * kKspMaxContextChars || !valid_context(r.context, kKspMaxContextChars))
    return invalid_request("context must be text of at most 200 characters");
  if (r.state.size() > kKspMaxState || !printable_ascii(r.state))
    return invalid_request("state must be visible ASCII, at most 512 characters");
  const std::string& holder_id = !r.phone.empty() ? r.phone : r.login_hint;
  if (holder_id.empty())
    return invalid_request("no holder: send the X-Testbed-Phone header (the phone's login) or login_hint");
  const auto all = holders();
  if (!all) return not_ready();
  const Holder* holder = digits(holder_id, 10) ? find_holder(*all, holder_id) : nullptr;
  if (holder == nullptr) return invalid_request("this key store holds no key for that holder");
  if (!r.credential_id.empty() && r.credential_id != holder->credential_id)
    return invalid_request("credentialID is not the holder's credential");
  auto id = random_b64url(16);
  if (!id) return std::move(id).error();
  const UnixTime now = clock_.now();
  std::lock_guard lock(mu_);
  if (!make_room(pending_, now)) return unavailable("too many pending approvals; try again later");
  Pending p;
  p.rnokpp = holder->rnokpp;
  p.vc = r.vc;
  p.context = r.context;
  p.redirect_uri = r.redirect_uri;
  p.state = r.state;
  p.code_challenge = r.code_challenge;
  p.digest = *digest;
  p.created = now;
  p.expires = now + options_.pending_ttl.count();
  p.seq = next_seq_++;
  pending_.emplace(*id, p);
  return KspPendingView{*id, p.rnokpp, options_.rp_name, p.vc, p.context, p.created, p.expires};
}

Result<std::vector<KspPendingView>> Ksp::pending(std::string_view rnokpp) const {
  if (!digits(rnokpp, 10)) return invalid_request("rnokpp must be 10 digits");
  const UnixTime now = clock_.now();
  std::vector<std::pair<std::uint64_t, KspPendingView>> found;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, p] : pending_) {
      if (p.rnokpp != rnokpp || p.decided || p.expires <= now) continue;
      found.emplace_back(p.seq, KspPendingView{id, p.rnokpp, options_.rp_name, p.vc, p.context, p.created, p.expires});
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<KspPendingView> out;
  out.reserve(found.size());
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

Result<std::string> Ksp::decide(std::string_view pending_id, const KspDecision& d) {
  if (pending_id.size() > kKspMaxParam || d.action.size() > kKspMaxParam || d.vc.size() > kKspMaxParam ||
      d.pin.size() > kKspMaxParam)
    return invalid_request("a field is longer than 256 characters");
  const auto all = holders();
  if (!all) return not_ready();
  const UnixTime now = clock_.now();
  std::lock_guard lock(mu_);
  const auto it = pending_.find(std::string(pending_id));
  if (it == pending_.end() || it->second.expires <= now)
    return make_error(ErrorKind::not_found, "not_found", "no pending approval has this id (or it expired)");
  Pending& p = it->second;
  if (p.decided) return make_error(ErrorKind::conflict, "already_decided", "this approval was already decided");
  if (d.action != "approve" && d.action != "refuse") return invalid_request("action must be approve or refuse");
  const Holder* holder = find_holder(*all, p.rnokpp);
  if (holder == nullptr) return make_error(ErrorKind::internal, "identity_unknown", "the approval's holder is gone");
  if (holder->outcome == KspOutcome::timeout)
    return make_error(ErrorKind::conflict, "timeout", "the phone does not answer (identity 03); the approval stays pending");
  const auto refusal = [&](const char* why) {
    p.decided = true;
    std::vector<std::pair<const char*, std::string>> params = {{"error", "access_denied"}, {"error_description", why}};
    if (!p.state.empty()) params.emplace_back("state", p.state);
    return with_params(p.redirect_uri, params);
  };
  if (d.action == "refuse" || holder->outcome == KspOutcome::user_refused) return refusal("user_refused");
  if (d.vc != p.vc || holder->outcome == KspOutcome::wrong_vc) return refusal("wrong_vc");
  auto code = random_b64url(32);
  if (!code) return std::move(code).error();
  if (!make_room(codes_, now)) return unavailable("too many authorization codes; try again later");
  codes_.emplace(secret_key(*code), Code{p.rnokpp, p.redirect_uri, p.code_challenge, p.digest, now + kKspCodeSeconds});
  p.decided = true;
  std::vector<std::pair<const char*, std::string>> params = {{"code", *code}};
  if (!p.state.empty()) params.emplace_back("state", p.state);
  return with_params(p.redirect_uri, params);
}

Result<KspTokenGrant> Ksp::token(const KspTokenRequest& r) {
  for (const std::string* p : {&r.grant_type, &r.code, &r.client_id, &r.client_secret, &r.code_verifier})
    if (p->size() > kKspMaxParam) return invalid_request("a parameter is longer than 256 characters");
  if (r.redirect_uri.size() > kKspMaxRedirectUri) return invalid_request("redirect_uri is too long");
  if (r.grant_type != "authorization_code")
    return make_error(ErrorKind::invalid, "unsupported_grant_type", "grant_type must be authorization_code");
  if (r.client_id != options_.client_id || !equal_secrets(r.client_secret, options_.client_secret))
    return make_error(ErrorKind::unauthenticated, "invalid_client", "client authentication failed");
  if (r.code.empty() || r.redirect_uri.empty() || r.code_verifier.empty())
    return invalid_request("code, redirect_uri and code_verifier are required");
  const auto all = holders();
  if (!all) return not_ready();
  auto token = random_b64url(32);
  if (!token) return std::move(token).error();
  const UnixTime now = clock_.now();
  std::lock_guard lock(mu_);
  const auto it = codes_.find(secret_key(r.code));
  if (it == codes_.end()) return invalid_grant("the code is unknown or was already used");
  const Code code = std::move(it->second);
  codes_.erase(it);  // one-time, whatever follows
  if (code.expires <= now) return invalid_grant("the code expired");
  if (r.redirect_uri != code.redirect_uri) return invalid_grant("redirect_uri differs from the authorization request's");
  if (!valid_verifier(r.code_verifier) || s256(r.code_verifier) != code.code_challenge)
    return invalid_grant("code_verifier does not match the code_challenge (PKCE S256)");
  const Holder* holder = find_holder(*all, code.rnokpp);
  if (holder == nullptr) return make_error(ErrorKind::internal, "identity_unknown", "the code's holder is gone");
  if (!make_room(tokens_, now)) return unavailable("too many access tokens; try again later");
  tokens_.emplace(secret_key(*token), Token{code.rnokpp, code.digest, now + kKspTokenSeconds, false});
  return KspTokenGrant{std::move(*token), kKspTokenSeconds, holder->credential_id};
}

const Ksp::Holder* Ksp::token_holder(std::string_view access_token, UnixTime now, Token** token) {
  if (access_token.empty() || access_token.size() > kKspMaxParam) return nullptr;
  const auto it = tokens_.find(secret_key(access_token));
  if (it == tokens_.end() || it->second.expires <= now || !holders_) return nullptr;
  if (token != nullptr) *token = &it->second;
  return find_holder(*holders_, it->second.rnokpp);
}

Result<std::vector<std::string>> Ksp::credentials(std::string_view access_token) {
  const UnixTime now = clock_.now();
  std::lock_guard lock(mu_);
  const Holder* holder = token_holder(access_token, now, nullptr);
  if (holder == nullptr) return invalid_token();
  return std::vector<std::string>{holder->credential_id};
}

Result<KspCredentialInfo> Ksp::credential_info(std::string_view access_token, std::string_view credential_id) {
  const UnixTime now = clock_.now();
  std::lock_guard lock(mu_);
  const Holder* holder = token_holder(access_token, now, nullptr);
  if (holder == nullptr) return invalid_token();
  if (credential_id != holder->credential_id) return invalid_request("credentialID is not this token's credential");
  return holder->info;
}

Result<std::vector<Bytes>> Ksp::sign_hash(std::string_view access_token, const KspSignRequest& r) {
  const UnixTime now = clock_.now();
  std::lock_guard lock(mu_);
  Token* token = nullptr;
  const Holder* holder = token_holder(access_token, now, &token);
  if (holder == nullptr) return invalid_token();
  if (r.credential_id != holder->credential_id) return invalid_request("credentialID is not this token's credential");
  if (r.sign_algo != kEcdsaWithSha256Oid) return invalid_request("signAlgo must be 1.2.840.10045.4.3.2 (ecdsa-with-SHA256)");
  if (!r.hash_algorithm_oid.empty() && r.hash_algorithm_oid != kSha256Oid)
    return invalid_request("hashAlgorithmOID must be 2.16.840.1.101.3.4.2.1 (SHA-256)");
  if (r.hashes.size() != 1) return invalid_request("hashes must hold exactly the one authorised digest");
  const auto digest = r.hashes.front().size() <= kKspMaxParam ? base64_decode(r.hashes.front()) : std::nullopt;
  if (!digest || *digest != token->digest)
    return invalid_request("the hash is not the one authorised at oauth2/authorize (SCAL 2)");
  if (token->signed_once) return invalid_request("this access token was already used to sign");
  Bytes signed_digest = *digest;
  if (holder->outcome == KspOutcome::signs_other_bytes) {
    Bytes other(kOtherBytes.begin(), kOtherBytes.end());
    other.insert(other.end(), digest->begin(), digest->end());
    const Sha256 h = sha256(other);
    signed_digest.assign(h.begin(), h.end());
  }
  auto sig = sign_digest(holder->key.get(), signed_digest);
  if (!sig) return std::move(sig).error();
  token->signed_once = true;
  return std::vector<Bytes>{std::move(*sig)};
}

Ksp::Counts Ksp::counts() const {
  std::lock_guard lock(mu_);
  return Counts{pending_.size(), codes_.size(), tokens_.size()};
}

}  // namespace trustmon::testbed
