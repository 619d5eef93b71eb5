#include "responder/registry/registry.hpp"

#include <nlohmann/json.hpp>

#include <memory>

#include "common/ossl.hpp"
#include "common/time.hpp"
#include "responder/ocsp/presign.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

namespace {

// A revocation may be dated at most this far into the future (clock skew between a CA
// and us); later dates are refused.
constexpr UnixTime kMaxFutureSkew = 300;

std::string upper_hex(ByteView b) { return hex_encode(b, true); }

Error not_operated_error(const std::string& issuer) {
  return make_error("issuer_not_operated",
                    "the caller's participant does not operate the issuer \"" + issuer + "\"");
}

}  // namespace

// An item refused because the actor may not write for its issuer: recorded in the
// event log (in the batch's commit) so refusals are audited like writes.
Status record_denial(storage::WriteTxn& txn, const Actor& actor, const char* action, const ItemOutcome& out,
                     UnixTime now) {
  nlohmann::json payload = {{"action", action},
                            {"outcome", "refused"},
                            {"code", "issuer_not_operated"},
                            {"target", {{"issuer", out.issuer}, {"serial", out.serial_hex}}}};
  auto seq = storage::append_event(txn, {"access.denied", actor.label(), payload.dump(), now});
  if (!seq) return std::move(seq).error();
  return {};
}

const char* item_status_name(ItemStatus s) {
  switch (s) {
    case ItemStatus::stored: return "stored";
    case ItemStatus::duplicate: return "duplicate";
    case ItemStatus::revoked: return "revoked";
    case ItemStatus::unchanged: return "unchanged";
    case ItemStatus::refused: return "refused";
  }
  return "refused";
}

std::size_t BatchReport::count(ItemStatus s) const {
  std::size_t n = 0;
  for (const auto& i : items) n += i.status == s ? 1 : 0;
  return n;
}

struct Registry::PreparedCert {
  std::optional<Error> error;
  const ocsp::IssuerKeys* issuer = nullptr;
  std::string issuer_name;
  Bytes der;
  Bytes serial;
  Bytes key;  // certs / ocsp_responses key
  storage::CertRecord record;
  std::optional<storage::OcspResponseRecord> response;
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
  const ocsp::IssuerKeys* issuer = nullptr;
  bool denied = false;
};

Registry::Registry(storage::Writer& writer, const ocsp::IssuerTable& issuers, ocsp::OcspOptions options,
                   const Clock& clock, std::size_t prepare_threads)
    : writer_(writer), issuers_(issuers), options_(options), clock_(clock), prepare_(prepare_threads, "ingest") {}

void Registry::submit_batch(storage::Writer::Job job, std::shared_ptr<BatchReport> report, Callback done) {
  writer_.submit(std::move(job), [report = std::move(report), done = std::move(done)](Status s) {
    if (!s) {
      done(std::move(s).error());
      return;
    }
    done(std::move(*report));
  });
}

Registry::PreparedCert Registry::prepare_cert(const Bytes& der, UnixTime now) const {
  PreparedCert p;
  auto cert = x509_from_der(der);
  if (!cert) {
    p.error = make_error("certificate_malformed", "not a DER X.509 certificate");
    return p;
  }
  X509* x = cert->get();
  // The issuer is the configured CA whose subject is this certificate's issuer name and
  // whose key verifies its signature.
  bool name_matched = false;
  for (const ocsp::IssuerKeys* candidate : issuers_.all()) {
    if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(candidate->ca.get())) != 0) continue;
    name_matched = true;
    EVP_PKEY* ca_key = X509_get0_pubkey(candidate->ca.get());
    if (ca_key && X509_verify(x, ca_key) == 1) {
      p.issuer = candidate;
      break;
    }
  }
  ossl_errors();  // failed verifications leave entries in the error queue
  if (!p.issuer) {
    p.error = name_matched ? make_error("signature_invalid", "the signature does not verify under the issuer's key")
                           : make_error("issuer_unknown", "the certificate's issuer is not a configured issuer");
    return p;
  }
  p.issuer_name = p.issuer->name;
  p.serial = serial_bytes(X509_get0_serialNumber(x));
  if (p.serial.empty() || p.serial.size() > storage::kMaxSerialBytes ||
      ASN1_STRING_type(X509_get0_serialNumber(x)) == V_ASN1_NEG_INTEGER) {
    p.error = make_error("serial_invalid", "the serial number must be positive and at most 32 bytes");
    return p;
  }
  auto nb = asn1_time_to_unix(X509_get0_notBefore(x));
  auto na = asn1_time_to_unix(X509_get0_notAfter(x));
  if (!nb || !na) {
    p.error = make_error("certificate_malformed", "unreadable validity period");
    return p;
  }
  p.der = der;
  p.key = storage::encode_cert_key(p.issuer->id, p.serial);
  p.record.status = storage::CertStatus::good;
  p.record.not_before = *nb;
  p.record.not_after = *na;
  p.record.cert_sha256 = sha256(der);
  p.record.has_der = true;
  auto response = ocsp::presign(*p.issuer, p.serial, p.record, options_, now);
  if (!response) {
    p.error = make_error("internal_error", "signing the OCSP response failed: " + response.error().message);
    return p;
  }
  p.response = std::move(*response);
  return p;
}

void Registry::ingest(std::vector<Bytes> certificates, Actor actor, Callback done) {
  prepare_.submit([this, certificates = std::move(certificates), actor = std::move(actor),
                   done = std::move(done)]() mutable {
    ingest_prepared(std::move(certificates), std::move(actor), std::move(done));
  });
}

void Registry::ingest_prepared(std::vector<Bytes> certificates, Actor actor, Callback done) {
  UnixTime now = clock_.now();
  auto prepared = std::make_shared<std::vector<PreparedCert>>();
  prepared->reserve(certificates.size());
  for (const auto& der : certificates) {
    PreparedCert p = prepare_cert(der, now);
    if (!p.error && !actor.may_write_issuer(p.issuer->id)) {
      p.error = not_operated_error(p.issuer_name);
      p.denied = true;
    }
    prepared->push_back(std::move(p));
  }
  auto report = std::make_shared<BatchReport>();

  auto job = [prepared, report, actor, now](storage::WriteTxn& txn) -> Status {
    report->items.assign(prepared->size(), ItemOutcome{});  // the job may run again after map growth
    for (std::size_t i = 0; i < prepared->size(); ++i) {
      const PreparedCert& p = (*prepared)[i];
      ItemOutcome& out = report->items[i];
      out.issuer = p.issuer_name;
      if (!p.serial.empty()) out.serial_hex = upper_hex(p.serial);
      if (p.record.has_der) out.sha256_hex = hex_encode(p.record.cert_sha256);
      if (p.error) {
        out.error = p.error;
        if (p.denied) {
          if (Status s = record_denial(txn, actor, "certificate.ingest", out, now); !s) return s;
        }
        continue;
      }
      auto child = storage::WriteTxn::begin_child(txn);
      if (!child) return std::move(child).error();
      auto existing = child->get(storage::Table::certs, p.key);
      if (!existing) return std::move(existing).error();
      storage::CertRecord record = p.record;
      record.participant = actor.participant;
      bool keep_response = true;
      if (*existing) {
        auto old = storage::decode_cert(**existing);
        if (!old) return std::move(old).error();
        if (old->has_der) {
          if (old->cert_sha256 == p.record.cert_sha256) {
            out.status = ItemStatus::duplicate;
          } else {
            out.error = make_error("serial_conflict",
                                   "another certificate with this issuer and serial number is already registered");
          }
          child->abort();
          continue;
        }
        // Revoked before we saw it: keep the revocation (and its signed response), add the certificate.
        record.status = old->status;
        record.revocation_time = old->revocation_time;
        record.reason = old->reason;
        record.invalidity_date = old->invalidity_date;
        keep_response = old->status == storage::CertStatus::good;
      }
      Status s = child->put(storage::Table::certs, p.key, storage::encode_cert(record));
      if (s) s = child->put(storage::Table::cert_der, record.cert_sha256, p.der);
      if (s && keep_response)
        s = child->put(storage::Table::ocsp_responses, p.key, storage::encode_ocsp_response(*p.response));
      if (s) {
        nlohmann::json payload = {{"issuer", p.issuer_name}, {"serial", out.serial_hex}, {"sha256", out.sha256_hex}};
        auto seq = storage::append_event(*child, {"certificate.issued", actor.label(), payload.dump(), now});
        if (!seq) s = std::move(seq).error();
      }
      if (!s) return s;  // a storage fault (map full, I/O) fails the whole batch, to be retried
      if (Status c = child->commit(); !c) return c;
      out.status = ItemStatus::stored;
    }
    return {};
  };
  submit_batch(std::move(job), std::move(report), std::move(done));
}

Registry::PreparedRevocation Registry::prepare_revocation(const RevocationInput& in, UnixTime now) const {
  PreparedRevocation p;
  p.issuer_name = in.issuer;
  p.issuer = issuers_.find_by_name(in.issuer);
  if (!p.issuer) {
    p.error = make_error("issuer_unknown", "no configured issuer is named \"" + in.issuer + "\"");
    return p;
  }
  auto serial = hex_decode(in.serial_hex.size() % 2 ? "0" + in.serial_hex : in.serial_hex);
  if (!serial || serial->empty()) {
    p.error = make_error("serial_invalid", "the serial number must be hexadecimal");
    return p;
  }
  std::size_t zeros = 0;
  while (zeros + 1 < serial->size() && (*serial)[zeros] == 0) ++zeros;
  p.serial.assign(serial->begin() + static_cast<std::ptrdiff_t>(zeros), serial->end());
  if (p.serial.size() > storage::kMaxSerialBytes) {
    p.error = make_error("serial_invalid", "the serial number is longer than 32 bytes");
    return p;
  }
  auto reason = storage::reason_from_name(in.reason.empty() ? "unspecified" : in.reason);
  if (!reason || *reason == 8 /* removeFromCRL: not a revocation */) {
    p.error = make_error("reason_invalid", "unknown revocation reason \"" + in.reason +
                                               "\" (use the RFC 5280 names, e.g. keyCompromise)");
    return p;
  }
  p.reason = *reason;
  p.time = now;
  if (!in.time.empty()) {
    auto t = parse_rfc3339(in.time);
    if (!t || *t > now + kMaxFutureSkew || *t < 0) {
      p.error = make_error("time_invalid", "\"time\" must be an RFC 3339 time not in the future");
      return p;
    }
    p.time = *t;
  }
  if (!in.invalidity_date.empty()) {
    auto t = parse_rfc3339(in.invalidity_date);
    if (!t || *t > p.time || *t < 0) {
      p.error = make_error("time_invalid", "\"invalidity_date\" must be an RFC 3339 time not after the revocation");
      return p;
    }
    p.invalidity_date = *t;
  }
  p.key = storage::encode_cert_key(p.issuer->id, p.serial);
  return p;
}

void Registry::revoke(std::vector<RevocationInput> revocations, Actor actor, Callback done) {
  prepare_.submit([this, revocations = std::move(revocations), actor = std::move(actor),
                   done = std::move(done)]() mutable {
    revoke_prepared(std::move(revocations), std::move(actor), std::move(done));
  });
}

void Registry::revoke_prepared(std::vector<RevocationInput> revocations, Actor actor, Callback done) {
  UnixTime now = clock_.now();
  struct Item {
    PreparedRevocation p;
    storage::CertRecord revoked;                         // the record to store (validity filled in the job)
    std::optional<storage::OcspResponseRecord> response;  // signed outside the txn
  };
  auto items = std::make_shared<std::vector<Item>>();
  items->reserve(revocations.size());
  for (const auto& in : revocations) {
    Item item{prepare_revocation(in, now), {}, {}};
    if (!item.p.error && !actor.may_write_issuer(item.p.issuer->id)) {
      item.p.error = not_operated_error(item.p.issuer_name);
      item.p.denied = true;
    }
    if (!item.p.error) {
      item.revoked.status = storage::CertStatus::revoked;
      item.revoked.revocation_time = item.p.time;
      item.revoked.reason = item.p.reason;
      item.revoked.invalidity_date = item.p.invalidity_date;
      auto response = ocsp::presign(*item.p.issuer, item.p.serial, item.revoked, options_, now);
      if (!response)
        item.p.error = make_error("internal_error", "signing the OCSP response failed: " + response.error().message);
      else
        item.response = std::move(*response);
    }
    items->push_back(std::move(item));
  }
  auto report = std::make_shared<BatchReport>();
  auto job = [items, report, actor, now](storage::WriteTxn& txn) -> Status {
    report->items.assign(items->size(), ItemOutcome{});
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Item& item = (*items)[i];
      ItemOutcome& out = report->items[i];
      out.issuer = item.p.issuer_name;
      if (!item.p.serial.empty()) out.serial_hex = upper_hex(item.p.serial);
      if (item.p.error) {
        out.error = item.p.error;
        if (item.p.denied) {
          if (Status s = record_denial(txn, actor, "certificate.revoke", out, now); !s) return s;
        }
        continue;
      }
      auto existing = txn.get(storage::Table::certs, item.p.key);
      if (!existing) return std::move(existing).error();
      storage::CertRecord record = item.revoked;
      if (*existing) {
        auto old = storage::decode_cert(**existing);
        if (!old) return std::move(old).error();
        // A revocation is final; the only change allowed afterwards is turning a hold
        // (certificateHold) into a permanent revocation.
        if (old->status == storage::CertStatus::revoked &&
            !(old->reason == 6 && item.p.reason != 6)) {
          out.status = ItemStatus::unchanged;
          continue;
        }
        record.not_before = old->not_before;
        record.not_after = old->not_after;
        record.cert_sha256 = old->cert_sha256;
        record.has_der = old->has_der;
        record.participant = old->participant;
      }
      auto child = storage::WriteTxn::begin_child(txn);
      if (!child) return std::move(child).error();
      Status s = child->put(storage::Table::certs, item.p.key, storage::encode_cert(record));
      if (s) s = child->put(storage::Table::ocsp_responses, item.p.key, storage::encode_ocsp_response(*item.response));
      if (s) {
        nlohmann::json payload = {{"issuer", item.p.issuer_name},
                                  {"serial", out.serial_hex},
                                  {"reason", storage::reason_name(record.reason)},
                                  {"revocation_time", format_rfc3339(record.revocation_time)}};
        if (record.invalidity_date) payload["invalidity_date"] = format_rfc3339(record.invalidity_date);
        auto seq = storage::append_event(*child, {"certificate.revoked", actor.label(), payload.dump(), now});
        if (!seq) s = std::move(seq).error();
      }
      if (!s) return s;
      if (Status c = child->commit(); !c) return c;
      out.status = ItemStatus::revoked;
    }
    return {};
  };
  submit_batch(std::move(job), std::move(report), std::move(done));
}

}  // namespace trustmon::registry
