// Registry bulk ingest and attribute search over a generated store.
//
// Data: TRUSTMON_BENCH_CERTS certificates (default 1,000,000) with Ukrainian-shaped
// subjects (CN, O, serialNumber TINUA-..., organizationIdentifier NTRUA-..., emailAddress),
// SAN e-mail and DNS, and the SubjectDirectoryAttributes extension (DRFO, EDRPOU, UNZR),
// each with its own P-256 key, all issued by one RSA-2048 CA. The CA key has three primes
// (RSA multi-prime): signing is about twice as fast, which matters only for generating the
// data; verification (what ingest pays) is the same as for any RSA-2048 key. Generation
// runs on every core and is cached in $TRUSTMON_BENCH_DIR (default /tmp) as
// trustmon-bench-registry-<N>.bin, so only the first run pays for it.
//
//  BM_VerifyOnly    peer: parse + X509_verify of each certificate on one thread (the
//                   floor of the per-certificate work, measured in the same run)
//  BM_Ingest        every certificate through Registry::ingest into a fresh store, in
//                   batches of 5,000 with 4 batches in flight (as parallel import clients
//                   would), with every index and the CSR key registry as the server runs
//                   them; reports certificates per second
//  BM_SearchExact   exact-attribute queries (drfo / serial_number / sha256 / email, each
//                   matching one certificate) on the ingested store; p50 / p99 counters
//  BM_SearchOrg     organisation query (1,000 certificates per O), first page of 100
//  BM_CertLookup    peer: one certs point lookup through a ReadScope
//
// Run:  ./bench_registry   (the first run generates the data; a few minutes on 2 cores)
#include <benchmark/benchmark.h>
#include <lmdb.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/ossl.hpp"
#include "responder/csr/service.hpp"
#include "responder/ocsp/responder_keys.hpp"
#include "responder/pki/issuer_set.hpp"
#include "responder/registry/registry.hpp"
#include "responder/registry/search.hpp"
#include "responder/stats/counting.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace {

using namespace trustmon;

constexpr std::size_t kOrgs = 1000;
constexpr std::size_t kBatch = 5000;
constexpr std::size_t kInFlight = 4;

void die(const char* what) {
  std::fprintf(stderr, "bench_registry: %s: %s\n", what, ossl_errors().c_str());
  std::abort();
}

std::size_t cert_count() {
  const char* n = std::getenv("TRUSTMON_BENCH_CERTS");
  return n ? std::strtoull(n, nullptr, 10) : 1000000;
}

std::string bench_dir() {
  const char* base = std::getenv("TRUSTMON_BENCH_DIR");
  return base ? base : "/tmp";
}

// ---------------------------------------------------------------- data generation

Bytes der_tlv(std::uint8_t tag, const Bytes& content) {
  Bytes out{tag};
  const std::size_t n = content.size();
  if (n < 128) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n < 256) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes oid(const char* dotted) {
  Asn1ObjectPtr o(OBJ_txt2obj(dotted, 1));
  unsigned char* der = nullptr;
  const int n = i2d_ASN1_OBJECT(o.get(), &der);
  if (n <= 0) die("oid");
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

struct Identity {
  std::string drfo, edrpou, unzr, tin, email, cn, o, org_id;
};

// Deterministic identity of certificate i (the search benchmark recomputes it).
Identity identity(std::size_t i) {
  Identity id;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%010zu", 3000000000 + i);
  id.drfo = buf;
  id.tin = std::string("TINUA-") + buf;
  const std::size_t org = i % kOrgs;
  std::snprintf(buf, sizeof buf, "%08zu", 40000000 + org);
  id.edrpou = buf;
  id.org_id = std::string("NTRUA-") + buf;
  std::snprintf(buf, sizeof buf, "19%02zu%02zu%02zu-%05zu", 50 + i % 50, 1 + i % 12, 1 + i % 28, i % 100000);
  id.unzr = buf;
  id.email = "user" + std::to_string(i) + "@org" + std::to_string(org) + ".example.ua";
  id.cn = "Тестовий Користувач " + std::to_string(i);
  id.o = "ТОВ \"Організація " + std::to_string(org) + "\"";
  return id;
}

void name_add(X509_NAME* n, int nid, const std::string& v) {
  if (X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.data()),
                                 static_cast<int>(v.size()), -1, 0) != 1)
    die("name");
}

void ext_add(X509* x, X509* ca, int nid, const std::string& v) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca, x, nullptr, nullptr, 0);
  X509ExtPtr e(X509V3_EXT_conf_nid(nullptr, &ctx, nid, v.c_str()));
  if (!e || X509_add_ext(x, e.get(), -1) != 1) die("extension");
}

Bytes make_leaf(std::size_t i, X509* ca, EVP_PKEY* ca_key, const Bytes& arc_drfo, const Bytes& arc_edrpou,
                const Bytes& arc_unzr) {
  const Identity id = identity(i);
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) die("EVP_EC_gen");
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(x.get()), 0x100000000ull + i);
  X509_set_issuer_name(x.get(), X509_get_subject_name(ca));
  ASN1_TIME_set(X509_getm_notBefore(x.get()), 1700000000 + static_cast<long>(i % 10000000));
  ASN1_TIME_set(X509_getm_notAfter(x.get()), 1800000000 + static_cast<long>(i % 10000000));
  X509_NAME* n = X509_get_subject_name(x.get());
  name_add(n, NID_countryName, "UA");
  name_add(n, NID_organizationName, id.o);
  name_add(n, NID_organizationIdentifier, id.org_id);
  name_add(n, NID_commonName, id.cn);
  name_add(n, NID_serialNumber, id.tin);
  name_add(n, NID_pkcs9_emailAddress, id.email);
  X509_set_pubkey(x.get(), key.get());
  ext_add(x.get(), ca, NID_authority_key_identifier, "keyid:always");
  ext_add(x.get(), ca, NID_subject_alt_name, "email:" + id.email + ",DNS:host" + std::to_string(i) + ".example.ua");
  auto attr = [](const Bytes& type, const std::string& v) {
    Bytes value(v.begin(), v.end());
    Bytes body = type;
    Bytes set = der_tlv(0x31, der_tlv(0x13, value));
    body.insert(body.end(), set.begin(), set.end());
    return der_tlv(0x30, body);
  };
  Bytes seq;
  for (const Bytes& a : {attr(arc_drfo, id.drfo), attr(arc_edrpou, id.edrpou), attr(arc_unzr, id.unzr)})
    seq.insert(seq.end(), a.begin(), a.end());
  const Bytes sda = der_tlv(0x30, seq);
  Asn1OctetStringPtr os(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(os.get(), sda.data(), static_cast<int>(sda.size()));
  X509ExtPtr e(X509_EXTENSION_create_by_NID(nullptr, NID_subject_directory_attributes, 0, os.get()));
  if (!e || X509_add_ext(x.get(), e.get(), -1) != 1) die("sda");
  if (X509_sign(x.get(), ca_key, EVP_sha256()) <= 0) die("X509_sign");
  return x509_der(x.get());
}

struct Data {
  std::string ca_key_pem;
  X509Ptr ca;
  EvpPkeyPtr ca_key;
  std::vector<Bytes> certs;
};

void put32(std::ofstream& out, std::uint32_t v) {
  std::uint8_t b[4];
  put_be32(b, v);
  out.write(reinterpret_cast<const char*>(b), 4);
}

bool get32(std::ifstream& in, std::uint32_t& v) {
  std::uint8_t b[4];
  if (!in.read(reinterpret_cast<char*>(b), 4)) return false;
  v = get_be32(b);
  return true;
}

bool load_cache(const std::string& path, std::size_t n, Data& d) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::uint32_t len = 0;
  if (!get32(in, len)) return false;
  d.ca_key_pem.resize(len);
  if (!in.read(d.ca_key_pem.data(), len)) return false;
  Bytes ca_der;
  if (!get32(in, len)) return false;
  ca_der.resize(len);
  if (!in.read(reinterpret_cast<char*>(ca_der.data()), len)) return false;
  auto ca = x509_from_der(ca_der);
  auto key = private_key_from_pem(d.ca_key_pem);
  if (!ca || !key) return false;
  d.ca = std::move(*ca);
  d.ca_key = std::move(*key);
  d.certs.resize(n);
  for (auto& c : d.certs) {
    if (!get32(in, len)) return false;
    c.resize(len);
    if (!in.read(reinterpret_cast<char*>(c.data()), len)) return false;
  }
  return true;
}

Data generate(std::size_t n) {
  Data d;
  EvpPkeyCtxPtr kctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
  if (!kctx || EVP_PKEY_keygen_init(kctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(kctx.get(), 2048) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_primes(kctx.get(), 3) != 1)
    die("rsa keygen setup");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(kctx.get(), &raw) != 1) die("rsa keygen");
  d.ca_key.reset(raw);
  d.ca.reset(X509_new());
  X509* ca = d.ca.get();
  X509_set_version(ca, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(ca), 1);
  X509_NAME* subject = X509_get_subject_name(ca);
  name_add(subject, NID_countryName, "UA");
  name_add(subject, NID_organizationName, "Бенчмарк КНЕДП");
  name_add(subject, NID_commonName, "Bench QTSP CA");
  X509_set_issuer_name(ca, subject);
  ASN1_TIME_set(X509_getm_notBefore(ca), 1600000000);
  ASN1_TIME_set(X509_getm_notAfter(ca), 1900000000);
  X509_set_pubkey(ca, d.ca_key.get());
  ext_add(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
  ext_add(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  ext_add(ca, ca, NID_subject_key_identifier, "hash");
  if (X509_sign(ca, d.ca_key.get(), EVP_sha256()) <= 0) die("ca sign");
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), d.ca_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &p);
  d.ca_key_pem.assign(p, static_cast<std::size_t>(len));

  const Bytes arc_drfo = oid("1.2.804.2.1.1.1.11.1.4.1.1");
  const Bytes arc_edrpou = oid("1.2.804.2.1.1.1.11.1.4.2.1");
  const Bytes arc_unzr = oid("1.2.804.2.1.1.1.11.1.4.11.1");
  d.certs.resize(n);
  std::atomic<std::size_t> next{0};
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < n; i = next++) {
        d.certs[i] = make_leaf(i, ca, d.ca_key.get(), arc_drfo, arc_edrpou, arc_unzr);
        if (i % 100000 == 0) std::fprintf(stderr, "bench_registry: generated %zu / %zu\n", i, n);
      }
    });
  }
  for (auto& t : pool) t.join();
  return d;
}

const Data& data() {
  static const Data d = [] {
    const std::size_t n = cert_count();
    const std::string path = bench_dir() + "/trustmon-bench-registry-" + std::to_string(n) + ".bin";
    Data loaded;
    if (load_cache(path, n, loaded)) return loaded;
    // A smaller run may take the first N certificates of the full set's cache.
    const std::string full = bench_dir() + "/trustmon-bench-registry-1000000.bin";
    if (n < 1000000 && load_cache(full, n, loaded)) return loaded;
    std::fprintf(stderr, "bench_registry: generating %zu certificates into %s\n", n, path.c_str());
    Data made = generate(n);
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      put32(out, static_cast<std::uint32_t>(made.ca_key_pem.size()));
      out.write(made.ca_key_pem.data(), static_cast<std::streamsize>(made.ca_key_pem.size()));
      const Bytes ca_der = x509_der(made.ca.get());
      put32(out, static_cast<std::uint32_t>(ca_der.size()));
      out.write(reinterpret_cast<const char*>(ca_der.data()), static_cast<std::streamsize>(ca_der.size()));
      for (const auto& c : made.certs) {
        put32(out, static_cast<std::uint32_t>(c.size()));
        out.write(reinterpret_cast<const char*>(c.data()), static_cast<std::streamsize>(c.size()));
      }
    }
    std::filesystem::rename(tmp, path);
    return made;
  }();
  return d;
}

// ------------------------------------------------------------------------ the store

struct Store {
  std::string dir;
  std::unique_ptr<storage::Env> env;
  std::unique_ptr<storage::Writer> writer;
  pki::IssuerSet issuers;
  ocsp::ResponderTable responders;
  FixedClock clock{1750000000};
  bool filled = false;

  Store() {
    const Data& d = data();
    std::string tmpl = bench_dir() + "/trustmon-bench-registry-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    storage::EnvOptions o;
    o.path = dir;
    o.initial_map_size = std::size_t{8} << 30;
    auto opened = storage::Env::open(o);
    if (!opened) std::abort();
    env = std::move(*opened);
    writer = std::make_unique<storage::Writer>(*env);
    writer->start();
    auto key = private_key_from_pem(d.ca_key_pem);
    X509_up_ref(d.ca.get());
    auto issuer = issuers.add(1, "bench", X509Ptr(d.ca.get()));
    if (!issuer || !responders.add(**issuer, nullptr, std::move(*key))) std::abort();
  }
  ~Store() {
    writer->stop();
    writer.reset();
    env.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Store& store() {
  static Store s;
  return s;
}

// ----------------------------------------------------------------------- benchmarks

void BM_VerifyOnly(benchmark::State& state) {
  const Data& d = data();
  EVP_PKEY* ca_key = X509_get0_pubkey(d.ca.get());
  std::size_t i = 0;
  for (auto _ : state) {
    auto x = x509_from_der(d.certs[i++ % d.certs.size()]);
    benchmark::DoNotOptimize(X509_verify(x->get(), ca_key));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_VerifyOnly)->MinTime(1.0)->UseRealTime();

// Bytes this process has caused to be written to storage so far (/proc/self/io).
double io_counter(const char* name) {
  std::ifstream io("/proc/self/io");
  std::string key;
  double value = 0;
  while (io >> key >> value)
    if (key == name) return value;
  return 0;
}
double written_bytes() { return io_counter("write_bytes:"); }

// Leaf and branch pages of the tables ingest writes (what a commit's random inserts touch).
void print_table_pages(Store& s) {
  auto txn = storage::ReadTxn::begin(*s.env);
  if (!txn) return;
  storage::ReadScope scope(*txn);
  for (storage::Table t : {storage::Table::certs, storage::Table::cert_der, storage::Table::attr_index,
                           storage::Table::events, storage::Table::csr_reservations, storage::Table::csr_key_index}) {
    MDB_stat st{};
    if (mdb_stat(txn->raw(), s.env->dbi(t), &st) != 0) continue;
    std::fprintf(stderr, "bench_registry: %-12s entries %10zu  depth %u  leaf pages %9zu  branch pages %7zu  overflow %zu\n",
                 storage::table_name(t), st.ms_entries, st.ms_depth, st.ms_leaf_pages, st.ms_branch_pages,
                 st.ms_overflow_pages);
  }
}

// One full ingest of the data set into `s`; `counting`: with the derived statistics
// (responder/stats) kept in the same commits, as the server runs it.
void run_ingest(benchmark::State& state, Store& s, bool counting) {
  const Data& d = data();
  static const stats::Counting counter(*stats::Calendar::load("Europe/Kyiv"));
  for (auto _ : state) {
    // As the server runs it: every ingest also records the certificate's key in the CSR
    // and key registry (responder/csr), in the same commit.
    csr::CsrService csr_service(*s.env, *s.writer, s.clock);
    registry::RegistryOptions options;
    options.key_ledger = &csr_service;
    if (counting) options.stats = &counter;
    registry::Registry reg(*s.writer, s.issuers, s.responders, ocsp::OcspOptions{}, s.clock, options);
    std::mutex mu;
    std::condition_variable cv;
    std::size_t in_flight = 0, stored = 0, refused = 0;
    const double written_before = written_bytes();
    const double wchar_before = io_counter("wchar:");
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t at = 0; at < d.certs.size(); at += kBatch) {
      std::vector<Bytes> batch(d.certs.begin() + static_cast<std::ptrdiff_t>(at),
                               d.certs.begin() + static_cast<std::ptrdiff_t>(std::min(d.certs.size(), at + kBatch)));
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return in_flight < kInFlight; });
        ++in_flight;
      }
      reg.ingest(std::move(batch), Actor::bootstrap(), [&](Result<registry::BatchReport> r) {
        std::lock_guard lock(mu);
        if (r) {
          stored += r->count(registry::ItemStatus::stored);
          refused += r->count(registry::ItemStatus::refused);
        } else {
          std::fprintf(stderr, "batch failed: %s\n", r.error().message.c_str());
        }
        --in_flight;
        cv.notify_all();
      });
    }
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight == 0; });
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(secs);
    state.counters["written_kb_per_cert"] = (written_bytes() - written_before) / 1024.0 / static_cast<double>(stored);
    print_table_pages(s);
    state.counters["wchar_kb_per_cert"] = (io_counter("wchar:") - wchar_before) / 1024.0 / static_cast<double>(stored);
    const storage::WriterStats ws = s.writer->stats();
    state.counters["commits"] = static_cast<double>(ws.commits);
    state.counters["map_grows"] = static_cast<double>(ws.map_grows);
    // Share of the run the Writer thread was busy, and within that, committing.
    state.counters["writer_busy"] = static_cast<double>(ws.busy_us) / 1e6 / secs;
    state.counters["writer_commit"] = static_cast<double>(ws.commit_us) / 1e6 / secs;
    state.counters["certs_per_s"] = static_cast<double>(stored) / secs;
    state.counters["stored"] = static_cast<double>(stored);
    state.counters["refused"] = static_cast<double>(refused);
  }
  s.filled = true;
}

// The same ingest without the statistics, into a store of its own: the cost of counting
// is the ratio of the two certs_per_s in one run (bench/README.md).
void BM_IngestWithoutStats(benchmark::State& state) {
  static Store bare;
  run_ingest(state, bare, false);
}
BENCHMARK(BM_IngestWithoutStats)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

void BM_Ingest(benchmark::State& state) { run_ingest(state, store(), true); }
BENCHMARK(BM_Ingest)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

void run_queries(benchmark::State& state, const std::vector<registry::SearchQuery>& queries,
                 std::size_t expect_each) {
  Store& s = store();
  if (!s.filled) {
    state.SkipWithError("run BM_Ingest first (same process)");
    return;
  }
  registry::CertificateSearch search(s.issuers, s.clock);
  auto txn = storage::ReadTxn::begin(*s.env);
  if (!txn) std::abort();
  std::vector<double> us;
  us.reserve(1 << 20);
  std::size_t i = 0, wrong = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    storage::ReadScope scope(*txn);
    auto page = search.search(*txn, queries[i++ % queries.size()]);
    if (!page || page->items.size() != expect_each) ++wrong;
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
  state.counters["wrong"] = static_cast<double>(wrong);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_SearchExact(benchmark::State& state) {
  const Data& d = data();
  std::mt19937_64 rng(42);
  std::vector<registry::SearchQuery> queries;
  for (int k = 0; k < 4096; ++k) {
    const std::size_t i = rng() % d.certs.size();
    const Identity id = identity(i);
    registry::SearchQuery q;
    q.at = 1750000000;
    switch (k % 4) {
      case 0: q.attribute = *registry::parse_attribute_query("drfo", id.drfo); break;
      case 1: q.attribute = *registry::parse_attribute_query("serial_number", id.tin); break;
      case 2: q.attribute = *registry::parse_attribute_query("sha256", hex_encode(sha256(d.certs[i]))); break;
      default: q.attribute = *registry::parse_attribute_query("email", id.email); break;
    }
    queries.push_back(std::move(q));
  }
  run_queries(state, queries, 1);
}
BENCHMARK(BM_SearchExact)->MinTime(2.0)->UseRealTime();

void BM_SearchOrg(benchmark::State& state) {
  std::mt19937_64 rng(7);
  std::vector<registry::SearchQuery> queries;
  for (int k = 0; k < 256; ++k) {
    registry::SearchQuery q;
    q.at = 1750000000;
    q.attribute = *registry::parse_attribute_query("edrpou", identity(rng() % kOrgs).edrpou);
    queries.push_back(std::move(q));
  }
  run_queries(state, queries, registry::kDefaultSearchLimit);
}
BENCHMARK(BM_SearchOrg)->MinTime(1.0)->UseRealTime();

void BM_CertLookup(benchmark::State& state) {
  Store& s = store();
  auto txn = storage::ReadTxn::begin(*s.env);
  if (!txn) std::abort();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    Bytes serial(5);
    const std::uint64_t v = 0x100000000ull + rng() % data().certs.size();
    for (int b = 0; b < 5; ++b) serial[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(v >> (8 * (4 - b)));
    storage::ReadScope scope(*txn);
    benchmark::DoNotOptimize(txn->get(storage::Table::certs, storage::encode_cert_key(1, serial)));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_CertLookup)->MinTime(0.5)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
