// `trustmonctl import` against the fake API: discovery in folders (extensions, PEM
// sniffing, bundles, DER), batching, per-item result aggregation mapped back to
// files, and how request-level failures stop the run.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "common/ossl.hpp"
#include "fake_api.hpp"
#include "scratch_dir.hpp"
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

  for (const auto& r : api.requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/api/v1/certificates");
    bool json = std::any_of(r.headers.begin(), r.headers.end(), [](const HttpHeader& h) {
      return h.name == "Content-Type" && h.value == "application/json";
    });
    EXPECT_TRUE(json);
    auto body = nlohmann::json::parse(r.body);
    ASSERT_TRUE(body["certificates"].is_array());
    for (const auto& c : body["certificates"]) EXPECT_TRUE(base64_decode(c.get<std::string>()).has_value());
  }
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

}  // namespace
}  // namespace trustmon::tools
