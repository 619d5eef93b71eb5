#include "responder/login/challenge_store.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace trustmon::login {
namespace {

Result<std::string> random_text(std::size_t octets) {
  Bytes raw(octets);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    return make_error(ErrorKind::internal, "internal_error", "no randomness for a challenge");
  return base64url_encode(raw);
}

}  // namespace

std::optional<Sha256> binding_hash(std::string_view cookie_text) {
  if (cookie_text.empty() || cookie_text.size() > 64) return std::nullopt;
  for (char ch : cookie_text) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    if (!ok) return std::nullopt;
  }
  auto raw = base64_decode(cookie_text);
  if (!raw || raw->size() != 32) return std::nullopt;
  Sha256 h = sha256(*raw);
  OPENSSL_cleanse(raw->data(), raw->size());
  return h;
}

bool binding_matches(const Sha256& stored, std::string_view cookie_text) {
  const auto presented = binding_hash(cookie_text);
  return presented && CRYPTO_memcmp(presented->data(), stored.data(), stored.size()) == 0;
}

void ChallengeStore::purge(UnixTime now) {
  while (!by_expiry_.empty() && by_expiry_.front().first <= now) {
    auto it = entries_.find(by_expiry_.front().second);
    if (it != entries_.end() && it->second.expires <= now) {
      auto a = per_address_.find(it->second.address);
      if (a != per_address_.end() && --a->second == 0) per_address_.erase(a);
      entries_.erase(it);
    }
    by_expiry_.pop_front();
  }
}

Result<IssuedChallenge> ChallengeStore::issue(Bytes octets, std::string_view address, UnixTime now,
                                              std::string_view binding) {
  IssuedChallenge out;
  auto id = random_text(16);
  if (!id) return std::move(id).error();
  out.id = std::move(*id);
  if (binding.empty()) {
    auto b = random_text(32);
    if (!b) return std::move(b).error();
    out.binding = std::move(*b);
    binding = out.binding;
  }
  auto hash = binding_hash(binding);
  if (!hash) return make_error(ErrorKind::internal, "internal_error", "the binding secret is not 32 octets");
  out.expires = now + limits_.lifetime;

  std::lock_guard lock(mu_);
  purge(now);
  if (entries_.size() >= limits_.max_total)
    return make_error(ErrorKind::unavailable, "challenges_busy", "too many logins in progress; try again in a minute");
  std::size_t& mine = per_address_[std::string(address)];
  if (mine >= limits_.max_per_address)
    return make_error(ErrorKind::rate_limited, "challenges_busy",
                      "too many open login challenges from this address; finish one or wait two minutes");
  ++mine;
  Entry e;
  e.octets = std::move(octets);
  e.binding_hash = *hash;
  e.address = std::string(address);
  e.expires = out.expires;
  entries_.emplace(out.id, std::move(e));
  by_expiry_.emplace_back(out.expires, out.id);
  return out;
}

Result<Bytes> ChallengeStore::redeem(std::string_view id, std::string_view binding, UnixTime now) {
  std::lock_guard lock(mu_);
  purge(now);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) return make_error(ErrorKind::not_found, "challenge_unknown", "no such login challenge (or it expired long ago)");
  Entry& e = it->second;
  if (!binding_matches(e.binding_hash, binding))
    return make_error(ErrorKind::forbidden, "challenge_binding",
                      "this challenge was given to another browser (the tm_login cookie is missing or not its own)");
  if (e.used) return make_error(ErrorKind::conflict, "challenge_used", "the challenge was already redeemed; ask for a new one");
  if (e.expires <= now) return make_error(ErrorKind::gone, "challenge_expired", "the challenge has expired; ask for a new one");
  e.used = true;
  return std::move(e.octets);
}

std::size_t ChallengeStore::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace trustmon::login
