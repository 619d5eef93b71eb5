#include "responder/testbed/seed.hpp"

#include <openssl/pem.h>

#include <future>
#include <nlohmann/json.hpp>

#include "responder/testbed/faults.hpp"
#include "responder/testbed/test_ca.hpp"
#include "responder/testcases/service.hpp"

namespace trustmon::testbed {
namespace {

using nlohmann::json;

constexpr const char* kMain = "urn:etsi:019102:mainindication:";
constexpr const char* kSub = "urn:etsi:019102:subindication:";

json verdict(const std::string& main, const std::string& sub = "") {
  json v = {{"main", kMain + main}};
  if (!sub.empty()) v["sub"] = kSub + sub;
  return v;
}

json input(const std::string& role, const std::string& media_type, ByteView bytes) {
  return {{"role", role}, {"media_type", media_type}, {"content", base64_encode(bytes)}};
}

// Waits for a registry batch (the seed runs on its own thread, never on the Writer's).
Result<registry::BatchReport> wait_batch(const std::function<void(registry::Registry::Callback)>& start) {
  auto promise = std::make_shared<std::promise<Result<registry::BatchReport>>>();
  auto future = promise->get_future();
  start([promise](Result<registry::BatchReport> r) { promise->set_value(std::move(r)); });
  return future.get();
}

Status first_error(const Result<registry::BatchReport>& r) {
  if (!r) return r.error();
  for (const auto& item : r->items)
    if (item.error) return *item.error;
  return {};
}

// A PKCS#10 request over `key_pem`'s key (PEM).
Result<std::string> csr_over(const std::string& key_pem, const std::string& cn) {
  auto key = private_key_from_pem(key_pem);
  if (!key) return std::move(key).error();
  X509ReqPtr req(X509_REQ_new());
  auto name = pki::make_name({{NID_countryName, "UA"}, {NID_commonName, cn}});
  if (!name) return std::move(name).error();
  if (!req || X509_REQ_set_subject_name(req.get(), name->get()) != 1 || X509_REQ_set_pubkey(req.get(), key->get()) != 1 ||
      X509_REQ_sign(req.get(), key->get(), EVP_sha256()) <= 0)
    return ossl_error(ErrorKind::internal, "crypto_failed", "cannot sign the seed CSR");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "PEM_write_bio_X509_REQ");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

struct Seeder {
  storage::Writer& writer;
  const Clock& clock;
  SeedReport report;

  Status add(const std::string& name, json draft) {
    draft["visibility"] = "public";
    draft["tags"] = json::array({"seed", "testbed"});
    auto parsed = testcases::parse_case_draft(draft);
    if (!parsed) return parsed.error();
    auto outcome = testcases::seed_case(writer, clock, testcases::SeedCase{name, std::move(*parsed)});
    if (!outcome) return outcome.error();
    ++report.cases;
    if (outcome->created) ++report.created;
    return {};
  }
};

struct CertPlan {
  const char* name;
  Scenario scenario;
  const char* rnokpp;
  const char* title;
  const char* main;
  const char* sub;
  const char* ref;
};

}  // namespace

Result<SeedReport> seed_test_cases(storage::Env& env, storage::Writer& writer, registry::Registry& registry,
                                   const TestPki& pki, const TestListFiles& list, const std::string& base_url,
                                   const Clock& clock, const std::atomic<bool>& cancel) {
  {
    auto txn = storage::ReadTxn::begin(env);
    if (!txn) return std::move(txn).error();
    storage::ReadScope scope(*txn);
    if (!scope.status()) return scope.status().error();
    auto got = txn->get(storage::Table::meta, as_bytes(std::string_view(kMetaSeeded)));
    if (!got) return std::move(got).error();
    if (*got) return SeedReport{0, 0, true};
  }
  const auto cancelled = [&cancel]() -> std::optional<Error> {
    if (cancel.load()) return make_error(ErrorKind::unavailable, "cancelled", "the seed run was cancelled");
    return std::nullopt;
  };
  Seeder seeder{writer, clock, {}};
  const UnixTime now = clock.now();
  const std::string validation_time = format_rfc3339(now + 60);

  // 1. Certificates, made and stored as the production paths store them.
  const CertPlan plans[] = {
      {"certificate-valid", Scenario::valid, "3999999901", "A valid qualified certificate of the test CA",
       "total-passed", "", "ETSI EN 319 102-1 §5.2.6"},
      {"certificate-revoked", Scenario::revoked, "3999999902", "A certificate revoked before the validation time",
       "total-failed", "REVOKED", "ETSI EN 319 102-1 §5.2.6"},
      {"certificate-on-hold", Scenario::on_hold, "3999999903", "A certificate on hold (certificateHold)",
       "indeterminate", "TRY_LATER", "ETSI EN 319 102-1 §5.2.6"},
      {"certificate-expired", Scenario::expired, "3999999904", "A certificate past its notAfter",
       "indeterminate", "OUT_OF_BOUNDS_NO_POE", "ETSI EN 319 102-1 §5.2.6"},
      {"certificate-wrong-key-usage", Scenario::wrong_key_usage, "3999999905",
       "A signer certificate without digitalSignature or nonRepudiation", "indeterminate",
       "CHAIN_CONSTRAINTS_FAILURE", "RFC 5280 §4.2.1.3"},
      {"certificate-untrusted-issuer", Scenario::untrusted_issuer, "3999999906",
       "A certificate whose issuer no trusted list names", "indeterminate", "NO_CERTIFICATE_CHAIN_FOUND",
       "ETSI EN 319 102-1 §5.2.6"},
  };
  std::string valid_serial, valid_key_pem;
  for (const CertPlan& plan : plans) {
    if (auto e = cancelled()) return *e;
    IssueRequest r;
    r.ca = "test-ecdsa";
    r.rnokpp = plan.rnokpp;
    r.cn = std::string("Seed ") + plan.name;
    r.generate = pki::KeyAlgorithm::ec_p256;
    r.scenario = plan.scenario;
    auto made = issue(pki, r, now, base_url);
    if (!made) return std::move(made).error();
    if (made->store) {
      auto stored = wait_batch([&](registry::Registry::Callback done) {
        registry.ingest({made->certificate.der}, Actor::bootstrap(), std::move(done));
      });
      if (Status s = first_error(stored); !s) return s.error();
      if (plan.scenario == Scenario::revoked || plan.scenario == Scenario::on_hold) {
        registry::RevocationInput rev;
        rev.issuer = "test-ecdsa";
        rev.serial_hex = made->certificate.serial_hex;
        rev.reason = plan.scenario == Scenario::on_hold ? "certificateHold" : "keyCompromise";
        auto revoked = wait_batch([&](registry::Registry::Callback done) {
          registry.revoke({rev}, Actor::bootstrap(), std::move(done));
        });
        if (Status s = first_error(revoked); !s) return s.error();
      }
    }
    if (plan.scenario == Scenario::valid) {
      valid_serial = made->certificate.serial_hex;
      valid_key_pem = made->private_key_pem;
    }
    std::string chain;
    for (const auto& c : made->chain_pem) chain += c;
    json draft = {{"kind", "certificate"},
                  {"polarity", plan.scenario == Scenario::valid ? "positive" : "negative"},
                  {"refs", json::array({plan.ref})},
                  {"title", plan.title},
                  {"inputs", json::array({input("signer-certificate", "application/pkix-cert", made->certificate.der),
                                          input("chain", "application/pem-certificate-chain", as_bytes(chain))})},
                  {"params", {{"validation_time", validation_time}, {"trust_anchor", "tl:TL-UA-TEST"}}},
                  {"expected", verdict(plan.main, plan.sub)}};
    if (Status s = seeder.add(plan.name, std::move(draft)); !s) return s.error();
  }

  // 2. Each OCSP fault: the procedure (the fault to put in force, the certificate to ask
  //    about) and the status a client must report.
  const std::pair<const char*, const char*> ocsp_expectations[] = {
      {"unsigned", "signature_invalid"},       {"wrong_signer", "signer_not_authorised"},
      {"wrong_certid", "certid_mismatch"},     {"stale_next_update", "response_expired"},
      {"future_this_update", "response_not_yet_valid"}, {"nonce_missing", "nonce_missing"},
      {"nonce_wrong", "nonce_mismatch"},       {"try_later", "try_later"},
      {"internal_error", "internal_error"},    {"unauthorized", "unauthorized"},
      {"truncated", "malformed_response"},     {"delay", ""},
  };
  for (const auto& [fault, error] : ocsp_expectations) {
    if (auto e = cancelled()) return *e;
    json fault_body = {{"target", "ocsp"}, {"issuer", "test-ecdsa"}, {"serial", valid_serial},
                       {"fault", fault}, {"count", 1}};
    if (std::string_view(fault) == "delay") fault_body["ms"] = 3000;
    const json procedure = {{"put", {{"path", "/api/v1/testca/faults"}, {"body", fault_body}}},
                            {"then", "ask " + base_url + "/ocsp for test-ecdsa serial " + valid_serial +
                                         " with a nonce, and judge the answer"}};
    const std::string text = procedure.dump(2);
    json expected = std::string_view(fault) == "delay"
                        ? json{{"ocsp_cert_status", "good"}}  // slow but sound: wait, do not fail
                        : json{{"error_code", error}};
    json draft = {{"kind", "protocol_exchange"},
                  {"polarity", std::string_view(fault) == "delay" ? "positive" : "negative"},
                  {"refs", json::array({"RFC 6960 §3.2", "RFC 6960 §4.2.2.2"})},
                  {"title", std::string("OCSP answer with the fault ") + fault},
                  {"inputs", json::array({input("procedure", "application/json", as_bytes(text))})},
                  {"params", {{"trust_anchor", "test-ecdsa"}}},
                  {"expected", expected}};
    if (Status s = seeder.add(std::string("ocsp-") + fault, std::move(draft)); !s) return s.error();
  }

  // 3. CSR uniqueness: a new key is free; the valid certificate's key is taken; a request
  //    reserved once is refused the second time.
  {
    if (auto e = cancelled()) return *e;
    auto keys = pki::KeyFactory::create();
    if (!keys) return std::move(keys).error();
    auto fresh_key = keys->generate(pki::KeyAlgorithm::ec_p256);
    if (!fresh_key) return std::move(fresh_key).error();
    auto fresh_pem = pki::key_pem(fresh_key->get());
    if (!fresh_pem) return std::move(fresh_pem).error();
    auto fresh = csr_over(*fresh_pem, "Seed fresh key");
    if (!fresh) return std::move(fresh).error();
    auto used = csr_over(valid_key_pem, "Seed certified key");
    if (!used) return std::move(used).error();
    const struct {
      const char* name;
      const char* title;
      const std::string* csr;
      json expected;
      const char* polarity;
    } csr_cases[] = {
        {"csr-unique", "A request over a key never seen: reserved (POST /api/v1/csr/reservations)", &*fresh,
         json{{"http_status", 201}}, "positive"},
        {"csr-key-already-used", "A request over the key of a stored certificate", &*used,
         json{{"http_status", 409}, {"error_code", "key_already_used"}}, "negative"},
        {"csr-already-processed", "The same request reserved a second time", &*fresh,
         json{{"http_status", 409}, {"error_code", "csr_already_processed"}}, "negative"},
    };
    for (const auto& c : csr_cases) {
      json draft = {{"kind", "protocol_exchange"},
                    {"polarity", c.polarity},
                    {"refs", json::array({"trustmon CSR uniqueness (docs/openapi.yaml /api/v1/csr)"})},
                    {"title", c.title},
                    {"inputs", json::array({input("request", "application/pkcs10", as_bytes(*c.csr))})},
                    {"params", {{"trust_anchor", "test-ecdsa"}}},
                    {"expected", c.expected}};
      if (Status s = seeder.add(c.name, std::move(draft)); !s) return s.error();
    }
  }

  // 4. The test trusted list as signed, and with one character of its scheme name changed.
  {
    if (auto e = cancelled()) return *e;
    std::string tampered = list.xml;
    if (const auto at = tampered.find("not for production use"); at != std::string::npos) tampered[at] = 'N';
    const std::pair<const char*, const std::string*> lists[] = {{"tl-valid", &list.xml}, {"tl-tampered", &tampered}};
    for (const auto& [name, xml] : lists) {
      const bool valid = std::string_view(name) == "tl-valid";
      json draft = {{"kind", "tsl"},
                    {"polarity", valid ? "positive" : "negative"},
                    {"refs", json::array({"ETSI TS 119 612 §5.7", "ETSI TS 119 612 Annex B"})},
                    {"title", valid ? "The test trusted list as signed" : "The test trusted list, one character changed"},
                    {"inputs", json::array({input("trusted-list", "application/xml", as_bytes(*xml)),
                                            input("signer-certificate", "application/pkix-cert",
                                                  x509_der(pki.tl_signer().cert.get()))})},
                    {"params", {{"validation_time", validation_time}, {"trust_anchor", "tl-signer"}}},
                    {"expected", valid ? verdict("total-passed") : verdict("total-failed", "HASH_FAILURE")}};
      if (Status s = seeder.add(name, std::move(draft)); !s) return s.error();
    }
  }

  Status done = writer.run_sync([](storage::WriteTxn& txn) {
    return txn.put(storage::Table::meta, as_bytes(std::string_view(kMetaSeeded)), as_bytes(std::string_view("1")));
  });
  if (!done) return done.error();
  return seeder.report;
}

}  // namespace trustmon::testbed
