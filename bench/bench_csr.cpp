// CSR uniqueness service: the read path (check) and reservations (reserve, a Writer job
// with a durable group commit) against 1,000,000 stored reservations, with 50 threads
// each submitting a reservation and waiting for it, as 50 HTTP clients would. Peers
// measured in the same run: the same Writer committing one small record per job (the
// floor a reservation can reach), and a raw EVP verification next to parse_csr.
// Runs in about a minute (the fill takes most of it):  ./bench_csr
// (set TRUSTMON_BENCH_DIR to pick the disk).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "responder/csr/request.hpp"
#include "responder/csr/service.hpp"
#include "responder/csr/reservation.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace {

using namespace trustmon;
using namespace trustmon::csr;
using storage::Table;

constexpr std::uint64_t kStored = 1'000'000;
constexpr UnixTime kNow = 1'800'000'000;
constexpr int kSubmitters = 50;

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A pseudo-random hash, the same for the same (n, salt).
Sha256 hash_of(std::uint64_t n, std::uint64_t salt) {
  Sha256 h{};
  for (std::size_t i = 0; i < 4; ++i) put_be64(h.data() + 8 * i, splitmix(n * 8 + salt * 0x1000000000ULL + i));
  return h;
}

ParsedCsr fake_csr(std::uint64_t n) {
  ParsedCsr p;
  p.csr_sha256 = hash_of(n, 1);
  p.spki_sha256 = hash_of(n, 2);
  p.subject_sha256 = hash_of(n, 3);
  p.pop_verified = true;
  return p;
}

std::atomic<std::uint64_t> g_fresh{kStored + 1};

struct Fixture {
  std::string dir;
  std::unique_ptr<storage::Env> env;
  std::unique_ptr<storage::Writer> writer;
  std::unique_ptr<CsrService> service;
  FixedClock clock{kNow};

  Fixture() {
    const char* base = std::getenv("TRUSTMON_BENCH_DIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/trustmon-bench-csr-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    storage::EnvOptions o;
    o.path = dir;
    o.initial_map_size = std::size_t{2} << 30;
    auto opened = storage::Env::open(o);
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
      std::abort();
    }
    env = std::move(opened).value();
    fill();
    writer = std::make_unique<storage::Writer>(*env);
    writer->start();
    service = std::make_unique<CsrService>(*env, *writer, clock);
  }
  ~Fixture() {
    writer->stop();
    service.reset();
    writer.reset();
    env.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  // Direct write transactions of 100,000 reservations each: 70 % issued, 20 % released,
  // 10 % reserved with a long TTL, like a store after months of use.
  void fill() {
    const auto t0 = std::chrono::steady_clock::now();
    constexpr std::uint64_t kBatch = 100'000;
    for (std::uint64_t first = 1; first <= kStored; first += kBatch) {
      auto txn = storage::WriteTxn::begin(*env);
      if (!txn.ok()) std::abort();
      for (std::uint64_t id = first; id < first + kBatch && id <= kStored; ++id) {
        const ParsedCsr p = fake_csr(id);
        Reservation r;
        r.id = id;
        r.participant = static_cast<std::uint32_t>(1 + id % 40);
        r.csr_sha256 = p.csr_sha256;
        r.spki_sha256 = p.spki_sha256;
        r.subject_sha256 = p.subject_sha256;
        r.issuer = static_cast<std::uint32_t>(1 + id % 25);
        r.created = r.changed = r.first_seen = kNow - 86400;
        r.expires = kNow + 86400;
        r.pop_verified = true;
        const std::uint64_t kind = id % 10;
        r.state = kind < 7 ? ReservationState::issued : kind < 9 ? ReservationState::released : ReservationState::reserved;
        if (r.state == ReservationState::issued) r.cert_sha256 = hash_of(id, 4);
        const Bytes key = encode_reservation_key(id);
        Status s = txn->put(Table::csr_reservations, key, encode_reservation(r), MDB_APPEND);
        if (s) s = txn->put(Table::csr_index, r.csr_sha256, key);
        if (s && r.state != ReservationState::released) s = txn->put(Table::csr_key_index, key_index_key(r.spki_sha256, id), key);
        if (!s) {
          std::fprintf(stderr, "fill: %s\n", s.error().message.c_str());
          std::abort();
        }
      }
      if (!txn->commit().ok()) std::abort();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "filled %llu reservations in %.1f s\n", static_cast<unsigned long long>(kStored), secs);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// check() of requests never seen: two index misses (the common answer).
void BM_CheckUnique(benchmark::State& state) {
  Fixture& f = fixture();
  auto rtxn = storage::ReadTxn::begin(*f.env);
  if (!rtxn.ok()) std::abort();
  std::uint64_t n = 50'000'000 + static_cast<std::uint64_t>(state.thread_index()) * 10'000'000;
  for (auto _ : state) {
    const ParsedCsr p = fake_csr(n++);
    storage::ReadScope scope(*rtxn);
    auto r = f.service->check(*rtxn, p, 3, 1);
    if (!r.ok() || !r->unique) {
      state.SkipWithError("unexpected answer");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckUnique)->Threads(1)->Threads(2)->MinTime(0.5)->UseRealTime();

// check() of stored requests: index hit, record read, a refusal with its holder.
void BM_CheckStored(benchmark::State& state) {
  Fixture& f = fixture();
  auto rtxn = storage::ReadTxn::begin(*f.env);
  if (!rtxn.ok()) std::abort();
  std::uint64_t x = 12345 + static_cast<std::uint64_t>(state.thread_index());
  for (auto _ : state) {
    x = splitmix(x);
    const ParsedCsr p = fake_csr(1 + x % kStored);
    storage::ReadScope scope(*rtxn);
    auto r = f.service->check(*rtxn, p, 3, 1);
    if (!r.ok()) {
      state.SkipWithError("check failed");
      break;
    }
    benchmark::DoNotOptimize(r->unique);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckStored)->Threads(1)->Threads(2)->MinTime(0.5)->UseRealTime();

// 50 threads, each: submit, wait for the durable answer, submit the next. One iteration
// is `per_thread` operations per thread; latencies of every operation give p50/p99.
template <typename Op>
void run_submitters(benchmark::State& state, int per_thread, Op op) {
  std::vector<double> all;
  for (auto _ : state) {
    std::vector<std::vector<double>> lat(kSubmitters);
    std::vector<std::thread> threads;
    std::atomic<bool> failed{false};
    for (int t = 0; t < kSubmitters; ++t) {
      threads.emplace_back([&, t] {
        lat[static_cast<std::size_t>(t)].reserve(static_cast<std::size_t>(per_thread));
        for (int i = 0; i < per_thread; ++i) {
          const auto start = std::chrono::steady_clock::now();
          if (!op()) failed = true;
          lat[static_cast<std::size_t>(t)].push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
      });
    }
    for (auto& th : threads) th.join();
    if (failed) {
      state.SkipWithError("an operation failed");
      return;
    }
    for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  }
  std::sort(all.begin(), all.end());
  if (!all.empty()) {
    state.counters["p50_ms"] = all[all.size() / 2];
    state.counters["p99_ms"] = all[all.size() * 99 / 100];
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kSubmitters * per_thread);
}

bool reserve_one(Fixture& f) {
  const std::uint64_t n = g_fresh.fetch_add(1);
  auto done = std::make_shared<std::promise<bool>>();
  auto fut = done->get_future();
  Actor a;
  a.participant = static_cast<std::uint32_t>(1 + n % 40);
  f.service->reserve(fake_csr(n), a, 0, 0, [done](Result<ReserveOutcome> r) {
    done->set_value(r.ok() && r->reservation.has_value());
  });
  return fut.get();
}

void BM_Reserve50(benchmark::State& state) {
  Fixture& f = fixture();
  const auto before = f.writer->stats();
  run_submitters(state, 40, [&f] { return reserve_one(f); });
  const auto after = f.writer->stats();
  if (after.commits > before.commits)
    state.counters["jobs_per_commit"] =
        static_cast<double>(after.jobs - before.jobs) / static_cast<double>(after.commits - before.commits);
}
BENCHMARK(BM_Reserve50)->MinTime(2.0)->UseRealTime()->Unit(benchmark::kMillisecond);

// Peer: the same Writer and group commit, each job storing one small record.
std::atomic<std::uint64_t> g_plain{1};
bool plain_commit(Fixture& f) {
  const std::uint64_t n = g_plain.fetch_add(1);
  Status s = f.writer->run_sync([n](storage::WriteTxn& txn) -> Status {
    Bytes key(9);
    key[0] = 'b';
    put_be64(key.data() + 1, n);
    return txn.put(Table::meta, key, Bytes(32, 0x5a));
  });
  return s.ok();
}

void BM_PlainCommit50(benchmark::State& state) {
  Fixture& f = fixture();
  run_submitters(state, 40, [&f] { return plain_commit(f); });
}
BENCHMARK(BM_PlainCommit50)->MinTime(2.0)->UseRealTime()->Unit(benchmark::kMillisecond);

// One submitter: every reservation is its own durable commit (the fsync floor).
void BM_Reserve1(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    if (!reserve_one(f)) {
      state.SkipWithError("reserve failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Reserve1)->MinTime(1.0)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_PlainCommit1(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    if (!plain_commit(f)) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlainCommit1)->MinTime(1.0)->UseRealTime()->Unit(benchmark::kMillisecond);

// parse_csr (DER walk, OpenSSL decode, re-encoding check, self-signature, hashes) next
// to a bare EVP verification of the same signature: the parsing overhead as a ratio.
struct SampleCsr {
  EVP_PKEY* key = nullptr;
  Bytes der;
  Bytes tbs;
  Bytes sig;
};

SampleCsr make_sample(const char* kind) {
  SampleCsr s;
  s.key = std::string(kind) == "ed25519" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
          : std::string(kind) == "p256"  ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                         : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
  X509_REQ* req = X509_REQ_new();
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Bench Subject"), -1, -1, 0);
  X509_REQ_set_pubkey(req, s.key);
  X509_REQ_sign(req, s.key, std::string(kind) == "ed25519" ? nullptr : EVP_sha256());
  unsigned char* out = nullptr;
  int n = i2d_X509_REQ(req, &out);
  s.der.assign(out, out + n);
  OPENSSL_free(out);
  out = nullptr;
  n = i2d_re_X509_REQ_tbs(req, &out);
  s.tbs.assign(out, out + n);
  OPENSSL_free(out);
  const ASN1_BIT_STRING* sig = nullptr;
  X509_REQ_get0_signature(req, &sig, nullptr);
  s.sig.assign(ASN1_STRING_get0_data(sig), ASN1_STRING_get0_data(sig) + ASN1_STRING_length(sig));
  X509_REQ_free(req);
  return s;
}

const char* const kKinds[] = {"p256", "rsa2048", "ed25519"};

SampleCsr& sample(int i) {
  static SampleCsr samples[3] = {make_sample(kKinds[0]), make_sample(kKinds[1]), make_sample(kKinds[2])};
  return samples[i];
}

void BM_ParseCsr(benchmark::State& state) {
  SampleCsr& s = sample(static_cast<int>(state.range(0)));
  state.SetLabel(kKinds[state.range(0)]);
  for (auto _ : state) {
    auto p = parse_csr(s.der);
    if (!p.ok() || !p->pop_verified) {
      state.SkipWithError("parse failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseCsr)->DenseRange(0, 2)->MinTime(0.5)->UseRealTime();

void BM_EvpVerify(benchmark::State& state) {
  SampleCsr& s = sample(static_cast<int>(state.range(0)));
  state.SetLabel(kKinds[state.range(0)]);
  const bool no_digest = state.range(0) == 2;
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const int ok = EVP_DigestVerifyInit(ctx, nullptr, no_digest ? nullptr : EVP_sha256(), nullptr, s.key) == 1 &&
                   EVP_DigestVerify(ctx, s.sig.data(), s.sig.size(), s.tbs.data(), s.tbs.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
      state.SkipWithError("verify failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvpVerify)->DenseRange(0, 2)->MinTime(0.5)->UseRealTime();

// What any verifier of a request must do at least: decode the key from its DER
// (OpenSSL 3.0's decoder) and verify.
void BM_EvpDecodeVerify(benchmark::State& state) {
  SampleCsr& s = sample(static_cast<int>(state.range(0)));
  state.SetLabel(kKinds[state.range(0)]);
  const bool no_digest = state.range(0) == 2;
  unsigned char* spki = nullptr;
  const int spki_len = i2d_PUBKEY(s.key, &spki);
  for (auto _ : state) {
    const unsigned char* p = spki;
    EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, spki_len);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const int ok = key != nullptr &&
                   EVP_DigestVerifyInit(ctx, nullptr, no_digest ? nullptr : EVP_sha256(), nullptr, key) == 1 &&
                   EVP_DigestVerify(ctx, s.sig.data(), s.sig.size(), s.tbs.data(), s.tbs.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (!ok) {
      state.SkipWithError("verify failed");
      break;
    }
  }
  OPENSSL_free(spki);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvpDecodeVerify)->DenseRange(0, 2)->MinTime(0.5)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
