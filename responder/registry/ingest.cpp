// Certificate ingest: preparation of each certificate on the preparation threads (walk,
// issuer, attributes, index keys, event payload) and the Writer jobs (one per run of at
// most `items_per_job` certificates of a batch) that store the records, DER, index
// entries and events (policy: registry.hpp).
#include <algorithm>
#include <atomic>
#include <memory>

#include "common/log.hpp"
#include "common/ossl.hpp"
#include "common/time.hpp"
#include "responder/pki/cert_view.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "responder/registry/attr_index.hpp"
#include "responder/registry/certificate_body.hpp"
#include "responder/registry/der_store.hpp"
#include "responder/registry/event_payloads.hpp"
#include "responder/registry/refusals.hpp"
#include "responder/registry/registry.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

namespace {

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

}  // namespace

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
  std::string payload;   // certificate_fields(): the issued payload without the participant
  bool denied = false;   // refused because the actor does not operate the issuer
};

// One entry a certificate adds to an index table; written only when item `item` is stored.
struct IndexEntry {
  ByteView key;
  ByteView value;
  std::uint32_t item;
};

struct Registry::IngestBatch {
  std::vector<Bytes> der;  // input, kept for the jobs (no copy per item)
  std::vector<PreparedCert> prepared;
  // The attr_index entries of every prepared certificate (its attributes and its key
  // fingerprint), sorted by key and value within each job's items on a preparation
  // thread: job j's entries are [entry_bounds[j], entry_bounds[j + 1]). A job writes
  // them after its per-item checks, in that order (WriteTxn::put_sorted), instead of item
  // by item in random order.
  std::vector<IndexEntry> attr_entries;
  std::vector<std::size_t> entry_bounds;
  Actor actor;
  Callback done;
  // A job stored the first certificate of a new attr_index epoch (the one before is closed).
  std::atomic<bool> closed_epoch{false};
};

struct Registry::IndexCompactor {
  explicit IndexCompactor(storage::Writer& w) : writer(w) {}
  storage::Writer& writer;
  std::atomic<bool> running{false};
};

namespace {

// Entries copied or deleted per merge job, and the job's weight in the Writer's commit
// budget (about an ingest job's worth of index writes).
constexpr std::size_t kCompactionEntries = 4096;
constexpr std::size_t kCompactionWeight = 256;

}  // namespace

std::shared_ptr<Registry::IndexCompactor> Registry::make_index_compactor(storage::Writer& writer) {
  return std::make_shared<IndexCompactor>(writer);
}

void Registry::start_compaction(const std::shared_ptr<IndexCompactor>& compactor) {
  if (compactor->running.exchange(true)) return;
  struct Step {
    static void submit(const std::shared_ptr<IndexCompactor>& c) {
      auto more = std::make_shared<bool>(false);
      c->writer.submit(
          [more](storage::WriteTxn& txn) -> Status {
            auto r = compact_attr_index_step(txn, kCompactionEntries);
            if (!r) return std::move(r).error();
            *more = *r;
            return {};
          },
          [c, more](Status s) {
            if (s && *more) {
              submit(c);  // the next step, behind whatever was submitted meanwhile
              return;
            }
            if (!s && s.error().code != "shutting_down") {
              log().warn("registry: attr_index merge step failed: {}: {}", s.error().code, s.error().message);
            }
            c->running.store(false);
          },
          Lane::normal, kCompactionWeight);
    }
  };
  Step::submit(compactor);
}


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
    p.error = make_error(ErrorKind::invalid, "serial_invalid",
                         "the serial number must be positive and at most 32 bytes");
    return p;
  }
  p.serial_hex = hex_encode(serial, true);
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
  if (stats_ != nullptr) p.record.stats_profile = stats_->profile(*parts, p.issuer->id).packed();
  p.spki = pki::key_fingerprint(*view);
  p.subject_sha = sha256(view->subject);

  std::vector<Attribute> attributes =
      extract_attributes(parts->subject, parts->extensions, p.record.cert_sha256);
  p.index_keys.reserve(attributes.size() + 1);
  for (const auto& a : attributes) {
    Bytes k = index_key(a);
    if (!k.empty()) p.index_keys.push_back(epoch_index_key(k, 0));
  }
  p.index_keys.push_back(epoch_index_key(spki_index_key(p.spki), 0));
  // The event payload's certificate fields (event_payloads.hpp); the sha256 attribute is
  // the top-level "sha256".
  std::erase_if(attributes, [](const Attribute& a) { return a.kind == AttrKind::sha256; });
  p.payload = certificate_fields(
      {p.issuer->name, p.serial_hex, p.sha256_hex, p.spki, p.record.signature_checked, &attributes, p.issuer->test});
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
      [this, batch] { submit_ingest(batch); }, Lane::normal);
}

void Registry::ingest_body(std::string content_type, Bytes body, Actor actor, Callback done) {
  // One task owns the body; the decoded DER list moves on into ingest().
  struct Input {
    std::string content_type;
    Bytes body;
    Actor actor;
    Callback done;
  };
  auto in = std::make_shared<Input>(
      Input{std::move(content_type), std::move(body), std::move(actor), std::move(done)});
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

void Registry::sort_index_entries(IngestBatch& batch, std::size_t job_items) {
  batch.entry_bounds.assign(1, 0);
  for (std::size_t begin = 0; begin < batch.prepared.size(); begin += job_items) {
    const std::size_t end = std::min(batch.prepared.size(), begin + job_items);
    for (std::size_t i = begin; i < end; ++i) {
      const PreparedCert& p = batch.prepared[i];
      if (p.error) continue;
      for (const Bytes& k : p.index_keys) batch.attr_entries.push_back({k, p.key, static_cast<std::uint32_t>(i)});
    }
    std::sort(batch.attr_entries.begin() + static_cast<std::ptrdiff_t>(batch.entry_bounds.back()),
              batch.attr_entries.end(), entry_less);
    batch.entry_bounds.push_back(batch.attr_entries.size());
  }
  if (batch.entry_bounds.size() == 1) batch.entry_bounds.push_back(0);  // an empty batch: one empty job
}

void Registry::submit_ingest(const std::shared_ptr<IngestBatch>& batch) {
  sort_index_entries(*batch, items_per_job_);
  auto report = std::make_shared<BatchReport>();
  report->items.resize(batch->prepared.size());
  const UnixTime now = clock_.now();
  // Once the batch is answered, an epoch it closed starts the merge of closed epochs.
  Callback done = [batch, compactor = compactor_](Result<BatchReport> r) {
    const bool closed = batch->closed_epoch.load();
    Callback reply = std::move(batch->done);
    reply(std::move(r));
    if (closed) start_compaction(compactor);
  };
  submit_jobs(
      batch->prepared.size(),
      [&](std::size_t job, std::size_t begin, std::size_t end) { return ingest_job(batch, report, job, begin, end, now); },
      report, std::move(done), Lane::normal);
}

storage::Writer::Job Registry::ingest_job(const std::shared_ptr<IngestBatch>& batch,
                                          const std::shared_ptr<BatchReport>& report, std::size_t job,
                                          std::size_t begin, std::size_t end, UnixTime now) const {
  const KeyLedger* key_ledger = key_ledger_;
  const stats::Counting* counting = stats_;
  const pki::IssuerSet* issuers = &issuers_;
  return [batch, report, job, begin, end, now, key_ledger, counting, issuers](storage::WriteTxn& txn) -> Status {
    const std::string actor_label = batch->actor.label();
    // A stored certificate's ordinal is its der id (der_store.hpp) and gives its
    // attr_index epoch (attr_index.hpp).
    auto stored_before = stored_certificates(txn);
    if (!stored_before) return std::move(stored_before).error();
    std::uint64_t stored_count = *stored_before;
    std::vector<std::uint64_t> der_ids(end - begin, 0);  // by item - begin
    stats::Deltas deltas;
    for (std::size_t i = begin; i < end; ++i) {
      PreparedCert& p = batch->prepared[i];
      ItemOutcome& out = report->items[i];
      out = ItemOutcome{};  // the job may run again after map growth
      if (p.issuer) out.issuer = p.issuer->name;
      out.serial_hex = p.serial_hex;
      out.sha256_hex = p.sha256_hex;
      out.signature_checked = p.record.signature_checked;
      if (p.error) {
        out.error = p.error;
        if (p.denied) {
          if (Status s =
                  record_denial(txn, actor_label, "certificate.ingest", out.issuer, out.serial_hex, now);
              !s)
            return s;
        }
        continue;
      }
      // Every check comes before the first write: a refused or duplicate item writes nothing.
      auto existing = txn.get(storage::Table::certs, p.key);
      if (!existing) return std::move(existing).error();
      storage::CertRecord record = p.record;
      record.participant = batch->actor.participant;
      record.ingested_at = now;
      std::optional<stats::CertFacts> bare;
      if (*existing) {
        auto old = storage::decode_cert(**existing);
        if (!old) return std::move(old).error();
        if (old->has_der) {
          if (old->cert_sha256 == p.record.cert_sha256) {
            out.status = ItemStatus::duplicate;
          } else {
            out.error =
                make_error(ErrorKind::invalid, "serial_conflict",
                           "another certificate with this issuer and serial number is already registered");
          }
          continue;
        }
        // Revoked before we saw it: keep the revocation (and its signed response), add the certificate.
        record.status = old->status;
        record.revocation_time = old->revocation_time;
        record.reason = old->reason;
        record.invalidity_date = old->invalidity_date;
        bare = stats::facts_of(p.issuer->id, *old);
      }
      if (counting != nullptr) counting->rules().issued(deltas, stats::facts_of(p.issuer->id, record), bare);
      // No pre-signed response for a new good certificate: it is marked unsigned, so the
      // Refresher's next pass signs one; until then the responder signs live and keeps
      // its answer (see registry.hpp).
      // The DER and the index entries follow, in key order, once every item is decided.
      record.der_id = stored_count + 1;
      for (Bytes& k : p.index_keys) set_index_epoch(k, epoch_of(stored_count));
      Status s = txn.put(storage::Table::certs, p.key, storage::encode_cert(record));
      if (s && !*existing) s = ocsp::mark_unsigned(txn, p.key);
      if (s) {
        auto seq = storage::append_event(txn, {"certificate.issued", actor_label,
                                               issued_payload(p.payload, batch->actor.participant), now});
        if (!seq) s = std::move(seq).error();
      }
      if (s && key_ledger != nullptr) {
        const StoredKey stored{p.spki, record.cert_sha256, batch->actor.participant, p.issuer->id,
                               p.subject_sha, p.key};
        auto use = key_ledger->certificate_stored(txn, stored, now, actor_label);
        if (!use) {
          s = std::move(use).error();
        } else if (use->key_reused) {
          auto seq = storage::append_event(
              txn, {"certificate.key_reused", actor_label,
                    key_reused_payload(p.payload, batch->actor.participant, use->renewal), now});
          if (!seq) s = std::move(seq).error();
        }
      }
      if (!s) return s;  // a storage fault (map full, I/O) fails the whole batch, to be retried
      out.status = ItemStatus::stored;
      der_ids[i - begin] = ++stored_count;
    }
    if (stored_count == *stored_before) return {};
    if (Status s = deltas.apply(txn); !s) return s;
    if (counting != nullptr) {
      auto anomalies = stats::check_anomalies(txn, deltas, counting->calendar().day_of(now), counting->anomaly());
      if (!anomalies) return std::move(anomalies).error();
      for (const stats::Anomaly& a : *anomalies) {
        const pki::Issuer* issuer = issuers->find_by_id(a.issuer);
        auto seq = storage::append_event(
            txn, {"stats.anomaly", actor_label,
                  stats::anomaly_payload(a, issuer ? issuer->name : std::string_view("unknown"), counting->anomaly()),
                  now});
        if (!seq) return std::move(seq).error();
      }
    }
    if (epoch_of(stored_count) != epoch_of(*stored_before)) batch->closed_epoch.store(true);
    Status s = set_stored_certificates(txn, stored_count);
    if (!s) return s;
    // The DER, appended under the der ids in item order.
    std::vector<Bytes> der_keys;
    std::vector<storage::WriteTxn::KeyValue> scratch;
    der_keys.reserve(stored_count - *stored_before);
    for (std::size_t i = begin; i < end; ++i) {
      if (der_ids[i - begin] == 0) continue;
      der_keys.push_back(der_key(der_ids[i - begin]));
      scratch.push_back({der_keys.back(), batch->der[i]});
    }
    s = txn.put_sorted(storage::Table::cert_der, scratch, MDB_APPEND);
    if (!s) return s;
    // The index entries now carry their epochs; within one epoch their sorted order is the
    // order of the stored keys.
    scratch.clear();
    const auto first = batch->attr_entries.begin() + static_cast<std::ptrdiff_t>(batch->entry_bounds[job]);
    const auto last = batch->attr_entries.begin() + static_cast<std::ptrdiff_t>(batch->entry_bounds[job + 1]);
    scratch.reserve(static_cast<std::size_t>(last - first));
    for (auto e = first; e != last; ++e)
      if (der_ids[e->item - begin] != 0) scratch.push_back({e->key, e->value});
    return txn.put_sorted(storage::Table::attr_index, scratch);
  };
}

}  // namespace trustmon::registry
