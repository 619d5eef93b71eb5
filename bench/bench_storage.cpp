// Storage hot paths: point lookups in certs / ocsp_responses through a reused ReadTxn
// (one ReadScope per lookup, as a worker does per request) over 1e5 records, and the
// Writer's group-commit throughput with 1 and 8 submitting threads (each waits for its
// job's durable commit, as a request handler does), plus a pipelined variant.
// Runs in well under 30 s:  ./bench_storage  (set TRUSTMON_BENCH_DIR to pick the disk).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/event_log.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"
#include "storage/writer.hpp"

namespace {

using namespace trustmon;
using namespace trustmon::storage;

constexpr std::size_t kRecords = 100000;
constexpr IssuerId kIssuer = 7;

// One environment for the whole run, filled once, removed at exit.
struct Fixture {
  std::string dir;
  std::unique_ptr<Env> env;
  std::vector<Bytes> keys;  // cert keys in random order

  Fixture() {
    const char* base = std::getenv("TRUSTMON_BENCH_DIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/trustmon-bench-storage-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    EnvOptions o;
    o.path = dir;
    auto opened = Env::open(o);
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
      std::abort();
    }
    env = std::move(opened).value();

    auto txn = WriteTxn::begin(*env);
    if (!txn.ok()) std::abort();
    CertRecord cert;
    cert.not_before = 1700000000;
    cert.not_after = 1800000000;
    cert.has_der = true;
    OcspResponseRecord resp;
    resp.produced_at = resp.this_update = 1700000000;
    resp.next_update = 1700086400;
    resp.der.assign(450, 0x30);  // the size of a typical pre-signed RSA-2048 response
    std::uint64_t x = 0x9e3779b97f4a7c15ULL;
    keys.reserve(kRecords);
    for (std::size_t i = 0; i < kRecords; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      std::uint8_t serial[16];
      put_be64(serial, x);
      put_be64(serial + 8, i);
      serial[0] |= 0x01;  // no leading zero: 16-byte serials like real CAs use
      Bytes key = encode_cert_key(kIssuer, ByteView(serial, sizeof serial));
      cert.participant = static_cast<std::uint32_t>(i);
      if (!txn->put(Table::certs, key, encode_cert(cert)).ok()) std::abort();
      if (!txn->put(Table::ocsp_responses, key, encode_ocsp_response(resp)).ok()) std::abort();
      keys.push_back(std::move(key));
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

void BM_CertLookup(benchmark::State& state) {
  Fixture& f = fixture();
  auto rtxn = ReadTxn::begin(*f.env);
  if (!rtxn.ok()) {
    state.SkipWithError(rtxn.error().message.c_str());
    return;
  }
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    ReadScope scope(*rtxn);
    auto v = rtxn->get(Table::certs, f.keys[i++ % kRecords]);
    if (!v.ok() || !v->has_value()) {
      state.SkipWithError("missing");
      break;
    }
    auto rec = decode_cert(**v);
    benchmark::DoNotOptimize(rec);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CertLookup)->Threads(1)->Threads(2)->MinTime(0.3)->UseRealTime();

void BM_OcspLookup(benchmark::State& state) {
  Fixture& f = fixture();
  auto rtxn = ReadTxn::begin(*f.env);
  if (!rtxn.ok()) {
    state.SkipWithError(rtxn.error().message.c_str());
    return;
  }
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  std::size_t bytes = 0;
  for (auto _ : state) {
    ReadScope scope(*rtxn);
    auto v = rtxn->get(Table::ocsp_responses, f.keys[i++ % kRecords]);
    if (!v.ok() || !v->has_value()) {
      state.SkipWithError("missing");
      break;
    }
    auto view = view_ocsp_response(**v);
    if (!view.ok()) {
      state.SkipWithError("corrupt");
      break;
    }
    bytes += view->der.size();
    benchmark::DoNotOptimize(view->der.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_OcspLookup)->Threads(1)->Threads(2)->MinTime(0.3)->UseRealTime();

// The Writer is shared by the benchmark's threads: thread 0 creates it before the
// timing loop's start barrier and stops it after the end barrier.
std::unique_ptr<Writer> g_writer;
std::atomic<std::uint64_t> g_next_serial{1};

Writer::Job ingest_job() {
  const std::uint64_t n = g_next_serial.fetch_add(1);
  return [n](WriteTxn& txn) -> Status {
    std::uint8_t serial[8];
    put_be64(serial, n | (std::uint64_t{1} << 62));
    CertRecord cert;
    cert.not_before = 1700000000;
    cert.not_after = 1800000000;
    Status s = txn.put(Table::certs, encode_cert_key(kIssuer + 1, ByteView(serial, 8)), encode_cert(cert));
    if (!s.ok()) return s;
    EventIn ev;
    ev.type = "certificate.issued";
    ev.actor = "bench";
    ev.payload = R"({"serial":")" + std::to_string(n) + R"("})";
    ev.time = 1700000000;
    auto seq = append_event(txn, ev);
    if (!seq.ok()) return std::move(seq).error();
    return {};
  };
}

// Each thread submits one job and waits for its durable commit, then the next.
void BM_WriterSyncJobs(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_writer = std::make_unique<Writer>(*fixture().env);
    g_writer->start();
  }
  for (auto _ : state) {
    Status s = g_writer->run_sync(ingest_job());
    if (!s.ok()) {
      state.SkipWithError(s.error().message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    g_writer->stop();
    const WriterStats st = g_writer->stats();
    state.counters["jobs_per_commit"] =
        st.commits ? static_cast<double>(st.jobs) / static_cast<double>(st.commits) : 0.0;
    g_writer.reset();
  }
}
BENCHMARK(BM_WriterSyncJobs)->Threads(1)->Threads(8)->MinTime(0.5)->UseRealTime();

// One thread keeps 1000 jobs in flight per iteration: the Writer's ceiling.
void BM_WriterPipelined(benchmark::State& state) {
  Writer writer(*fixture().env);
  writer.start();
  constexpr int kInFlight = 1000;
  for (auto _ : state) {
    std::mutex mu;
    std::condition_variable cv;
    int left = kInFlight;
    for (int i = 0; i < kInFlight; ++i) {
      writer.submit(ingest_job(), [&](Status) {
        std::lock_guard<std::mutex> lock(mu);
        if (--left == 0) cv.notify_one();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return left == 0; });
  }
  writer.stop();
  const WriterStats st = writer.stats();
  state.counters["jobs_per_commit"] =
      st.commits ? static_cast<double>(st.jobs) / static_cast<double>(st.commits) : 0.0;
  state.SetItemsProcessed(state.iterations() * kInFlight);
}
BENCHMARK(BM_WriterPipelined)->MinTime(0.5)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
