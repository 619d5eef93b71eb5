// `trustmonctl import` against the fake API: discovery in folders (extensions, PEM
// sniffing, bundles, DER), batching, per-item result aggregation mapped back to
// files, how request-level failures stop the run, and --parallel (requests really
// overlap, the summary is the sequential one, a failure stops the senders).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <openssl/pem.h>

#include "common/ossl.hpp"
#include "fake_api.hpp"
#include "tests/support/scratch_dir.hpp"
#include "shared_pki.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> sorted_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string text_of(const std::string& path) {
  auto t = read_file(path);
  return t.ok() ? *t : std::string();
}

void put(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(write_file(path, data, 0644).ok());
}

// A folder tree with 12 distinct certificates in every supported shape, two broken
// inputs and two files that are not certificates:
//   in/a/*.pem        6 EC certificates, one per file
//   in/b/bundle.crt   3 RSA certificates after a text preamble
//   in/b/one.der      1 RSA certificate, DER
//   in/b/noext        1 RSA certificate, PEM without extension (found by content)
//   in/b/bad.pem      a block with broken base64 (index 0), then 1 RSA certificate
//   in/b/garbage.cer  not a certificate                       -> refused locally
//   in/b/key.pem      a private key                           -> skipped
//   in/b/README.txt   text                                    -> skipped
class ImportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir();
    const DemoPkiSummary& pki = shared_demo_pki();
    auto rsa = sorted_files(pki.issuers[0].certs_dir);
    auto ec = sorted_files(pki.issuers[1].certs_dir);
    ASSERT_EQ(rsa.size(), 6u);
    ASSERT_EQ(ec.size(), 6u);
    const ScratchDir& d = *dir_;
    for (const auto& f : ec) put(d / ("in/a/" + fs::path(f).filename().string()), text_of(f));
    put(d / "in/b/bundle.crt", "Demo bundle\nsubject=whatever\n" + text_of(rsa[0]) + text_of(rsa[1]) + text_of(rsa[2]));
    auto der_cert = load_cert_file(rsa[3]);
    ASSERT_TRUE(der_cert.ok());
    Bytes der = x509_der(der_cert->get());
    put(d / "in/b/one.der", std::string(as_chars(der)));
    put(d / "in/b/noext", text_of(rsa[4]));
    put(d / "in/b/bad.pem", "-----BEGIN CERTIFICATE-----\nMIIB*&^%$\n-----END CERTIFICATE-----\n" + text_of(rsa[5]));
    put(d / "in/b/garbage.cer", "hello, not a certificate\n");
    put(d / "in/b/key.pem", text_of(pki.issuers[0].ca_key));
    put(d / "in/b/README.txt", "certificates for the demo\n");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static ImportOptions options(std::size_t batch) {
    ImportOptions o;
    o.paths = {*dir_ / "in"};
    o.batch = batch;
    o.parallel = 1;
    return o;
  }
  static std::string path(const std::string& rel) { return *dir_ / rel; }

  static ScratchDir* dir_;
};
ScratchDir* ImportTest::dir_ = nullptr;

TEST_F(ImportTest, FindsEveryCertificateAndBatches) {
  FakeApi api;
  ImportSummary s = run_import(api, options(5));
  ASSERT_FALSE(s.fatal) << s.fatal->message;
  EXPECT_EQ(api.batch_sizes, (std::vector<std::size_t>{5, 5, 2}));
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.stored, 12u);
  EXPECT_EQ(s.duplicate, 0u);
  EXPECT_EQ(s.refused, 2u);  // garbage.cer and the broken block of bad.pem
  EXPECT_EQ(s.files, 10u);
  EXPECT_EQ(s.skipped, 2u);
  EXPECT_EQ(api.stored_certs.size(), 12u);
  ASSERT_EQ(s.errors.size(), 2u);
  std::map<std::string, ImportErrorItem> by_file;
  for (const auto& e : s.errors) by_file[fs::path(e.file).filename().string()] = e;
  EXPECT_EQ(by_file["garbage.cer"].code, "certificate_missing");
  EXPECT_EQ(by_file["bad.pem"].code, "pem_malformed");
  EXPECT_EQ(by_file["bad.pem"].index, 0u);
  EXPECT_EQ(s.exit_code(), kExitRefused);

  // Each request is a PEM bundle that OpenSSL's own PEM reader takes apart into exactly
  // the batch's certificates (the DER file among them, wrapped in a block).
  ASSERT_EQ(api.requests.size(), api.batch_sizes.size());
  for (std::size_t i = 0; i < api.requests.size(); ++i) {
    const auto& r = api.requests[i];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/api/v1/certificates?results=refused");
    const std::string* type = r.header("Content-Type");
    ASSERT_NE(type, nullptr);
    EXPECT_EQ(*type, "application/x-pem-file");
    BioPtr bio(BIO_new_mem_buf(r.body.data(), static_cast<int>(r.body.size())));
    std::size_t parsed = 0;
    while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) ++parsed;
    EXPECT_EQ(parsed, api.batch_sizes[i]);
  }
}

// A batch also closes at the body-size cap, before the server's body limit: 10,000
// copies of one certificate in one bundle with --batch 10000 go in two requests.
TEST_F(ImportTest, BatchesCloseAtTheBodySizeCap) {
  const std::string one = text_of(sorted_files(shared_demo_pki().issuers[1].certs_dir).front());
  std::string bundle;
  bundle.reserve(one.size() * 10000);
  for (int i = 0; i < 10000; ++i) bundle += one;
  ASSERT_GT(bundle.size(), std::size_t{8} << 20);
  const std::string file = path("big/bundle.pem");
  put(file, bundle);
  FakeApi api;
  ImportOptions o = options(10000);
  o.paths = {file};
  ImportSummary s = run_import(api, o);
  ASSERT_FALSE(s.fatal) << s.fatal->message;
  ASSERT_EQ(api.requests.size(), 2u);
  for (const auto& r : api.requests) EXPECT_LE(r.body.size(), std::size_t{8} << 20);
  EXPECT_EQ(api.batch_sizes[0] + api.batch_sizes[1], 10000u);
  EXPECT_EQ(s.stored, 1u);
  EXPECT_EQ(s.duplicate, 9999u);
  EXPECT_EQ(s.refused, 0u);
  fs::remove_all(path("big"));
}

// With a zero interval the progress callback sees every accounted batch in order: the
// counts only grow, and the last call is the finished summary's counts.
TEST_F(ImportTest, ProgressReportsRunningCountsInBatchOrder) {
  FakeApi api;
  ImportOptions o = options(5);
  o.progress_interval = std::chrono::milliseconds(0);
  std::vector<std::size_t> seen;
  o.on_progress = [&seen](const ImportSummary& s) { seen.push_back(s.stored + s.duplicate + s.refused); };
  ImportSummary s = run_import(api, o);
  ASSERT_FALSE(s.fatal);
  ASSERT_EQ(seen.size(), 3u);  // one call per request (5, 5, 2 certificates)
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), s.stored + s.duplicate + s.refused);
  // With the default interval a quick import reports nothing.
  std::size_t calls = 0;
  ImportOptions quiet = options(5);
  quiet.on_progress = [&calls](const ImportSummary&) { ++calls; };
  FakeApi again;
  (void)run_import(again, quiet);
  EXPECT_EQ(calls, 0u);
}

// A rate_limited reply (429) is retried after a pause: the import completes with the
// same counts and one more request per refusal; too many in a row end it.
TEST_F(ImportTest, RateLimitedBatchesAreSentAgain) {
  FakeApi api;
  api.rate_limited_at = {2, 3};  // the second batch is refused twice, then accepted
  ImportOptions o = options(5);
  o.retry_pause_scale = 0.001;
  ImportSummary s = run_import(api, o);
  ASSERT_FALSE(s.fatal) << s.fatal->message;
  EXPECT_EQ(s.stored, 12u);
  EXPECT_EQ(s.refused, 2u);
  EXPECT_EQ(s.requests, 3u);           // batches, as in the plain run
  EXPECT_EQ(api.requests.size(), 5u);  // plus the two refused attempts
  EXPECT_EQ(api.batch_sizes, (std::vector<std::size_t>{5, 5, 2}));
  EXPECT_EQ(api.requests[1].body, api.requests[3].body);  // the same batch again

  FakeApi always;
  for (std::size_t i = 1; i <= 10; ++i) always.rate_limited_at.insert(i);
  ImportSummary failed = run_import(always, o);
  ASSERT_TRUE(failed.fatal);
  EXPECT_EQ(failed.fatal->code, "rate_limited");
  EXPECT_EQ(always.requests.size(), 6u);  // the first try and five more
}

// A batch whose reply timed out is sent again; what the lost attempt stored comes back as
// duplicates. A batch that keeps timing out ends the import after the last retry.
TEST_F(ImportTest, TimedOutBatchesAreSentAgain) {
  FakeApi api;
  api.timeout_at = {2};  // the second batch is stored, but its reply is lost
  ImportOptions o = options(5);
  o.retry_pause_scale = 0.001;
  ImportSummary s = run_import(api, o);
  ASSERT_FALSE(s.fatal) << s.fatal->message;
  EXPECT_EQ(s.stored + s.duplicate, 12u);
  EXPECT_GT(s.duplicate, 0u);  // the resent batch: stored by the lost attempt
  EXPECT_EQ(s.refused, 2u);
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(api.requests.size(), 4u);
  EXPECT_EQ(api.requests[1].body, api.requests[2].body);  // the same batch again
  EXPECT_EQ(api.stored_certs.size(), 12u);

  FakeApi always;
  for (std::size_t i = 1; i <= 10; ++i) always.timeout_at.insert(i);
  ImportSummary failed = run_import(always, o);
  ASSERT_TRUE(failed.fatal);
  EXPECT_EQ(failed.fatal->code, "http_timeout");
  EXPECT_EQ(always.requests.size(), 4u);  // the first try and three more
}

TEST_F(ImportTest, SecondRunReportsDuplicates) {
  FakeApi api;
  (void)run_import(api, options(500));
  EXPECT_EQ(api.batch_sizes, (std::vector<std::size_t>{12}));
  ImportSummary again = run_import(api, options(500));
  EXPECT_EQ(again.stored, 0u);
  EXPECT_EQ(again.duplicate, 12u);
  EXPECT_EQ(again.refused, 2u);
}

TEST_F(ImportTest, ServerRefusalsPointAtFileAndIndex) {
  FakeApi api;
  api.refuse_issuer_cn = "RSA";
  ImportSummary s = run_import(api, options(4));
  ASSERT_FALSE(s.fatal);
  EXPECT_EQ(s.stored, 6u);
  EXPECT_EQ(s.refused, 6u + 2u);
  std::multiset<std::string> refused_at;
  for (const auto& e : s.errors)
    if (e.code == "issuer_unknown") refused_at.insert(fs::path(e.file).filename().string() + "#" + std::to_string(e.index));
  EXPECT_EQ(refused_at, (std::multiset<std::string>{"bundle.crt#0", "bundle.crt#1", "bundle.crt#2", "one.der#0",
                                                    "noext#0", "bad.pem#1"}));
  for (const auto& e : s.errors) {
    if (e.code == "issuer_unknown") {
      EXPECT_NE(e.message.find("Issuing CA RSA"), std::string::npos);
    }
  }

  auto j = s.to_json();
  EXPECT_EQ(j["refused"], 8);
  EXPECT_EQ(j["errors"].size(), 8u);
  EXPECT_EQ(j["errors"][0].size(), 4u);  // file, index, code, message
}

TEST_F(ImportTest, ErrorListIsCapped) {
  FakeApi api;
  api.refuse_issuer_cn = "RSA";
  ImportOptions o = options(500);
  o.max_errors = 3;
  ImportSummary s = run_import(api, o);
  EXPECT_EQ(s.errors.size(), 3u);
  EXPECT_EQ(s.errors_omitted, 5u);
  EXPECT_EQ(s.to_json()["errors_omitted"], 5);
}

TEST_F(ImportTest, RequestFailureStopsTheImport) {
  FakeApi api;
  api.unauthorized_at = 2;
  ImportSummary s = run_import(api, options(5));
  ASSERT_TRUE(s.fatal);
  EXPECT_EQ(s.fatal->code, "unauthorized");
  EXPECT_EQ(api.requests.size(), 2u);
  EXPECT_EQ(s.stored, 5u);
  EXPECT_EQ(s.exit_code(), kExitFailed);
  auto j = s.to_json();
  EXPECT_EQ(j["error"]["code"], "unauthorized");
  EXPECT_EQ(j["stored"], 5);
}

TEST_F(ImportTest, TransportFailureIsExitTwo) {
  FakeApi api;
  api.transport_error_at = 1;
  std::ostringstream out, err;
  int rc = cmd_import(api, options(500), out, err);
  EXPECT_EQ(rc, kExitFailed);
  EXPECT_EQ(api.requests.size(), 1u);
  EXPECT_NE(err.str().find("connection_failed"), std::string::npos);
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["error"]["code"], "connection_failed");
}

TEST_F(ImportTest, ExplicitFilesAreAlwaysTried) {
  FakeApi api;
  ImportOptions o;
  o.paths = {path("in/b/README.txt"), path("in/b/noext"), path("in/b/one.der")};
  ImportSummary s = run_import(api, o);
  EXPECT_EQ(s.stored, 2u);
  EXPECT_EQ(s.refused, 1u);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].code, "certificate_missing");
  EXPECT_EQ(s.errors[0].file, path("in/b/README.txt"));
}

TEST_F(ImportTest, CleanImportExitsZero) {
  FakeApi api;
  ImportOptions o;
  o.paths = {path("in/a")};
  std::ostringstream out, err;
  EXPECT_EQ(cmd_import(api, o, out, err), kExitOk);
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["stored"], 6);
  EXPECT_EQ(j["duplicate"], 0);
  EXPECT_EQ(j["refused"], 0);
  EXPECT_EQ(j["files"], 6);
  EXPECT_TRUE(j["errors"].empty());
  EXPECT_TRUE(err.str().empty());
}

TEST_F(ImportTest, UsageErrorsSendNothing) {
  FakeApi api;
  ImportOptions o = options(500);
  o.paths.push_back(path("does-not-exist"));
  ImportSummary s = run_import(api, o);
  ASSERT_TRUE(s.fatal);
  EXPECT_EQ(s.fatal->code, "usage_invalid");
  EXPECT_TRUE(api.requests.empty());

  o = options(0);
  s = run_import(api, o);
  ASSERT_TRUE(s.fatal);
  EXPECT_EQ(s.fatal->code, "usage_invalid");
  o.paths.clear();
  o.batch = 10;
  s = run_import(api, o);
  ASSERT_TRUE(s.fatal);
  EXPECT_TRUE(api.requests.empty());
}

TEST_F(ImportTest, SingleCertificateBatches) {
  FakeApi api;
  ImportSummary s = run_import(api, options(1));
  EXPECT_EQ(api.requests.size(), 12u);
  EXPECT_EQ(s.stored, 12u);
  for (auto n : api.batch_sizes) EXPECT_EQ(n, 1u);
}

// ---- --parallel ----------------------------------------------------------------------

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One FakeApi behind any number of connections, for --parallel. The fake's state is
// shared under a mutex; the connections answer concurrently (delays and waits happen
// outside the mutex), and the server counts the requests in flight.
class FakeServer {
 public:
  // Answer delay by arrival number (1-based); none = answer at once.
  std::function<milliseconds(std::size_t)> delay;
  // Every request waits until this many were in flight at the same time (at most
  // kOverlapWait; a timeout is counted in overlap_timeouts and ends the waiting).
  std::size_t want_overlap = 0;
  static constexpr milliseconds kOverlapWait{5000};
  // The request with this arrival number is answered 401 at once; the others wait until
  // it has been answered, then kAfterFailure more, so the import has surely seen it.
  std::optional<std::size_t> fail_at;
  static constexpr milliseconds kAfterFailure{200};

  FakeApi api;  // under mu_
  std::size_t arrivals = 0;
  std::size_t max_in_flight = 0;
  std::size_t overlap_timeouts = 0;
  std::size_t sent_after_failure = 0;  // arrived later than kAfterFailure / 2 after the 401
  std::size_t connections = 0;

  class Connection final : public HttpTransport {
   public:
    explicit Connection(FakeServer& s) : s_(s) {}
    Result<HttpResponse> send(const HttpRequest& req) override { return s_.serve(req); }

   private:
    FakeServer& s_;
  };

  std::unique_ptr<HttpTransport> connect() {
    std::lock_guard lock(mu_);
    ++connections;
    return std::make_unique<Connection>(*this);
  }
  TransportFactory factory() {
    return [this]() -> Result<std::unique_ptr<HttpTransport>> { return connect(); };
  }

  std::size_t requests() {
    std::lock_guard lock(mu_);
    return api.requests.size();
  }

 private:
  Result<HttpResponse> serve(const HttpRequest& req) {
    std::unique_lock lock(mu_);
    const std::size_t n = ++arrivals;
    if (failed_at_ && Clock::now() > *failed_at_ + kAfterFailure / 2) ++sent_after_failure;
    ++in_flight_;
    max_in_flight = std::max(max_in_flight, in_flight_);
    changed_.notify_all();
    if (want_overlap > 0 && !changed_.wait_for(lock, kOverlapWait, [&] { return max_in_flight >= want_overlap; })) {
      ++overlap_timeouts;
      want_overlap = 0;  // one timeout fails the test; the others need not wait
    }
    if (fail_at && n == *fail_at) {
      --in_flight_;
      failed_at_ = Clock::now();
      changed_.notify_all();
      api.requests.push_back(req);
      HttpResponse resp;
      resp.status = 401;
      resp.headers = {{"Content-Type", "application/json"}};
      resp.body = R"({"error":{"code":"unauthorized","message":"token unknown"}})";
      return resp;
    }
    if (fail_at) {
      changed_.wait_for(lock, std::chrono::seconds(10), [&] { return failed_at_.has_value(); });
      lock.unlock();
      std::this_thread::sleep_for(kAfterFailure);
      lock.lock();
    }
    if (delay) {
      milliseconds d = delay(n);
      lock.unlock();
      std::this_thread::sleep_for(d);
      lock.lock();
    }
    auto resp = api.send(req);
    --in_flight_;
    changed_.notify_all();
    return resp;
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::size_t in_flight_ = 0;
  std::optional<Clock::time_point> failed_at_;
};

TEST_F(ImportTest, ParallelGivesTheSequentialSummary) {
  for (std::size_t max_errors : {std::size_t{50}, std::size_t{3}}) {
    SCOPED_TRACE("max_errors " + std::to_string(max_errors));
    ImportOptions seq_options = options(2);
    seq_options.max_errors = max_errors;
    FakeApi seq_api;
    seq_api.refuse_issuer_cn = "RSA";  // refusals in the batches of in/b
    ImportSummary seq = run_import(seq_api, seq_options);
    ASSERT_FALSE(seq.fatal);
    ASSERT_EQ(seq.requests, 6u);

    FakeServer server;
    server.api.refuse_issuer_cn = "RSA";
    // Earlier arrivals answer later: the replies come back out of batch order.
    server.delay = [](std::size_t n) { return milliseconds(n < 6 ? static_cast<long>(6 - n) * 40 : 0); };
    ImportOptions par_options = seq_options;
    par_options.parallel = 3;
    par_options.connect = server.factory();
    auto first = server.connect();
    ImportSummary par = run_import(*first, par_options);
    ASSERT_FALSE(par.fatal) << par.fatal->message;
    EXPECT_EQ(server.connections, 3u);  // the given one and two more
    EXPECT_GE(server.max_in_flight, 2u);
    EXPECT_LE(server.max_in_flight, 3u);
    EXPECT_EQ(par.to_json(), seq.to_json());
    EXPECT_EQ(server.api.batch_sizes, seq_api.batch_sizes);
    EXPECT_EQ(par.exit_code(), seq.exit_code());
  }
}

TEST_F(ImportTest, ParallelRequestsOverlap) {
  for (std::size_t parallel : {std::size_t{2}, std::size_t{4}}) {
    SCOPED_TRACE("parallel " + std::to_string(parallel));
    FakeServer server;
    server.want_overlap = 2;
    ImportOptions o = options(1);
    o.parallel = parallel;
    o.connect = server.factory();
    auto first = server.connect();
    ImportSummary s = run_import(*first, o);
    ASSERT_FALSE(s.fatal) << s.fatal->message;
    EXPECT_EQ(server.overlap_timeouts, 0u);  // a sequential import would wait here
    EXPECT_GE(server.max_in_flight, 2u);
    EXPECT_LE(server.max_in_flight, parallel);
    EXPECT_EQ(server.requests(), 12u);
    EXPECT_EQ(s.requests, 12u);
    EXPECT_EQ(s.stored, 12u);
    EXPECT_EQ(s.refused, 2u);
  }
}

TEST_F(ImportTest, ParallelOneStaysOnTheGivenConnection) {
  FakeServer server;
  ImportOptions o = options(1);
  o.parallel = 1;
  o.connect = server.factory();
  auto first = server.connect();
  ImportSummary s = run_import(*first, o);
  ASSERT_FALSE(s.fatal);
  EXPECT_EQ(server.connections, 1u);  // the factory was never called
  EXPECT_EQ(server.max_in_flight, 1u);
  EXPECT_EQ(s.stored, 12u);
}

TEST_F(ImportTest, ParallelFailureStopsTheSenders) {
  FakeServer server;
  server.fail_at = 2;
  ImportOptions o = options(1);  // 12 batches
  o.parallel = 3;
  o.connect = server.factory();
  auto first = server.connect();
  std::ostringstream out, err;
  int rc = cmd_import(*first, o, out, err);
  EXPECT_EQ(rc, kExitFailed);
  EXPECT_NE(err.str().find("unauthorized"), std::string::npos);
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["error"]["code"], "unauthorized");
  // Only requests already in flight when the 401 came back were sent: at most one per
  // connection, and none once the import had seen the failure.
  EXPECT_EQ(server.sent_after_failure, 0u);
  std::size_t sent = server.requests();
  EXPECT_GE(sent, 2u);
  EXPECT_LE(sent, 3u);
  EXPECT_EQ(j["requests"], sent);
  // The requests in flight beside the failed one finished and are counted.
  EXPECT_EQ(j["stored"], sent - 1);
  EXPECT_EQ(server.api.stored_certs.size(), sent - 1);
}

TEST_F(ImportTest, ParallelConnectionFailureSendsNothing) {
  FakeServer server;
  ImportOptions o = options(1);
  o.parallel = 4;
  std::size_t calls = 0;
  o.connect = [&]() -> Result<std::unique_ptr<HttpTransport>> {
    if (++calls == 2) return make_error(ErrorKind::invalid, "url_invalid", "cannot open another connection");
    return server.connect();
  };
  auto first = server.connect();
  ImportSummary s = run_import(*first, o);
  ASSERT_TRUE(s.fatal);
  EXPECT_EQ(s.fatal->code, "url_invalid");
  EXPECT_EQ(server.requests(), 0u);
  EXPECT_EQ(s.requests, 0u);
}

TEST_F(ImportTest, ParallelIsBounded) {
  FakeServer server;
  for (std::size_t parallel : {std::size_t{0}, kImportMaxParallel + 1}) {
    ImportOptions o = options(5);
    o.parallel = parallel;
    o.connect = server.factory();
    auto first = server.connect();
    ImportSummary s = run_import(*first, o);
    ASSERT_TRUE(s.fatal) << parallel;
    EXPECT_EQ(s.fatal->code, "usage_invalid");
    EXPECT_NE(s.fatal->message.find("--parallel"), std::string::npos);
  }
  EXPECT_EQ(server.requests(), 0u);
  EXPECT_EQ(server.connections, 2u);  // only the two made by the test

  ImportOptions o = options(1);
  o.parallel = kImportMaxParallel;
  o.connect = server.factory();
  auto first = server.connect();
  ImportSummary s = run_import(*first, o);
  ASSERT_FALSE(s.fatal) << s.fatal->message;
  EXPECT_EQ(s.stored, 12u);
  EXPECT_LE(server.max_in_flight, kImportMaxParallel);
}

TEST(ImportDefaults, BatchAndParallel) {
  ImportOptions o;
  EXPECT_EQ(o.batch, 2000u);
  EXPECT_EQ(o.parallel, 4u);
  EXPECT_LE(o.batch, kImportMaxBatch);
}

}  // namespace
}  // namespace trustmon::tools
