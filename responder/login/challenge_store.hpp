// One-time login challenges, held in memory: what a browser signs to log in
// (docs/login.md). Both flows use it: the key-file challenge (the octets are 32 random
// bytes) and the cloud-key QR login (the octets are the signed text; the QR flow keeps its
// own state in qr_logins.hpp and a challenge here for the one-time redemption).
//
// Policy:
//  * a challenge is bound to the browser that asked for it: a random binding secret goes
//    to that browser in an HttpOnly cookie (kBindingCookie) and only its SHA-256 is kept;
//    redemption needs the same secret (compared in constant time);
//  * redemption is one-time and atomic (a mutex): the first redemption with the right
//    binding consumes the challenge whatever the signature turns out to be, so a
//    challenge can never be tried twice; a consumed one answers challenge_used until it
//    would have expired, then challenge_unknown;
//  * challenges live `lifetime` seconds; at most `max_per_address` open ones per client
//    address and `max_total` in all (expired ones are purged first). Memory is bounded by
//    those caps; nothing is written to disk (an anonymous client cannot grow the store),
//    and a restart forgets open challenges, which only means logging in again.
// Codes: challenges_busy (429 per address, 503 in all), challenge_unknown (404),
// challenge_binding (403), challenge_expired (410), challenge_used (409).
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::login {

inline constexpr std::string_view kBindingCookie = "tm_login";

struct ChallengeLimits {
  std::size_t max_total = 10000;
  std::size_t max_per_address = 20;
  UnixTime lifetime = 120;
};

struct IssuedChallenge {
  std::string id;       // base64url of 16 random octets
  std::string binding;  // the cookie's value (base64url of 32 random octets); shown once
  UnixTime expires = 0;
};

class ChallengeStore {
 public:
  explicit ChallengeStore(ChallengeLimits limits = {}) : limits_(limits) {}

  // Keeps `octets` (what must be signed) under a new id for `address`. With `binding`
  // given, the challenge is bound to that existing binding secret instead of a new one.
  Result<IssuedChallenge> issue(Bytes octets, std::string_view address, UnixTime now,
                                std::string_view binding = {});
  // Consumes the challenge and returns its octets.
  Result<Bytes> redeem(std::string_view id, std::string_view binding, UnixTime now);
  std::size_t size() const;

 private:
  struct Entry {
    Bytes octets;
    Sha256 binding_hash{};
    std::string address;
    UnixTime expires = 0;
    bool used = false;
  };
  void purge(UnixTime now);  // with mu_ held

  ChallengeLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::pair<UnixTime, std::string>> by_expiry_;  // issue order = expiry order
  std::unordered_map<std::string, std::size_t> per_address_;
};

// A binding secret from its cookie text; the SHA-256 of the decoded octets (nullopt when
// the text is not 32 octets of base64url).
std::optional<Sha256> binding_hash(std::string_view cookie_text);
// Whether the cookie text is the binding whose hash is `stored` (constant time).
bool binding_matches(const Sha256& stored, std::string_view cookie_text);

}  // namespace trustmon::login
