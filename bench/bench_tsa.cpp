// testbed::Tsa::respond, single-threaded: an EC P-256 and an RSA-2048 TSA (one SHA-256
// query with nonce and certReq), each with the hand-built token (the default) and with
// OpenSSL's pooled TS_RESP_CTX building it (TsaConfig::fast_tokens = false, the code before
// the hand-built path), plus the hand-built one without certReq. bench/tsa_speed.sh runs it beside `openssl speed` on the same core
// and prints the ratio to openssl's sign/s (bench/README.md, "bench_tsa").
#include <benchmark/benchmark.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "common/clock.hpp"
#include "responder/testbed/tsa.hpp"

namespace {

using namespace trustmon;  // NOLINT(google-build-using-namespace)

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
  check(ext && X509_add_ext(cert, ext.get(), -1) == 1, "extension");
}

// A certificate for `key` named `cn`; issuer == nullptr: self-signed CA.
X509Ptr make_cert(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  X509NamePtr name(X509_NAME_new());
  check(cert && name && X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_new");
  check(X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0) == 1,
        "name");
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), issuer == nullptr ? 1 : 2);
  check(X509_set_subject_name(cert.get(), name.get()) == 1, "subject");
  check(X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name.get()) == 1, "issuer");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 86400);
  check(X509_set_pubkey(cert.get(), key) == 1, "pubkey");
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (issuer == nullptr) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), signer, NID_ext_key_usage, "critical,timeStamping");
  }
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "sign");
  return cert;
}

EvpPkeyPtr make_key(bool rsa) {
  EvpPkeyPtr k(rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
  check(k != nullptr, "key");
  return k;
}

Bytes make_query(bool cert_req) {
  std::unique_ptr<TS_REQ, decltype(&TS_REQ_free)> req(TS_REQ_new(), TS_REQ_free);
  std::unique_ptr<TS_MSG_IMPRINT, decltype(&TS_MSG_IMPRINT_free)> imprint(TS_MSG_IMPRINT_new(), TS_MSG_IMPRINT_free);
  std::unique_ptr<X509_ALGOR, decltype(&X509_ALGOR_free)> alg(X509_ALGOR_new(), X509_ALGOR_free);
  X509_ALGOR_set0(alg.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr);
  unsigned char hash[32];
  RAND_bytes(hash, sizeof hash);
  Asn1IntegerPtr nonce(ASN1_INTEGER_new());
  ASN1_INTEGER_set(nonce.get(), 0x7a5b3c1d);
  check(TS_REQ_set_version(req.get(), 1) == 1 && TS_MSG_IMPRINT_set_algo(imprint.get(), alg.get()) == 1 &&
            TS_MSG_IMPRINT_set_msg(imprint.get(), hash, sizeof hash) == 1 &&
            TS_REQ_set_msg_imprint(req.get(), imprint.get()) == 1 && TS_REQ_set_nonce(req.get(), nonce.get()) == 1 &&
            TS_REQ_set_cert_req(req.get(), cert_req ? 1 : 0) == 1,
        "query");
  unsigned char* out = nullptr;
  const int len = i2d_TS_REQ(req.get(), &out);
  check(len > 0, "i2d_TS_REQ");
  OsslBytesPtr owned(out);
  return Bytes(out, out + len);
}

void BM_TsaRespond(benchmark::State& state) {
  const bool rsa = state.range(0) != 0;
  const bool fast = state.range(1) != 0;
  const bool cert_req = state.range(2) != 0;
  EvpPkeyPtr root_key = make_key(false);
  X509Ptr root = make_cert("TEST bench root", root_key.get(), nullptr, nullptr);
  EvpPkeyPtr key = make_key(rsa);
  testbed::TsaConfig c;
  c.certificate = make_cert("TEST bench TSA", key.get(), root.get(), root_key.get());
  c.key = std::move(key);
  X509_up_ref(root.get());
  c.chain.emplace_back(root.get());
  c.fast_tokens = fast;  // false: OpenSSL's TS_RESP_CTX (pooled) builds every token, as before
  auto tsa = testbed::Tsa::create(std::move(c), SystemClock::instance());
  if (!tsa) {
    state.SkipWithError(tsa.error().message.c_str());
    return;
  }
  const Bytes query = make_query(cert_req);
  for (auto _ : state) {
    auto reply = (*tsa)->respond(query);
    if (!reply || reply->size() < 100) {
      state.SkipWithError("no token");
      return;
    }
    benchmark::DoNotOptimize(reply->data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(rsa ? "rsa2048" : "ecdsap256") + (fast ? " hand-built" : " TS_RESP_CTX") +
                 (cert_req ? "" : " no certReq"));
}
BENCHMARK(BM_TsaRespond)->ArgNames({"rsa", "fast", "certreq"})
    ->Args({0, 1, 1})->Args({0, 0, 1})->Args({0, 1, 0})->Args({1, 1, 1})->Args({1, 0, 1})->Args({1, 1, 0})
    ->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
