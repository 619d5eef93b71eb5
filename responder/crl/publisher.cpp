#include "responder/crl/publisher.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
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

// The order LMDB keeps keys in (memcmp, then the shorter first).
int compare_keys(ByteView a, ByteView b) noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  if (n != 0) {
    if (const int c = std::memcmp(a.data(), b.data(), n); c != 0) return c;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

std::string crl_url(const std::string& base, const std::string& issuer, std::string_view file) {
  if (base.empty()) return {};
  return base + "/crl/" + issuer + std::string(file);
}

}  // namespace

unsigned shard_of(ByteView serial, unsigned shards) noexcept {
  if (shards == 0) return 0;
  std::uint32_t h = 2166136261u;
  for (std::uint8_t b : serial) {
    h ^= b;
    h *= 16777619u;
  }
  return h % shards;
}

struct Publisher::Revoked {
  struct Item {
    std::size_t offset, size;  // the certs key in `keys`
    UnixTime time;
    int reason;
    UnixTime invalidity;
  };
  Bytes keys;
  std::vector<Item> items;

  ByteView key(const Item& it) const noexcept { return ByteView(keys.data() + it.offset, it.size); }
  ByteView serial(const Item& it) const noexcept {
    auto k = storage::decode_cert_key(key(it));
    return k ? k->serial : ByteView{};
  }
  Entry entry(const Item& it) const noexcept { return {serial(it), it.time, it.reason, it.invalidity}; }
};

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
  if (options_.delta_validity < 2) options_.delta_validity = 2;
  if (options_.shards > kMaxShards) options_.shards = kMaxShards;
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
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
        if (signers_[i].issuer->name == name) states_[i].changed = states_[i].delta_changed = true;
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
    if (changed || aging) {
      if (Status s = build(i); !s && first) first = std::move(s);
      continue;
    }
    if (options_.delta_interval <= 0) continue;
    const bool delta_changed = st.delta_changed && now >= st.delta_built + options_.delta_interval;
    const bool delta_aging = now >= st.delta_built + options_.delta_validity / 2;
    if (!delta_changed && !delta_aging) continue;
    if (Status s = build_delta(i); !s && first) first = std::move(s);
  }
  return first;
}

Result<std::shared_ptr<const Publisher::Revoked>> Publisher::read_revoked(const pki::Issuer& issuer, UnixTime now,
                                                                        Bytes* next) {
  auto revoked = std::make_shared<Revoked>();
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) return std::move(txn).error();
  storage::ReadScope scope(*txn);
  if (!scope.status()) return scope.status().error();
  auto last = storage::last_crl_number(*txn, issuer.id);
  if (!last) return std::move(last).error();
  *next = *last ? next_number(**last) : Bytes{1};
  const bool keep_expired = options_.expired_certs_on_crl;
  Status walked = storage::for_each_prefix(
      *txn, storage::Table::certs, storage::encode_issuer_key(issuer.id), [&](ByteView key, ByteView value) -> Status {
        auto record = storage::decode_cert(value);
        if (!record) return std::move(record).error();
        if (record->status != storage::CertStatus::revoked) return {};
        if (!keep_expired && record->not_after != 0 && record->not_after < now) return {};  // expired: off the CRL
        if (!storage::decode_cert_key(key))
          return make_error(ErrorKind::storage, "storage_corrupt", "undecodable certs key");
        revoked->items.push_back(
            {revoked->keys.size(), key.size(), record->revocation_time, record->reason, record->invalidity_date});
        revoked->keys.insert(revoked->keys.end(), key.begin(), key.end());
        return {};
      });
  if (!walked) return walked.error();
  return std::shared_ptr<const Revoked>(std::move(revoked));
}

namespace {

storage::CrlRecord built_record(Bytes der, const CrlParams& params, std::size_t entries, storage::CrlScope scope,
                                UnixTime now) {
  storage::CrlRecord record;
  record.source = storage::CrlSource::built;
  record.scope = scope;
  if (params.delta_base) record.base_number = *params.delta_base;
  record.number = params.number;
  record.this_update = params.this_update;
  record.next_update = params.next_update;
  record.published_at = now;
  record.entries = entries;
  record.sha256 = sha256(der);
  record.der = std::move(der);
  return record;
}

}  // namespace

// A failed build: counted, and the error says which CRL of which issuer.
Status Publisher::count_failure(Error e, const char* what, const pki::Issuer& issuer) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.failures;
  e.message = std::string(what) + " of issuer \"" + issuer.name + "\": " + e.message;
  return e;
}

// What every CRL of this signer carries: issuer, AKI, times, expiredCertsOnCRL when configured.
Result<CrlParams> Publisher::params_of(const CrlSigner& signer, UnixTime this_update, UnixTime next_update) const {
  CrlParams params;
  params.issuer_name = signer.issuer->subject_der;
  params.authority_key_id = signer.authority_key_id;
  params.this_update = this_update;
  params.next_update = next_update;
  if (options_.expired_certs_on_crl) {
    auto since = asn1_time_to_unix(X509_get0_notBefore(signer.issuer->ca.get()));
    if (!since) return std::move(since).error();
    params.expired_certs_on_crl = *since;  // every expired certificate of this CA is kept
  }
  return params;
}

Result<Bytes> Publisher::build_special(storage::IssuerId issuer, UnixTime as_of, bool expired) {
  const CrlSigner* signer = nullptr;
  for (const CrlSigner& s : signers_)
    if (s.issuer->id == issuer) signer = &s;
  if (signer == nullptr) return make_error(ErrorKind::not_found, "crl_not_found", "no CRL is built here for that issuer");
  Bytes next;
  auto revoked = read_revoked(*signer->issuer, as_of, &next);
  if (!revoked) return std::move(revoked).error();
  std::vector<Entry> entries;
  for (const auto& it : (*revoked)->items)
    if (it.time <= as_of) entries.push_back((*revoked)->entry(it));
  const UnixTime this_update = expired ? as_of - 2 * options_.validity : as_of;
  auto params = params_of(*signer, this_update, this_update + options_.validity);
  if (!params) return std::move(params).error();
  // The latest number published (the one before `next`), or 1 before the first.
  params->number = next;
  for (auto it = params->number.rbegin(); it != params->number.rend(); ++it) {
    const bool borrow = *it == 0;
    --*it;  // decrement with borrow (0x00 - 1 = 0xff, and on to the next octet)
    if (!borrow) break;
  }
  while (params->number.size() > 1 && params->number.front() == 0) params->number.erase(params->number.begin());
  if (params->number == Bytes{0}) params->number = Bytes{1};
  return build_crl(*params, entries, *signer->key);
}

Status Publisher::store(std::size_t index, std::vector<std::shared_ptr<const storage::CrlRecord>> records) {
  const std::string issuer_name = signers_.at(index).issuer->name;
  const storage::IssuerId issuer_id = signers_.at(index).issuer->id;
  return writer_.run_sync([records = std::move(records), issuer_name, issuer_id](storage::WriteTxn& txn) -> Status {
    for (const auto& r : records) {
      if (Status s = storage::put_crl(txn, issuer_id, *r); !s) return s;
      const std::string number = storage::crl_number_decimal(r->number);
      const std::string base = storage::crl_number_decimal(r->base_number);
      const std::string digest = hex_encode(r->sha256);
      registry::CrlPublishedFields f;
      f.issuer = issuer_name;
      f.number_decimal = number;
      f.source = "built";
      f.this_update = r->this_update;
      f.next_update = r->next_update;
      f.entries = r->entries;
      f.sha256_hex = digest;
      f.scope = r->scope.kind == storage::CrlKind::delta ? "delta"
                : r->scope.shard != storage::kNoShard   ? "shard"
                                                        : "complete";
      if (r->scope.shard != storage::kNoShard) f.shard = r->scope.shard;
      if (!r->base_number.empty()) f.base_decimal = base;
      auto seq = storage::append_event(txn, {"crl.published", "crl-publisher", registry::crl_published_payload(f),
                                             r->published_at});
      if (!seq) return std::move(seq).error();
    }
    return {};
  });
}

Status Publisher::build(std::size_t index) {
  using SteadyClock = std::chrono::steady_clock;
  const auto started = SteadyClock::now();
  const CrlSigner& signer = signers_.at(index);
  const pki::Issuer& issuer = *signer.issuer;
  State& state = states_[index];
  const UnixTime now = clock_.now();
  const auto failed = [&](Error e) { return count_failure(std::move(e), "CRL", issuer); };
  state.changed = false;  // status changes committed from here on mark it again
  state.delta_changed = false;

  Bytes number;
  auto revoked = read_revoked(issuer, now, &number);
  if (!revoked) return failed(std::move(revoked).error());
  const Revoked& current = **revoked;
  std::vector<Entry> entries;
  entries.reserve(current.items.size());
  for (const auto& it : current.items) entries.push_back(current.entry(it));

  auto common = params_of(signer, now, now + options_.validity);
  if (!common) return failed(std::move(common).error());
  CrlParams params = std::move(*common);
  const bool deltas = options_.delta_interval > 0;
  std::vector<std::shared_ptr<const storage::CrlRecord>> records;

  // The complete CRL.
  params.number = number;
  if (deltas) params.freshest_crl_url = crl_url(options_.base_url, issuer.name, ".delta.crl");
  auto der = build_crl(params, entries, *signer.key);
  if (!der) return failed(std::move(der).error());
  const Bytes base_number = number;
  records.push_back(std::make_shared<const storage::CrlRecord>(
      built_record(std::move(*der), params, entries.size(), storage::kCompleteCrl, now)));
  params.freshest_crl_url.clear();

  // Its shards.
  if (options_.shards > 0) {
    std::vector<std::vector<Entry>> shards(options_.shards);
    for (const Entry& e : entries) shards[shard_of(e.serial, options_.shards)].push_back(e);
    params.only_user_certs = true;
    for (unsigned k = 0; k < options_.shards; ++k) {
      number = next_number(number);
      params.number = number;
      params.distribution_point_url = crl_url(options_.base_url, issuer.name, "/" + std::to_string(k) + ".crl");
      auto shard = build_crl(params, shards[k], *signer.key);
      if (!shard) return failed(std::move(shard).error());
      records.push_back(std::make_shared<const storage::CrlRecord>(built_record(
          std::move(*shard), params, shards[k].size(),
          storage::CrlScope{storage::CrlKind::complete, static_cast<std::uint16_t>(k)}, now)));
    }
    params.only_user_certs = false;
    params.distribution_point_url.clear();
  }

  // An empty delta against it, so the published delta always follows the published base.
  if (deltas) {
    number = next_number(number);
    params.number = number;
    params.delta_base = base_number;
    params.next_update = now + options_.delta_validity;
    auto delta = build_crl(params, {}, *signer.key);
    if (!delta) return failed(std::move(delta).error());
    records.push_back(std::make_shared<const storage::CrlRecord>(
        built_record(std::move(*delta), params, 0, storage::kDeltaCrl, now)));
  }

  if (Status stored = store(index, std::move(records)); !stored) return failed(stored.error());
  state.built = now;
  if (deltas) state.delta_built = now;
  state.base = std::move(*revoked);
  state.base_number = base_number;
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.builds;
  stats_.entries = entries.size();
  stats_.last_build_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started).count());
  return {};
}

Status Publisher::build_delta(std::size_t index) {
  State& state = states_[index];
  if (!state.base) return build(index);
  const CrlSigner& signer = signers_.at(index);
  const pki::Issuer& issuer = *signer.issuer;
  const UnixTime now = clock_.now();
  const auto failed = [&](Error e) { return count_failure(std::move(e), "delta CRL", issuer); };
  state.delta_changed = false;
  Bytes number;
  auto revoked = read_revoked(issuer, now, &number);
  if (!revoked) return failed(std::move(revoked).error());
  const Revoked& base = *state.base;
  const Revoked& current = **revoked;

  // Both lists are in key order: one merge finds what is new, changed or gone.
  std::vector<Entry> entries;
  std::size_t i = 0, j = 0;
  while (i < base.items.size() || j < current.items.size()) {
    const int c = i == base.items.size()      ? 1
                  : j == current.items.size() ? -1
                                              : compare_keys(base.key(base.items[i]), current.key(current.items[j]));
    if (c < 0) {  // left the CRL
      entries.push_back({base.serial(base.items[i]), now, storage::kReasonRemoveFromCrl, 0});
      ++i;
    } else if (c > 0) {  // new
      entries.push_back(current.entry(current.items[j]));
      ++j;
    } else {
      const auto& was = base.items[i];
      const auto& is = current.items[j];
      if (was.time != is.time || was.reason != is.reason || was.invalidity != is.invalidity)
        entries.push_back(current.entry(is));
      ++i;
      ++j;
    }
  }

  auto common = params_of(signer, now, now + options_.delta_validity);
  if (!common) return failed(std::move(common).error());
  CrlParams params = std::move(*common);
  params.number = number;
  params.delta_base = state.base_number;
  auto der = build_crl(params, entries, *signer.key);
  if (!der) return failed(std::move(der).error());
  std::vector<std::shared_ptr<const storage::CrlRecord>> records;
  records.push_back(std::make_shared<const storage::CrlRecord>(
      built_record(std::move(*der), params, entries.size(), storage::kDeltaCrl, now)));
  if (Status stored = store(index, std::move(records)); !stored) return failed(stored.error());
  state.delta_built = now;
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.delta_builds;
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
  m.counter("trustmon_crl_builds_total", "Complete CRLs (with their shards and delta) built, signed and stored here.",
            s.builds);
  m.counter("trustmon_crl_delta_builds_total", "Delta CRLs built between complete builds.", s.delta_builds);
  m.counter("trustmon_crl_build_failures_total", "CRL builds that failed (tried again at the next tick).", s.failures);
  m.header("trustmon_crl_entries", "gauge", "Entries of the last CRL built.");
  m.sample("trustmon_crl_entries", s.entries);
  m.header("trustmon_crl_build_seconds", "gauge", "Read, build and sign time of the last CRL built.");
  m.sample("trustmon_crl_build_seconds", static_cast<double>(s.last_build_us) / 1e6);
  return out;
}

}  // namespace trustmon::crl
