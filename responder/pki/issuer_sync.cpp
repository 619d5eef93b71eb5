#include "responder/pki/issuer_sync.hpp"

#include <nlohmann/json.hpp>

#include "common/ossl.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::pki {

namespace {

Result<std::vector<storage::IssuerRecord>> stored_issuers(storage::Env& env) {
  auto txn = storage::ReadTxn::begin(env);
  if (!txn) return std::move(txn).error();
  storage::ReadScope scope(*txn);
  if (!scope.status()) return scope.status().error();
  return storage::collect(*txn, storage::Table::issuers, storage::decode_issuer);
}

Error issuer_error(const config::IssuerConfig& c, const Error& e) {
  return make_error(e.kind, e.code, "issuer \"" + c.name + "\": " + e.message);
}

}  // namespace

Result<IssuerSet> load_issuers(const std::vector<config::IssuerConfig>& issuers, storage::Env& env,
                               storage::Writer& writer, UnixTime now, const ResponderSink& responders) {
  auto stored = stored_issuers(env);
  if (!stored) return std::move(stored).error();
  storage::IssuerId next_id = 1;
  for (const auto& r : *stored) next_id = std::max(next_id, r.id + 1);

  IssuerSet set;
  std::vector<storage::IssuerRecord> to_write;
  for (const auto& c : issuers) {
    auto ca = load_cert_file(c.ca_cert);
    if (!ca) return issuer_error(c, ca.error());
    auto responder = load_cert_file(c.responder_cert);
    if (!responder) return issuer_error(c, responder.error());
    auto key = load_key_file(c.responder_key);
    if (!key) return issuer_error(c, key.error());
    auto identity = issuer_identity(ca->get());
    if (!identity) return issuer_error(c, identity.error());

    const storage::IssuerRecord* match = nullptr;
    for (const auto& r : *stored)
      if (r.identity == *identity) match = &r;
    storage::IssuerRecord record;
    if (match) {
      record = *match;
      if (record.name != c.name) {
        record.name = c.name;
        record.ca_der = x509_der(ca->get());
        to_write.push_back(record);
      }
    } else {
      record.id = next_id++;
      record.name = c.name;
      record.identity = *identity;
      record.ca_der = x509_der(ca->get());
      record.added = now;
      to_write.push_back(record);
    }
    bool self_signed_responses = X509_cmp(ca->get(), responder->get()) == 0;
    auto issuer = set.add(record.id, c.name, std::move(*ca), c.test);
    if (!issuer) return issuer_error(c, issuer.error());
    if (!responders) continue;
    if (Status s = responders(**issuer, self_signed_responses ? nullptr : std::move(*responder), std::move(*key)); !s)
      return issuer_error(c, s.error());
  }
  if (!to_write.empty()) {
    Status s = writer.run_sync([&to_write, now](storage::WriteTxn& txn) -> Status {
      for (const auto& r : to_write) {
        if (Status p = txn.put(storage::Table::issuers, storage::encode_issuer_key(r.id), storage::encode_issuer(r)); !p)
          return p;
        nlohmann::json payload = {{"id", r.id}, {"name", r.name}, {"identity", hex_encode(r.identity)}};
        auto seq = storage::append_event(txn, {"issuer.registered", "config", payload.dump(), now});
        if (!seq) return std::move(seq).error();
      }
      return {};
    });
    if (!s) return std::move(s).error();
  }
  return set;
}

}  // namespace trustmon::pki
