// OCSP hot paths: request parsing (83-byte SHA-1 request, 120-byte with a nonce), issuer
// lookup, the pre-signed answer path over a temporary LMDB holding 10,000 responses
// (one ReadScope per request, as a worker does), live signing with P-256 and RSA-2048
// (one CertID), and for comparison in the same run the raw signature costs
// (EVP_DigestSign with a fresh context, and EVP_PKEY_sign on a digest with a reused
// context, which is what `openssl speed ecdsap256` measures) and OpenSSL's own OCSP
// API (OCSP_basic_sign). The ratio live/raw is the figure to report.
// Runs in about 20 s:  ./bench_ocsp  (TRUSTMON_BENCH_DIR picks the disk for the LMDB).
#include <benchmark/benchmark.h>
#include <openssl/ocsp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "responder/ocsp/responder_keys.hpp"
#include "responder/ocsp/presign.hpp"
#include "responder/ocsp/request.hpp"
#include "responder/ocsp/responder.hpp"
#include "responder/ocsp/signer.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"

namespace {

using namespace trustmon;
using namespace trustmon::ocsp;

constexpr std::size_t kResponses = 10000;
constexpr std::size_t kRequests = 1024;  // distinct pre-built requests cycled through

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_ocsp: %s: %s\n", what.c_str(), ossl_errors().c_str());
  std::abort();
}

void ext(X509* cert, const X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, const_cast<X509*>(issuer), cert, nullptr, nullptr, 0);
  X509ExtPtr e(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!e || X509_add_ext(cert, e.get(), -1) != 1) die("extension");
}

X509Ptr make_cert(const char* cn, long serial, EVP_PKEY* key, const X509* issuer, EVP_PKEY* issuer_key,
                  bool ca, bool ocsp) {
  X509Ptr c(X509_new());
  X509_set_version(c.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial);
  X509NamePtr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_subject_name(c.get(), name.get());
  X509_set_issuer_name(c.get(), X509_get_subject_name(issuer ? issuer : c.get()));
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), 86400L * 365);
  X509_set_pubkey(c.get(), key);
  const X509* signer = issuer ? issuer : c.get();
  ext(c.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (ocsp) {
    ext(c.get(), signer, NID_ext_key_usage, "OCSPSigning");
    ext(c.get(), signer, NID_id_pkix_OCSP_noCheck, "ignored");
  }
  if (X509_sign(c.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0) die("X509_sign");
  return c;
}

X509Ptr up(X509* c) {
  X509_up_ref(c);
  return X509Ptr(c);
}
EvpPkeyPtr up(EVP_PKEY* k) {
  EVP_PKEY_up_ref(k);
  return EvpPkeyPtr(k);
}

Bytes serial_of(std::size_t i) {
  Bytes s(16, 0x11);  // 16 octets, high bit clear: the 83-byte request of the brief
  put_be32(s.data() + 12, static_cast<std::uint32_t>(i));
  return s;
}

Bytes request_der(const X509* issuer, const EVP_MD* md, ByteView serial, bool nonce) {
  OcspRequestPtr req(OCSP_REQUEST_new());
  BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  Asn1IntegerPtr n(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  OCSP_CERTID* id = OCSP_cert_id_new(md, X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer), n.get());
  OCSP_request_add0_id(req.get(), id);
  if (nonce) OCSP_request_add1_nonce(req.get(), nullptr, 16);
  unsigned char* buf = nullptr;
  const int len = i2d_OCSP_REQUEST(req.get(), &buf);
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

struct Fixture {
  EvpPkeyPtr ec_ca_key, ec_resp_key, rsa_ca_key;
  X509Ptr ec_ca, ec_resp, rsa_ca;
  pki::IssuerSet issuers;
  ResponderTable table;
  FixedClock clock{static_cast<UnixTime>(std::time(nullptr))};
  std::string dir;
  std::unique_ptr<storage::Env> env;
  std::vector<Bytes> requests;        // SHA-1, no nonce, serials with pre-signed responses
  Bytes request83, request120;

  Fixture() {
    ec_ca_key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    ec_resp_key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    rsa_ca_key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
    if (!ec_ca_key || !ec_resp_key || !rsa_ca_key) die("keygen");
    ec_ca = make_cert("Bench CA P-256", 1, ec_ca_key.get(), nullptr, nullptr, true, false);
    ec_resp = make_cert("Bench OCSP P-256", 2, ec_resp_key.get(), ec_ca.get(), ec_ca_key.get(), false, true);
    rsa_ca = make_cert("Bench CA RSA", 3, rsa_ca_key.get(), nullptr, nullptr, true, false);
    auto ec_issuer = issuers.add(1, "ec", up(ec_ca.get()));
    auto rsa_issuer = issuers.add(2, "rsa", up(rsa_ca.get()));
    if (!ec_issuer || !rsa_issuer) die("issuer");
    if (auto st = table.add(**ec_issuer, up(ec_resp.get()), up(ec_resp_key.get())); !st) die(st.error().message);
    if (auto st = table.add(**rsa_issuer, nullptr, up(rsa_ca_key.get())); !st) die(st.error().message);

    request83 = request_der(ec_ca.get(), EVP_sha1(), serial_of(1), false);
    request120 = request_der(ec_ca.get(), EVP_sha1(), serial_of(1), true);

    const char* base = std::getenv("TRUSTMON_BENCH_DIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/trustmon-bench-ocsp-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) die("mkdtemp");
    dir = tmpl;
    storage::EnvOptions o;
    o.path = dir;
    auto opened = storage::Env::open(o);
    if (!opened) die(opened.error().message);
    env = std::move(*opened);

    // 10,000 certificates of the P-256 issuer with their pre-signed responses.
    const ResponderKeys& ec = *table.find_by_id(1);
    auto txn = storage::WriteTxn::begin(*env);
    if (!txn) die("begin");
    storage::CertRecord cert;
    cert.not_before = clock.now() - 3600;
    cert.not_after = clock.now() + 86400 * 365;
    OcspOptions opts;
    for (std::size_t i = 0; i < kResponses; ++i) {
      const Bytes serial = serial_of(i);
      const Bytes key = storage::encode_cert_key(1, serial);
      auto rec = presign(ec, serial, cert, opts, clock.now());
      if (!rec) die(rec.error().message);
      if (!txn->put(storage::Table::certs, key, storage::encode_cert(cert)) ||
          !txn->put(storage::Table::ocsp_responses, key, storage::encode_ocsp_response(*rec)))
        die("put");
    }
    if (!txn->commit()) die("commit");
    for (std::size_t i = 0; i < kRequests; ++i)
      requests.push_back(request_der(ec_ca.get(), EVP_sha1(), serial_of((i * 7919) % kResponses), false));
  }
  ~Fixture() {
    env.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Fixture& fx() {
  static Fixture f;
  return f;
}

void BM_ParseRequest83(benchmark::State& state) {
  const Bytes& der = fx().request83;
  ParsedRequest out;
  for (auto _ : state) {
    const char* why = parse_request(der, kDefaultMaxCertIds, out);
    benchmark::DoNotOptimize(why);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = static_cast<double>(der.size());
}
BENCHMARK(BM_ParseRequest83);

void BM_ParseRequest120Nonce(benchmark::State& state) {
  const Bytes& der = fx().request120;
  ParsedRequest out;
  for (auto _ : state) {
    const char* why = parse_request(der, kDefaultMaxCertIds, out);
    benchmark::DoNotOptimize(why);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = static_cast<double>(der.size());
}
BENCHMARK(BM_ParseRequest120Nonce);

void BM_IssuerLookup(benchmark::State& state) {
  ParsedRequest req;
  if (parse_request(fx().request83, kDefaultMaxCertIds, req) != nullptr) die("parse");
  const CertIdRef c = req.certids[0];
  for (auto _ : state) benchmark::DoNotOptimize(fx().table.find(c.alg, c.name_hash, c.key_hash));
}
BENCHMARK(BM_IssuerLookup);

// The whole pre-signed path as a worker runs it: open the read scope, answer, copy out.
void presigned(benchmark::State& state, bool check_status) {
  Fixture& f = fx();
  auto txn = storage::ReadTxn::begin(*f.env);
  if (!txn) die("read txn");
  OcspOptions opts;
  opts.check_presigned_status = check_status;
  const Responder responder(f.table, opts, f.clock);
  std::size_t i = 0, served = 0;
  Bytes out;
  out.reserve(2048);
  for (auto _ : state) {
    storage::ReadScope scope(*txn);
    Answer a = responder.answer(f.requests[i++ % kRequests], *txn);
    served += a.outcome == Outcome::presigned;
    out.assign(a.body.begin(), a.body.end());
    benchmark::DoNotOptimize(out.data());
  }
  if (served != static_cast<std::size_t>(state.iterations())) state.SkipWithError("not served pre-signed");
  state.counters["resp_bytes"] = static_cast<double>(out.size());
}
void BM_AnswerPresigned(benchmark::State& state) { presigned(state, true); }
void BM_AnswerPresignedNoStatusCheck(benchmark::State& state) { presigned(state, false); }
BENCHMARK(BM_AnswerPresigned);
BENCHMARK(BM_AnswerPresignedNoStatusCheck);

// What a GET adds to the pre-signed path: the ETag text (RFC 5019 caching headers).
void BM_AnswerPresignedEtag(benchmark::State& state) {
  Fixture& f = fx();
  auto txn = storage::ReadTxn::begin(*f.env);
  if (!txn) die("read txn");
  const Responder responder(f.table, OcspOptions{}, f.clock);
  std::size_t i = 0, tagged = 0;
  Bytes out;
  out.reserve(2048);
  for (auto _ : state) {
    storage::ReadScope scope(*txn);
    Answer a = responder.answer(f.requests[i++ % kRequests], *txn);
    // What the GET route writes (ocsp_routes.cpp format_etag): the quoted hex, on the stack.
    char tag[34];
    std::size_t n = 0;
    tag[n++] = '"';
    for (std::uint8_t b : a.etag_source) {
      tag[n++] = "0123456789abcdef"[b >> 4];
      tag[n++] = "0123456789abcdef"[b & 0x0f];
    }
    tag[n++] = '"';
    tagged += n == 34;
    out.assign(a.body.begin(), a.body.end());
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(tag);
  }
  if (tagged != static_cast<std::size_t>(state.iterations())) state.SkipWithError("no ETag");
}
BENCHMARK(BM_AnswerPresignedEtag);

void live_sign(benchmark::State& state, storage::IssuerId id) {
  const ResponderKeys& k = *fx().table.find_by_id(id);
  const Bytes certid = build_certid_der(HashAlg::sha1, k, serial_of(5));
  const UnixTime now = fx().clock.now();
  const SingleStatus s{certid, CertState::good, 0, storage::kNoReason, 0, now, now + 86400};
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto der = sign_response(k, std::span<const SingleStatus>(&s, 1), std::nullopt, now, false);
    if (!der) state.SkipWithError("sign failed");
    bytes = der->size();
    benchmark::DoNotOptimize(der);
  }
  state.counters["sign/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["resp_bytes"] = static_cast<double>(bytes);
}
void BM_LiveSignP256(benchmark::State& state) { live_sign(state, 1); }
void BM_LiveSignRsa2048(benchmark::State& state) { live_sign(state, 2); }
BENCHMARK(BM_LiveSignP256);
BENCHMARK(BM_LiveSignRsa2048);

// The full live path: a request with a nonce, parsed, looked up, read, signed.
void BM_AnswerLiveNonceP256(benchmark::State& state) {
  Fixture& f = fx();
  auto txn = storage::ReadTxn::begin(*f.env);
  if (!txn) die("read txn");
  const Responder responder(f.table, OcspOptions{}, f.clock);
  for (auto _ : state) {
    storage::ReadScope scope(*txn);
    Answer a = responder.answer(f.request120, *txn);
    if (!is_live(a.outcome)) state.SkipWithError("not live");
    benchmark::DoNotOptimize(a.body.data());
  }
  state.counters["sign/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AnswerLiveNonceP256);

// Raw signature with a fresh EVP_DigestSign context over a tbsResponseData-sized input.
void raw_digest_sign(benchmark::State& state, EVP_PKEY* key) {
  const Bytes data(200, 0x5a);
  Bytes sig(static_cast<std::size_t>(EVP_PKEY_get_size(key)));
  for (auto _ : state) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    std::size_t len = sig.size();
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1)
      state.SkipWithError("EVP_DigestSign failed");
    benchmark::DoNotOptimize(sig.data());
  }
  state.counters["sign/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
void BM_RawDigestSignP256(benchmark::State& state) { raw_digest_sign(state, fx().ec_resp_key.get()); }
void BM_RawDigestSignRsa2048(benchmark::State& state) { raw_digest_sign(state, fx().rsa_ca_key.get()); }
BENCHMARK(BM_RawDigestSignP256);
BENCHMARK(BM_RawDigestSignRsa2048);

// What `openssl speed` measures: EVP_PKEY_sign on a ready digest with one reused context.
void raw_pkey_sign(benchmark::State& state, EVP_PKEY* key) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1)
    die("sign init");
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING);
  const Bytes dgst(32, 0x5a);
  Bytes sig(static_cast<std::size_t>(EVP_PKEY_get_size(key)));
  for (auto _ : state) {
    std::size_t len = sig.size();
    if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, dgst.data(), dgst.size()) != 1)
      state.SkipWithError("EVP_PKEY_sign failed");
    benchmark::DoNotOptimize(sig.data());
  }
  state.counters["sign/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
void BM_RawPkeySignP256(benchmark::State& state) { raw_pkey_sign(state, fx().ec_resp_key.get()); }
void BM_RawPkeySignRsa2048(benchmark::State& state) { raw_pkey_sign(state, fx().rsa_ca_key.get()); }
BENCHMARK(BM_RawPkeySignP256);
BENCHMARK(BM_RawPkeySignRsa2048);

// OpenSSL's OCSP API for the same response (delegated P-256 responder, one good CertID).
void BM_OpenSslOcspApiP256(benchmark::State& state) {
  Fixture& f = fx();
  const Bytes serial = serial_of(5);
  BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  Asn1IntegerPtr n(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  OcspCertIdPtr id(
      OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(f.ec_ca.get()), X509_get0_pubkey_bitstr(f.ec_ca.get()), n.get()));
  const time_t now = static_cast<time_t>(f.clock.now());
  for (auto _ : state) {
    OcspBasicRespPtr bs(OCSP_BASICRESP_new());
    Asn1TimePtr thisupd(ASN1_GENERALIZEDTIME_set(nullptr, now));
    Asn1TimePtr nextupd(ASN1_GENERALIZEDTIME_set(nullptr, now + 86400));
    if (!OCSP_basic_add1_status(bs.get(), id.get(), V_OCSP_CERTSTATUS_GOOD, 0, nullptr, thisupd.get(), nextupd.get()) ||
        OCSP_basic_sign(bs.get(), f.ec_resp.get(), f.ec_resp_key.get(), EVP_sha256(), nullptr, OCSP_RESPID_KEY) != 1)
      state.SkipWithError("OCSP_basic_sign failed");
    OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs.get()));
    unsigned char* buf = nullptr;
    const int len = i2d_OCSP_RESPONSE(resp.get(), &buf);
    benchmark::DoNotOptimize(len);
    OPENSSL_free(buf);
  }
  state.counters["sign/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OpenSslOcspApiP256);

}  // namespace

BENCHMARK_MAIN();
