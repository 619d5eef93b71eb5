// Reading the derived statistics (responder/stats): series over a cube built by the real
// rules (stats::Transition) from a million synthetic certificates: 20 issuers, issued over
// three years, mixed profiles and validities, 5 % revoked. The target: a series
// over a year for all providers under 50 ms with a million certificates stored.
//   TRUSTMON_BENCH_CERTS   certificates (default 1,000,000)
//   TRUSTMON_BENCH_DIR     where the temporary store goes (default /tmp)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "responder/stats/cube.hpp"
#include "responder/stats/series.hpp"
#include "storage/lmdb.hpp"

namespace trustmon {
namespace {

constexpr UnixTime kStart = 1704067200;  // 2024-01-01

struct Cube {
  std::string dir;
  std::unique_ptr<storage::Env> env;
  std::size_t certs = 0;
  std::size_t cells = 0;
  stats::Calendar cal = *stats::Calendar::load("Europe/Kyiv");

  Cube() {
    const char* n = std::getenv("TRUSTMON_BENCH_CERTS");
    certs = n ? std::strtoull(n, nullptr, 10) : 1000000;
    const char* base = std::getenv("TRUSTMON_BENCH_DIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/trustmon-bench-stats-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    storage::EnvOptions o;
    o.path = dir;
    o.initial_map_size = std::size_t{1} << 30;
    auto opened = storage::Env::open(o);
    if (!opened) std::abort();
    env = std::move(*opened);
    const stats::Transition rules(cal);
    std::mt19937_64 rng(42);
    const auto pick = [&](std::uint64_t k) { return rng() % k; };
    stats::Deltas d;
    const auto flush = [&] {
      auto txn = storage::WriteTxn::begin(*env);
      if (!txn || !d.apply(*txn) || !txn->commit()) std::abort();
      d.clear();
    };
    for (std::size_t i = 0; i < certs; ++i) {
      stats::CertFacts f;
      f.issuer = static_cast<storage::IssuerId>(1 + pick(20));
      f.known = true;
      f.not_before = kStart + static_cast<UnixTime>(pick(3 * 365 * 86400ull));
      f.not_after = f.not_before + static_cast<UnixTime>((1 + pick(3)) * 365 * 86400ull);
      f.profile.key_alg = static_cast<stats::KeyAlg>(pick(16));
      f.profile.purpose = static_cast<stats::Purpose>(pick(4));
      f.profile.storage = static_cast<stats::Storage>(pick(4));
      f.profile.subject_kind = static_cast<stats::SubjectKind>(pick(4));
      rules.issued(d, f, std::nullopt);
      if (pick(20) == 0) {
        stats::CertFacts revoked = f;
        revoked.status = storage::CertStatus::revoked;
        revoked.reason = static_cast<int>(pick(6));
        revoked.revocation_time = f.not_before + static_cast<UnixTime>(pick(300 * 86400ull));
        rules.revoked(d, f, revoked);
      }
      if (d.cells().size() > 200000) flush();
    }
    flush();
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    MDB_stat st{};
    mdb_stat(txn->raw(), env->dbi(storage::Table::stats_cells), &st);
    cells = st.ms_entries;
  }
  ~Cube() {
    env.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Cube& cube() {
  static Cube c;
  return c;
}

void run_series(benchmark::State& state, stats::SeriesQuery q) {
  Cube& c = cube();
  auto txn = storage::ReadTxn::begin(*c.env);
  if (!txn) std::abort();
  std::uint64_t cells_read = 0;
  for (auto _ : state) {
    storage::ReadScope scope(*txn);
    auto r = stats::read_series(*txn, q);
    if (!r) std::abort();
    cells_read = r->cells_read;
    benchmark::DoNotOptimize(r->lines.size());
  }
  state.counters["certs"] = static_cast<double>(c.certs);
  state.counters["cells_stored"] = static_cast<double>(c.cells);
  state.counters["cells_read"] = static_cast<double>(cells_read);
}

stats::SeriesQuery year_query(stats::Metric m, stats::Freq f, std::vector<stats::Dim> by) {
  stats::SeriesQuery q;
  q.metric = m;
  q.freq = f;
  q.by = std::move(by);
  q.from = *stats::parse_date("2025-01-01");
  q.to = *stats::parse_date("2025-12-31");
  return q;
}

// The case: a year, every provider, by issuer, monthly.
void BM_SeriesYearByIssuerMonthly(benchmark::State& state) {
  run_series(state, year_query(stats::Metric::certs_issued, stats::Freq::month, {stats::Dim::issuer}));
}
BENCHMARK(BM_SeriesYearByIssuerMonthly)->Unit(benchmark::kMillisecond)->MinTime(1.0);

// The heaviest read: a daily series over a year by issuer and key algorithm.
void BM_SeriesYearByIssuerAndAlgDaily(benchmark::State& state) {
  run_series(state,
             year_query(stats::Metric::certs_issued, stats::Freq::day, {stats::Dim::issuer, stats::Dim::key_alg}));
}
BENCHMARK(BM_SeriesYearByIssuerAndAlgDaily)->Unit(benchmark::kMillisecond)->MinTime(1.0);

// The stock: every change before the year is read as the opening balance.
void BM_ActiveYearByIssuerMonthly(benchmark::State& state) {
  run_series(state, year_query(stats::Metric::certs_active, stats::Freq::month, {stats::Dim::issuer}));
}
BENCHMARK(BM_ActiveYearByIssuerMonthly)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_ActiveYearByIssuerDaily(benchmark::State& state) {
  run_series(state, year_query(stats::Metric::certs_active, stats::Freq::day, {stats::Dim::issuer}));
}
BENCHMARK(BM_ActiveYearByIssuerDaily)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace trustmon

BENCHMARK_MAIN();
