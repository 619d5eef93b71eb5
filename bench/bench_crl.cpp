// CRL building (responder/crl): build and sign a full CRL of N revoked entries
// (N = 1,000, 100,000, 1,000,000) with an RSA-2048 and a P-256 key.
//
// What is timed: one crl::build_crl call per iteration, i.e. the checks, the DER of every
// entry, one SHA-256 over the tbsCertList, the signature, and freeing the result (the
// caller owns it; freeing 60 MB is part of its cost). Not timed: making the entries (random
// 16-octet serials, in one contiguous buffer the entries point into, as a storage scan
// would hand them over; reasons mixed; a third with an invalidity date).
// For comparison in the same run, BM_CrlSignOnly signs an already built tbsCertList of the
// same N: the floor set by hashing and the signature, so build/sign-only is the cost of
// writing the DER. The peer outside the process is `openssl ca -gencrl` on the same
// number of revocations: bench/crl_gencrl.py runs both and prints the ratio.
// Counters: entries/s, bytes (size of the CRL), bytes_per_entry.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/der.hpp"
#include "common/ossl.hpp"
#include "responder/crl/builder.hpp"
#include "responder/ocsp/signing_key.hpp"

namespace {

using namespace trustmon;

constexpr UnixTime kNow = 1790000000;  // 2026-09-21T14:13:20Z

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_crl: %s: %s\n", what.c_str(), ossl_errors().c_str());
  std::abort();
}

enum class Alg { rsa2048, p256 };

const ocsp::SigningKey& signing_key(Alg alg) {
  static std::map<Alg, std::unique_ptr<ocsp::SigningKey>> keys;
  auto& k = keys[alg];
  if (!k) {
    EvpPkeyPtr pkey(alg == Alg::rsa2048 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                                        : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!pkey) die("key generation");
    auto s = ocsp::SigningKey::create(pkey.get());
    if (!s) die(s.error().message);
    k = std::move(*s);
  }
  return *k;
}

const Bytes& issuer_name() {
  static const Bytes der = [] {
    X509NamePtr name(X509_NAME_new());
    X509_NAME_add_entry_by_txt(name.get(), "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("UA"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("trustmon bench"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Bench CRL CA"), -1, -1, 0);
    unsigned char* buf = nullptr;
    const int len = i2d_X509_NAME(name.get(), &buf);
    if (len <= 0) die("i2d_X509_NAME");
    Bytes out(buf, buf + len);
    OPENSSL_free(buf);
    return out;
  }();
  return der;
}

// N revocations: the serials in one buffer, the entries viewing into it.
struct Revocations {
  Bytes serials;
  std::vector<crl::Entry> entries;
};

const Revocations& revocations(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Revocations>> cache;
  auto& r = cache[n];
  if (r) return *r;
  r = std::make_unique<Revocations>();
  std::mt19937_64 rng(n);
  r->serials.resize(n * 16);
  for (auto& b : r->serials) b = static_cast<std::uint8_t>(rng());
  r->entries.resize(n);
  // Mixed reasons, as a CA's CRL has them: mostly none, superseded, cessation, key compromise.
  constexpr int kReasons[] = {storage::kNoReason, storage::kNoReason, 1, 3, 4, 4, 5, 5, 6, 9};
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t* s = r->serials.data() + i * 16;
    if (s[0] == 0) s[0] = 1;  // 16 octets of magnitude, no leading zero
    crl::Entry& e = r->entries[i];
    e.serial = ByteView(s, 16);
    e.time = kNow - static_cast<UnixTime>(rng() % (2 * 365 * 86400));
    e.reason = kReasons[rng() % 10];
    e.invalidity_date = i % 3 == 0 ? e.time - static_cast<UnixTime>(rng() % 86400) : 0;
  }
  return *r;
}

crl::CrlParams params() {
  static const Bytes key_id(20, 0x5a);
  crl::CrlParams p;
  p.issuer_name = issuer_name();
  p.authority_key_id = key_id;
  p.number = Bytes{0x01, 0x00, 0x00};
  p.this_update = kNow;
  p.next_update = kNow + 7 * 86400;
  return p;
}

void report(benchmark::State& state, std::size_t n, std::size_t bytes) {
  state.counters["entries/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["bytes_per_entry"] = n == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(n);
}

void build_and_sign(benchmark::State& state, Alg alg) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const ocsp::SigningKey& key = signing_key(alg);
  const Revocations& rev = revocations(n);
  const crl::CrlParams p = params();
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto der = crl::build_crl(p, rev.entries, key);
    if (!der) {
      state.SkipWithError(der.error().message.c_str());
      return;
    }
    bytes = der->size();
    benchmark::DoNotOptimize(der->data());
  }
  report(state, n, bytes);
}

// The tbsCertList of the same CRL, signed again and again: hashing plus one signature.
void sign_only(benchmark::State& state, Alg alg) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const ocsp::SigningKey& key = signing_key(alg);
  auto der = crl::build_crl(params(), revocations(n).entries, key);
  if (!der) {
    state.SkipWithError(der.error().message.c_str());
    return;
  }
  der::Tlv outer, tbs;
  der::Reader r(*der);
  if (!r.expect(der::kSequence, outer)) die("outer");
  der::Reader rt(outer.content);
  if (!rt.expect(der::kSequence, tbs)) die("tbs");
  Bytes sig(key.max_signature_size());
  for (auto _ : state) {
    auto len = key.sign(tbs.whole, sig.data());
    if (!len) {
      state.SkipWithError(len.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(sig.data());
  }
  report(state, n, der->size());
}

void BM_CrlRsa2048(benchmark::State& state) { build_and_sign(state, Alg::rsa2048); }
void BM_CrlP256(benchmark::State& state) { build_and_sign(state, Alg::p256); }
void BM_CrlSignOnlyRsa2048(benchmark::State& state) { sign_only(state, Alg::rsa2048); }

BENCHMARK(BM_CrlRsa2048)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CrlP256)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CrlSignOnlyRsa2048)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
