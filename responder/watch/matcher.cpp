#include "responder/watch/matcher.hpp"

#include <algorithm>

#include "common/ossl.hpp"
#include "common/time.hpp"
#include "responder/pki/cert_view.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "responder/registry/attr_index.hpp"
#include "responder/registry/attributes.hpp"
#include "responder/registry/der_store.hpp"
#include "storage/records.hpp"

namespace trustmon::watch {
namespace {

using nlohmann::json;

std::string value_key(std::string_view kind, std::string_view value) {
  std::string k;
  k.reserve(kind.size() + 1 + value.size());
  k.append(kind);
  k.push_back('\0');
  k.append(value);
  return k;
}

// The issuer_serial pair of (issuer, serial), normalised as queries are.
std::optional<std::pair<std::string, std::string>> issuer_serial_pair(const std::string& issuer,
                                                                      const std::string& serial) {
  if (issuer.empty() || serial.empty()) return std::nullopt;
  auto a = registry::parse_attribute_query("issuer_serial", issuer + ":" + serial);
  if (!a) return std::nullopt;
  return std::make_pair(registry::attribute_name(*a), a->value);
}

void append_pairs(Pairs& out, const std::vector<registry::Attribute>& attrs) {
  for (auto& p : registry::attribute_pairs(attrs)) out.push_back(std::move(p));
}

// Attributes and key fingerprint of a stored certificate's DER (empty when unreadable).
Pairs stored_attributes(const Result<std::optional<ByteView>>& der) {
  Pairs out;
  if (!der || !*der) return out;
  auto parts = pki::parse_cert_parts(**der);
  if (!parts) return out;
  append_pairs(out, registry::extract_attributes(parts->subject, parts->extensions, sha256(**der)));
  out.emplace_back("spki_sha256", hex_encode(pki::key_fingerprint(parts->view)));
  return out;
}

std::optional<Sha256> sha_from_hex(std::string_view hex) {
  auto raw = hex_decode(hex);
  if (!raw || raw->size() != 32) return std::nullopt;
  Sha256 s{};
  std::copy(raw->begin(), raw->end(), s.begin());
  return s;
}

// Other stored certificates with the key of `facts` (spki_sha256): their attributes.
Status key_holders(const storage::ReadTxn& txn, const std::string& spki_hex, CertFacts& facts) {
  auto spki = sha_from_hex(spki_hex);
  if (!spki) return {};
  auto walk = registry::IndexWalk::open(txn, registry::spki_index_key(*spki));
  if (!walk) return std::move(walk).error();
  std::size_t holders = 0;
  for (; !walk->done() && holders < kMaxKeyHolders;) {
    const Bytes cert_key = to_bytes(walk->cert_key());
    if (Status s = walk->next(); !s) return s;
    auto rec_value = txn.get(storage::Table::certs, cert_key);
    if (!rec_value) return std::move(rec_value).error();
    if (!*rec_value) continue;
    auto rec = storage::decode_cert(**rec_value);
    if (!rec || !rec->has_der) continue;
    if (hex_encode(rec->cert_sha256) == facts.sha256) continue;
    ++holders;
    Pairs theirs = stored_attributes(registry::stored_der(txn, *rec));
    facts.holder_attributes.insert(facts.holder_attributes.end(), theirs.begin(), theirs.end());
  }
  return {};
}

// A login's facts: the identifiers its target names (normalised as queries are), the
// login certificate's issuer, and what the notification shows of the login.
std::optional<CertFacts> login_facts(const storage::EventRecord& event) {
  json payload = json::parse(event.payload, nullptr, false);
  if (!payload.is_object()) return std::nullopt;
  const json target = payload.value("target", json());
  if (!target.is_object()) return std::nullopt;
  CertFacts f;
  f.seq = event.seq;
  f.time = event.time;
  f.type = event.type;
  if (auto cert = target.find("certificate"); cert != target.end() && cert->is_object()) {
    if (auto issuer = cert->find("issuer"); issuer != cert->end() && issuer->is_string())
      f.issuer = issuer->get<std::string>();
    if (auto serial = cert->find("serial"); serial != cert->end() && serial->is_string())
      f.serial = serial->get<std::string>();
    if (auto sha = cert->find("sha256"); sha != cert->end() && sha->is_string()) f.sha256 = sha->get<std::string>();
  }
  if (auto ids = target.find("identifiers"); ids != target.end() && ids->is_array()) {
    for (const auto& id : *ids) {
      if (!id.is_object() || !id.contains("kind") || !id.contains("value") || !id["kind"].is_string() ||
          !id["value"].is_string())
        continue;
      auto a = registry::parse_attribute_query(id["kind"].get<std::string>(), id["value"].get<std::string>());
      if (a) f.attributes.emplace_back(registry::attribute_name(*a), a->value);
    }
  }
  for (const char* k : {"method", "as", "provider", "address"})
    if (auto it = target.find(k); it != target.end()) f.extra[k] = *it;
  f.extra["outcome"] = payload.value("outcome", std::string());
  return f;
}

}  // namespace

IndexedWatch indexed(const WatchRecord& r) {
  IndexedWatch w;
  w.id = r.id;
  w.owner = r.owner;
  w.holder = r.holder;
  w.delivery = r.delivery;
  w.kinds = r.kinds;
  w.issuer = r.issuer;
  w.values = r.values;
  w.start = r.cursor;
  return w;
}

WatchIndex::WatchIndex(std::vector<IndexedWatch> watches) {
  for (auto& w : watches) watches_[w.id] = std::move(w);
  build();
}

void WatchIndex::build() {
  by_value_.clear();
  by_issuer_.clear();
  stream_owners_.clear();
  stream_holders_.clear();
  key_reuse_watches_ = 0;
  for (const auto& [id, w] : watches_) {
    if (w.values.empty()) {
      by_issuer_[w.issuer].push_back(id);
    } else {
      for (const auto& v : w.values) {
        auto& ids = by_value_[value_key(v.kind, v.value)];
        if (ids.empty() || ids.back() != id) ids.push_back(id);
      }
    }
    if (w.delivery == Delivery::stream) {
      if (w.holder.empty()) {
        ++stream_owners_[w.owner];
      } else {
        ++stream_holders_[w.holder];
      }
    }
    if (w.kinds & kKeyReused) ++key_reuse_watches_;
  }
}

std::shared_ptr<const WatchIndex> WatchIndex::with(const IndexedWatch& w) const {
  auto copy = std::make_shared<WatchIndex>(*this);
  copy->watches_[w.id] = w;
  copy->build();
  return copy;
}

std::shared_ptr<const WatchIndex> WatchIndex::without(WatchId id) const {
  auto copy = std::make_shared<WatchIndex>(*this);
  copy->watches_.erase(id);
  copy->build();
  return copy;
}

bool WatchIndex::has_stream_watches(std::uint32_t owner) const { return stream_owners_.count(owner) != 0; }

bool WatchIndex::has_holder_stream_watches(const std::string& holder) const {
  return stream_holders_.count(holder) != 0;
}

const IndexedWatch* WatchIndex::find(WatchId id) const {
  auto it = watches_.find(id);
  return it == watches_.end() ? nullptr : &it->second;
}

std::vector<Match> WatchIndex::match(const CertFacts& facts) const {
  std::vector<Match> out;
  if (watches_.empty()) return out;
  const bool issued = facts.type == "certificate.issued";
  // A hold's release is a status change like the hold itself: the same "revoked" kind.
  const bool revoked = facts.type == "certificate.revoked" || facts.type == "certificate.released";
  const bool reused = facts.type == "certificate.key_reused";
  if (const std::uint8_t kind = issuer_event_kind(facts.type)) {
    // Issuer-level events: every watch that asked for them, of this issuer or of any;
    // a test case's events only the watches of the participant they name.
    std::optional<std::uint32_t> only_owner;
    if (kind == kTestcases || kind == kRequests) {
      auto p = facts.extra.find("participant");
      if (p == facts.extra.end() || !p->is_number_integer() || p->get<std::int64_t>() < 0) return out;
      only_owner = p->get<std::uint32_t>();
    }
    for (const auto& [id, w] : watches_) {
      if (!(w.kinds & kind) || (!w.issuer.empty() && w.issuer != facts.issuer)) continue;
      if (only_owner && (w.owner != *only_owner || !w.holder.empty())) continue;
      if (w.delivery == Delivery::stream && facts.seq <= w.start) continue;
      out.push_back(Match{id, w.owner, w.delivery, static_cast<EventKind>(kind), {"issuer", facts.issuer}, w.holder});
    }
    return out;
  }
  if (login_event(facts.type)) {
    // Logins match watched values only (an issuer alone would hand one party every
    // login made with that issuer's certificates).
    std::map<WatchId, Match> found;
    for (const auto& p : facts.attributes) {
      auto it = by_value_.find(value_key(p.first, p.second));
      if (it == by_value_.end()) continue;
      for (WatchId id : it->second) {
        const IndexedWatch* w = find(id);
        if (!w || found.count(id) || !(w->kinds & kLogin)) continue;
        if (!w->issuer.empty() && w->issuer != facts.issuer) continue;
        if (w->delivery == Delivery::stream && facts.seq <= w->start) continue;
        found.emplace(id, Match{id, w->owner, w->delivery, kLogin, p, w->holder});
      }
    }
    for (auto& [id, m] : found) out.push_back(std::move(m));
    return out;
  }
  if (!issued && !revoked && !reused) return out;
  std::map<WatchId, Match> found;
  // The kind a watch gets for this event when one of its values matched `direct`ly (the
  // certificate's own attributes) or through another holder of the reused key.
  auto kind_for = [&](const IndexedWatch& w, bool direct) -> std::optional<EventKind> {
    if (reused) return (w.kinds & kKeyReused) ? std::optional<EventKind>(kKeyReused) : std::nullopt;
    if (!direct) return std::nullopt;
    if (issued && (w.kinds & kIssued)) return kIssued;
    if (revoked && (w.kinds & kRevoked)) return kRevoked;
    return std::nullopt;
  };
  auto consider = [&](WatchId id, bool direct, const std::pair<std::string, std::string>& matched) {
    if (found.count(id)) return;
    const IndexedWatch* w = find(id);
    if (!w) return;
    if (!w->issuer.empty() && w->issuer != facts.issuer) return;
    // Test certificates reach the watches of their test issuer only; a holder's watch
    // follows the holder's identifiers wherever they appear (a test certificate in their
    // name is theirs to see).
    if (facts.test && w->holder.empty() && w->issuer != facts.issuer) return;
    if (w->delivery == Delivery::stream && facts.seq <= w->start) return;
    auto kind = kind_for(*w, direct);
    if (!kind) return;
    found.emplace(id, Match{id, w->owner, w->delivery, *kind, matched, w->holder});
  };
  for (const auto& p : facts.attributes) {
    auto it = by_value_.find(value_key(p.first, p.second));
    if (it == by_value_.end()) continue;
    for (WatchId id : it->second) consider(id, true, p);
  }
  if (reused) {
    for (const auto& p : facts.holder_attributes) {
      auto it = by_value_.find(value_key(p.first, p.second));
      if (it == by_value_.end()) continue;
      for (WatchId id : it->second) consider(id, false, p);
    }
  }
  if (auto it = by_issuer_.find(facts.issuer); it != by_issuer_.end())
    for (WatchId id : it->second) consider(id, true, {"issuer", facts.issuer});
  out.reserve(found.size());
  for (auto& [id, m] : found) out.push_back(std::move(m));
  return out;
}

Result<std::optional<CertFacts>> facts_of(const storage::ReadTxn& txn, const storage::EventRecord& event) {
  if (const std::uint8_t kind = issuer_event_kind(event.type)) {
    json payload = json::parse(event.payload, nullptr, false);
    // A holder's request is an audited event: what matching needs is in its target.
    if (kind == kRequests && payload.is_object()) payload = payload.value("target", json());
    if (!payload.is_object() || !payload.contains("issuer") || !payload["issuer"].is_string())
      return std::optional<CertFacts>();
    CertFacts f;
    f.seq = event.seq;
    f.time = event.time;
    f.type = event.type;
    f.issuer = payload["issuer"].get<std::string>();
    for (const auto& [k, v] : payload.items())
      if (k != "issuer") f.extra[k] = v;
    return std::optional<CertFacts>(std::move(f));
  }
  if (login_event(event.type)) return login_facts(event);
  const bool revoked = event.type == "certificate.revoked" || event.type == "certificate.released";
  const bool reused = event.type == "certificate.key_reused";
  if (event.type != "certificate.issued" && !revoked && !reused) return std::optional<CertFacts>();
  json payload = json::parse(event.payload, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) return std::optional<CertFacts>();
  CertFacts f;
  f.seq = event.seq;
  f.time = event.time;
  f.type = event.type;
  f.key_reused = reused;
  auto text = [&payload](const char* name) {
    auto it = payload.find(name);
    return it != payload.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  f.issuer = text("issuer");
  f.serial = text("serial");
  f.sha256 = text("sha256");
  if (const auto t = payload.find("test"); t != payload.end() && t->is_boolean()) f.test = t->get<bool>();
  if (auto p = issuer_serial_pair(f.issuer, f.serial)) f.attributes.push_back(std::move(*p));
  if (!f.sha256.empty()) f.attributes.emplace_back("sha256", f.sha256);
  const std::string spki = text("spki_sha256");
  if (!spki.empty()) f.attributes.emplace_back("spki_sha256", spki);
  auto attrs = payload.find("attributes");
  if (attrs != payload.end() && attrs->is_array()) {
    for (const auto& pair : *attrs) {
      if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
        f.attributes.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  } else if (revoked) {
    // Releases and older revocation events name only the certificate: read its attributes
    // from the DER.
    if (auto sha = sha_from_hex(f.sha256)) {
      Pairs stored = stored_attributes(registry::stored_der_by_sha256(txn, *sha));
      f.attributes.insert(f.attributes.end(), stored.begin(), stored.end());
    }
  }
  for (const char* k : {"participant", "signature_checked", "renewal", "reason", "revocation_time", "invalidity_date"})
    if (auto it = payload.find(k); it != payload.end()) f.extra[k] = *it;
  if (reused && !spki.empty()) {
    if (Status s = key_holders(txn, spki, f); !s) return s.error();
  }
  return std::optional<CertFacts>(std::move(f));
}

void describe(const storage::ReadTxn& txn, CertFacts& facts) {
  auto sha = sha_from_hex(facts.sha256);
  if (!sha || !facts.subject.empty()) return;
  auto der = registry::stored_der_by_sha256(txn, *sha);
  if (!der || !*der) return;
  auto view = pki::parse_cert_view(**der);
  if (!view) return;
  if (auto name = pki::decode_name(view->subject)) facts.subject = x509_name_text(name.get());
  ossl_errors();
}

json notification_json(const Match& m, const CertFacts& facts) {
  json event = {{"seq", facts.seq},
                {"type", facts.type},
                {"time", format_rfc3339(facts.time)},
                {"issuer", facts.issuer}};
  event["serial"] = facts.serial.empty() ? json(nullptr) : json(facts.serial);
  event["sha256"] = facts.sha256.empty() ? json(nullptr) : json(facts.sha256);
  event["subject"] = facts.subject.empty() ? json(nullptr) : json(facts.subject);
  for (const auto& [k, v] : facts.extra.items()) event[k] = v;
  return json{{"type", "watch.match"},
              {"seq", facts.seq},
              {"watch", m.watch},
              {"kind", kind_name(m.kind)},
              {"matched", {{"kind", m.matched.first}, {"value", m.matched.second}}},
              {"event", std::move(event)}};
}

}  // namespace trustmon::watch
