// Revocations, one by one (revoke()) or from an uploaded CRL (upload_crl()): parsed and
// their revoked OCSP responses signed on the preparation threads, then stored with their
// certificate.revoked events by one Writer job per batch (policy: registry.hpp).
#include <algorithm>
#include <memory>

#include "common/log.hpp"
#include "common/ossl.hpp"
#include "common/time.hpp"
#include "responder/pki/cert_view.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "responder/registry/crl_reader.hpp"
#include "responder/registry/der_store.hpp"
#include "responder/registry/event_payloads.hpp"
#include "responder/registry/serial_hex.hpp"
#include "responder/registry/stats_facts.hpp"
#include "responder/registry/refusals.hpp"
#include "responder/registry/registry.hpp"
#include "storage/cert_events.hpp"
#include "storage/crls.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

namespace {

// A revocation may be dated at most this far into the future (clock skew between a CA
// and us); later dates are refused.
constexpr UnixTime kMaxFutureSkew = 300;

// The key fingerprint and indexed attributes of a stored certificate.
struct RevokedDetails {
  Sha256 spki{};
  std::vector<Attribute> attributes;  // without the sha256 attribute
};
std::optional<RevokedDetails> revoked_details(ByteView der) {
  auto parts = pki::parse_cert_parts(der);
  if (!parts) return std::nullopt;
  RevokedDetails d;
  d.spki = pki::key_fingerprint(parts->view);
  d.attributes = extract_attributes(parts->subject, parts->extensions, sha256(der));
  std::erase_if(d.attributes, [](const Attribute& a) { return a.kind == AttrKind::sha256; });
  return d;
}

}  // namespace

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
  bool release = false;  // a hold released: the response is signed `good`
  std::optional<storage::OcspResponseRecord> response;  // signed outside the txn
};

// An uploaded CRL to publish before its entries are applied.
struct UploadedCrl {
  storage::IssuerId issuer = 0;
  std::string issuer_name;
  storage::CrlRecord record;
};

struct Registry::RevocationBatch {
  std::vector<PreparedRevocation> items;
  std::shared_ptr<const UploadedCrl> crl;  // CRL uploads only
  Actor actor;
  Callback done;
  UnixTime now = 0;
  const char* action = "certificate.revoke";
  // API revocations are urgent; a CRL upload (up to the whole CRL's entries) is bulk work.
  Lane lane = Lane::urgent;
};

namespace {

// A hold released: the certificate's record goes back to good with its `good` response
// and a certificate.released event; anything but a hold is refused (not_on_hold).
Status release_hold(storage::WriteTxn& txn, ByteView key, const storage::OcspResponseRecord& good_response,
                    const std::string& issuer_name, const std::optional<ByteView>& existing, ItemOutcome& out,
                    const std::string& actor_label, UnixTime now, const KeyLedger* key_ledger,
                    const stats::Counting* counting, const pki::Issuer& issuer, stats::Deltas& deltas) {
  std::optional<storage::CertRecord> old;
  if (existing) {
    auto decoded = storage::decode_cert(*existing);
    if (!decoded) return std::move(decoded).error();
    old = std::move(*decoded);
  }
  if (!old || old->status != storage::CertStatus::revoked || old->reason != storage::kReasonCertificateHold) {
    out.error = make_error(ErrorKind::conflict, "not_on_hold", "only a certificate on hold (certificateHold) can be released");
    return {};
  }
  if (counting != nullptr) {
    auto facts = stats_facts(txn, *counting, issuer.id, *old);
    if (!facts) return std::move(facts).error();
    counting->rules().released(deltas, *facts, now);
  }
  storage::CertRecord record = *old;
  record.status = storage::CertStatus::good;
  record.revocation_time = 0;
  record.reason = storage::kNoReason;
  record.invalidity_date = 0;
  Status s = txn.put(storage::Table::certs, key, storage::encode_cert(record));
  if (s) s = ocsp::put_response(txn, key, good_response);
  if (s) s = ocsp::drop_other_hash_responses(txn, key);
  if (!s) return s;
  const std::optional<std::string> sha256_hex =
      record.has_der ? std::optional<std::string>(hex_encode(record.cert_sha256)) : std::nullopt;
  if (record.has_der && key_ledger != nullptr) {
    // The key registry saw the hold as a revocation: it learns of the release too.
    auto der = stored_der(txn, record);
    if (!der) return std::move(der).error();
    if (*der) {
      if (auto details = revoked_details(**der)) {
        if (Status r = key_ledger->certificate_released(txn, details->spki, record.cert_sha256, now, actor_label); !r)
          return r;
      }
    }
  }
  auto seq = storage::append_event(
      txn, {"certificate.released", actor_label, released_payload(issuer_name, out.serial_hex, sha256_hex, issuer.test), now});
  if (!seq) return std::move(seq).error();
  if (Status noted = storage::note_cert_event(txn, key, *seq); !noted) return noted;
  out.status = ItemStatus::released;
  return {};
}

}  // namespace

Registry::PreparedRevocation Registry::prepare_revocation(const RevocationInput& in, UnixTime now) const {
  PreparedRevocation p;
  p.issuer_name = in.issuer;
  p.issuer = issuers_.find_by_name(in.issuer);
  if (!p.issuer) {
    p.error = make_error(ErrorKind::invalid, "issuer_unknown",
                         "no configured issuer is named \"" + in.issuer + "\"");
    return p;
  }
  auto serial = serial_from_hex(in.serial_hex);
  if (!serial) {
    p.error = make_error(ErrorKind::invalid, "serial_invalid", "the serial number must be hexadecimal");
    return p;
  }
  p.serial = std::move(*serial);
  if (p.serial.size() > storage::kMaxSerialBytes) {
    p.error = make_error(ErrorKind::invalid, "serial_invalid", "the serial number is longer than 32 bytes");
    return p;
  }
  if (in.release) {
    p.release = true;
    p.time = now;
    p.key = storage::encode_cert_key(p.issuer->id, p.serial);
    return p;
  }
  auto reason = storage::reason_from_name(in.reason.empty() ? "unspecified" : in.reason);
  if (!reason || *reason == storage::kReasonRemoveFromCrl /* not a revocation */) {
    p.error = make_error(
        ErrorKind::invalid, "reason_invalid",
        "unknown revocation reason \"" + in.reason + "\" (use the RFC 5280 names, e.g. keyCompromise)");
    return p;
  }
  p.reason = *reason;
  p.time = now;
  if (!in.time.empty()) {
    auto t = parse_rfc3339(in.time);
    if (!t || *t > now + kMaxFutureSkew || *t < 0) {
      p.error = make_error(ErrorKind::invalid, "time_invalid",
                           "\"time\" must be an RFC 3339 time not in the future");
      return p;
    }
    p.time = *t;
  }
  if (!in.invalidity_date.empty()) {
    auto t = parse_rfc3339(in.invalidity_date);
    if (!t || *t > p.time || *t < 0) {
      p.error = make_error(ErrorKind::invalid, "time_invalid",
                           "\"invalidity_date\" must be an RFC 3339 time not after the revocation");
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
      [this, batch] { submit_revocations(batch); }, batch->lane);
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
    storage::CertRecord revoked;  // the status the signed response states
    if (!p.release) {
      revoked.status = storage::CertStatus::revoked;
      revoked.revocation_time = p.time;
      revoked.reason = p.reason;
      revoked.invalidity_date = p.invalidity_date;
    }
    const ocsp::ResponderKeys* keys = responders_.find_by_id(p.issuer->id);
    if (keys == nullptr) {
      p.error = make_error(ErrorKind::internal, "internal_error",
                           "no OCSP responder for issuer \"" + p.issuer_name + "\"");
      continue;
    }
    auto response = ocsp::presign(*keys, p.serial, revoked, options_, batch->now);
    if (!response)
      p.error = make_error(ErrorKind::internal, "internal_error",
                           "signing the OCSP response failed: " + response.error().message);
    else
      p.response = std::move(*response);
  }
}

namespace {

Error superseded_error() {
  return make_error(ErrorKind::conflict, "crl_number_not_greater",
                    "the issuer's published CRL is not this one (an older number, or a newer CRL arrived meanwhile)");
}

// Whether `crl` is its issuer's latest published CRL in `txn`.
Result<bool> is_latest(const storage::WriteTxn& txn, const UploadedCrl& crl) {
  auto latest = storage::latest_crl(txn, crl.issuer);
  if (!latest) return std::move(latest).error();
  return *latest && storage::compare_crl_numbers((*latest)->number, crl.record.number) == 0 &&
         (*latest)->sha256 == crl.record.sha256;
}

// The first job of a CRL upload: publishes it (or finds it published: a replay).
storage::Writer::Job publish_job(std::shared_ptr<const UploadedCrl> crl, std::string actor_label) {
  return [crl = std::move(crl), actor_label = std::move(actor_label)](storage::WriteTxn& txn) -> Status {
    auto replay = is_latest(txn, *crl);
    if (!replay) return std::move(replay).error();
    if (*replay) return {};
    if (Status s = storage::put_crl(txn, crl->issuer, crl->record); !s) return s;
    const std::string number = storage::crl_number_decimal(crl->record.number);
    const std::string digest = hex_encode(crl->record.sha256);
    CrlPublishedFields f;
    f.issuer = crl->issuer_name;
    f.number_decimal = number;
    f.source = "uploaded";
    f.this_update = crl->record.this_update;
    f.next_update = crl->record.next_update;
    f.entries = crl->record.entries;
    f.sha256_hex = digest;
    auto seq = storage::append_event(
        txn, {"crl.published", actor_label, crl_published_payload(f), crl->record.published_at});
    if (!seq) return std::move(seq).error();
    return {};
  };
}

}  // namespace

void Registry::submit_revocations(const std::shared_ptr<RevocationBatch>& batch) {
  auto report = std::make_shared<BatchReport>();
  report->items.resize(batch->items.size());
  submit_jobs(
      batch->items.size(),
      [&](std::size_t, std::size_t begin, std::size_t end) { return revocation_job(batch, report, begin, end); },
      report, std::move(batch->done), batch->lane,
      batch->crl ? publish_job(batch->crl, batch->actor.label()) : storage::Writer::Job{});
}

storage::Writer::Job Registry::revocation_job(const std::shared_ptr<RevocationBatch>& batch,
                                              const std::shared_ptr<BatchReport>& report, std::size_t begin,
                                              std::size_t end) const {
  const KeyLedger* key_ledger = key_ledger_;
  const stats::Counting* counting = stats_;
  return [batch, report, begin, end, key_ledger, counting](storage::WriteTxn& txn) -> Status {
    const std::string actor_label = batch->actor.label();
    const UnixTime now = batch->now;
    if (batch->crl) {
      // Only while the uploaded CRL is its issuer's latest (its publish job ran and no
      // newer one came): an older CRL must not replay holds that were released since.
      auto current = is_latest(txn, *batch->crl);
      if (!current) return std::move(current).error();
      if (!*current) return superseded_error();
    }
    stats::Deltas deltas;
    for (std::size_t i = begin; i < end; ++i) {
      const PreparedRevocation& p = batch->items[i];
      ItemOutcome& out = report->items[i];
      out = ItemOutcome{};  // the job may run again after map growth
      out.issuer = p.issuer_name;
      if (!p.serial.empty()) out.serial_hex = hex_encode(p.serial, true);
      if (p.error) {
        out.error = p.error;
        if (p.denied) {
          if (Status s = record_denial(txn, actor_label, batch->action, out.issuer, out.serial_hex, now); !s)
            return s;
        }
        continue;
      }
      auto existing = txn.get(storage::Table::certs, p.key);
      if (!existing) return std::move(existing).error();
      if (p.release) {
        Status s = release_hold(txn, p.key, *p.response, p.issuer_name, *existing, out, actor_label, now, key_ledger,
                                counting, *p.issuer, deltas);
        if (!s) return s;
        continue;
      }
      storage::CertRecord record;
      record.status = storage::CertStatus::revoked;
      record.revocation_time = p.time;
      record.reason = p.reason;
      record.invalidity_date = p.invalidity_date;
      std::optional<stats::CertFacts> before;
      if (*existing) {
        auto old = storage::decode_cert(**existing);
        if (!old) return std::move(old).error();
        // A revocation is final; the only change allowed afterwards is turning a hold
        // (certificateHold) into a permanent revocation.
        if (old->status == storage::CertStatus::revoked &&
            !(old->reason == storage::kReasonCertificateHold && p.reason != storage::kReasonCertificateHold)) {
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
        record.stats_profile = old->stats_profile;
        record.ingested_at = old->ingested_at;
        if (counting != nullptr) {
          auto facts = stats_facts(txn, *counting, p.issuer->id, *old);
          if (!facts) return std::move(facts).error();
          before = *facts;
          if (old->has_der) record.stats_profile = facts->profile.packed();
        }
      }
      if (counting != nullptr) {
        stats::CertFacts after = before.value_or(stats::facts_of(p.issuer->id, record));
        after.status = record.status;
        after.revocation_time = record.revocation_time;
        after.reason = record.reason;
        counting->rules().revoked(deltas, before, after);
      }
      Status s = txn.put(storage::Table::certs, p.key, storage::encode_cert(record));
      if (s) s = ocsp::put_response(txn, p.key, *p.response);
      if (s) s = ocsp::drop_other_hash_responses(txn, p.key);
      if (s) {
        RevokedFields fields{p.issuer_name,
                             out.serial_hex,
                             storage::reason_name(record.reason),
                             record.revocation_time,
                             record.invalidity_date,
                             std::nullopt,
                             std::nullopt,
                             nullptr,
                             p.issuer->test};
        std::optional<RevokedDetails> details;
        if (record.has_der) {
          fields.sha256_hex = hex_encode(record.cert_sha256);
          // What watchers and the key registry need of the certificate (revocations are
          // rare: the DER is read and walked here, inside the job).
          auto der = stored_der(txn, record);
          if (!der) return std::move(der).error();
          if (*der) details = revoked_details(**der);
          if (details) {
            fields.spki = details->spki;
            fields.attributes = &details->attributes;
            if (key_ledger != nullptr) {
              Status r =
                  key_ledger->certificate_revoked(txn, details->spki, record.cert_sha256, now, actor_label);
              if (!r) return r;
            }
          }
        }
        auto seq =
            storage::append_event(txn, {"certificate.revoked", actor_label, revoked_payload(fields), now});
        if (!seq) s = std::move(seq).error();
        if (s) s = storage::note_cert_event(txn, p.key, *seq);
      }
      if (!s) return s;
      out.status = ItemStatus::revoked;
    }
    return deltas.apply(txn);
  };
}

// --------------------------------------------------------------------------- CRLs

// What the comparison after an upload needs of it.
struct Registry::CrlCheckInput {
  storage::IssuerId issuer = 0;
  std::string issuer_name;
  std::string number_decimal;  // empty: the CRL has no number
  UnixTime this_update = 0;
  std::vector<CrlEntry> entries;
};

Registry::Callback Registry::compared_after(std::shared_ptr<const CrlCheckInput> check, std::string actor_label,
                                            Callback done) {
  return [this, check = std::move(check), actor_label = std::move(actor_label),
          done = std::move(done)](Result<BatchReport> result) {
    if (!result) {
      done(std::move(result));
      return;
    }
    // Called on the Writer thread: the walk over the issuer's records runs on a
    // preparation thread instead, so no Writer job waits for it.
    auto report = std::make_shared<BatchReport>(std::move(*result));
    prepare_.submit([this, check, actor_label, report, done] { report_discrepancy(*check, actor_label, report, done); },
                    Lane::normal);
  };
}

void Registry::report_discrepancy(const CrlCheckInput& check, const std::string& actor_label,
                                  std::shared_ptr<BatchReport> report, Callback done) {
  auto comparison = crl_checker_->compare(check.issuer, check.this_update, check.entries);
  if (!comparison) {
    log().warn("crl: comparing the CRL of issuer \"{}\" with the status data failed: {}", check.issuer_name,
               comparison.error().message);
    done(std::move(*report));
    return;
  }
  if (comparison->agrees()) {
    done(std::move(*report));
    return;
  }
  auto payload = std::make_shared<const std::string>(
      crl_discrepancy_payload(check.issuer_name, check.number_decimal, *comparison));
  const UnixTime now = clock_.now();
  writer_.submit(
      [payload, actor_label, now](storage::WriteTxn& txn) -> Status {
        auto seq = storage::append_event(txn, {"crl.discrepancy", actor_label, *payload, now});
        if (!seq) return std::move(seq).error();
        return {};
      },
      [this, report, done, issuer = check.issuer_name](Status s) {
        if (s)
          crl_discrepancies_.fetch_add(1, std::memory_order_relaxed);
        else
          // The entries are stored; the upload stands and is answered as such.
          log().error("crl: storing the crl.discrepancy event of issuer \"{}\" failed: {}", issuer, s.error().message);
        done(std::move(*report));
      },
      Lane::normal, 1);
}

void Registry::upload_crl(Bytes crl, Actor actor, Callback done) {
  prepare_.submit([this, crl = std::move(crl), actor = std::move(actor), done = std::move(done)]() mutable {
    crl_prepared(std::move(crl), std::move(actor), std::move(done));
  });
}

void Registry::crl_prepared(Bytes input, Actor actor, Callback done) {
  const UnixTime now = clock_.now();
  auto upload = read_crl(input, now, kMaxFutureSkew);
  if (!upload) {
    done(std::move(upload).error());
    return;
  }
  const pki::IssuerMatch match = issuers_.issuer_of(upload->crl.get());
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
    audited_.record_denial(actor.label(), "crl.upload", denied_target(name, ""), not_operated_error(name),
                           now, [done = std::move(done), name](Status s) {
                             if (!s) {
                               done(std::move(s).error());
                               return;
                             }
                             done(not_operated_error(name));
                           });
    return;
  }

  const bool built_here = std::find(crl_built_.begin(), crl_built_.end(), issuer->id) != crl_built_.end();
  if (upload->delta && !built_here) {
    done(make_error(ErrorKind::invalid, "crl_delta_not_accepted",
                    "upload a complete CRL; delta CRLs are not published from uploads"));
    return;
  }
  if (!upload->number && !built_here) {
    done(make_error(ErrorKind::invalid, "crl_number_missing",
                    "the CRL has no CRL number extension (RFC 5280 5.2.3), so it cannot be ordered"));
    return;
  }
  std::shared_ptr<UploadedCrl> published;  // stays null for issuers whose CRLs are built here
  if (!built_here) {
    auto number = storage::normalize_crl_number(*upload->number);
    if (!number) {
      done(make_error(ErrorKind::invalid, "crl_number_invalid", "the CRL number is longer than 20 octets"));
      return;
    }
    published = std::make_shared<UploadedCrl>();
    published->issuer = issuer->id;
    published->issuer_name = issuer->name;
    published->record.source = storage::CrlSource::uploaded;
    published->record.number = std::move(*number);
    published->record.this_update = upload->this_update;
    published->record.next_update = upload->next_update;
    published->record.published_at = now;
    published->record.entries = upload->entries.size();
    published->record.sha256 = sha256(upload->der);
    published->record.der = std::move(upload->der);
  }

  if (crl_checker_ != nullptr && !upload->delta) {
    // The entries as read, compared once they are stored (a copy: the items take the serials).
    auto check = std::make_shared<CrlCheckInput>();
    check->issuer = issuer->id;
    check->issuer_name = issuer->name;
    if (upload->number) check->number_decimal = storage::crl_number_decimal(*upload->number);
    check->this_update = upload->this_update;
    check->entries = upload->entries;
    done = compared_after(std::move(check), actor.label(), std::move(done));
  }

  auto batch = std::make_shared<RevocationBatch>();
  batch->crl = std::move(published);
  batch->now = now;
  batch->actor = std::move(actor);
  batch->done = std::move(done);
  batch->action = "crl.upload";
  batch->lane = Lane::normal;
  batch->items.resize(upload->entries.size());
  for (std::size_t i = 0; i < upload->entries.size(); ++i) {
    CrlEntry& entry = upload->entries[i];
    PreparedRevocation& item = batch->items[i];
    item.issuer = issuer;
    item.issuer_name = issuer->name;
    item.serial = std::move(entry.serial);
    item.error = std::move(entry.error);
    if (item.error) continue;  // refused alone, stored nowhere
    item.key = storage::encode_cert_key(issuer->id, item.serial);
    item.time = entry.time;
    item.reason = entry.reason;
    item.invalidity_date = entry.invalidity_date;
  }
  parallel(
      batch->items.size(),
      [this, batch](std::size_t b, std::size_t e) { prepare_revocation_chunk(batch, b, e); },
      [this, batch] { submit_revocations(batch); }, batch->lane);
}

}  // namespace trustmon::registry
