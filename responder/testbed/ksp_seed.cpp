// See ksp_seed.hpp.
#include "responder/testbed/ksp_seed.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <filesystem>
#include <future>

#include "common/log.hpp"
#include "responder/testbed/test_ca.hpp"

namespace trustmon::testbed {
namespace {

constexpr std::uint8_t kRecordFormat = 1;

Error corrupt(const std::string& what) {
  return make_error(ErrorKind::storage, "storage_corrupt", "ksp_keys record: " + what);
}

// Waits for a registry batch (the seed runs on its own thread, never on the Writer's); the
// first refused item is the batch's error.
Status wait_batch(const std::function<void(registry::Registry::Callback)>& start) {
  auto promise = std::make_shared<std::promise<Result<registry::BatchReport>>>();
  auto future = promise->get_future();
  start([promise](Result<registry::BatchReport> r) { promise->set_value(std::move(r)); });
  const Result<registry::BatchReport> r = future.get();
  if (!r) return r.error();
  for (const auto& item : r->items)
    if (item.error) return *item.error;
  return {};
}

Scenario scenario_of(KspOutcome o) {
  switch (o) {
    case KspOutcome::revoked: return Scenario::revoked;
    case KspOutcome::on_hold: return Scenario::on_hold;
    case KspOutcome::expired: return Scenario::expired;
    case KspOutcome::untrusted_issuer: return Scenario::untrusted_issuer;
    default: return Scenario::valid;
  }
}

// The stored record of `rnokpp`, when there is one (copied out of the transaction).
Result<std::optional<Bytes>> stored_record(storage::Env& env, const std::string& rnokpp) {
  auto txn = storage::ReadTxn::begin(env);
  if (!txn) return std::move(txn).error();
  storage::ReadScope scope(*txn);
  if (!scope.status()) return scope.status().error();
  auto got = txn->get(storage::Table::ksp_keys, as_bytes(std::string_view(rnokpp)));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<Bytes>();
  return std::optional<Bytes>(to_bytes(**got));
}

// The holder a stored record gives, or nullopt when it must be made again (why in `why`).
std::optional<KspHolder> usable(const Ksp& ksp, const KspIdentity& identity, ByteView value, const X509* issuer,
                                std::string& why) {
  auto record = decode_ksp_record(value);
  if (!record) {
    why = record.error().message;
    return std::nullopt;
  }
  if (record->version != kKspIdentitiesVersion) {
    why = "made for identity table " + record->version;
    return std::nullopt;
  }
  auto key = ksp.open_sealed(identity.rnokpp, record->sealed_key);
  if (!key) {
    why = "its key does not open under ksp.key";
    return std::nullopt;
  }
  auto cert = x509_from_der(record->certificate);
  EVP_PKEY* ca_key = X509_get0_pubkey(issuer);
  if (!cert || ca_key == nullptr || X509_verify(cert->get(), ca_key) != 1 ||
      X509_check_private_key(cert->get(), key->get()) != 1) {
    ossl_errors();
    why = "its certificate is not the current test CA's over its key";
    return std::nullopt;
  }
  KspHolder h;
  h.rnokpp = identity.rnokpp;
  h.key = std::move(*key);
  h.certificate = std::move(record->certificate);
  return h;
}

// A new key and certificate for `identity`, stored as the production paths store them
// (not for 09), then its record.
Result<KspHolder> make_holder(Ksp& ksp, const KspIdentity& identity, storage::Writer& writer,
                              registry::Registry& registry, const TestPki& pki, const std::string& base_url,
                              UnixTime now) {
  const std::string rnokpp = identity.rnokpp;
  IssueRequest r;
  r.ca = "test-ecdsa";
  r.profile = Profile::natural;
  if (identity.outcome == KspOutcome::organisation_head) {
    r.profile = Profile::representative;
    r.edrpou = kKspOrganisationCode;
    r.organization = "ТОВ «Тестова організація»";
  }
  r.rnokpp = rnokpp;
  r.cn = "Тестовий Підписувач " + rnokpp.substr(rnokpp.size() - 2);
  r.generate = pki::KeyAlgorithm::ec_p256;
  r.scenario = scenario_of(identity.outcome);
  r.scenario_given = true;
  r.days = r.scenario == Scenario::expired ? 365 : 3650;
  r.reason = "keyCompromise";
  auto made = issue(pki, r, now, base_url);
  if (!made) return std::move(made).error();
  auto key = private_key_from_pem(made->private_key_pem);
  OPENSSL_cleanse(made->private_key_pem.data(), made->private_key_pem.size());
  if (!key) return std::move(key).error();
  if (made->store) {
    Status stored = wait_batch([&](registry::Registry::Callback done) {
      registry.ingest({made->certificate.der}, Actor::bootstrap(), std::move(done));
    });
    if (!stored) return stored.error();
    if (r.scenario == Scenario::revoked || r.scenario == Scenario::on_hold) {
      registry::RevocationInput rev;
      rev.issuer = r.ca;
      rev.serial_hex = made->certificate.serial_hex;
      rev.reason = r.scenario == Scenario::on_hold ? "certificateHold" : "keyCompromise";
      Status revoked = wait_batch([&](registry::Registry::Callback done) {
        registry.revoke({rev}, Actor::bootstrap(), std::move(done));
      });
      if (!revoked) return revoked.error();
    }
  }
  auto sealed = ksp.seal(rnokpp, key->get());
  if (!sealed) return std::move(sealed).error();
  const Bytes value = encode_ksp_record({kKspIdentitiesVersion, std::move(*sealed), made->certificate.der});
  Status put = writer.run_sync([&rnokpp, &value](storage::WriteTxn& txn) {
    return txn.put(storage::Table::ksp_keys, as_bytes(std::string_view(rnokpp)), value);
  });
  if (!put) return put.error();
  KspHolder h;
  h.rnokpp = rnokpp;
  h.key = std::move(*key);
  h.certificate = std::move(made->certificate.der);
  return h;
}

}  // namespace

Result<Bytes> load_ksp_master_key(const std::string& dir) {
  const std::string path = dir + "/" + kKspMasterKeyFile;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto text = read_file(path);
    if (!text) return std::move(text).error();
    if (text->size() != kKspMasterKeyBytes)
      return make_error(ErrorKind::internal, "ksp_master_key_invalid", path + " is not 32 octets");
    Bytes key(text->begin(), text->end());
    OPENSSL_cleanse(text->data(), text->size());
    return key;
  }
  Bytes key(kKspMasterKeyBytes);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "RAND_bytes");
  if (Status s = write_file(path, as_chars(key), 0600); !s) return s.error();
  return key;
}

Result<std::unique_ptr<Ksp>> open_ksp(const std::string& dir, KspOptions options, const Clock& clock) {
  auto master = load_ksp_master_key(dir);
  if (!master) return std::move(master).error();
  const bool drawn = options.client_secret.empty();
  auto ksp = Ksp::create(std::move(options), std::move(*master), clock);
  if (!ksp) return std::move(ksp).error();
  if (drawn) {
    if (Status s = write_file(dir + "/" + kKspClientSecretFile, (*ksp)->client_secret(), 0600); !s) return s.error();
  }
  return std::move(*ksp);
}

Bytes encode_ksp_record(const KspKeyRecord& record) {
  Bytes out;
  out.reserve(2 + record.version.size() + 4 + record.sealed_key.size() + record.certificate.size());
  const std::size_t version_len = std::min<std::size_t>(record.version.size(), 255);
  out.push_back(kRecordFormat);
  out.push_back(static_cast<std::uint8_t>(version_len));
  out.insert(out.end(), record.version.begin(), record.version.begin() + static_cast<std::ptrdiff_t>(version_len));
  std::uint8_t len[4];
  put_be32(len, static_cast<std::uint32_t>(record.sealed_key.size()));
  out.insert(out.end(), len, len + 4);
  out.insert(out.end(), record.sealed_key.begin(), record.sealed_key.end());
  out.insert(out.end(), record.certificate.begin(), record.certificate.end());
  return out;
}

Result<KspKeyRecord> decode_ksp_record(ByteView value) {
  if (value.size() < 2 || value[0] != kRecordFormat) return corrupt("unknown format");
  const std::size_t version_len = value[1];
  if (value.size() < 2 + version_len + 4) return corrupt("truncated");
  KspKeyRecord r;
  r.version.assign(reinterpret_cast<const char*>(value.data() + 2), version_len);
  const std::size_t at = 2 + version_len;
  const std::size_t sealed_len = get_be32(value.data() + at);
  if (value.size() - at - 4 < sealed_len) return corrupt("truncated key");
  r.sealed_key.assign(value.begin() + static_cast<std::ptrdiff_t>(at + 4),
                      value.begin() + static_cast<std::ptrdiff_t>(at + 4 + sealed_len));
  r.certificate.assign(value.begin() + static_cast<std::ptrdiff_t>(at + 4 + sealed_len), value.end());
  if (r.certificate.empty()) return corrupt("no certificate");
  return r;
}

Result<KspSeedReport> seed_ksp(Ksp& ksp, storage::Env& env, storage::Writer& writer, registry::Registry& registry,
                               const TestPki& pki, const std::string& base_url, const Clock& clock,
                               const std::atomic<bool>& cancel) {
  const TestCa* ca = pki.find("test-ecdsa");
  if (ca == nullptr) return make_error(ErrorKind::internal, "testca_unknown", "the test bed has no test-ecdsa CA");
  KspSeedReport report;
  std::vector<KspHolder> holders;
  for (const KspIdentity& identity : ksp_identities()) {
    if (cancel.load()) return make_error(ErrorKind::unavailable, "cancelled", "the key store's seeding was cancelled");
    const bool untrusted = identity.outcome == KspOutcome::untrusted_issuer;
    const X509* issuer = untrusted ? pki.untrusted().cert.get() : ca->ca.cert.get();
    auto stored = stored_record(env, identity.rnokpp);
    if (!stored) return std::move(stored).error();
    std::optional<KspHolder> holder;
    if (*stored) {
      std::string why;
      holder = usable(ksp, identity, **stored, issuer, why);
      if (!holder) log().info("test bed: key store holder {} is made again: {}", identity.rnokpp, why);
    }
    if (holder) {
      ++report.loaded;
    } else {
      auto made = make_holder(ksp, identity, writer, registry, pki, base_url, clock.now());
      if (!made) return std::move(made).error();
      holder = std::move(*made);
      ++report.made;
    }
    holder->chain.push_back(x509_der(issuer));
    holders.push_back(std::move(*holder));
  }
  if (Status s = ksp.install(std::move(holders)); !s) return s.error();
  return report;
}

}  // namespace trustmon::testbed
