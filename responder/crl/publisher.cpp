#include "responder/crl/publisher.hpp"

#include <nlohmann/json.hpp>

#include <exception>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "responder/crl/builder.hpp"
#include "responder/registry/event_payloads.hpp"
#include "storage/crls.hpp"
#include "storage/event_log.hpp"
#include "storage/event_tail.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::crl {

namespace {

constexpr std::size_t kEventBatch = 1024;

// number + 1 as a big-endian magnitude.
Bytes next_number(ByteView number) {
  Bytes n(number.begin(), number.end());
  for (std::size_t i = n.size(); i-- > 0;) {
    if (++n[i] != 0) return n;
  }
  n.insert(n.begin(), 1);
  return n;
}

}  // namespace

Result<CrlSigner> make_signer(const pki::Issuer& issuer, EVP_PKEY* key, X509* signer_cert) {
  X509* cert = signer_cert != nullptr ? signer_cert : issuer.ca.get();
  if (signer_cert != nullptr) {
    if (X509_NAME_cmp(X509_get_subject_name(signer_cert), issuer.subject()) != 0)
      return make_error(ErrorKind::invalid, "crl_signer_invalid",
                        "the CRL signer certificate of issuer \"" + issuer.name + "\" must carry the CA's subject");
    if (X509_verify(signer_cert, issuer.public_key()) != 1) {
      ossl_errors();
      return make_error(ErrorKind::invalid, "crl_signer_invalid",
                        "the CRL signer certificate of issuer \"" + issuer.name + "\" is not issued by the CA");
    }
  }
  if (key == nullptr || X509_check_private_key(cert, key) != 1) {
    ossl_errors();
    return make_error(ErrorKind::invalid, "crl_key_mismatch",
                      "the CRL key of issuer \"" + issuer.name + "\" does not match its certificate");
  }
  auto signing = ocsp::SigningKey::create(key);
  if (!signing) return std::move(signing).error();
  CrlSigner s;
  s.issuer = &issuer;
  if (const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(cert))
    s.authority_key_id.assign(ASN1_STRING_get0_data(skid), ASN1_STRING_get0_data(skid) + ASN1_STRING_length(skid));
  s.key = std::move(*signing);
  return s;
}

Publisher::Publisher(storage::Env& env, storage::Writer& writer, std::vector<CrlSigner> signers, const Clock& clock,
                     PublisherOptions options)
    : env_(env), writer_(writer), signers_(std::move(signers)), states_(signers_.size()), clock_(clock),
      options_(options) {
  if (options_.validity < 2) options_.validity = 2;
}

Publisher::~Publisher() { stop(); }

void Publisher::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_ || signers_.empty()) return;
  thread_ = std::thread([this] { loop(); });
}

void Publisher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Publisher::loop() {
  for (;;) {
    try {
      if (Status s = run_once(); !s) log().warn("crl: {}", s.error().message);
    } catch (const std::exception& e) {
      try {
        log().error("crl: publisher round threw: {}", e.what());
      } catch (...) {
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, options_.tick, [this] { return stopping_; })) return;
  }
}

Status Publisher::run_once() {
  std::lock_guard<std::mutex> lock(round_mu_);
  return round();
}

// Marks the issuers whose certificates were revoked since the last look.
Status Publisher::scan_events() {
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) return std::move(txn).error();
  const storage::EventTail tail(kEventBatch);
  for (;;) {
    storage::ReadScope scope(*txn);
    if (!scope.status()) return scope.status();
    auto read = tail.read(*txn, seen_seq_, [&](storage::EventRecord&& e) {
      if (e.type != "certificate.revoked" && e.type != "certificate.released") return;
      const auto payload = nlohmann::json::parse(e.payload, nullptr, false);
      if (!payload.is_object() || !payload.contains("issuer") || !payload["issuer"].is_string()) return;
      const std::string& name = payload["issuer"].get_ref<const std::string&>();
      for (std::size_t i = 0; i < signers_.size(); ++i)
        if (signers_[i].issuer->name == name) states_[i].changed = true;
    });
    if (!read) return std::move(read).error();
    seen_seq_ = read->last;
    if (!read->more) return {};
  }
}

Status Publisher::round() {
  Status first;
  if (!started_round_) {
    // Start: every issuer gets a CRL built from the current data; events so far are in it.
    auto txn = storage::ReadTxn::begin(env_);
    if (!txn) return std::move(txn).error();
    {
      storage::ReadScope scope(*txn);
      if (!scope.status()) return scope.status();
      auto seq = storage::last_event_seq(*txn);
      if (!seq) return std::move(seq).error();
      seen_seq_ = *seq;
    }
    started_round_ = true;
    for (std::size_t i = 0; i < signers_.size(); ++i)
      if (Status s = build(i); !s && first) first = std::move(s);
    return first;
  }
  if (Status s = scan_events(); !s) return s;
  const UnixTime now = clock_.now();
  for (std::size_t i = 0; i < signers_.size(); ++i) {
    const State& st = states_[i];
    const bool changed = st.changed && now >= st.built + options_.rebuild_after;
    const bool aging = st.built == 0 || now >= st.built + options_.validity / 2;
    if (!changed && !aging) continue;
    if (Status s = build(i); !s && first) first = std::move(s);
  }
  return first;
}

Status Publisher::build(std::size_t index) {
  using SteadyClock = std::chrono::steady_clock;
  const auto started = SteadyClock::now();
  const CrlSigner& signer = signers_.at(index);
  const pki::Issuer& issuer = *signer.issuer;
  State& state = states_[index];
  const UnixTime now = clock_.now();
  const auto failed = [&](Error e) -> Status {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.failures;
    e.message = "CRL of issuer \"" + issuer.name + "\": " + e.message;
    return e;
  };
  state.changed = false;  // status changes committed from here on mark it again

  // Revoked serials and their details, copied out of one snapshot.
  Bytes serials;
  struct Item {
    std::size_t offset, size;
    UnixTime time;
    int reason;
    UnixTime invalidity;
  };
  std::vector<Item> items;
  Bytes number;
  {
    auto txn = storage::ReadTxn::begin(env_);
    if (!txn) return failed(std::move(txn).error());
    storage::ReadScope scope(*txn);
    if (!scope.status()) return failed(scope.status().error());
    auto latest = storage::latest_crl(*txn, issuer.id);
    if (!latest) return failed(std::move(latest).error());
    number = *latest ? next_number((*latest)->number) : Bytes{1};
    Status walked = storage::for_each_prefix(
        *txn, storage::Table::certs, storage::encode_issuer_key(issuer.id), [&](ByteView key, ByteView value) -> Status {
          auto record = storage::decode_cert(value);
          if (!record) return std::move(record).error();
          if (record->status != storage::CertStatus::revoked) return {};
          if (record->not_after != 0 && record->not_after < now) return {};  // expired: off the CRL
          auto k = storage::decode_cert_key(key);
          if (!k) return make_error(ErrorKind::storage, "storage_corrupt", "undecodable certs key");
          items.push_back({serials.size(), k->serial.size(), record->revocation_time, record->reason,
                           record->invalidity_date});
          serials.insert(serials.end(), k->serial.begin(), k->serial.end());
          return {};
        });
    if (!walked) return failed(walked.error());
  }
  std::vector<Entry> entries;
  entries.reserve(items.size());
  for (const Item& it : items)
    entries.push_back({ByteView(serials.data() + it.offset, it.size), it.time, it.reason, it.invalidity});

  CrlParams params;
  params.issuer_name = issuer.subject_der;
  params.authority_key_id = signer.authority_key_id;
  params.number = number;
  params.this_update = now;
  params.next_update = now + options_.validity;
  auto der = build_crl(params, entries, *signer.key);
  if (!der) return failed(std::move(der).error());

  storage::CrlRecord record;
  record.source = storage::CrlSource::built;
  record.number = std::move(number);
  record.this_update = params.this_update;
  record.next_update = params.next_update;
  record.published_at = now;
  record.entries = entries.size();
  record.sha256 = sha256(*der);
  record.der = std::move(*der);
  const std::string issuer_name = issuer.name;
  const storage::IssuerId issuer_id = issuer.id;
  auto shared = std::make_shared<const storage::CrlRecord>(std::move(record));
  Status stored = writer_.run_sync([shared, issuer_name, issuer_id](storage::WriteTxn& txn) -> Status {
    if (Status s = storage::put_crl(txn, issuer_id, *shared); !s) return s;
    auto seq = storage::append_event(
        txn, {"crl.published", "crl-publisher",
              registry::crl_published_payload({issuer_name, storage::crl_number_decimal(shared->number), "built",
                                               shared->this_update, shared->next_update, shared->entries,
                                               hex_encode(shared->sha256)}),
              shared->published_at});
    if (!seq) return std::move(seq).error();
    return {};
  });
  if (!stored) return failed(stored.error());
  state.built = params.this_update;
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.builds;
  stats_.entries = shared->entries;
  stats_.last_build_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started).count());
  return {};
}

PublisherStats Publisher::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::string Publisher::metrics_text() const {
  const PublisherStats s = stats();
  std::string out;
  MetricsText m(out);
  m.counter("trustmon_crl_builds_total", "CRLs built, signed and stored here.", s.builds);
  m.counter("trustmon_crl_build_failures_total", "CRL builds that failed (tried again at the next tick).", s.failures);
  m.header("trustmon_crl_entries", "gauge", "Entries of the last CRL built.");
  m.sample("trustmon_crl_entries", s.entries);
  m.header("trustmon_crl_build_seconds", "gauge", "Read, build and sign time of the last CRL built.");
  m.sample("trustmon_crl_build_seconds", static_cast<double>(s.last_build_us) / 1e6);
  return out;
}

}  // namespace trustmon::crl
