// Demo PKI: the chain verifies with the openssl CLI, responders are proper delegated
// OCSP signers, serials are unique, and the revocation and issuer lists are usable.
#include "tools/demo_pki.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "common/ossl.hpp"
#include "common/time.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kCount = 50;
constexpr UnixTime kNow = 1'790'000'000;  // 2026-09-21

// Runs a shell command and returns its standard output and error.
std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

unsigned file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

class DemoPkiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir();
    clock_ = new FixedClock(kNow);
    DemoPkiOptions o;
    o.out_dir = *dir_ / "pki";
    o.count = kCount;
    o.revoked_percent = 20;
    o.clock = clock_;
    auto s = generate_demo_pki(o);
    ASSERT_TRUE(s.ok()) << s.error().code << ": " << s.error().message;
    summary_ = new DemoPkiSummary(*s);
  }
  static void TearDownTestSuite() {
    delete summary_;
    delete clock_;
    delete dir_;
  }
  static std::string out() { return summary_->out_dir; }

  static ScratchDir* dir_;
  static FixedClock* clock_;
  static DemoPkiSummary* summary_;
};
ScratchDir* DemoPkiTest::dir_ = nullptr;
FixedClock* DemoPkiTest::clock_ = nullptr;
DemoPkiSummary* DemoPkiTest::summary_ = nullptr;

TEST_F(DemoPkiTest, WritesTheLayoutWithPrivateKeys) {
  for (const char* f : {"root.pem", "root.key", "revocations.tsv", "issuers.txt"})
    EXPECT_TRUE(fs::is_regular_file(out() + "/" + f)) << f;
  EXPECT_EQ(file_mode(out() + "/root.key"), 0600u);
  ASSERT_EQ(summary_->issuers.size(), 2u);
  EXPECT_EQ(summary_->issuers[0].name, "demo-rsa");
  EXPECT_EQ(summary_->issuers[1].name, "demo-ec");
  std::size_t total = 0;
  for (const auto& is : summary_->issuers) {
    for (const auto& f : {is.ca_cert, is.ca_key, is.responder_cert, is.responder_key})
      EXPECT_TRUE(fs::is_regular_file(f)) << f;
    EXPECT_EQ(file_mode(is.ca_key), 0600u);
    EXPECT_EQ(file_mode(is.responder_key), 0600u);
    EXPECT_EQ(files_in(is.certs_dir).size(), is.certificates);
    total += is.certificates;
  }
  EXPECT_EQ(total, kCount);
  EXPECT_EQ(summary_->certificates, kCount);
}

TEST_F(DemoPkiTest, IssuingCasUseTheAdvertisedAlgorithms) {
  auto rsa = load_cert_file(summary_->issuers[0].ca_cert);
  auto ec = load_cert_file(summary_->issuers[1].ca_cert);
  auto root = load_cert_file(summary_->root_cert);
  ASSERT_TRUE(rsa.ok() && ec.ok() && root.ok());
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(rsa->get())), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(rsa->get())), 2048);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(ec->get())), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(root->get())), EVP_PKEY_EC);
  // Root: ten years from 60 days before "now".
  auto nb = asn1_time_to_unix(X509_get0_notBefore(root->get()));
  auto na = asn1_time_to_unix(X509_get0_notAfter(root->get()));
  ASSERT_TRUE(nb.ok() && na.ok());
  EXPECT_LT(*nb, kNow);
  EXPECT_GE(*na - *nb, 10 * 365 * 86400);
  EXPECT_EQ(X509_check_ca(rsa->get()), 1);
  EXPECT_EQ(X509_check_ca(ec->get()), 1);
}

TEST_F(DemoPkiTest, EveryCertificateVerifiesWithOpensslCli) {
  for (const auto& is : summary_->issuers) {
    auto files = files_in(is.certs_dir);
    ASSERT_FALSE(files.empty());
    std::string cmd = "openssl verify -attime " + std::to_string(kNow) + " -CAfile '" + summary_->root_cert +
                      "' -untrusted '" + is.ca_cert + "' '" + is.responder_cert + "'";
    for (const auto& f : files) cmd += " '" + f + "'";
    std::string output = run(cmd);
    std::istringstream lines(output);
    std::size_t ok = 0;
    for (std::string l; std::getline(lines, l);) {
      if (l.size() > 4 && l.compare(l.size() - 4, 4, ": OK") == 0) ++ok;
    }
    EXPECT_EQ(ok, files.size() + 1) << output;
  }
}

TEST_F(DemoPkiTest, RespondersAreDelegatedOcspSigners) {
  for (const auto& is : summary_->issuers) {
    auto resp = load_cert_file(is.responder_cert);
    auto ca = load_cert_file(is.ca_cert);
    auto key = load_key_file(is.responder_key);
    ASSERT_TRUE(resp.ok() && ca.ok() && key.ok());
    X509* r = resp->get();
    EXPECT_NE(X509_get_extension_flags(r) & EXFLAG_XKUSAGE, 0u);
    EXPECT_NE(X509_get_extended_key_usage(r) & XKU_OCSP_SIGN, 0u);
    EXPECT_GE(X509_get_ext_by_NID(r, NID_id_pkix_OCSP_noCheck, -1), 0);
    EXPECT_NE(X509_get_key_usage(r) & KU_DIGITAL_SIGNATURE, 0u);
    EXPECT_EQ(X509_check_ca(r), 0);
    ASSERT_NE(X509_get0_authority_key_id(r), nullptr);
    ASSERT_NE(X509_get0_subject_key_id(ca->get()), nullptr);
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(r), X509_get0_subject_key_id(ca->get())), 0);
    EXPECT_NE(X509_get0_subject_key_id(r), nullptr);
    EXPECT_EQ(X509_check_issued(ca->get(), r), X509_V_OK);
    EXPECT_EQ(X509_check_private_key(r, key->get()), 1);
    auto nb = asn1_time_to_unix(X509_get0_notBefore(r));
    auto na = asn1_time_to_unix(X509_get0_notAfter(r));
    ASSERT_TRUE(nb.ok() && na.ok());
    EXPECT_EQ(*na - *nb, 365 * 86400);
  }
}

TEST_F(DemoPkiTest, EndEntitiesHaveUniqueSerialsAndUkrainianSubjects) {
  std::set<std::string> serials;
  std::size_t organisations = 0;
  for (const auto& is : summary_->issuers) {
    for (const auto& f : files_in(is.certs_dir)) {
      auto cert = load_cert_file(f);
      ASSERT_TRUE(cert.ok()) << f;
      X509* c = cert->get();
      std::string hex = hex_encode(serial_bytes(X509_get0_serialNumber(c)), true);
      EXPECT_EQ(hex.size(), 32u);
      EXPECT_EQ(fs::path(f).filename().string(), hex + ".pem");
      EXPECT_TRUE(serials.insert(hex).second) << "duplicate serial " << hex;

      X509_NAME* subject = X509_get_subject_name(c);
      char buf[256];
      ASSERT_GT(X509_NAME_get_text_by_NID(subject, NID_countryName, buf, sizeof buf), 0);
      EXPECT_STREQ(buf, "UA");
      ASSERT_GT(X509_NAME_get_text_by_NID(subject, NID_serialNumber, buf, sizeof buf), 0);
      std::string tin = buf;
      EXPECT_EQ(tin.rfind("TINUA-", 0), 0u);
      EXPECT_EQ(tin.size(), 16u);
      if (X509_NAME_get_text_by_NID(subject, NID_organizationIdentifier, buf, sizeof buf) > 0) {
        ++organisations;
        EXPECT_EQ(std::string(buf).rfind("NTRUA-", 0), 0u);
        EXPECT_EQ(std::string(buf).size(), 14u);
      }
      EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(c)), EVP_PKEY_EC);
      EXPECT_EQ(X509_check_ca(c), 0);

      // AIA carries the OCSP URL.
      AUTHORITY_INFO_ACCESS* aia = static_cast<AUTHORITY_INFO_ACCESS*>(X509_get_ext_d2i(c, NID_info_access, nullptr, nullptr));
      ASSERT_NE(aia, nullptr);
      bool found = false;
      for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); ++i) {
        ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        if (OBJ_obj2nid(ad->method) == NID_ad_OCSP && ad->location->type == GEN_URI) {
          std::string uri(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier)),
                          static_cast<std::size_t>(ASN1_STRING_length(ad->location->d.uniformResourceIdentifier)));
          found = uri == "http://127.0.0.1:8080/ocsp";
        }
      }
      AUTHORITY_INFO_ACCESS_free(aia);
      EXPECT_TRUE(found) << f;

      // Validity: one to two years, starting in the past.
      auto nb = asn1_time_to_unix(X509_get0_notBefore(c));
      auto na = asn1_time_to_unix(X509_get0_notAfter(c));
      ASSERT_TRUE(nb.ok() && na.ok());
      EXPECT_LT(*nb, kNow);
      EXPECT_GE(*na - *nb, 365 * 86400);
      EXPECT_LE(*na - *nb, 2 * 365 * 86400);
    }
  }
  EXPECT_EQ(serials.size(), kCount);
  EXPECT_GT(organisations, 0u);  // ~30 % of 50: zero has probability ~1e-8
}

TEST_F(DemoPkiTest, RevocationsParseAndReferenceIssuedCertificates) {
  std::ifstream in(summary_->revocations_file);
  std::size_t line_no = 0, entries = 0, with_invalidity = 0;
  std::set<std::string> reasons, serials;
  for (std::string line; std::getline(in, line);) {
    auto r = parse_revocation_line(line, ++line_no);
    ASSERT_TRUE(r.ok()) << line_no << ": " << r.error().message;
    if (!r->has_value()) continue;
    const Revocation& rv = **r;
    ++entries;
    EXPECT_TRUE(rv.issuer == "demo-rsa" || rv.issuer == "demo-ec") << rv.issuer;
    std::string cert_path = out() + "/" + rv.issuer + "/certs/" + rv.serial + ".pem";
    ASSERT_TRUE(fs::is_regular_file(cert_path)) << cert_path;
    EXPECT_TRUE(serials.insert(rv.serial).second);
    reasons.insert(rv.reason);
    auto when = parse_rfc3339(rv.time);
    ASSERT_TRUE(when.has_value());
    EXPECT_LT(*when, kNow);
    auto cert = load_cert_file(cert_path);
    ASSERT_TRUE(cert.ok());
    auto nb = asn1_time_to_unix(X509_get0_notBefore(cert->get()));
    ASSERT_TRUE(nb.ok());
    EXPECT_GE(*when, *nb);
    if (!rv.invalidity_date.empty()) {
      ++with_invalidity;
      auto inv = parse_rfc3339(rv.invalidity_date);
      ASSERT_TRUE(inv.has_value());
      EXPECT_LE(*inv, *when);
    }
  }
  EXPECT_EQ(entries, kCount / 5);  // 20 %
  EXPECT_EQ(entries, summary_->revoked);
  // Reasons cycle through all six names.
  EXPECT_EQ(reasons, (std::set<std::string>{"keyCompromise", "superseded", "cessationOfOperation",
                                            "affiliationChanged", "privilegeWithdrawn", "certificateHold"}));
  (void)with_invalidity;  // random; its shape is checked above when present
}

TEST_F(DemoPkiTest, IssuersFileFeedsInit) {
  std::ifstream in(summary_->issuers_file);
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    auto ic = parse_issuer_arg(line);
    ASSERT_TRUE(ic.ok()) << ic.error().message;
    names.push_back(ic->name);
    EXPECT_TRUE(fs::path(ic->ca_cert).is_absolute());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"demo-rsa", "demo-ec"}));
}

TEST_F(DemoPkiTest, SummaryJsonNamesTheFiles) {
  auto j = summary_->to_json();
  EXPECT_EQ(j["certificates"], kCount);
  EXPECT_EQ(j["root_cert"], summary_->root_cert);
  EXPECT_EQ(j["issuers"].size(), 2u);
}

TEST(DemoPki, RefusesToOverwriteWithoutForce) {
  ScratchDir dir;
  DemoPkiOptions o;
  o.out_dir = dir / "pki";
  o.count = 2;
  ASSERT_TRUE(generate_demo_pki(o).ok());
  auto again = generate_demo_pki(o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "already_exists");
  o.force = true;
  o.count = 4;
  auto forced = generate_demo_pki(o);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  // Old certificates are gone: exactly the new ones remain.
  EXPECT_EQ(files_in(forced->issuers[0].certs_dir).size() + files_in(forced->issuers[1].certs_dir).size(), 4u);
}

TEST(DemoPki, RejectsBadOptions) {
  DemoPkiOptions o;
  auto r = generate_demo_pki(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "usage_invalid");
  ScratchDir dir;
  o.out_dir = dir.path();
  o.revoked_percent = 150;
  r = generate_demo_pki(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "usage_invalid");
}

}  // namespace
}  // namespace trustmon::tools
