// Who performs an action: the participant, representative and credential behind a
// request (ids from responder/access), with a stable text label for the event log and
// access log, and the issuers the actor may write for. Services take an Actor so every
// stored change and every refusal can name its author without knowing about HTTP or
// credentials. Never holds a secret.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trustmon {

struct Actor {
  std::uint32_t participant = 0;     // 0 = the bootstrap administrator (no participant)
  std::uint32_t representative = 0;
  std::uint32_t credential = 0;
  // Issuer ids this actor may ingest and revoke for; nullopt = every issuer (central-body
  // administrators and the bootstrap token).
  std::optional<std::vector<std::uint32_t>> issuers;
  // The cabinet session the request came through (responder/access/session.hpp); 0 for a
  // bearer token or a client certificate. Not part of the label: a session acts as its
  // credential.
  std::uint64_t session = 0;
  // A certificate holder logged in by signature (docs/login.md): the first identifier of
  // the login certificate (e.g. TINUA-1234567890). A holder has no participant,
  // representative or credential, and `issuers` is empty (never nullopt).
  std::string holder{};

  // "bootstrap", "holder:<identifier>" or "p<participant>/r<representative>/c<credential>":
  // what events record.
  std::string label() const {
    if (!holder.empty()) return "holder:" + holder;
    if (participant == 0 && representative == 0 && credential == 0) return "bootstrap";
    return "p" + std::to_string(participant) + "/r" + std::to_string(representative) + "/c" +
           std::to_string(credential);
  }
  bool may_write_issuer(std::uint32_t issuer) const {
    return !issuers || std::find(issuers->begin(), issuers->end(), issuer) != issuers->end();
  }
  bool is_holder() const { return !holder.empty(); }
  static Actor bootstrap() { return Actor{}; }
};

}  // namespace trustmon
