// Comparing a CRL with the status data (responder/crl/compare.hpp) over one issuer of
// 1,000,000 status records, a tenth of them revoked, the CRL listing every revoked one
// (a CRL that agrees: the usual case, and the whole work, since nothing is skipped).
//
// What is timed: one crl::compare_crl per iteration in one read snapshot: sorting the CRL's
// serials, the cursor walk over the issuer's records with a decode of each, the merge.
// For comparison in the same run, BM_WalkDecode walks the same records with the same
// decode and nothing else: the floor any comparison pays (it is what the publisher's build
// reads too), so compare/walk is what comparing adds; BM_CompareEmptyCrl is the comparison
// without a CRL to sort. Not timed: filling the store (once,
// in a temporary directory removed at exit; TRUSTMON_BENCH_DIR picks the disk).
// Counters: records/s.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "responder/crl/compare.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace {

using namespace trustmon;

constexpr std::size_t kRecords = 1000000;
constexpr storage::IssuerId kIssuer = 3;
constexpr UnixTime kThisUpdate = 1'790'000'000;

struct Fixture {
  std::string dir;
  std::unique_ptr<storage::Env> env;
  std::vector<registry::CrlEntry> crl;  // the revoked serials, in random order

  Fixture() {
    const char* base = std::getenv("TRUSTMON_BENCH_DIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/trustmon-bench-crl-compare-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    storage::EnvOptions o;
    o.path = dir;
    o.initial_map_size = std::size_t{1} << 30;
    auto opened = storage::Env::open(o);
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
      std::abort();
    }
    env = std::move(opened).value();
    std::mt19937_64 rng(42);
    auto txn = storage::WriteTxn::begin(*env);
    if (!txn.ok()) std::abort();
    for (std::size_t i = 0; i < kRecords; ++i) {
      Bytes serial(16);
      for (auto& b : serial) b = static_cast<std::uint8_t>(rng());
      serial[0] |= 0x40;  // positive, 16 octets, no leading zero
      storage::CertRecord r;
      r.not_before = kThisUpdate - 86400 * 365;
      r.not_after = kThisUpdate + 86400 * 365;
      r.has_der = true;
      r.cert_sha256[0] = 1;
      r.der_id = i + 1;
      if (i % 10 == 0) {
        r.status = storage::CertStatus::revoked;
        r.revocation_time = kThisUpdate - 3600;
        r.reason = static_cast<int>(i % 6);
        registry::CrlEntry e;
        e.serial = serial;
        e.time = r.revocation_time;
        e.reason = r.reason == 0 ? storage::kNoReason : r.reason;
        crl.push_back(std::move(e));
      }
      if (!txn->put(storage::Table::certs, storage::encode_cert_key(kIssuer, serial), storage::encode_cert(r))
               .ok())
        std::abort();
    }
    if (!txn->commit().ok()) std::abort();
  }
  ~Fixture() {
    env.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_WalkDecode(benchmark::State& state) {
  Fixture& f = fixture();
  auto txn = storage::ReadTxn::begin(*f.env);
  if (!txn.ok()) std::abort();
  for (auto _ : state) {
    storage::ReadScope scope(*txn);
    std::size_t revoked = 0;
    Status s = storage::for_each_prefix(*txn, storage::Table::certs, storage::encode_issuer_key(kIssuer),
                                        [&](ByteView, ByteView value) -> Status {
                                          auto r = storage::decode_cert(value);
                                          if (!r) return std::move(r).error();
                                          revoked += r->status == storage::CertStatus::revoked ? 1 : 0;
                                          return {};
                                        });
    if (!s || revoked != f.crl.size()) std::abort();
    benchmark::DoNotOptimize(revoked);
  }
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(kRecords), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_WalkDecode)->Unit(benchmark::kMillisecond);

void BM_Compare(benchmark::State& state) {
  Fixture& f = fixture();
  auto txn = storage::ReadTxn::begin(*f.env);
  if (!txn.ok()) std::abort();
  for (auto _ : state) {
    storage::ReadScope scope(*txn);
    auto c = crl::compare_crl(*txn, kIssuer, kThisUpdate, f.crl);
    if (!c || !c->agrees() || c->entries != f.crl.size()) std::abort();
    benchmark::DoNotOptimize(c->entries);
  }
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(kRecords), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Compare)->Unit(benchmark::kMillisecond);

// The same walk against an empty CRL: no sort, every revoked record is missing_from_crl
// (counted, the first 1000 listed): what the merge and the lists cost without the sort.
void BM_CompareEmptyCrl(benchmark::State& state) {
  Fixture& f = fixture();
  auto txn = storage::ReadTxn::begin(*f.env);
  if (!txn.ok()) std::abort();
  const std::vector<registry::CrlEntry> none;
  for (auto _ : state) {
    storage::ReadScope scope(*txn);
    auto c = crl::compare_crl(*txn, kIssuer, kThisUpdate, none);
    if (!c || c->missing_from_crl.count != f.crl.size()) std::abort();
    benchmark::DoNotOptimize(c->entries);
  }
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(kRecords), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CompareEmptyCrl)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
