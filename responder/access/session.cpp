#include "responder/access/session.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

#include "storage/field_codec.hpp"

namespace trustmon::access {
namespace {

// Format 1: token sessions; format 2 adds the method, the login certificate and the
// holder's identifiers.
constexpr std::uint8_t kFormat1 = 1;
constexpr std::uint8_t kFormat = 2;
constexpr std::size_t kMaxIdentifiers = 16;
constexpr std::size_t kCookieBytes = 8 + 32;

}  // namespace

Bytes encode_session(const SessionRecord& r) {
  storage::FieldWriter w(128 + r.address.size());
  w.u8(kFormat);
  w.be64(r.id);
  w.raw(r.verifier_hash);
  w.be32(r.credential);
  w.u8(r.bootstrap ? 1 : 0);
  w.time(r.created);
  w.time(r.expires);
  w.raw(r.csrf);
  w.str(r.address);
  w.u8(static_cast<std::uint8_t>(r.method));
  w.u8(r.certificate ? 1 : 0);
  if (r.certificate) {
    w.be32(r.certificate->issuer);
    w.var(r.certificate->serial);
    w.raw(r.certificate->sha256);
    w.time(r.certificate->not_after);
  }
  w.str(r.holder_name);
  w.u8(static_cast<std::uint8_t>(std::min(r.identifiers.size(), kMaxIdentifiers)));
  for (std::size_t i = 0; i < r.identifiers.size() && i < kMaxIdentifiers; ++i) {
    w.str(r.identifiers[i].kind);
    w.str(r.identifiers[i].value);
  }
  return w.take();
}

Result<SessionRecord> decode_session(ByteView v) {
  storage::FieldReader rd(v);
  SessionRecord r;
  const std::uint8_t format = rd.u8();
  r.id = rd.be64();
  rd.sha256(r.verifier_hash);
  r.credential = rd.be32();
  const std::uint8_t bootstrap = rd.u8();
  r.created = rd.time();
  r.expires = rd.time();
  rd.sha256(r.csrf);
  r.address = rd.str();
  std::uint8_t method = 1;
  std::uint8_t has_cert = 0;
  if (format == kFormat) {
    method = rd.u8();
    has_cert = rd.u8();
    if (has_cert == 1) {
      LoginCertificate c;
      c.issuer = rd.be32();
      ByteView serial = rd.var();
      c.serial.assign(serial.begin(), serial.end());
      rd.sha256(c.sha256);
      c.not_after = rd.time();
      r.certificate = std::move(c);
    }
    r.holder_name = rd.str();
    const std::uint8_t n = rd.u8();
    for (std::uint8_t i = 0; i < n && i < kMaxIdentifiers; ++i) {
      HolderIdentifier h;
      h.kind = rd.str();
      h.value = rd.str();
      r.identifiers.push_back(std::move(h));
    }
  }
  if ((format != kFormat && format != kFormat1) || !rd.done() || bootstrap > 1 || method < 1 || method > 2 ||
      has_cert > 1)
    return make_error(ErrorKind::storage, "storage_corrupt", "session record is damaged");
  r.method = static_cast<SessionMethod>(method);
  r.bootstrap = bootstrap == 1;
  return r;
}

Bytes session_key(std::uint64_t id) {
  Bytes k(8);
  put_be64(k.data(), id);
  return k;
}

std::string format_session_cookie(const SessionCookie& c) {
  std::uint8_t raw[kCookieBytes];
  put_be64(raw, c.id);
  std::copy(c.verifier.begin(), c.verifier.end(), raw + 8);
  std::string out = base64url_encode(ByteView(raw, sizeof raw));
  OPENSSL_cleanse(raw, sizeof raw);
  return out;
}

std::optional<SessionCookie> parse_session_cookie(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  for (char ch : text) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    if (!ok) return std::nullopt;  // base64url only: no padding, no standard alphabet
  }
  auto raw = base64_decode(text);
  if (!raw || raw->size() != kCookieBytes) return std::nullopt;
  SessionCookie c;
  c.id = get_be64(raw->data());
  std::copy(raw->begin() + 8, raw->end(), c.verifier.begin());
  OPENSSL_cleanse(raw->data(), raw->size());
  if (c.id == 0) return std::nullopt;
  return c;
}

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return std::nullopt;
}

Result<SessionSecret> random_secret() {
  SessionSecret s{};
  if (RAND_bytes(s.data(), static_cast<int>(s.size())) != 1)
    return make_error(ErrorKind::internal, "internal_error", "no randomness for a session");
  return s;
}

std::string csrf_text(const SessionSecret& csrf) { return base64url_encode(ByteView(csrf.data(), csrf.size())); }

bool csrf_matches(const SessionSecret& csrf, std::string_view presented) {
  if (presented.size() > 64) return false;
  auto raw = base64_decode(presented);
  if (!raw || raw->size() != csrf.size()) return false;
  return CRYPTO_memcmp(raw->data(), csrf.data(), csrf.size()) == 0;
}

Sha256 verifier_hash(const SessionSecret& verifier) { return sha256(ByteView(verifier.data(), verifier.size())); }

}  // namespace trustmon::access
