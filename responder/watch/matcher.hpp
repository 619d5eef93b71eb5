// Matching committed events against watches: what a certificate event says about a
// certificate (CertFacts, read from the event payload and, where the payload lacks it,
// from the stored DER), and an immutable in-memory index of watches (attribute name +
// value -> watch ids; issuer -> issuer-only watch ids) that turns facts into matches.
//
// Policy:
//  * certificate events carry what matching needs in their payload: issuer, serial,
//    sha256, spki_sha256 and the indexed attributes (certificate.issued,
//    certificate.key_reused, and certificate.revoked when the DER is held), so matching
//    parses no DER; a revocation event without attributes (written before they were
//    added) gets them from cert_der through the registry's extraction. A revocation of a
//    certificate never ingested can match only issuer watches and issuer_serial values;
//  * key reuse is the registry's certificate.key_reused event (raised at ingest when
//    another certificate or request already used the key). A key_reused watch matches on
//    the new certificate's attributes and on those of the other stored holders of the
//    key (at most kMaxKeyHolders), so the owner of the first certificate learns that its
//    key appears in someone else's certificate;
//  * one match per (watch, event): the first matching attribute in the certificate's
//    attribute order is reported (the holders' attributes after the certificate's own);
//  * the index is rebuilt by copy on every watch change and shared read-only
//    (std::shared_ptr<const WatchIndex>), so matching takes no lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "responder/watch/record.hpp"
#include "storage/event_log.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::watch {

inline constexpr std::size_t kMaxKeyHolders = 8;

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The issuer-level events and the watch kind that receives them ("crl", "stats",
// "testcases" or "requests"); 0 for any other event. testcase.disputed carries
// "issuer": "" and the case owner's "participant": it reaches only that participant's
// watches. A holder's request (renewal.requested, revocation.requested: an audited event,
// whose "target" names the "issuer" and the provider's "participant") reaches only the
// watches of that participant.
inline std::uint8_t issuer_event_kind(std::string_view type) noexcept {
  if (type == "crl.stale" || type == "crl.fresh" || type == "crl.discrepancy") return kCrl;
  if (type == "stats.anomaly") return kStats;
  if (type == "testcase.disputed") return kTestcases;
  if (type == "renewal.requested" || type == "revocation.requested") return kRequests;
  return 0;
}

// A login by signature (responder/login): its audited payload's target names the
// certificate's identifiers ([{"kind","value"}]); watches of kind "login" on one of them match.
inline bool login_event(std::string_view type) noexcept { return type == "auth.login"; }

// Whether watches can match an event of this type at all (the feed and the webhook
// dispatcher skip the others without reading them).
inline bool watched_event(std::string_view type) noexcept {
  return type.starts_with("certificate.") || issuer_event_kind(type) != 0 || login_event(type);
}

struct CertFacts {
  std::uint64_t seq = 0;
  UnixTime time = 0;
  std::string type;  // certificate.issued | certificate.revoked | certificate.key_reused | an issuer event | auth.login
  std::string issuer;
  std::string serial;   // upper-case hex
  std::string sha256;   // lower-case hex, "" when the DER is not held
  std::string subject;  // filled by describe() when available
  Pairs attributes;     // (name, normalised value), incl. issuer_serial and spki_sha256
  bool key_reused = false;  // a certificate.key_reused event
  bool test = false;        // a test bed issuer's certificate ("test":true): only watches of that issuer
  Pairs holder_attributes;  // key reuse: attributes of the other certificates with the key
  nlohmann::json extra = nlohmann::json::object();  // revocation reason/time, participant...
};

struct Match {
  WatchId watch = 0;
  std::uint32_t owner = 0;
  Delivery delivery = Delivery::stream;
  EventKind kind = kIssued;
  std::pair<std::string, std::string> matched;  // ("issuer", name) for issuer-only watches
  std::string holder;  // a holder's watch: its holder ("" = the participant `owner`'s)
  bool operator==(const Match&) const = default;
};

// The index's view of one watch (no secret, no delivery state).
struct IndexedWatch {
  WatchId id = 0;
  std::uint32_t owner = 0;
  std::string holder;
  Delivery delivery = Delivery::stream;
  std::uint8_t kinds = kAllKinds;
  std::string issuer;
  std::vector<WatchedValue> values;
  std::uint64_t start = 0;  // stream watches: match events after this sequence
};
IndexedWatch indexed(const WatchRecord& r);

class WatchIndex {
 public:
  WatchIndex() = default;
  explicit WatchIndex(std::vector<IndexedWatch> watches);

  std::shared_ptr<const WatchIndex> with(const IndexedWatch& w) const;  // added or replaced
  std::shared_ptr<const WatchIndex> without(WatchId id) const;

  bool empty() const noexcept { return watches_.empty(); }
  std::size_t size() const noexcept { return watches_.size(); }
  bool wants_key_reuse() const noexcept { return key_reuse_watches_ > 0; }
  bool has_stream_watches(std::uint32_t owner) const;  // a participant's
  bool has_holder_stream_watches(const std::string& holder) const;
  const IndexedWatch* find(WatchId id) const;

  // Every watch the facts match, ordered by watch id.
  std::vector<Match> match(const CertFacts& facts) const;

 private:
  void build();
  std::map<WatchId, IndexedWatch> watches_;
  std::unordered_map<std::string, std::vector<WatchId>> by_value_;   // name \0 value
  std::unordered_map<std::string, std::vector<WatchId>> by_issuer_;  // issuer-only watches
  std::map<std::uint32_t, std::size_t> stream_owners_;
  std::map<std::string, std::size_t> stream_holders_;
  std::size_t key_reuse_watches_ = 0;
};

// The facts of a certificate event, an issuer-level event or a login (nullopt for any
// other event type; a login's attributes are the identifiers it names). `txn` must be
// active; it is read for old revocation events (attributes from cert_der) and for key
// reuse (the other holders through the attribute index, kind spki_sha256).
Result<std::optional<CertFacts>> facts_of(const storage::ReadTxn& txn, const storage::EventRecord& event);
// Fills facts.subject from the stored DER when held (best effort).
void describe(const storage::ReadTxn& txn, CertFacts& facts);

// {"type":"watch.match","seq","watch","kind","matched":{"kind","value"},
//  "event":{"seq","type","time","issuer","serial","sha256","subject",...payload extras}}
nlohmann::json notification_json(const Match& m, const CertFacts& facts);

}  // namespace trustmon::watch
