#include "responder/testbed/test_pki.hpp"

#include <openssl/x509v3.h>

#include <array>
#include <filesystem>
#include <system_error>

namespace trustmon::testbed {
namespace {

namespace fs = std::filesystem;
constexpr UnixTime kDay = 86400;
constexpr UnixTime kYear = 365 * kDay;

struct Plan {
  const char* name;
  const char* cn;
  pki::KeyAlgorithm algorithm;
};
constexpr std::array kCaPlans = {Plan{"test-ecdsa", "TEST Trustmon Qualified CA ECDSA", pki::KeyAlgorithm::ec_p256},
                                 Plan{"test-rsa", "TEST Trustmon Qualified CA RSA", pki::KeyAlgorithm::rsa_2048}};

Error unreadable(const std::string& what, const Error& e) {
  return make_error(ErrorKind::internal, "testbed_unreadable", "test PKI: " + what + ": " + e.message);
}

Result<pki::CertSpec> spec_for(pki::KeyFactory& keys, pki::KeyAlgorithm alg, const std::string& cn, EvpPkeyPtr& key,
                               X509NamePtr& name) {
  auto k = keys.generate(alg);
  if (!k) return std::move(k).error();
  key = std::move(*k);
  auto n = pki::make_name({{NID_countryName, "UA"},
                           {NID_organizationName, "Trustmon Test Bed"},
                           {NID_organizationIdentifier, "NTRUA-00000000"},
                           {NID_commonName, cn}});
  if (!n) return std::move(n).error();
  name = std::move(*n);
  auto serial = pki::random_serial();
  if (!serial) return std::move(serial).error();
  pki::CertSpec spec;
  spec.subject = name.get();
  spec.subject_key = key.get();
  spec.serial = std::move(*serial);
  return spec;
}

// Makes one key pair and certificate and writes both under `dir`.
Result<KeyPair> make(pki::KeyFactory& keys, pki::KeyAlgorithm alg, const std::string& cn, const KeyPair* issuer,
                     UnixTime not_before, UnixTime lifetime, std::vector<std::pair<int, std::string>> extensions,
                     const fs::path& dir, const std::string& stem) {
  KeyPair out;
  X509NamePtr name;
  auto spec = spec_for(keys, alg, cn, out.key, name);
  if (!spec) return std::move(spec).error();
  spec->issuer = issuer ? issuer->cert.get() : nullptr;
  spec->issuer_key = issuer ? issuer->key.get() : out.key.get();
  spec->not_before = not_before;
  spec->not_after = not_before + lifetime;
  spec->extensions = std::move(extensions);
  auto cert = pki::build_cert(*spec);
  if (!cert) return std::move(cert).error();
  out.cert = std::move(*cert);
  out.cert_path = (dir / (stem + ".pem")).string();
  out.key_path = (dir / (stem + ".key")).string();
  auto cert_text = pki::cert_pem(out.cert.get());
  if (!cert_text) return std::move(cert_text).error();
  auto key_text = pki::key_pem(out.key.get());
  if (!key_text) return std::move(key_text).error();
  Status s = write_file(out.key_path, *key_text, 0600);
  OPENSSL_cleanse(key_text->data(), key_text->size());
  if (!s) return std::move(s).error();
  if (Status c = write_file(out.cert_path, *cert_text, 0644); !c) return std::move(c).error();
  return out;
}

Status make_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::internal, "file_unwritable", "cannot create " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  return {};
}

std::vector<std::pair<int, std::string>> ca_extensions(bool root) {
  std::vector<std::pair<int, std::string>> e = {
      {NID_basic_constraints, root ? "critical,CA:TRUE" : "critical,CA:TRUE,pathlen:0"},
      {NID_key_usage, "critical,keyCertSign,cRLSign"},
      {NID_subject_key_identifier, "hash"}};
  if (!root) e.emplace_back(NID_authority_key_identifier, "keyid:always");
  return e;
}

std::vector<std::pair<int, std::string>> leaf_extensions(const char* eku, bool nocheck) {
  std::vector<std::pair<int, std::string>> e = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                {NID_key_usage, "critical,digitalSignature"},
                                                {NID_ext_key_usage, eku},
                                                {NID_subject_key_identifier, "hash"},
                                                {NID_authority_key_identifier, "keyid:always"}};
  if (nocheck) e.emplace_back(NID_id_pkix_OCSP_noCheck, "yes");
  return e;
}

// Writes a whole test PKI into `dir` (which must not exist yet).
Status create(const fs::path& dir, UnixTime now) {
  if (Status s = make_dir(dir); !s) return s;
  auto keys = pki::KeyFactory::create();
  if (!keys) return std::move(keys).error();
  const UnixTime start = now - kDay;
  auto root = make(*keys, pki::KeyAlgorithm::ec_p256, "TEST Trustmon Root CA", nullptr, start, 20 * kYear,
                   ca_extensions(true), dir, "root");
  if (!root) return std::move(root).error();
  for (const Plan& plan : kCaPlans) {
    const fs::path sub = dir / plan.name;
    if (Status s = make_dir(sub); !s) return s;
    auto ca = make(*keys, plan.algorithm, plan.cn, &*root, start, 10 * kYear, ca_extensions(false), sub, "ca");
    if (!ca) return std::move(ca).error();
    // RFC 6960 §4.2.2.2: a delegated responder carries id-kp-OCSPSigning, and
    // id-pkix-ocsp-nocheck tells clients not to ask for its own status.
    auto responder = make(*keys, plan.algorithm, std::string(plan.cn) + " OCSP", &*ca, start, 5 * kYear,
                          leaf_extensions("critical,OCSPSigning", true), sub, "ocsp");
    if (!responder) return std::move(responder).error();
    if (std::string_view(plan.name) == "test-ecdsa") {
      // RFC 3161 §2.3: the TSA's certificate has the one critical EKU id-kp-timeStamping.
      auto tsa = make(*keys, pki::KeyAlgorithm::ec_p256, "TEST Trustmon TSA", &*ca, start, 5 * kYear,
                      leaf_extensions("critical,timeStamping", false), dir, "tsa");
      if (!tsa) return std::move(tsa).error();
    }
  }
  // ETSI TS 119 612 §5.7.1: the list signer's certificate has EKU id-tsl-kp-tslSigning.
  auto signer = make(*keys, pki::KeyAlgorithm::ec_p256, "TEST Trustmon Trusted List Signer", &*root, start, 5 * kYear,
                     leaf_extensions("0.4.0.2231.3.0", false), dir, "tl-signer");
  if (!signer) return std::move(signer).error();
  auto untrusted = make(*keys, pki::KeyAlgorithm::ec_p256, "TEST Trustmon Untrusted CA", nullptr, start, 10 * kYear,
                        ca_extensions(true), dir, "untrusted");
  if (!untrusted) return std::move(untrusted).error();
  return {};
}

Result<KeyPair> load(const fs::path& dir, const std::string& stem) {
  KeyPair out;
  out.cert_path = (dir / (stem + ".pem")).string();
  out.key_path = (dir / (stem + ".key")).string();
  auto cert = load_cert_file(out.cert_path);
  if (!cert) return unreadable(out.cert_path, cert.error());
  auto key = load_key_file(out.key_path);
  if (!key) return unreadable(out.key_path, key.error());
  out.cert = std::move(*cert);
  out.key = std::move(*key);
  return out;
}

}  // namespace

Result<TestPki> TestPki::open(const std::string& dir, UnixTime now) {
  std::error_code ec;
  const fs::path path = fs::absolute(dir, ec).lexically_normal();
  if (ec) return make_error(ErrorKind::internal, "file_unwritable", "cannot resolve " + dir + ": " + ec.message());
  if (!fs::exists(path / "root.pem", ec)) {
    // Built beside, then renamed: a crash halfway leaves no half-made PKI to load.
    fs::path building = path;
    building += ".building";
    fs::remove_all(building, ec);
    if (Status s = create(building, now); !s) return std::move(s).error();
    fs::remove_all(path, ec);  // an empty or partial folder left by hand
    fs::rename(building, path, ec);
    if (ec) return make_error(ErrorKind::internal, "file_unwritable", "cannot rename " + building.string() + ": " + ec.message());
  }
  TestPki pki;
  pki.dir_ = path.string();
  auto root = load(path, "root");
  if (!root) return std::move(root).error();
  pki.root_ = std::move(*root);
  for (const Plan& plan : kCaPlans) {
    TestCa ca;
    ca.name = plan.name;
    ca.algorithm = plan.algorithm;
    auto c = load(path / plan.name, "ca");
    if (!c) return std::move(c).error();
    auto r = load(path / plan.name, "ocsp");
    if (!r) return std::move(r).error();
    ca.ca = std::move(*c);
    ca.responder = std::move(*r);
    pki.cas_.push_back(std::move(ca));
  }
  const std::array<std::pair<KeyPair*, const char*>, 3> others = {
      {{&pki.tsa_, "tsa"}, {&pki.tl_signer_, "tl-signer"}, {&pki.untrusted_, "untrusted"}}};
  for (auto [slot, stem] : others) {
    auto kp = load(path, stem);
    if (!kp) return std::move(kp).error();
    *slot = std::move(*kp);
  }
  return pki;
}

const TestCa* TestPki::find(std::string_view name) const noexcept {
  for (const auto& ca : cas_)
    if (ca.name == name) return &ca;
  return nullptr;
}

std::vector<const X509*> TestPki::chain_of(const TestCa& ca) const { return {ca.ca.cert.get(), root_.cert.get()}; }

std::vector<config::IssuerConfig> TestPki::issuer_configs() const {
  std::vector<config::IssuerConfig> out;
  for (const auto& ca : cas_) {
    config::IssuerConfig ic;
    ic.name = ca.name;
    ic.ca_cert = ca.ca.cert_path;
    ic.responder_cert = ca.responder.cert_path;
    ic.responder_key = ca.responder.key_path;
    ic.crl_key = ca.ca.key_path;
    ic.test = true;
    out.push_back(std::move(ic));
  }
  return out;
}

}  // namespace trustmon::testbed
