#include "responder/registry/registry.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "common/enum_names.hpp"
#include "common/der.hpp"
#include "common/ossl.hpp"
#include "common/pem.hpp"
#include "common/time.hpp"
#include "responder/pki/cert_view.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "responder/registry/attr_index.hpp"
#include "responder/registry/certificate_body.hpp"
#include "responder/registry/der_store.hpp"
#include "storage/audited.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

namespace {

// A revocation may be dated at most this far into the future (clock skew between a CA
// and us); later dates are refused.
constexpr UnixTime kMaxFutureSkew = 300;
// Items per preparation chunk: small enough to spread a batch over every core, large
// enough that queueing costs nothing next to the work.
constexpr std::size_t kMinChunk = 64;
constexpr int kReasonHold = 6;
constexpr int kReasonRemoveFromCrl = 8;

std::string upper_hex(ByteView b) { return hex_encode(b, true); }

Error not_operated_error(const std::string& issuer) {
  return make_error(ErrorKind::forbidden, "issuer_not_operated",
                    "the caller's participant does not operate the issuer \"" + issuer + "\"");
}

// The target of a refusal for an issuer the actor may not write for.
nlohmann::json denied_target(const std::string& issuer, const std::string& serial_hex) {
  return {{"issuer", issuer}, {"serial", serial_hex}};
}

// An item refused because the actor may not write for its issuer: recorded in the
// event log (in the batch's commit) so refusals are audited like writes.
Status record_denial(storage::WriteTxn& txn, const std::string& actor_label, const char* action,
                     const std::string& issuer, const std::string& serial_hex, UnixTime now) {
  return storage::append_audit(txn, storage::denial_event(actor_label, action, denied_target(issuer, serial_hex),
                                                          not_operated_error(issuer), now));
}

// A validity Time as Unix seconds: strict DER forms directly, anything else through
// d2i_ASN1_TIME as before.
std::optional<UnixTime> validity_time(ByteView tlv) {
  if (auto t = pki::der_time_to_unix(tlv)) return t;
  const unsigned char* tp = tlv.data();
  Asn1TimePtr t(d2i_ASN1_TIME(nullptr, &tp, static_cast<long>(tlv.size())));
  if (!t) return std::nullopt;
  auto unix_time = asn1_time_to_unix(t.get());
  if (!unix_time) return std::nullopt;
  return *unix_time;
}

// Preparation (parsing, verification, body decoding) runs below the event loops' and the
// Writer's priority: a bulk import then takes the CPU the OCSP answers leave idle instead
// of queueing them behind it (bench/README.md, ocsp_during_import.py).
constexpr int kPrepareNice = 10;

std::size_t default_threads(std::size_t requested) {
  if (requested != 0) return requested;
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

// The key fingerprint and indexed attributes of a stored certificate.
struct RevokedDetails {
  Sha256 spki{};
  std::string attributes_json;
};
std::optional<RevokedDetails> revoked_details(ByteView der) {
  auto parts = pki::parse_cert_parts(der);
  if (!parts) return std::nullopt;
  RevokedDetails d;
  d.spki = pki::key_fingerprint(parts->view);
  std::vector<Attribute> attributes = extract_attributes(parts->subject, parts->extensions, sha256(der));
  std::erase_if(attributes, [](const Attribute& a) { return a.kind == AttrKind::sha256; });
  append_attributes_json(d.attributes_json, attributes);
  return d;
}

}  // namespace

const char* item_status_name(ItemStatus s) {
  // Wire names of batch items; the literals make name(...).data() NUL-terminated.
  static constexpr EnumNames<ItemStatus, 5> kNames({{{ItemStatus::stored, "stored"},
                                                     {ItemStatus::duplicate, "duplicate"},
                                                     {ItemStatus::revoked, "revoked"},
                                                     {ItemStatus::unchanged, "unchanged"},
                                                     {ItemStatus::refused, "refused"}}});
  return kNames.name(s, "refused").data();
}

std::size_t BatchReport::count(ItemStatus s) const {
  std::size_t n = 0;
  for (const auto& i : items) n += i.status == s ? 1 : 0;
  return n;
}

struct Registry::PreparedCert {
  std::optional<Error> error;
  const pki::Issuer* issuer = nullptr;
  std::string serial_hex;
  std::string sha256_hex;
  Bytes key;  // certs key
  storage::CertRecord record;
  // attr_index keys as stored (attributes and key fingerprint, each mapping to `key`),
  // with epoch 0 until the job knows the certificate's epoch and sets it in place.
  std::vector<Bytes> index_keys;
  Sha256 spki{};         // key fingerprint (pki/key_fingerprint.hpp: a request and its certificate meet)
  Sha256 subject_sha{};  // SHA-256 of the subject Name DER (key-renewal policy)
  std::string payload;  // certificate.issued event payload, without the participant
  bool denied = false;  // refused because the actor does not operate the issuer
};

struct Registry::PreparedRevocation {
  std::optional<Error> error;
  std::string issuer_name;
  Bytes serial;
  Bytes key;
  UnixTime time = 0;
  int reason = storage::kNoReason;
  UnixTime invalidity_date = 0;
  const pki::Issuer* issuer = nullptr;
  bool denied = false;
  std::optional<storage::OcspResponseRecord> response;  // signed outside the txn
};

// One entry a certificate adds to an index table; written only when item `item` is stored.
struct IndexEntry {
  ByteView key;
  ByteView value;
  std::uint32_t item;
};

struct Registry::IngestBatch {
  std::vector<Bytes> der;  // input, kept for the job (no copy per item)
  std::vector<PreparedCert> prepared;
  // The attr_index entries of every prepared certificate (its attributes and its key
  // fingerprint), sorted by key and value on a preparation thread; the job writes them
  // after its per-item checks, in that order (WriteTxn::put_sorted), instead of item by
  // item in random order.
  std::vector<IndexEntry> attr_entries;
  Actor actor;
  Callback done;
};

struct Registry::RevocationBatch {
  std::vector<PreparedRevocation> items;
  Actor actor;
  Callback done;
  UnixTime now = 0;
  const char* action = "certificate.revoke";
};

Registry::Registry(storage::Writer& writer, const pki::IssuerSet& issuers, const ocsp::ResponderTable& responders,
                   ocsp::OcspOptions options, const Clock& clock, std::size_t prepare_threads)
    : Registry(writer, issuers, responders, options, clock, RegistryOptions{prepare_threads, {}}) {}

Registry::Registry(storage::Writer& writer, const pki::IssuerSet& issuers, const ocsp::ResponderTable& responders,
                   ocsp::OcspOptions options, const Clock& clock, RegistryOptions registry_options)
    : writer_(writer),
      audited_(writer),
      issuers_(issuers),
      responders_(responders),
      options_(options),
      clock_(clock),
      prepare_(default_threads(registry_options.prepare_threads), "ingest", kPrepareNice) {
  for (const auto& name : registry_options.accept_unverified_issuers) {
    if (const pki::Issuer* k = issuers_.find_by_name(name)) unverified_ok_.push_back(k->id);
  }
  key_ledger_ = registry_options.key_ledger;
}

bool Registry::accepts_unverified(storage::IssuerId id) const {
  return std::find(unverified_ok_.begin(), unverified_ok_.end(), id) != unverified_ok_.end();
}

void Registry::submit_batch(storage::Writer::Job job, std::shared_ptr<BatchReport> report, Callback done) {
  writer_.submit(std::move(job), [report = std::move(report), done = std::move(done)](Status s) {
    if (!s) {
      done(std::move(s).error());
      return;
    }
    done(std::move(*report));
  });
}

void Registry::parallel(std::size_t n, std::function<void(std::size_t, std::size_t)> chunk,
                        std::function<void()> finish) {
  const std::size_t chunks = std::max<std::size_t>(1, std::min(prepare_.size(), (n + kMinChunk - 1) / kMinChunk));
  const std::size_t per = (n + chunks - 1) / chunks;
  auto remaining = std::make_shared<std::atomic<std::size_t>>(chunks);
  auto shared_chunk = std::make_shared<std::function<void(std::size_t, std::size_t)>>(std::move(chunk));
  auto shared_finish = std::make_shared<std::function<void()>>(std::move(finish));
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t begin = std::min(n, c * per), end = std::min(n, begin + per);
    prepare_.submit([remaining, shared_chunk, shared_finish, begin, end] {
      (*shared_chunk)(begin, end);
      if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) (*shared_finish)();
    });
  }
}

// ------------------------------------------------------------------ certificates

Registry::PreparedCert Registry::prepare_cert(const Bytes& der) const {
  PreparedCert p;
  // A DER walk instead of d2i_X509, which would decode the subject's public key through
  // the provider decoders (pki/cert_view.hpp): the largest cost of an ingest otherwise.
  auto parts = pki::parse_cert_parts(der);
  const auto malformed = [&p] {
    p.error = make_error(ErrorKind::invalid, "certificate_malformed", "not a DER X.509 certificate");
    return std::move(p);
  };
  if (!parts) return malformed();
  const pki::CertView* view = &parts->view;
  // The issuer (pki/issuer_set.hpp); for an algorithm we cannot check, an issuer that
  // accepts unverified signatures is preferred.
  const pki::IssuerMatch match = issuers_.issuer_of(der, *parts, unverified_ok_);
  switch (match.found) {
    case pki::IssuerFound::verified:
      p.issuer = match.issuer;
      break;
    case pki::IssuerFound::unverifiable:
      if (!accepts_unverified(match.issuer->id)) {
        p.error = make_error(ErrorKind::invalid, "signature_unverifiable",
                             "the certificate's signature algorithm cannot be checked and the issuer \"" +
                                 match.issuer->name + "\" does not accept unverified signatures");
        return p;
      }
      p.issuer = match.issuer;
      p.record.signature_checked = false;
      break;
    case pki::IssuerFound::signature_invalid:
      p.error = make_error(ErrorKind::invalid, "signature_invalid",
                           "the signature does not verify under the issuer's key");
      return p;
    case pki::IssuerFound::unknown:
      p.error = make_error(ErrorKind::invalid, "issuer_unknown",
                           "the certificate's issuer is not a configured issuer");
      return p;
    case pki::IssuerFound::malformed:
      return malformed();
  }
  Bytes serial = pki::view_serial(*view);
  if (serial.empty() || serial.size() > storage::kMaxSerialBytes) {
    p.error = make_error(ErrorKind::invalid, "serial_invalid", "the serial number must be positive and at most 32 bytes");
    return p;
  }
  p.serial_hex = upper_hex(serial);
  const std::optional<UnixTime> nb = validity_time(view->not_before), na = validity_time(view->not_after);
  if (!nb || !na) {
    ossl_errors();
    p.error = make_error(ErrorKind::invalid, "certificate_malformed", "unreadable validity period");
    return p;
  }
  p.key = storage::encode_cert_key(p.issuer->id, serial);
  p.record.status = storage::CertStatus::good;
  p.record.not_before = *nb;
  p.record.not_after = *na;
  p.record.cert_sha256 = sha256(der);
  p.record.has_der = true;
  p.sha256_hex = hex_encode(p.record.cert_sha256);
  p.spki = pki::key_fingerprint(*view);
  p.subject_sha = sha256(view->subject);

  std::vector<Attribute> attributes = extract_attributes(parts->subject, parts->extensions, p.record.cert_sha256);
  p.index_keys.reserve(attributes.size() + 1);
  for (const auto& a : attributes) {
    Bytes k = index_key(a);
    if (!k.empty()) p.index_keys.push_back(epoch_index_key(k, 0));
  }
  p.index_keys.push_back(epoch_index_key(spki_index_key(p.spki), 0));
  // The event payload, written by hand (no JSON tree per certificate); the sha256
  // attribute is the top-level "sha256".
  std::erase_if(attributes, [](const Attribute& a) { return a.kind == AttrKind::sha256; });
  std::string& out = p.payload;
  out.reserve(200 + 40 * attributes.size());
  out += "{\"issuer\":";
  append_json_string(out, p.issuer->name);
  out += ",\"serial\":\"" + p.serial_hex + "\",\"sha256\":\"" + p.sha256_hex + "\",\"spki_sha256\":\"" +
         hex_encode(p.spki) + "\"";
  if (!p.record.signature_checked) out += ",\"signature_checked\":false";
  out += ",\"attributes\":";
  append_attributes_json(out, attributes);
  return p;
}

void Registry::prepare_ingest_chunk(const std::shared_ptr<IngestBatch>& batch, std::size_t begin,
                                    std::size_t end) const {
  for (std::size_t i = begin; i < end; ++i) {
    PreparedCert p = prepare_cert(batch->der[i]);
    if (!p.error && !batch->actor.may_write_issuer(p.issuer->id)) {
      p.error = not_operated_error(p.issuer->name);
      p.denied = true;
    }
    batch->prepared[i] = std::move(p);
  }
}

void Registry::ingest(std::vector<Bytes> certificates, Actor actor, Callback done) {
  auto batch = std::make_shared<IngestBatch>();
  batch->prepared.resize(certificates.size());
  batch->der = std::move(certificates);
  batch->actor = std::move(actor);
  batch->done = std::move(done);
  parallel(
      batch->der.size(), [this, batch](std::size_t b, std::size_t e) { prepare_ingest_chunk(batch, b, e); },
      [this, batch] { submit_ingest(batch); });
}

void Registry::ingest_body(std::string content_type, Bytes body, Actor actor, Callback done) {
  // One task owns the body; the decoded DER list moves on into ingest().
  struct Input {
    std::string content_type;
    Bytes body;
    Actor actor;
    Callback done;
  };
  auto in = std::make_shared<Input>(Input{std::move(content_type), std::move(body), std::move(actor), std::move(done)});
  prepare_.submit([this, in] {
    auto decoded = decode_certificate_body(in->content_type, in->body);
    in->body = Bytes{};
    if (!decoded) {
      in->done(std::move(decoded).error());
      return;
    }
    ingest(std::move(*decoded), std::move(in->actor), std::move(in->done));
  });
}

namespace {

bool entry_less(const IndexEntry& a, const IndexEntry& b) {
  const auto less = [](ByteView x, ByteView y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
  };
  if (less(a.key, b.key)) return true;
  if (less(b.key, a.key)) return false;
  return less(a.value, b.value);
}

}  // namespace

void Registry::sort_index_entries(IngestBatch& batch) {
  for (std::uint32_t i = 0; i < batch.prepared.size(); ++i) {
    const PreparedCert& p = batch.prepared[i];
    if (p.error) continue;
    for (const Bytes& k : p.index_keys) batch.attr_entries.push_back({k, p.key, i});
  }
  std::sort(batch.attr_entries.begin(), batch.attr_entries.end(), entry_less);
}

void Registry::submit_ingest(const std::shared_ptr<IngestBatch>& batch) {
  sort_index_entries(*batch);
  const UnixTime now = clock_.now();
  auto report = std::make_shared<BatchReport>();
  const KeyLedger* key_ledger = key_ledger_;
  auto job = [batch, report, now, key_ledger](storage::WriteTxn& txn) -> Status {
    const std::string actor_label = batch->actor.label();
    const std::string participant_field = ",\"participant\":" + std::to_string(batch->actor.participant) + "}";
    report->items.assign(batch->prepared.size(), ItemOutcome{});  // the job may run again after map growth
    // A stored certificate's ordinal is its der id (der_store.hpp) and gives its
    // attr_index epoch (attr_index.hpp).
    auto stored_before = stored_certificates(txn);
    if (!stored_before) return std::move(stored_before).error();
    std::uint64_t stored_count = *stored_before;
    std::vector<std::uint64_t> der_ids(batch->prepared.size(), 0);
    for (std::size_t i = 0; i < batch->prepared.size(); ++i) {
      PreparedCert& p = batch->prepared[i];
      ItemOutcome& out = report->items[i];
      if (p.issuer) out.issuer = p.issuer->name;
      out.serial_hex = p.serial_hex;
      out.sha256_hex = p.sha256_hex;
      out.signature_checked = p.record.signature_checked;
      if (p.error) {
        out.error = p.error;
        if (p.denied) {
          if (Status s = record_denial(txn, actor_label, "certificate.ingest", out.issuer, out.serial_hex, now); !s)
            return s;
        }
        continue;
      }
      // Every check comes before the first write: a refused or duplicate item writes nothing.
      auto existing = txn.get(storage::Table::certs, p.key);
      if (!existing) return std::move(existing).error();
      storage::CertRecord record = p.record;
      record.participant = batch->actor.participant;
      if (*existing) {
        auto old = storage::decode_cert(**existing);
        if (!old) return std::move(old).error();
        if (old->has_der) {
          if (old->cert_sha256 == p.record.cert_sha256) {
            out.status = ItemStatus::duplicate;
          } else {
            out.error = make_error(ErrorKind::invalid, "serial_conflict",
                                   "another certificate with this issuer and serial number is already registered");
          }
          continue;
        }
        // Revoked before we saw it: keep the revocation (and its signed response), add the certificate.
        record.status = old->status;
        record.revocation_time = old->revocation_time;
        record.reason = old->reason;
        record.invalidity_date = old->invalidity_date;
      }
      // No pre-signed response for a new good certificate: the responder signs live
      // until the Refresher stores one (see registry.hpp).
      // The DER and the index entries follow, in key order, once every item is decided.
      record.der_id = stored_count + 1;
      for (Bytes& k : p.index_keys) set_index_epoch(k, epoch_of(stored_count));
      Status s = txn.put(storage::Table::certs, p.key, storage::encode_cert(record));
      if (s) {
        auto seq = storage::append_event(txn, {"certificate.issued", actor_label, p.payload + participant_field, now});
        if (!seq) s = std::move(seq).error();
      }
      if (s && key_ledger != nullptr) {
        const StoredKey stored{p.spki, record.cert_sha256, batch->actor.participant, p.issuer->id, p.subject_sha};
        auto use = key_ledger->certificate_stored(txn, stored, now, actor_label);
        if (!use) {
          s = std::move(use).error();
        } else if (use->key_reused) {
          const std::string fields = ",\"participant\":" + std::to_string(batch->actor.participant) +
                                     ",\"renewal\":" + (use->renewal ? "true" : "false") + "}";
          auto seq = storage::append_event(txn, {"certificate.key_reused", actor_label, p.payload + fields, now});
          if (!seq) s = std::move(seq).error();
        }
      }
      if (!s) return s;  // a storage fault (map full, I/O) fails the whole batch, to be retried
      out.status = ItemStatus::stored;
      der_ids[i] = ++stored_count;
    }
    if (stored_count == *stored_before) return {};
    Status s = set_stored_certificates(txn, stored_count);
    if (!s) return s;
    // The DER, appended under the der ids in item order.
    std::vector<Bytes> der_keys;
    std::vector<storage::WriteTxn::KeyValue> scratch;
    der_keys.reserve(stored_count - *stored_before);
    for (std::size_t i = 0; i < der_ids.size(); ++i) {
      if (der_ids[i] == 0) continue;
      der_keys.push_back(der_key(der_ids[i]));
      scratch.push_back({der_keys.back(), batch->der[i]});
    }
    s = txn.put_sorted(storage::Table::cert_der, scratch, MDB_APPEND);
    if (!s) return s;
    // The index entries now carry their epochs; within one epoch their sorted order is the
    // order of the stored keys.
    scratch.clear();
    scratch.reserve(batch->attr_entries.size());
    for (const IndexEntry& e : batch->attr_entries)
      if (der_ids[e.item] != 0) scratch.push_back({e.key, e.value});
    return txn.put_sorted(storage::Table::attr_index, scratch);
  };
  submit_batch(std::move(job), std::move(report), std::move(batch->done));
}

// ------------------------------------------------------------------- revocations

Registry::PreparedRevocation Registry::prepare_revocation(const RevocationInput& in, UnixTime now) const {
  PreparedRevocation p;
  p.issuer_name = in.issuer;
  p.issuer = issuers_.find_by_name(in.issuer);
  if (!p.issuer) {
    p.error = make_error(ErrorKind::invalid, "issuer_unknown", "no configured issuer is named \"" + in.issuer + "\"");
    return p;
  }
  auto serial = hex_decode(in.serial_hex.size() % 2 ? "0" + in.serial_hex : in.serial_hex);
  if (!serial || serial->empty()) {
    p.error = make_error(ErrorKind::invalid, "serial_invalid", "the serial number must be hexadecimal");
    return p;
  }
  std::size_t zeros = 0;
  while (zeros + 1 < serial->size() && (*serial)[zeros] == 0) ++zeros;
  p.serial.assign(serial->begin() + static_cast<std::ptrdiff_t>(zeros), serial->end());
  if (p.serial.size() > storage::kMaxSerialBytes) {
    p.error = make_error(ErrorKind::invalid, "serial_invalid", "the serial number is longer than 32 bytes");
    return p;
  }
  auto reason = storage::reason_from_name(in.reason.empty() ? "unspecified" : in.reason);
  if (!reason || *reason == kReasonRemoveFromCrl /* not a revocation */) {
    p.error = make_error(ErrorKind::invalid, "reason_invalid", "unknown revocation reason \"" + in.reason +
                                               "\" (use the RFC 5280 names, e.g. keyCompromise)");
    return p;
  }
  p.reason = *reason;
  p.time = now;
  if (!in.time.empty()) {
    auto t = parse_rfc3339(in.time);
    if (!t || *t > now + kMaxFutureSkew || *t < 0) {
      p.error = make_error(ErrorKind::invalid, "time_invalid", "\"time\" must be an RFC 3339 time not in the future");
      return p;
    }
    p.time = *t;
  }
  if (!in.invalidity_date.empty()) {
    auto t = parse_rfc3339(in.invalidity_date);
    if (!t || *t > p.time || *t < 0) {
      p.error = make_error(ErrorKind::invalid, "time_invalid", "\"invalidity_date\" must be an RFC 3339 time not after the revocation");
      return p;
    }
    p.invalidity_date = *t;
  }
  p.key = storage::encode_cert_key(p.issuer->id, p.serial);
  return p;
}

void Registry::revoke(std::vector<RevocationInput> revocations, Actor actor, Callback done) {
  auto batch = std::make_shared<RevocationBatch>();
  batch->now = clock_.now();
  batch->actor = std::move(actor);
  batch->done = std::move(done);
  batch->items.resize(revocations.size());
  auto inputs = std::make_shared<std::vector<RevocationInput>>(std::move(revocations));
  parallel(
      inputs->size(),
      [this, batch, inputs](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) batch->items[i] = prepare_revocation((*inputs)[i], batch->now);
        prepare_revocation_chunk(batch, b, e);
      },
      [this, batch] { submit_revocations(batch); });
}

// Access check and signing of the revoked responses (items without an error).
void Registry::prepare_revocation_chunk(const std::shared_ptr<RevocationBatch>& batch, std::size_t begin,
                                        std::size_t end) const {
  for (std::size_t i = begin; i < end; ++i) {
    PreparedRevocation& p = batch->items[i];
    if (!p.error && !batch->actor.may_write_issuer(p.issuer->id)) {
      p.error = not_operated_error(p.issuer_name);
      p.denied = true;
    }
    if (p.error) continue;
    storage::CertRecord revoked;
    revoked.status = storage::CertStatus::revoked;
    revoked.revocation_time = p.time;
    revoked.reason = p.reason;
    revoked.invalidity_date = p.invalidity_date;
    const ocsp::ResponderKeys* keys = responders_.find_by_id(p.issuer->id);
    if (keys == nullptr) {
      p.error = make_error(ErrorKind::internal, "internal_error",
                           "no OCSP responder for issuer \"" + p.issuer_name + "\"");
      continue;
    }
    auto response = ocsp::presign(*keys, p.serial, revoked, options_, batch->now);
    if (!response)
      p.error = make_error(ErrorKind::internal, "internal_error", "signing the OCSP response failed: " + response.error().message);
    else
      p.response = std::move(*response);
  }
}

void Registry::submit_revocations(const std::shared_ptr<RevocationBatch>& batch) {
  auto report = std::make_shared<BatchReport>();
  const KeyLedger* key_ledger = key_ledger_;
  auto job = [batch, report, key_ledger](storage::WriteTxn& txn) -> Status {
    const std::string actor_label = batch->actor.label();
    const UnixTime now = batch->now;
    report->items.assign(batch->items.size(), ItemOutcome{});
    for (std::size_t i = 0; i < batch->items.size(); ++i) {
      const PreparedRevocation& p = batch->items[i];
      ItemOutcome& out = report->items[i];
      out.issuer = p.issuer_name;
      if (!p.serial.empty()) out.serial_hex = upper_hex(p.serial);
      if (p.error) {
        out.error = p.error;
        if (p.denied) {
          if (Status s = record_denial(txn, actor_label, batch->action, out.issuer, out.serial_hex, now); !s) return s;
        }
        continue;
      }
      auto existing = txn.get(storage::Table::certs, p.key);
      if (!existing) return std::move(existing).error();
      storage::CertRecord record;
      record.status = storage::CertStatus::revoked;
      record.revocation_time = p.time;
      record.reason = p.reason;
      record.invalidity_date = p.invalidity_date;
      if (*existing) {
        auto old = storage::decode_cert(**existing);
        if (!old) return std::move(old).error();
        // A revocation is final; the only change allowed afterwards is turning a hold
        // (certificateHold) into a permanent revocation.
        if (old->status == storage::CertStatus::revoked && !(old->reason == kReasonHold && p.reason != kReasonHold)) {
          out.status = ItemStatus::unchanged;
          continue;
        }
        record.not_before = old->not_before;
        record.not_after = old->not_after;
        record.cert_sha256 = old->cert_sha256;
        record.has_der = old->has_der;
        record.der_id = old->der_id;
        record.participant = old->participant;
        record.signature_checked = old->signature_checked;
      }
      Status s = txn.put(storage::Table::certs, p.key, storage::encode_cert(record));
      if (s) s = txn.put(storage::Table::ocsp_responses, p.key, storage::encode_ocsp_response(*p.response));
      if (s) {
        nlohmann::json payload = {{"issuer", p.issuer_name},
                                  {"serial", out.serial_hex},
                                  {"reason", storage::reason_name(record.reason)},
                                  {"revocation_time", format_rfc3339(record.revocation_time)}};
        if (record.invalidity_date) payload["invalidity_date"] = format_rfc3339(record.invalidity_date);
        if (record.has_der) {
          payload["sha256"] = hex_encode(record.cert_sha256);
          // What watchers and the key registry need of the certificate (revocations are
          // rare: the DER is read and walked here, inside the job).
          auto der = stored_der(txn, record);
          if (!der) return std::move(der).error();
          if (*der) {
            if (auto details = revoked_details(**der)) {
              payload["spki_sha256"] = hex_encode(details->spki);
              payload["attributes"] = nlohmann::json::parse(details->attributes_json, nullptr, false);
              if (key_ledger != nullptr) {
                Status r = key_ledger->certificate_revoked(txn, details->spki, record.cert_sha256, now, actor_label);
                if (!r) return r;
              }
            }
          }
        }
        auto seq = storage::append_event(txn, {"certificate.revoked", actor_label, payload.dump(), now});
        if (!seq) s = std::move(seq).error();
      }
      if (!s) return s;
      out.status = ItemStatus::revoked;
    }
    return {};
  };
  submit_batch(std::move(job), std::move(report), std::move(batch->done));
}

// --------------------------------------------------------------------------- CRLs

void Registry::upload_crl(Bytes crl, Actor actor, Callback done) {
  prepare_.submit([this, crl = std::move(crl), actor = std::move(actor), done = std::move(done)]() mutable {
    crl_prepared(std::move(crl), std::move(actor), std::move(done));
  });
}

namespace {

// DER as given (a CRL is a SEQUENCE: it starts with 0x30), or the first "X509 CRL"
// block of a PEM text.
std::optional<Bytes> crl_der(Bytes input) {
  if (!input.empty() && input[0] == der::kSequence) return input;
  auto block = pem::find_block(as_chars(input), {"X509 CRL"});
  if (!block) return std::nullopt;
  return to_bytes(block->der());
}

}  // namespace

void Registry::crl_prepared(Bytes input, Actor actor, Callback done) {
  const UnixTime now = clock_.now();
  auto der = crl_der(std::move(input));
  if (!der || der->empty()) {
    done(make_error(ErrorKind::invalid, "crl_malformed", "not a DER or PEM X.509 CRL"));
    return;
  }
  const unsigned char* p = der->data();
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der->size())));
  if (!crl || p != der->data() + der->size()) {
    ossl_errors();
    done(make_error(ErrorKind::invalid, "crl_malformed", "not a DER or PEM X.509 CRL"));
    return;
  }
  const pki::IssuerMatch match = issuers_.issuer_of(crl.get());
  const pki::Issuer* issuer = match.found == pki::IssuerFound::verified ? match.issuer : nullptr;
  if (issuer == nullptr) {
    done(match.found == pki::IssuerFound::unknown
             ? make_error(ErrorKind::invalid, "issuer_unknown", "the CRL's issuer is not a configured issuer")
             : make_error(ErrorKind::invalid, "crl_signature_invalid",
                          "the CRL does not verify under its issuer's key"));
    return;
  }
  if (!actor.may_write_issuer(issuer->id)) {
    // One audit event for the whole refused upload.
    const std::string name = issuer->name;
    audited_.record_denial(actor.label(), "crl.upload", denied_target(name, ""), not_operated_error(name), now,
                           [done = std::move(done), name](Status s) {
                             if (!s) {
                               done(std::move(s).error());
                               return;
                             }
                             done(not_operated_error(name));
                           });
    return;
  }

  auto batch = std::make_shared<RevocationBatch>();
  batch->now = now;
  batch->actor = std::move(actor);
  batch->done = std::move(done);
  batch->action = "crl.upload";
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  const int n = revoked ? sk_X509_REVOKED_num(revoked) : 0;
  batch->items.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    PreparedRevocation& item = batch->items[static_cast<std::size_t>(i)];
    item.issuer = issuer;
    item.issuer_name = issuer->name;
    const ASN1_INTEGER* serial_int = X509_REVOKED_get0_serialNumber(r);
    item.serial = serial_bytes(serial_int);
    if (item.serial.empty() || item.serial.size() > storage::kMaxSerialBytes ||
        ASN1_STRING_type(serial_int) == V_ASN1_NEG_INTEGER) {
      item.error = make_error(ErrorKind::invalid, "serial_invalid", "the serial number must be positive and at most 32 bytes");
      continue;
    }
    item.key = storage::encode_cert_key(issuer->id, item.serial);
    auto when = asn1_time_to_unix(X509_REVOKED_get0_revocationDate(r));
    if (!when || *when > now + kMaxFutureSkew || *when < 0) {
      item.error = make_error(ErrorKind::invalid, "time_invalid", "the revocation date is unreadable or in the future");
      continue;
    }
    item.time = *when;
    int crit = 0;
    Asn1StringPtr reason(
        static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr)));
    if (reason) {
      const long code = ASN1_ENUMERATED_get(reason.get());
      if (code == kReasonRemoveFromCrl) {
        item.error = make_error(ErrorKind::invalid, "reason_invalid", "removeFromCRL (delta CRLs) is not a revocation");
        continue;
      }
      item.reason = storage::reason_name(static_cast<int>(code)) == std::string_view("unknown")
                        ? storage::kNoReason
                        : static_cast<int>(code);
    } else if (crit != -1) {
      item.error = make_error(ErrorKind::invalid, "reason_invalid", "the reasonCode extension is malformed");
      continue;
    }
    Asn1StringPtr invalidity(
        static_cast<ASN1_GENERALIZEDTIME*>(X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, &crit, nullptr)));
    if (invalidity) {
      auto t = asn1_time_to_unix(invalidity.get());
      if (!t || *t > item.time || *t < 0) {
        item.error = make_error(ErrorKind::invalid, "time_invalid", "the invalidity date is unreadable or after the revocation");
        continue;
      }
      item.invalidity_date = *t;
    } else if (crit != -1) {
      item.error = make_error(ErrorKind::invalid, "time_invalid", "the invalidityDate extension is malformed");
      continue;
    }
  }
  ossl_errors();
  parallel(
      batch->items.size(), [this, batch](std::size_t b, std::size_t e) { prepare_revocation_chunk(batch, b, e); },
      [this, batch] { submit_revocations(batch); });
}

}  // namespace trustmon::registry
