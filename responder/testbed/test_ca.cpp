#include "responder/testbed/test_ca.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "common/der.hpp"
#include "common/utf8.hpp"

namespace trustmon::testbed {
namespace {

using nlohmann::json;

constexpr UnixTime kDay = 86400;
constexpr std::size_t kMaxNameChars = 64;
constexpr std::size_t kMaxCsrBytes = 16 * 1024;

// ---- DER pieces of the extensions OpenSSL's config syntax cannot spell -------------------

Bytes wrap(std::uint8_t tag, ByteView content) {
  der::BackWriter w(content.size() + 8);
  w.tlv(tag, content);
  return w.take();
}

Bytes cat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Result<Bytes> oid(const char* dotted) {
  Asn1ObjectPtr obj(OBJ_txt2obj(dotted, 1));
  if (!obj) return ossl_error(ErrorKind::internal, "crypto_failed", std::string("OBJ_txt2obj ") + dotted);
  unsigned char* der = nullptr;
  const int n = i2d_ASN1_OBJECT(obj.get(), &der);
  if (n <= 0) return ossl_error(ErrorKind::internal, "crypto_failed", "i2d_ASN1_OBJECT");
  OsslBytesPtr owner(der);
  return Bytes(der, der + n);
}

// A QCStatement: SEQUENCE { statementId, statementInfo OPTIONAL }.
Result<Bytes> statement(const char* id, ByteView info = {}) {
  auto o = oid(id);
  if (!o) return std::move(o).error();
  return wrap(der::kSequence, cat({*o, info}));
}

// ETSI EN 319 412-5 QcStatements (+ the Ukrainian QcCompliance) for a profile.
Result<Bytes> qc_statements(Profile profile) {
  std::vector<Bytes> items;
  for (const char* id : {"0.4.0.1862.1.1", "0.4.0.1862.1.4"}) {  // QcCompliance, QcSSCD
    auto s = statement(id);
    if (!s) return std::move(s).error();
    items.push_back(std::move(*s));
  }
  // QcPDS: SEQUENCE OF PdsLocation { url IA5String, language PrintableString (ISO 639-1) }.
  const std::string pds = "https://czo.gov.ua/test-pds-en.pdf";
  Bytes location = wrap(der::kSequence, cat({wrap(0x16, as_bytes(pds)), wrap(0x13, as_bytes(std::string_view("en")))}));
  auto pds_statement = statement("0.4.0.1862.1.5", wrap(der::kSequence, location));
  if (!pds_statement) return std::move(pds_statement).error();
  items.push_back(std::move(*pds_statement));
  // QcType: SEQUENCE OF OBJECT IDENTIFIER (esign .6.1, eseal .6.2).
  auto type = oid(profile == Profile::seal ? "0.4.0.1862.1.6.2" : "0.4.0.1862.1.6.1");
  if (!type) return std::move(type).error();
  auto type_statement = statement("0.4.0.1862.1.6", wrap(der::kSequence, *type));
  if (!type_statement) return std::move(type_statement).error();
  items.push_back(std::move(*type_statement));
  auto ua = statement("1.2.804.2.1.1.1.2.1");  // the Ukrainian QcCompliance
  if (!ua) return std::move(ua).error();
  items.push_back(std::move(*ua));
  Bytes all;
  for (const Bytes& b : items) all.insert(all.end(), b.begin(), b.end());
  return wrap(der::kSequence, all);
}

// SubjectDirectoryAttributes: SEQUENCE OF Attribute { type, SET { PrintableString } },
// with the Ukrainian DRFO / EDRPOU / UNZR attributes as QTSPs encode them.
Result<Bytes> directory_attributes(const IssueRequest& r) {
  Bytes all;
  const std::array<std::pair<const char*, const std::string*>, 3> attrs = {{
      {"1.2.804.2.1.1.1.11.1.4.1.1", &r.rnokpp},
      {"1.2.804.2.1.1.1.11.1.4.2.1", &r.edrpou},
      {"1.2.804.2.1.1.1.11.1.4.11.1", &r.unzr},
  }};
  for (const auto& [id, value] : attrs) {
    if (value->empty()) continue;
    auto o = oid(id);
    if (!o) return std::move(o).error();
    Bytes attr = wrap(der::kSequence, cat({*o, wrap(0x31, wrap(0x13, as_bytes(*value)))}));
    all.insert(all.end(), attr.begin(), attr.end());
  }
  return wrap(der::kSequence, all);
}

// certificatePolicies: SEQUENCE OF PolicyInformation { policyIdentifier } — the Ukrainian
// qualified-certificate policy and the test policy.
Result<Bytes> certificate_policies() {
  Bytes all;
  for (const char* id : {"1.2.804.2.1.1.1.2.2", kTestPolicyOid}) {
    auto o = oid(id);
    if (!o) return std::move(o).error();
    Bytes info = wrap(der::kSequence, *o);
    all.insert(all.end(), info.begin(), info.end());
  }
  return wrap(der::kSequence, all);
}

// ---- the request -------------------------------------------------------------------------

Error invalid(const std::string& what) { return make_error(ErrorKind::invalid, "request_invalid", what); }

std::size_t utf8_chars(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

bool all_digits(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// YYYYMMDD-NNNNN
bool valid_unzr(std::string_view s) {
  return s.size() == 14 && all_digits(s.substr(0, 8), 8) && s[8] == '-' && all_digits(s.substr(9), 5);
}

Result<std::string> text_field(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return invalid(std::string(key) + " must be a string");
  std::string v = it->get<std::string>();
  if (!utf8_valid(v) || utf8_chars(v) > kMaxNameChars)
    return invalid(std::string(key) + " must be UTF-8 of at most " + std::to_string(kMaxNameChars) + " characters");
  return v;
}

Result<Bytes> csr_key_source(std::string_view pem_or_b64) {
  // PEM "CERTIFICATE REQUEST"; the DER is what is kept.
  BioPtr bio(BIO_new_mem_buf(pem_or_b64.data(), static_cast<int>(pem_or_b64.size())));
  X509ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!req) {
    ossl_errors();
    return make_error(ErrorKind::invalid, "csr_malformed", "key.csr must be a PEM certificate request");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    ossl_errors();
    return make_error(ErrorKind::invalid, "csr_signature_invalid", "the request's signature does not verify");
  }
  unsigned char* der = nullptr;
  const int n = i2d_X509_REQ(req.get(), &der);
  if (n <= 0) return ossl_error(ErrorKind::internal, "crypto_failed", "i2d_X509_REQ");
  OsslBytesPtr owner(der);
  return Bytes(der, der + n);
}

constexpr std::array<std::pair<std::string_view, Scenario>, 9> kScenarios = {{
    {"valid", Scenario::valid},
    {"revoked", Scenario::revoked},
    {"on_hold", Scenario::on_hold},
    {"expired", Scenario::expired},
    {"not_yet_valid", Scenario::not_yet_valid},
    {"wrong_key_usage", Scenario::wrong_key_usage},
    {"no_qcstatements", Scenario::no_qcstatements},
    {"duplicate_key", Scenario::duplicate_key},
    {"untrusted_issuer", Scenario::untrusted_issuer},
}};

}  // namespace

const char* profile_name(Profile p) noexcept {
  switch (p) {
    case Profile::natural: return "ua-qes-natural";
    case Profile::representative: return "ua-qes-representative";
    case Profile::seal: return "ua-qseal";
  }
  return "ua-qes-natural";
}

const char* scenario_name(Scenario s) noexcept {
  for (const auto& [name, v] : kScenarios)
    if (v == s) return name.data();
  return "valid";
}

std::optional<Scenario> parse_scenario(std::string_view name) noexcept {
  for (const auto& [n, v] : kScenarios)
    if (n == name) return v;
  return std::nullopt;
}

const std::vector<Identity>& identities() {
  static const std::vector<Identity> table = {
      {"3000000001", Scenario::valid, "a valid certificate"},
      {"3000000002", Scenario::revoked, "revoked (keyCompromise) at issuance"},
      {"3000000003", Scenario::on_hold, "on hold (certificateHold) at issuance"},
      {"3000000004", Scenario::expired, "expired yesterday"},
      {"3000000005", Scenario::not_yet_valid, "valid from 30 days ahead"},
      {"3000000006", Scenario::wrong_key_usage, "keyEncipherment only: cannot sign"},
      {"3000000007", Scenario::no_qcstatements, "no QcStatements: not qualified"},
      {"3000000008", Scenario::duplicate_key, "the key of an earlier certificate again (certificate.key_reused)"},
      {"3000000009", Scenario::untrusted_issuer, "issued by a CA no trusted list names"},
  };
  return table;
}

json identities_json() {
  json list = json::array();
  for (const Identity& i : identities())
    list.push_back({{"rnokpp", i.rnokpp}, {"tin", std::string("TINUA-") + i.rnokpp},
                    {"scenario", scenario_name(i.scenario)}, {"note", i.note}});
  return {{"version", kIdentitiesVersion}, {"identities", std::move(list)}};
}

Result<IssueRequest> parse_issue_request(const json& body, UnixTime now) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  IssueRequest r;
  const auto ca = body.find("ca");
  if (ca == body.end() || !ca->is_string()) return invalid("ca (a test CA's name, GET /api/v1/testca/cas) is required");
  r.ca = ca->get<std::string>();
  if (r.ca.size() > 64) return invalid("ca is too long");
  if (const auto p = body.find("profile"); p != body.end()) {
    if (!p->is_string()) return invalid("profile must be a string");
    const std::string name = p->get<std::string>();
    if (name == "ua-qes-natural") r.profile = Profile::natural;
    else if (name == "ua-qes-representative") r.profile = Profile::representative;
    else if (name == "ua-qseal") r.profile = Profile::seal;
    else return invalid("profile must be ua-qes-natural, ua-qes-representative or ua-qseal");
  }
  if (const auto ids = body.find("ids"); ids != body.end()) {
    if (!ids->is_object()) return invalid("ids must be an object");
    for (auto [key, field] : {std::pair{"rnokpp", &r.rnokpp}, std::pair{"edrpou", &r.edrpou}, std::pair{"unzr", &r.unzr}}) {
      auto v = text_field(*ids, key);
      if (!v) return std::move(v).error();
      *field = std::move(*v);
    }
  }
  if (const auto subject = body.find("subject"); subject != body.end()) {
    if (!subject->is_object()) return invalid("subject must be an object");
    for (auto [key, field] : {std::pair{"cn", &r.cn}, std::pair{"given", &r.given_name}, std::pair{"sn", &r.surname},
                              std::pair{"o", &r.organization}, std::pair{"l", &r.locality}}) {
      auto v = text_field(*subject, key);
      if (!v) return std::move(v).error();
      *field = std::move(*v);
    }
  }
  if (r.profile != Profile::seal && !all_digits(r.rnokpp, 10)) return invalid("ids.rnokpp must be 10 digits");
  if (r.profile == Profile::seal && !r.rnokpp.empty()) return invalid("a seal has no ids.rnokpp");
  if (r.profile != Profile::natural && !all_digits(r.edrpou, 8)) return invalid("ids.edrpou must be 8 digits");
  if (r.profile == Profile::natural && !r.edrpou.empty() && !all_digits(r.edrpou, 8))
    return invalid("ids.edrpou must be 8 digits");
  if (!r.unzr.empty() && !valid_unzr(r.unzr)) return invalid("ids.unzr must look like YYYYMMDD-NNNNN");
  if (r.profile != Profile::natural && r.organization.empty()) r.organization = "ТОВ \"Тест " + r.edrpou + "\"";
  if (r.cn.empty()) {
    if (r.profile == Profile::seal) r.cn = r.organization;
    else if (!r.surname.empty() || !r.given_name.empty()) r.cn = r.surname + (r.surname.empty() ? "" : " ") + r.given_name;
    else r.cn = "Тестовий Користувач " + r.rnokpp;
  }

  const auto key = body.find("key");
  if (key == body.end() || !key->is_object()) return invalid("key must be {\"generate\":\"ec-p256\"|\"rsa-2048\"} or {\"csr\":PEM}");
  if (const auto g = key->find("generate"); g != key->end()) {
    if (!g->is_string() || !pki::parse_key_algorithm(g->get<std::string>()))
      return invalid("key.generate must be ec-p256 or rsa-2048");
    r.generate = pki::parse_key_algorithm(g->get<std::string>());
  } else if (const auto c = key->find("csr"); c != key->end()) {
    if (!c->is_string() || c->get_ref<const std::string&>().size() > kMaxCsrBytes)
      return invalid("key.csr must be a PEM certificate request of at most 16 KiB");
    auto der = csr_key_source(c->get_ref<const std::string&>());
    if (!der) return std::move(der).error();
    r.csr_der = std::move(*der);
  } else {
    return invalid("key must be {\"generate\":\"ec-p256\"|\"rsa-2048\"} or {\"csr\":PEM}");
  }

  if (const auto s = body.find("scenario"); s != body.end()) {
    if (!s->is_string() || !parse_scenario(s->get<std::string>())) {
      std::string names;
      for (const auto& [n, v] : kScenarios) names += (names.empty() ? "" : ", ") + std::string(n);
      return invalid("scenario must be one of: " + names);
    }
    r.scenario = *parse_scenario(s->get<std::string>());
    r.scenario_given = true;
  }
  for (const Identity& i : identities()) {
    if (r.rnokpp != i.rnokpp) continue;
    if (r.scenario_given && r.scenario != i.scenario)
      return make_error(ErrorKind::conflict, "identity_scenario_conflict",
                        std::string("RNOKPP ") + i.rnokpp + " always gives " + scenario_name(i.scenario));
    r.scenario = i.scenario;
  }
  if (r.scenario == Scenario::duplicate_key && !r.generate)
    return invalid("duplicate_key needs key.generate (both certificates are made over one new key)");
  if (const auto d = body.find("days"); d != body.end()) {
    if (!d->is_number_unsigned() || d->get<std::uint64_t>() < 1 || d->get<std::uint64_t>() > 3650)
      return invalid("days must be between 1 and 3650");
    r.days = static_cast<std::uint32_t>(d->get<std::uint64_t>());
  }
  if (const auto rev = body.find("revocation"); rev != body.end()) {
    if (!rev->is_object()) return invalid("revocation must be an object");
    if (const auto t = rev->find("time"); t != rev->end()) {
      auto when = t->is_string() ? parse_rfc3339(t->get<std::string>()) : std::nullopt;
      if (!when || *when > now) return invalid("revocation.time must be an RFC 3339 time, not in the future");
      r.revocation_time = *when;
    }
    if (const auto why = rev->find("reason"); why != rev->end()) {
      if (!why->is_string() || why->get_ref<const std::string&>().size() > 32) return invalid("revocation.reason must be a reason name");
      r.reason = why->get<std::string>();
    }
  }
  return r;
}

namespace {

Result<IssuedCert> make_one(const IssueRequest& r, const KeyPair& issuer, EVP_PKEY* subject_key, UnixTime now,
                            const std::string& base_url, const std::string& ca_name) {
  std::vector<pki::NameEntry> name = {{NID_countryName, "UA"}};
  if (!r.locality.empty()) name.push_back({NID_localityName, r.locality});
  if (r.profile != Profile::natural) {
    name.push_back({NID_organizationName, r.organization});
    name.push_back({NID_organizationIdentifier, "NTRUA-" + r.edrpou});
  }
  name.push_back({NID_commonName, r.cn});
  if (!r.surname.empty()) name.push_back({NID_surname, r.surname});
  if (!r.given_name.empty()) name.push_back({NID_givenName, r.given_name});
  if (r.profile != Profile::seal) name.push_back({NID_serialNumber, "TINUA-" + r.rnokpp});
  auto subject = pki::make_name(name);
  if (!subject) return std::move(subject).error();
  auto serial = pki::random_serial();
  if (!serial) return std::move(serial).error();

  pki::CertSpec spec;
  spec.subject = subject->get();
  spec.subject_key = subject_key;
  spec.issuer = issuer.cert.get();
  spec.issuer_key = issuer.key.get();
  spec.serial = *serial;
  spec.not_before = now - 60;
  spec.not_after = now + static_cast<UnixTime>(r.days) * kDay;
  if (r.scenario == Scenario::expired) {
    spec.not_before = now - static_cast<UnixTime>(r.days) * kDay - kDay;
    spec.not_after = now - kDay;
  } else if (r.scenario == Scenario::not_yet_valid) {
    spec.not_before = now + 30 * kDay;
    spec.not_after = spec.not_before + static_cast<UnixTime>(r.days) * kDay;
  }
  const bool untrusted = r.scenario == Scenario::untrusted_issuer;
  spec.extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, r.scenario == Scenario::wrong_key_usage ? "critical,keyEncipherment"
                                                               : "critical,digitalSignature,nonRepudiation"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  if (!untrusted) {
    spec.extensions.emplace_back(NID_info_access, "OCSP;URI:" + base_url + "/ocsp,caIssuers;URI:" + base_url +
                                                      "/testca/" + ca_name + ".cer");
    spec.extensions.emplace_back(NID_crl_distribution_points, "URI:" + base_url + "/crl/" + ca_name + ".crl");
  }
  auto policies = certificate_policies();
  if (!policies) return std::move(policies).error();
  spec.raw_extensions.push_back({"2.5.29.32", false, std::move(*policies)});
  auto sda = directory_attributes(r);
  if (!sda) return std::move(sda).error();
  spec.raw_extensions.push_back({"2.5.29.9", false, std::move(*sda)});
  if (r.scenario != Scenario::no_qcstatements) {
    auto qc = qc_statements(r.profile);
    if (!qc) return std::move(qc).error();
    spec.raw_extensions.push_back({"1.3.6.1.5.5.7.1.3", false, std::move(*qc)});
  }
  auto cert = pki::build_cert(spec);
  if (!cert) return std::move(cert).error();
  IssuedCert out;
  auto der = pki::cert_der(cert->get());
  if (!der) return std::move(der).error();
  auto pem = pki::cert_pem(cert->get());
  if (!pem) return std::move(pem).error();
  out.der = std::move(*der);
  out.pem = std::move(*pem);
  out.serial_hex = hex_encode(spec.serial, true);
  out.not_before = spec.not_before;
  out.not_after = spec.not_after;
  return out;
}

}  // namespace

Result<IssueResult> issue(const TestPki& pki, const IssueRequest& r, UnixTime now, const std::string& base_url) {
  const TestCa* ca = pki.find(r.ca);
  if (ca == nullptr) return make_error(ErrorKind::not_found, "testca_unknown", "no test CA is named " + r.ca);
  IssueResult result;
  EvpPkeyPtr key;
  if (r.generate) {
    auto keys = pki::KeyFactory::create();
    if (!keys) return std::move(keys).error();
    auto made = keys->generate(*r.generate);
    if (!made) return std::move(made).error();
    key = std::move(*made);
    auto pem = pki::key_pem(key.get());
    if (!pem) return std::move(pem).error();
    result.private_key_pem = std::move(*pem);
  } else {
    const unsigned char* p = r.csr_der.data();
    X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(r.csr_der.size())));
    EVP_PKEY* pub = req ? X509_REQ_get0_pubkey(req.get()) : nullptr;
    if (pub == nullptr || EVP_PKEY_up_ref(pub) != 1)
      return make_error(ErrorKind::invalid, "csr_malformed", "the request's key cannot be read");
    key.reset(pub);
  }
  const bool untrusted = r.scenario == Scenario::untrusted_issuer;
  const KeyPair& signer = untrusted ? pki.untrusted() : ca->ca;
  if (r.scenario == Scenario::duplicate_key) {
    auto first = make_one(r, signer, key.get(), now, base_url, ca->name);
    if (!first) return std::move(first).error();
    result.first = std::move(*first);
  }
  auto cert = make_one(r, signer, key.get(), now, base_url, ca->name);
  if (!cert) return std::move(cert).error();
  result.certificate = std::move(*cert);
  result.store = !untrusted;
  const std::vector<const X509*> chain =
      untrusted ? std::vector<const X509*>{pki.untrusted().cert.get()} : pki.chain_of(*ca);
  for (const X509* c : chain) {
    auto pem = pki::cert_pem(c);
    if (!pem) return std::move(pem).error();
    result.chain_pem.push_back(std::move(*pem));
  }
  return result;
}

}  // namespace trustmon::testbed
