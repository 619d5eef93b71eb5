// Demo PKI generator (see demo_pki.hpp). Certificates are built field by field with the
// OpenSSL C API; extensions go through X509V3_EXT_conf_nid so their encoding is
// OpenSSL's own. Names are random but plausible: a certificate for a person carries
// the RNOKPP (tax number) as serialNumber "TINUA-<10 digits>", an organisation's
// employee also the EDRPOU code as organizationIdentifier "NTRUA-<8 digits>".
#include "tools/demo_pki.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <utility>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/time.hpp"
#include "responder/pki/cert_builder.hpp"

namespace trustmon::tools {
namespace {

namespace fs = std::filesystem;

constexpr UnixTime kDay = 86400;
constexpr UnixTime kYear = 365 * kDay;
constexpr std::size_t kMaxCount = 10'000'000;

// ---- files -------------------------------------------------------------------------

// Demo data is cheap to regenerate, and thousands of fsyncs would dominate the run time.
Status write_plain(const std::string& path, std::string_view data, unsigned mode) {
  return write_file(path, data, mode, Durability::none);
}

Status make_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::internal, "file_unwritable", "cannot create " + dir.string() + ": " + ec.message());
  return {};
}

using pki::build_cert;
using pki::CertSpec;
using pki::cert_pem;
using pki::key_pem;
using pki::make_name;
using pki::NameEntry;
using pki::random_serial;

// ---- names -------------------------------------------------------------------------

constexpr std::array kMaleSurnames = {
    "Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук",
    "Бойко",    "Мельник",   "Коваль",     "Лисенко",  "Марченко",  "Руденко", "Савченко", "Петренко",
    "Мороз",    "Павленко",  "Гончаренко", "Левченко", "Харченко",  "Кузьменко", "Клименко", "Онищенко"};
constexpr std::array kMaleGiven = {"Тарас", "Олександр", "Андрій", "Дмитро", "Сергій", "Іван", "Микола",
                                   "Богдан", "Олег", "Юрій", "Василь", "Петро", "Максим", "Ярослав"};
constexpr std::array kMalePatronymic = {"Григорович", "Олександрович", "Андрійович", "Іванович", "Миколайович",
                                        "Петрович", "Васильович", "Юрійович", "Степанович", "Богданович"};
constexpr std::array kFemaleGiven = {"Олена", "Наталія", "Тетяна", "Ірина", "Оксана", "Марія", "Світлана",
                                     "Леся", "Ганна", "Катерина", "Юлія", "Софія", "Дарина", "Христина"};
constexpr std::array kFemalePatronymic = {"Григорівна", "Олександрівна", "Андріївна", "Іванівна", "Миколаївна",
                                          "Петрівна", "Василівна", "Юріївна", "Степанівна", "Богданівна"};
constexpr std::array kCities = {"Київ", "Львів", "Харків", "Одеса", "Дніпро", "Запоріжжя", "Вінниця",
                                "Полтава", "Чернігів", "Житомир", "Івано-Франківськ", "Ужгород"};
constexpr std::array kOrgForms = {"ТОВ", "ПрАТ", "АТ", "ДП", "КП"};
constexpr std::array kOrgWords = {"Агросвіт", "Дніпробуд", "Карпати", "Полісся", "Таврія", "Світанок",
                                  "Укрзв'язок", "Енергоресурс", "Лан", "Зоря", "Січ", "Калина", "Водограй"};

// Surnames ending in -енко, -ук, -ик, -ь... keep their form for women; -ий would change
// (-а), but the list avoids those so one list serves both.
template <typename Array>
std::string pick(std::mt19937_64& rng, const Array& a) {
  return a[std::uniform_int_distribution<std::size_t>(0, a.size() - 1)(rng)];
}

std::string digits(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + std::uniform_int_distribution<int>(0, 9)(rng));
  return s;
}

std::vector<NameEntry> person_subject(std::mt19937_64& rng, bool organisation) {
  bool female = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
  std::string surname = pick(rng, kMaleSurnames);
  std::string given = female ? pick(rng, kFemaleGiven) : pick(rng, kMaleGiven);
  std::string patronymic = female ? pick(rng, kFemalePatronymic) : pick(rng, kMalePatronymic);
  std::vector<NameEntry> e;
  e.push_back({NID_countryName, "UA"});
  e.push_back({NID_localityName, pick(rng, kCities)});
  if (organisation) {
    std::string org = pick(rng, kOrgForms) + " \"" + pick(rng, kOrgWords) + "\"";
    e.push_back({NID_organizationName, org});
    e.push_back({NID_organizationIdentifier, "NTRUA-" + digits(rng, 8)});
  }
  e.push_back({NID_commonName, surname + " " + given + " " + patronymic});
  e.push_back({NID_surname, surname});
  e.push_back({NID_givenName, given + " " + patronymic});
  e.push_back({NID_serialNumber, "TINUA-" + digits(rng, 10)});
  return e;
}

// ---- certificates ------------------------------------------------------------------

struct Issuing {
  DemoIssuer info;
  EvpPkeyPtr key;
  X509Ptr cert;
};

Status write_cert_and_key(X509* cert, EVP_PKEY* key, const std::string& cert_path, const std::string& key_path) {
  auto c = cert_pem(cert);
  if (!c) return std::move(c).error();
  auto k = key_pem(key);
  if (!k) return std::move(k).error();
  if (auto s = write_plain(key_path, *k, 0600); !s) return s;
  OPENSSL_cleanse(k->data(), k->size());
  return write_plain(cert_path, *c, 0644);
}

constexpr std::array kReasons = {"keyCompromise",        "superseded",         "cessationOfOperation",
                                 "affiliationChanged",   "privilegeWithdrawn", "certificateHold"};

struct Issued {
  std::size_t issuer;  // index into the issuing CAs
  std::string serial_hex;
  UnixTime not_before;
};

}  // namespace

std::string DemoIssuer::issuer_arg() const {
  return name + "=" + ca_cert + "," + responder_cert + "," + responder_key;
}

nlohmann::json DemoPkiSummary::to_json() const {
  nlohmann::json issuers_json = nlohmann::json::array();
  for (const auto& i : issuers) {
    issuers_json.push_back({{"name", i.name},
                            {"ca_cert", i.ca_cert},
                            {"ca_key", i.ca_key},
                            {"responder_cert", i.responder_cert},
                            {"responder_key", i.responder_key},
                            {"certs_dir", i.certs_dir},
                            {"certificates", i.certificates}});
  }
  return {{"out", out_dir},       {"root_cert", root_cert},
          {"root_key", root_key}, {"issuers", issuers_json},
          {"certificates", certificates}, {"revoked", revoked},
          {"revocations_file", revocations_file}, {"issuers_file", issuers_file}};
}

Result<DemoPkiSummary> generate_demo_pki(const DemoPkiOptions& options) {
  if (options.out_dir.empty()) return make_error(ErrorKind::invalid, "usage_invalid", "--out is required");
  if (options.count > kMaxCount) return make_error(ErrorKind::invalid, "usage_invalid", "--count is at most " + std::to_string(kMaxCount));
  if (!(options.revoked_percent >= 0.0 && options.revoked_percent <= 100.0))
    return make_error(ErrorKind::invalid, "usage_invalid", "--revoked-percent must be between 0 and 100");
  const Clock& clock = options.clock ? *options.clock : SystemClock::instance();
  const UnixTime now = clock.now();

  std::error_code ec;
  fs::path out = fs::absolute(options.out_dir, ec).lexically_normal();
  if (ec) return make_error(ErrorKind::internal, "file_unwritable", "cannot resolve " + options.out_dir + ": " + ec.message());
  if (!out.has_filename()) out = out.parent_path();  // drop a trailing '/'
  if (fs::exists(out / "root.pem") && !options.force)
    return make_error(ErrorKind::invalid, "already_exists", out.string() + " already holds a demo PKI (use --force to replace it)");
  if (auto s = make_dir(out); !s) return std::move(s).error();

  DemoPkiSummary summary;
  summary.out_dir = out.string();
  summary.root_cert = (out / "root.pem").string();
  summary.root_key = (out / "root.key").string();
  summary.revocations_file = (out / "revocations.tsv").string();
  summary.issuers_file = (out / "issuers.txt").string();

  std::uint64_t seed = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "RAND_bytes");
  std::mt19937_64 rng(seed);

  auto keys = pki::KeyFactory::create();
  if (!keys) return std::move(keys).error();

  // Root CA: ECDSA P-256, ten years.
  auto root_key = keys->generate(pki::KeyAlgorithm::ec_p256);
  if (!root_key) return std::move(root_key).error();
  auto root_name = make_name({{NID_countryName, "UA"},
                              {NID_organizationName, "Trustmon Demo"},
                              {NID_organizationIdentifier, "NTRUA-00000000"},
                              {NID_commonName, "Trustmon Demo Root CA"}});
  if (!root_name) return std::move(root_name).error();
  auto root_serial = random_serial();
  if (!root_serial) return std::move(root_serial).error();
  CertSpec root_spec;
  root_spec.subject = root_name->get();
  root_spec.subject_key = root_key->get();
  root_spec.issuer_key = root_key->get();
  root_spec.serial = *root_serial;
  root_spec.not_before = now - 60 * kDay;
  root_spec.not_after = root_spec.not_before + 10 * kYear;
  root_spec.extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                          {NID_key_usage, "critical,keyCertSign,cRLSign"},
                          {NID_subject_key_identifier, "hash"}};
  auto root = build_cert(root_spec);
  if (!root) return std::move(root).error();
  if (auto s = write_cert_and_key(root->get(), root_key->get(), summary.root_cert, summary.root_key); !s)
    return std::move(s).error();

  // Issuing CAs, each with its delegated OCSP responder.
  struct IssuerPlan {
    const char* name;
    const char* cn;
    bool rsa;
  };
  const std::array plans = {IssuerPlan{"demo-rsa", "Trustmon Demo Issuing CA RSA", true},
                            IssuerPlan{"demo-ec", "Trustmon Demo Issuing CA EC", false}};
  std::vector<Issuing> issuing;
  for (const auto& plan : plans) {
    Issuing is;
    fs::path dir = out / plan.name;
    fs::path certs = dir / "certs";
    if (options.force) fs::remove_all(certs, ec);  // stale certificates would be imported too
    if (auto s = make_dir(certs); !s) return std::move(s).error();
    is.info.name = plan.name;
    is.info.ca_cert = (dir / "ca.pem").string();
    is.info.ca_key = (dir / "ca.key").string();
    is.info.responder_cert = (dir / "ocsp.pem").string();
    is.info.responder_key = (dir / "ocsp.key").string();
    is.info.certs_dir = certs.string();

    auto ca_key = plan.rsa ? keys->generate(pki::KeyAlgorithm::rsa_2048) : keys->generate(pki::KeyAlgorithm::ec_p256);
    if (!ca_key) return std::move(ca_key).error();
    auto ca_name = make_name({{NID_countryName, "UA"},
                              {NID_organizationName, "Trustmon Demo"},
                              {NID_organizationIdentifier, "NTRUA-00000000"},
                              {NID_commonName, plan.cn}});
    if (!ca_name) return std::move(ca_name).error();
    auto ca_serial = random_serial();
    if (!ca_serial) return std::move(ca_serial).error();
    CertSpec ca_spec;
    ca_spec.subject = ca_name->get();
    ca_spec.subject_key = ca_key->get();
    ca_spec.issuer = root->get();
    ca_spec.issuer_key = root_key->get();
    ca_spec.serial = *ca_serial;
    ca_spec.not_before = now - 45 * kDay;
    ca_spec.not_after = ca_spec.not_before + 5 * kYear;
    ca_spec.extensions = {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                          {NID_key_usage, "critical,keyCertSign,cRLSign"},
                          {NID_subject_key_identifier, "hash"},
                          {NID_authority_key_identifier, "keyid:always"}};
    auto ca = build_cert(ca_spec);
    if (!ca) return std::move(ca).error();
    if (auto s = write_cert_and_key(ca->get(), ca_key->get(), is.info.ca_cert, is.info.ca_key); !s)
      return std::move(s).error();

    auto resp_key = plan.rsa ? keys->generate(pki::KeyAlgorithm::rsa_2048) : keys->generate(pki::KeyAlgorithm::ec_p256);
    if (!resp_key) return std::move(resp_key).error();
    auto resp_name = make_name({{NID_countryName, "UA"},
                                {NID_organizationName, "Trustmon Demo"},
                                {NID_organizationIdentifier, "NTRUA-00000000"},
                                {NID_commonName, std::string(plan.cn) + " OCSP Responder"}});
    if (!resp_name) return std::move(resp_name).error();
    auto resp_serial = random_serial();
    if (!resp_serial) return std::move(resp_serial).error();
    CertSpec resp_spec;
    resp_spec.subject = resp_name->get();
    resp_spec.subject_key = resp_key->get();
    resp_spec.issuer = ca->get();
    resp_spec.issuer_key = ca_key->get();
    resp_spec.serial = *resp_serial;
    resp_spec.not_before = now - kDay;
    resp_spec.not_after = resp_spec.not_before + kYear;
    // RFC 6960 §4.2.2.2: delegated responders carry id-kp-OCSPSigning; id-pkix-ocsp-nocheck
    // tells clients not to ask for the responder certificate's own status.
    resp_spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                            {NID_key_usage, "critical,digitalSignature"},
                            {NID_ext_key_usage, "OCSPSigning"},
                            {NID_id_pkix_OCSP_noCheck, "yes"},
                            {NID_subject_key_identifier, "hash"},
                            {NID_authority_key_identifier, "keyid:always"}};
    auto resp = build_cert(resp_spec);
    if (!resp) return std::move(resp).error();
    if (auto s = write_cert_and_key(resp->get(), resp_key->get(), is.info.responder_cert, is.info.responder_key); !s)
      return std::move(s).error();

    is.key = std::move(*ca_key);
    is.cert = std::move(*ca);
    issuing.push_back(std::move(is));
  }

  // End-entity certificates, alternating between the issuing CAs. Only their metadata
  // stays in memory (for the revocation list); keys are discarded.
  std::vector<Issued> issued;
  issued.reserve(options.count);
  std::set<Bytes> serials;
  const std::string aia = "OCSP;URI:" + options.ocsp_url;
  for (std::size_t i = 0; i < options.count; ++i) {
    std::size_t which = i % issuing.size();
    Issuing& is = issuing[which];
    auto ee_key = keys->generate(pki::KeyAlgorithm::ec_p256);
    if (!ee_key) return std::move(ee_key).error();
    bool organisation = std::uniform_int_distribution<int>(0, 99)(rng) < 30;
    auto name = make_name(person_subject(rng, organisation));
    if (!name) return std::move(name).error();
    Bytes serial;
    do {
      auto s = random_serial();
      if (!s) return std::move(s).error();
      serial = std::move(*s);
    } while (!serials.insert(serial).second);

    CertSpec spec;
    spec.subject = name->get();
    spec.subject_key = ee_key->get();
    spec.issuer = is.cert.get();
    spec.issuer_key = is.key.get();
    spec.serial = serial;
    spec.not_before = now - std::uniform_int_distribution<UnixTime>(kDay, 30 * kDay)(rng);
    spec.not_after = spec.not_before + std::uniform_int_distribution<UnixTime>(kYear, 2 * kYear)(rng);
    spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                       {NID_key_usage, "critical,digitalSignature,nonRepudiation"},
                       {NID_subject_key_identifier, "hash"},
                       {NID_authority_key_identifier, "keyid:always"},
                       {NID_info_access, aia}};
    auto cert = build_cert(spec);
    if (!cert) return std::move(cert).error();
    auto pem = cert_pem(cert->get());
    if (!pem) return std::move(pem).error();
    std::string hex = hex_encode(serial, true);
    if (auto s = write_plain((fs::path(is.info.certs_dir) / (hex + ".pem")).string(), *pem, 0644); !s)
      return std::move(s).error();
    ++is.info.certificates;
    issued.push_back(Issued{which, std::move(hex), spec.not_before});
  }
  summary.certificates = issued.size();

  // Revocations: a random sample, times between issuance and a minute ago.
  auto revoke_count = static_cast<std::size_t>(
      std::llround(static_cast<double>(issued.size()) * options.revoked_percent / 100.0));
  revoke_count = std::min(revoke_count, issued.size());
  std::vector<std::size_t> order(issued.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(revoke_count);
  std::sort(order.begin(), order.end());
  std::string tsv =
      "# Demo revocations for `trustmonctl revoke --file`.\n"
      "# issuer\tserial\treason\trevocation time\t[invalidity date]\n";
  for (std::size_t k = 0; k < order.size(); ++k) {
    const Issued& c = issued[order[k]];
    const char* reason = kReasons[k % kReasons.size()];
    UnixTime latest = now - 60;
    UnixTime when = c.not_before < latest ? std::uniform_int_distribution<UnixTime>(c.not_before, latest)(rng) : latest;
    tsv += issuing[c.issuer].info.name + "\t" + c.serial_hex + "\t" + reason + "\t" + format_rfc3339(when);
    // RFC 5280 §5.3.2: the invalidity date says when the key was (suspected to be)
    // compromised, before the revocation; give it to about half of those where it fits.
    bool key_related = std::strcmp(reason, "keyCompromise") == 0 || std::strcmp(reason, "affiliationChanged") == 0 ||
                       std::strcmp(reason, "superseded") == 0;
    if (key_related && std::uniform_int_distribution<int>(0, 1)(rng) == 1) {
      UnixTime earlier = std::max(c.not_before, when - std::uniform_int_distribution<UnixTime>(3600, 5 * kDay)(rng));
      tsv += "\t" + format_rfc3339(earlier);
    }
    tsv += "\n";
  }
  summary.revoked = order.size();
  if (auto s = write_plain(summary.revocations_file, tsv, 0644); !s) return std::move(s).error();

  std::string issuers_txt;
  for (auto& is : issuing) {
    issuers_txt += is.info.issuer_arg() + "\n";
    summary.issuers.push_back(is.info);
  }
  if (auto s = write_plain(summary.issuers_file, issuers_txt, 0644); !s) return std::move(s).error();
  return summary;
}

}  // namespace trustmon::tools
