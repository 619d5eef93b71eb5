// The CRL builder judged by OpenSSL: every CRL is parsed with d2i_X509_CRL and read back
// through OpenSSL's accessors (version, issuer, times, number, AKI, entries and their
// extensions), signatures are checked with X509_CRL_verify for RSA-2048, P-256 and Ed25519
// CAs, the `openssl crl` command verifies and prints one, and a small CRL is compared
// byte for byte with OpenSSL's own re-encoding of it (canonical DER).
#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/der.hpp"
#include "common/ossl.hpp"
#include "common/time.hpp"
#include "responder/crl/builder.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/unit/crl/alloc_counter.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::crl {
namespace {

using testing::shared_test_pki;

constexpr UnixTime kNow = 1790000000;  // 2026-09-21T14:13:20Z
constexpr UnixTime kWeek = 7 * 86400;

struct IdpDeleter {
  void operator()(ISSUING_DIST_POINT* p) const noexcept { ISSUING_DIST_POINT_free(p); }
};
struct DistPointsDeleter {
  void operator()(STACK_OF(DIST_POINT) * p) const noexcept { sk_DIST_POINT_pop_free(p, DIST_POINT_free); }
};

// A CA whose CRLs we build: its certificate and a SigningKey on its private key.
struct Ca {
  const X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  std::unique_ptr<ocsp::SigningKey> signer;
  Bytes name_der;
  Bytes key_id;
};

Ca make_ca(const X509* cert, EVP_PKEY* key) {
  Ca ca;
  ca.cert = cert;
  ca.key = key;
  auto s = ocsp::SigningKey::create(key);
  if (!s) throw std::runtime_error(s.error().message);
  ca.signer = std::move(*s);
  unsigned char* buf = nullptr;
  const int len = i2d_X509_NAME(X509_get_subject_name(cert), &buf);
  if (len <= 0) throw std::runtime_error("i2d_X509_NAME");
  ca.name_der.assign(buf, buf + len);
  OPENSSL_free(buf);
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(const_cast<X509*>(cert));
  if (ski == nullptr) throw std::runtime_error("CA without SKI");
  ca.key_id.assign(ASN1_STRING_get0_data(ski), ASN1_STRING_get0_data(ski) + ASN1_STRING_length(ski));
  return ca;
}

const Ca& rsa_ca() {
  static const Ca ca = make_ca(shared_test_pki().ca_rsa.get(), shared_test_pki().ca_rsa_key.get());
  return ca;
}
const Ca& ec_ca() {
  static const Ca ca = make_ca(shared_test_pki().ca_ec.get(), shared_test_pki().ca_ec_key.get());
  return ca;
}
const Ca& ed_ca() {
  static const EvpPkeyPtr key = testing::generate_key(testing::KeyType::ed25519);
  static const X509Ptr cert = [] {
    testing::CertOptions o;
    o.common_name = "Test Ed25519 CA";
    o.ca = true;
    return testing::issue_cert(o, key.get(), nullptr, nullptr);
  }();
  static const Ca ca = make_ca(cert.get(), key.get());
  return ca;
}

CrlParams params_for(const Ca& ca) {
  CrlParams p;
  p.issuer_name = ca.name_der;
  p.authority_key_id = ca.key_id;
  p.number = Bytes{0x01, 0x2c};  // 300
  p.this_update = kNow;
  p.next_update = kNow + kWeek;
  return p;
}

X509CrlPtr parse(const Bytes& der) {
  const unsigned char* p = der.data();
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  EXPECT_TRUE(crl) << ossl_errors();
  if (crl) {
    EXPECT_EQ(p, der.data() + der.size()) << "bytes after the CRL";
  }
  return crl;
}

UnixTime unix_of(const ASN1_TIME* t) {
  auto r = asn1_time_to_unix(t);
  EXPECT_TRUE(r.ok());
  return r ? *r : -1;
}

// The extension with `nid`, or nullptr; `critical` gets its flag.
X509_EXTENSION* crl_ext(const X509_CRL* crl, int nid) {
  const int i = X509_CRL_get_ext_by_NID(crl, nid, -1);
  return i < 0 ? nullptr : X509_CRL_get_ext(crl, i);
}

std::string uri_of(const GENERAL_NAMES* names) {
  if (names == nullptr || sk_GENERAL_NAME_num(names) != 1) return {};
  const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, 0);
  if (gn->type != GEN_URI) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier)),
                     static_cast<std::size_t>(ASN1_STRING_length(gn->d.uniformResourceIdentifier)));
}

// Runs a shell command; returns its exit status and fills `output` (stdout and stderr).
int run(const std::string& cmd, std::string& output) {
  output.clear();
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) output.append(buf.data(), n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write_bytes(const std::string& path, ByteView data) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// The tbsCertList TLV of a CRL (our own reader: the first element of the outer SEQUENCE).
ByteView tbs_of(const Bytes& der) {
  der::Tlv outer, tbs;
  if (!der::single(der, der::kSequence, outer)) return {};
  der::Reader r(outer.content);
  if (!r.expect(der::kSequence, tbs)) return {};
  return tbs.whole;
}

// Entries exercising every field: serials with and without the top bit, every reason,
// some invalidity dates.
struct EntryData {
  Bytes serial;
  UnixTime time;
  int reason;
  UnixTime invalidity;
};

std::vector<EntryData> sample_entries() {
  return {
      {{0x01}, kNow - 86400, 1, kNow - 3 * 86400},                          // keyCompromise, invalidity
      {{0x80, 0x00, 0x00, 0x01}, kNow - 3600, 2, 0},                        // top bit set, cACompromise
      {{0x7f, 0xff}, kNow - 7200, 3, 0},                                    // affiliationChanged
      {{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08},
       kNow - 10, 4, 0},                                                    // superseded, 16 octets
      {{0xaa, 0xbb}, kNow - 20, 5, kNow - 30},                              // cessationOfOperation
      {{0x0b}, kNow - 40, 6, 0},                                            // certificateHold
      {{0x0c}, kNow - 50, 9, 0},                                            // privilegeWithdrawn
      {{0x0d}, kNow - 60, 10, 0},                                           // aACompromise
      {{0x0e}, kNow - 70, storage::kNoReason, 0},                           // no reason
      {{0x0f}, kNow - 80, 0, 0},                                            // unspecified: no reasonCode
      {{0x00}, kNow - 90, 1, 0},                                            // zero (stored as {0})
      {Bytes(32, 0xfe), kNow - 100, 1, 0},                                  // the longest serial
  };
}

std::vector<Entry> entries_of(const std::vector<EntryData>& data) {
  std::vector<Entry> out;
  for (const EntryData& d : data) out.push_back(Entry{d.serial, d.time, d.reason, d.invalidity});
  return out;
}

Result<Bytes> build(const CrlParams& p, const std::vector<Entry>& entries, const Ca& ca) {
  return build_crl(p, entries, *ca.signer);
}

// --- fields ---

TEST(CrlBuilder, FieldsReadBackByOpenSsl) {
  const Ca& ca = rsa_ca();
  const auto data = sample_entries();
  const auto entries = entries_of(data);
  auto der = build(params_for(ca), entries, ca);
  ASSERT_TRUE(der.ok()) << der.error().code << ": " << der.error().message;
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);

  EXPECT_EQ(X509_CRL_get_version(crl.get()), 1);  // v2
  EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.cert)), 0);
  EXPECT_EQ(unix_of(X509_CRL_get0_lastUpdate(crl.get())), kNow);
  EXPECT_EQ(unix_of(X509_CRL_get0_nextUpdate(crl.get())), kNow + kWeek);
  EXPECT_EQ(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl.get())), V_ASN1_UTCTIME);
  EXPECT_EQ(X509_CRL_get_signature_nid(crl.get()), NID_sha256WithRSAEncryption);

  int crit = -1;
  Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, &crit, nullptr)));
  ASSERT_TRUE(number);
  EXPECT_EQ(crit, 0);
  EXPECT_EQ(ASN1_INTEGER_get(number.get()), 300);

  AuthorityKeyIdPtr aki(
      static_cast<AUTHORITY_KEYID*>(X509_CRL_get_ext_d2i(crl.get(), NID_authority_key_identifier, &crit, nullptr)));
  ASSERT_TRUE(aki);
  EXPECT_EQ(crit, 0);
  ASSERT_NE(aki->keyid, nullptr);
  EXPECT_EQ(Bytes(ASN1_STRING_get0_data(aki->keyid), ASN1_STRING_get0_data(aki->keyid) + ASN1_STRING_length(aki->keyid)),
            ca.key_id);
  EXPECT_EQ(aki->issuer, nullptr);
  EXPECT_EQ(aki->serial, nullptr);
  // AKI, number, nothing else on a plain full CRL.
  EXPECT_EQ(X509_CRL_get_ext_count(crl.get()), 2);
  EXPECT_EQ(X509_CRL_get_ext_by_NID(crl.get(), NID_authority_key_identifier, -1), 0);
  EXPECT_EQ(X509_CRL_get_ext_by_NID(crl.get(), NID_crl_number, -1), 1);

  // Entries in the order given (read before any lookup, which would sort OpenSSL's copy).
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  ASSERT_NE(revoked, nullptr);
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), static_cast<int>(data.size()));
  for (std::size_t i = 0; i < data.size(); ++i) {
    SCOPED_TRACE("entry " + std::to_string(i));
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, static_cast<int>(i));
    EXPECT_EQ(serial_bytes(X509_REVOKED_get0_serialNumber(r)), data[i].serial);
    EXPECT_EQ(ASN1_STRING_type(X509_REVOKED_get0_serialNumber(r)), V_ASN1_INTEGER);  // not negative
    EXPECT_EQ(unix_of(X509_REVOKED_get0_revocationDate(r)), data[i].time);
    Asn1StringPtr reason(static_cast<ASN1_STRING*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr)));
    if (data[i].reason > 0) {
      ASSERT_TRUE(reason);
      EXPECT_EQ(crit, 0);
      EXPECT_EQ(ASN1_ENUMERATED_get(reason.get()), data[i].reason);
    } else {
      EXPECT_FALSE(reason) << "no reasonCode for kNoReason and unspecified";
    }
    Asn1StringPtr inv(static_cast<ASN1_STRING*>(X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, &crit, nullptr)));
    if (data[i].invalidity != 0) {
      ASSERT_TRUE(inv);
      EXPECT_EQ(crit, 0);
      EXPECT_EQ(ASN1_STRING_type(inv.get()), V_ASN1_GENERALIZEDTIME);
      EXPECT_EQ(unix_of(inv.get()), data[i].invalidity);
    } else {
      EXPECT_FALSE(inv);
    }
    EXPECT_EQ(X509_REVOKED_get_ext_count(r), (data[i].reason > 0 ? 1 : 0) + (data[i].invalidity != 0 ? 1 : 0));
  }
  // Lookups by serial find the entries (OpenSSL's own path for relying parties).
  for (const EntryData& d : data) {
    BignumPtr bn(BN_bin2bn(d.serial.data(), static_cast<int>(d.serial.size()), nullptr));
    Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    X509_REVOKED* found = nullptr;
    EXPECT_EQ(X509_CRL_get0_by_serial(crl.get(), &found, serial.get()), 1);
  }
}

TEST(CrlBuilder, TopBitSerialIsAPositiveInteger) {
  const Ca& ca = ec_ca();
  const Bytes serial{0xff, 0x01, 0x02};
  std::vector<Entry> entries{Entry{serial, kNow - 1, storage::kNoReason, 0}};
  auto der = build(params_for(ca), entries, ca);
  ASSERT_TRUE(der.ok());
  // In the DER: INTEGER 4 { 00 ff 01 02 }.
  const Bytes want{der::kInteger, 0x04, 0x00, 0xff, 0x01, 0x02};
  EXPECT_NE(std::search(der->begin(), der->end(), want.begin(), want.end()), der->end());
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);
  const ASN1_INTEGER* s = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl.get()), 0));
  EXPECT_EQ(ASN1_STRING_type(s), V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
  EXPECT_EQ(serial_bytes(s), serial);
  // The same serial in DER content form (0x00 first) gives the same DER.
  const Bytes serial_der{0x00, 0xff, 0x01, 0x02};
  auto der_form = build(params_for(ca), std::vector<Entry>{Entry{serial_der, kNow - 1, storage::kNoReason, 0}}, ca);
  ASSERT_TRUE(der_form.ok());
  EXPECT_EQ(tbs_of(*der_form).size(), tbs_of(*der).size());
  EXPECT_TRUE(std::equal(tbs_of(*der_form).begin(), tbs_of(*der_form).end(), tbs_of(*der).begin()));
  // A CRL number with the top bit set is positive too.
  CrlParams p = params_for(ca);
  p.number = Bytes{0x80};
  auto der2 = build(p, entries, ca);
  ASSERT_TRUE(der2.ok());
  X509CrlPtr crl2 = parse(*der2);
  ASSERT_TRUE(crl2);
  Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl2.get(), NID_crl_number, nullptr, nullptr)));
  ASSERT_TRUE(number);
  EXPECT_EQ(ASN1_INTEGER_get(number.get()), 128);
}

TEST(CrlBuilder, ZeroEntriesOmitRevokedCertificates) {
  const Ca& ca = ec_ca();
  auto der = build(params_for(ca), {}, ca);
  ASSERT_TRUE(der.ok());
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);
  EXPECT_EQ(X509_CRL_get_REVOKED(crl.get()), nullptr);  // absent, not an empty list
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert)), 1);
  // TBSCertList: version, signature, issuer, thisUpdate, nextUpdate, then straight to [0].
  der::Tlv tbs;
  ASSERT_TRUE(der::single(tbs_of(*der), der::kSequence, tbs));
  der::Reader r(tbs.content);
  der::Tlv t;
  std::vector<std::uint8_t> tags;
  while (r.next(t)) tags.push_back(t.tag);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(tags, (std::vector<std::uint8_t>{der::kInteger, der::kSequence, der::kSequence, der::kUtcTime,
                                             der::kUtcTime, der::context(0)}));
}

TEST(CrlBuilder, GeneralizedTimeFrom2050) {
  const Ca& ca = rsa_ca();
  const UnixTime last_utc = days_from_civil(2049, 12, 31) * 86400 + 86399;  // 2049-12-31T23:59:59Z
  const UnixTime first_gen = last_utc + 1;                                 // 2050-01-01T00:00:00Z
  CrlParams p = params_for(ca);
  p.this_update = last_utc;
  p.next_update = first_gen + 86400;
  const Bytes one{0x01}, two{0x02};  // the entries view these
  std::vector<Entry> entries{Entry{one, last_utc, 1, first_gen + 5}, Entry{two, first_gen, 1, 0}};
  auto der = build(p, entries, ca);
  ASSERT_TRUE(der.ok());
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);
  EXPECT_EQ(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl.get())), V_ASN1_UTCTIME);
  EXPECT_EQ(ASN1_STRING_type(X509_CRL_get0_nextUpdate(crl.get())), V_ASN1_GENERALIZEDTIME);
  EXPECT_EQ(unix_of(X509_CRL_get0_lastUpdate(crl.get())), last_utc);
  EXPECT_EQ(unix_of(X509_CRL_get0_nextUpdate(crl.get())), first_gen + 86400);
  const auto* revoked = X509_CRL_get_REVOKED(crl.get());
  const ASN1_TIME* t0 = X509_REVOKED_get0_revocationDate(sk_X509_REVOKED_value(revoked, 0));
  const ASN1_TIME* t1 = X509_REVOKED_get0_revocationDate(sk_X509_REVOKED_value(revoked, 1));
  EXPECT_EQ(ASN1_STRING_type(t0), V_ASN1_UTCTIME);
  EXPECT_EQ(ASN1_STRING_type(t1), V_ASN1_GENERALIZEDTIME);
  EXPECT_EQ(unix_of(t0), last_utc);
  EXPECT_EQ(unix_of(t1), first_gen);
  const std::string text = "20500101000000Z";
  EXPECT_NE(std::search(der->begin(), der->end(), text.begin(), text.end()), der->end());
  // Before 1970 (and after 1950) is UTCTime too.
  p.this_update = days_from_civil(1955, 6, 1) * 86400;
  p.next_update = days_from_civil(1955, 6, 8) * 86400;
  auto old = build(p, {}, ca);
  ASSERT_TRUE(old.ok());
  X509CrlPtr crl_old = parse(*old);
  ASSERT_TRUE(crl_old);
  EXPECT_EQ(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl_old.get())), V_ASN1_UTCTIME);
  EXPECT_EQ(unix_of(X509_CRL_get0_lastUpdate(crl_old.get())), p.this_update);
}

// --- signatures ---

TEST(CrlBuilder, SignaturesVerifyForRsaP256AndEd25519) {
  const auto data = sample_entries();
  const auto entries = entries_of(data);
  for (const Ca* ca : {&rsa_ca(), &ec_ca(), &ed_ca()}) {
    SCOPED_TRACE(OBJ_nid2sn(EVP_PKEY_get_base_id(ca->key)));
    auto der = build(params_for(*ca), entries, *ca);
    ASSERT_TRUE(der.ok()) << der.error().message;
    X509CrlPtr crl = parse(*der);
    ASSERT_TRUE(crl);
    EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca->cert)), 1) << ossl_errors();
    // Both AlgorithmIdentifiers are the key's: tbsCertList.signature and signatureAlgorithm.
    der::Tlv outer, tbs, version, inner, alg;
    ASSERT_TRUE(der::single(*der, der::kSequence, outer));
    der::Reader r(outer.content);
    ASSERT_TRUE(r.expect(der::kSequence, tbs) && r.expect(der::kSequence, alg));
    der::Reader rt(tbs.content);
    ASSERT_TRUE(rt.expect(der::kInteger, version) && rt.expect(der::kSequence, inner));
    const ByteView key_alg = ca->signer->algorithm_der();
    EXPECT_EQ(Bytes(inner.whole.begin(), inner.whole.end()), Bytes(key_alg.begin(), key_alg.end()));
    EXPECT_EQ(Bytes(alg.whole.begin(), alg.whole.end()), Bytes(key_alg.begin(), key_alg.end()));
    // Another CA's key does not verify it, nor does a changed byte of the tbsCertList.
    const Ca& other = ca == &rsa_ca() ? ec_ca() : rsa_ca();
    EXPECT_NE(X509_CRL_verify(crl.get(), X509_get0_pubkey(other.cert)), 1);
    ERR_clear_error();
    Bytes tampered = *der;
    const ByteView tbs_bytes = tbs_of(tampered);
    ASSERT_FALSE(tbs_bytes.empty());
    const std::size_t at = static_cast<std::size_t>(tbs_bytes.data() - tampered.data()) + tbs_bytes.size() - 30;
    tampered[at] ^= 0x01;
    X509CrlPtr bad = parse(tampered);
    if (bad) {
      EXPECT_NE(X509_CRL_verify(bad.get(), X509_get0_pubkey(ca->cert)), 1);
    }
    ERR_clear_error();
  }
}

// The outer header is written for the signature's real length: an ECDSA signature shorter
// than its maximum across a length boundary moves the tbsCertList down. Sizes the CRL so
// the largest signature would need a 4-octet length field and a shorter one a 3-octet one.
TEST(CrlBuilder, OuterHeaderFollowsTheRealEcdsaSignatureLength) {
  const Ca& ca = ec_ca();
  std::vector<Bytes> serials;
  for (int i = 0; i < 1850; ++i) serials.push_back(Bytes{0x10, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 0x01,
                                                        0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d});
  std::vector<Entry> entries;
  for (const Bytes& s : serials) entries.push_back(Entry{s, kNow - 5, storage::kNoReason, 0});
  CrlParams p = params_for(ca);
  p.distribution_point_url = "http://crl.example/" + std::string(300, 'a');
  // Measure, then lengthen the URL so that the outer content with a 72-octet signature is 65536.
  auto first = build(p, entries, ca);
  ASSERT_TRUE(first.ok());
  der::Tlv outer;
  ASSERT_TRUE(der::single(*first, der::kSequence, outer));
  const auto sig = [](const Bytes& der) {
    der::Tlv o, t, a, bits;
    der::single(der, der::kSequence, o);
    der::Reader r(o.content);
    r.next(t);
    r.next(a);
    r.expect(der::kBitString, bits);
    return bits.content.size() - 1;
  };
  const std::size_t outer_max = outer.content.size() + (ca.signer->max_signature_size() - sig(*first));
  ASSERT_LT(outer_max, 65536u);
  ASSERT_LT(p.distribution_point_url.size() + (65536 - outer_max), kMaxUrlBytes);
  p.distribution_point_url += std::string(65536 - outer_max, 'b');
  int short_signatures = 0;
  for (int i = 0; i < 24; ++i) {
    auto der = build(p, entries, ca);
    ASSERT_TRUE(der.ok());
    const std::size_t s = sig(*der);
    if (s < ca.signer->max_signature_size()) {
      ++short_signatures;
      EXPECT_EQ((*der)[1], 0x82);  // 3-octet length field: content below 65536
    } else {
      EXPECT_EQ((*der)[1], 0x83);
      EXPECT_EQ(der->size(), 65536u + 5);
    }
    X509CrlPtr crl = parse(*der);
    ASSERT_TRUE(crl);
    EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert)), 1);
    EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 1850);
  }
  EXPECT_GT(short_signatures, 0);  // about 3 in 4 P-256 signatures are shorter than 72 octets
}

// --- optional extensions ---

TEST(CrlBuilder, DeltaCrlIndicatorIsCriticalAndRemoveFromCrlAllowed) {
  const Ca& ca = rsa_ca();
  CrlParams p = params_for(ca);
  p.number = Bytes{0x01, 0x2d};
  p.delta_base = Bytes{0x01, 0x2c};
  const Bytes five{0x05}, six{0x06};  // the entries view these
  std::vector<Entry> entries{Entry{five, kNow - 5, storage::kReasonRemoveFromCrl, 0},
                             Entry{six, kNow - 6, storage::kReasonCertificateHold, 0}};
  auto der = build(p, entries, ca);
  ASSERT_TRUE(der.ok()) << der.error().message;
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);
  X509_EXTENSION* ext = crl_ext(crl.get(), NID_delta_crl);
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 1);
  Asn1IntegerPtr base(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_delta_crl, nullptr, nullptr)));
  ASSERT_TRUE(base);
  EXPECT_EQ(ASN1_INTEGER_get(base.get()), 300);
  EXPECT_EQ(X509_CRL_get_ext_by_NID(crl.get(), NID_delta_crl, -1), 2);  // after AKI and number
  EXPECT_EQ(crl_ext(crl.get(), NID_freshest_crl), nullptr);
  Asn1StringPtr reason(static_cast<ASN1_STRING*>(
      X509_REVOKED_get_ext_d2i(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl.get()), 0), NID_crl_reason, nullptr, nullptr)));
  ASSERT_TRUE(reason);
  EXPECT_EQ(ASN1_ENUMERATED_get(reason.get()), 8);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert)), 1);

  // removeFromCRL has no place in a full CRL; a delta names no Freshest CRL.
  p.delta_base.reset();
  auto full = build(p, entries, ca);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, "reason_invalid");
  p.delta_base = Bytes{0x01};
  p.freshest_crl_url = "http://crl.example/delta.crl";
  auto both = build(p, entries, ca);
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().code, "crl_params_invalid");
}

TEST(CrlBuilder, IssuingDistributionPointIsCriticalWithOnlyUserCerts) {
  const Ca& ca = ec_ca();
  CrlParams p = params_for(ca);
  p.distribution_point_url = "http://crl.example/ca/3.crl";
  p.only_user_certs = true;
  auto der = build(p, entries_of(sample_entries()), ca);
  ASSERT_TRUE(der.ok());
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);
  X509_EXTENSION* ext = crl_ext(crl.get(), NID_issuing_distribution_point);
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 1);
  std::unique_ptr<ISSUING_DIST_POINT, IdpDeleter> idp(
      static_cast<ISSUING_DIST_POINT*>(X509_CRL_get_ext_d2i(crl.get(), NID_issuing_distribution_point, nullptr, nullptr)));
  ASSERT_TRUE(idp);
  EXPECT_EQ(idp->onlyuser, 0xff);
  EXPECT_EQ(idp->onlyCA, 0);
  EXPECT_EQ(idp->indirectCRL, 0);
  ASSERT_NE(idp->distpoint, nullptr);
  ASSERT_EQ(idp->distpoint->type, 0);  // fullName
  EXPECT_EQ(uri_of(idp->distpoint->name.fullname), p.distribution_point_url);
  // OpenSSL understands the extension (it would otherwise flag an unhandled critical one).
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert)), 1);
  EXPECT_EQ(X509_CRL_get_ext_count(crl.get()), 3);

  // The URL alone: no onlyContainsUserCerts (DEFAULT FALSE is not encoded).
  p.only_user_certs = false;
  auto der2 = build(p, {}, ca);
  ASSERT_TRUE(der2.ok());
  X509CrlPtr crl2 = parse(*der2);
  ASSERT_TRUE(crl2);
  std::unique_ptr<ISSUING_DIST_POINT, IdpDeleter> idp2(
      static_cast<ISSUING_DIST_POINT*>(X509_CRL_get_ext_d2i(crl2.get(), NID_issuing_distribution_point, nullptr, nullptr)));
  ASSERT_TRUE(idp2);
  EXPECT_EQ(idp2->onlyuser, 0);
}

TEST(CrlBuilder, FreshestCrlIsNonCriticalAndNamesTheDelta) {
  const Ca& ca = rsa_ca();
  CrlParams p = params_for(ca);
  p.freshest_crl_url = "http://crl.example/ca.delta.crl";
  auto der = build(p, {}, ca);
  ASSERT_TRUE(der.ok());
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);
  X509_EXTENSION* ext = crl_ext(crl.get(), NID_freshest_crl);
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 0);
  std::unique_ptr<STACK_OF(DIST_POINT), DistPointsDeleter> dps(
      static_cast<STACK_OF(DIST_POINT)*>(X509_CRL_get_ext_d2i(crl.get(), NID_freshest_crl, nullptr, nullptr)));
  ASSERT_TRUE(dps);
  ASSERT_EQ(sk_DIST_POINT_num(dps.get()), 1);
  const DIST_POINT* dp = sk_DIST_POINT_value(dps.get(), 0);
  ASSERT_NE(dp->distpoint, nullptr);
  ASSERT_EQ(dp->distpoint->type, 0);
  EXPECT_EQ(uri_of(dp->distpoint->name.fullname), p.freshest_crl_url);
  EXPECT_EQ(dp->reasons, nullptr);
  EXPECT_EQ(dp->CRLissuer, nullptr);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert)), 1);
}

TEST(CrlBuilder, ExpiredCertsOnCrlCarriesItsTime) {
  const Ca& ca = ec_ca();
  CrlParams p = params_for(ca);
  p.expired_certs_on_crl = kNow - 365 * 86400;
  p.freshest_crl_url = "http://crl.example/d.crl";
  auto der = build(p, {}, ca);
  ASSERT_TRUE(der.ok());
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);
  Asn1ObjectPtr oid(OBJ_txt2obj("2.5.29.60", 1));
  ASSERT_TRUE(oid);
  const int i = X509_CRL_get_ext_by_OBJ(crl.get(), oid.get(), -1);
  ASSERT_GE(i, 0);
  EXPECT_EQ(i, X509_CRL_get_ext_count(crl.get()) - 1);  // the last one
  X509_EXTENSION* ext = X509_CRL_get_ext(crl.get(), i);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 0);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  der::Tlv t;
  ASSERT_TRUE(der::single(ByteView(ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value))),
                          der::kGeneralizedTime, t));
  UnixTime when = 0;
  ASSERT_TRUE(der::parse_generalized_time(t.content, when));
  EXPECT_EQ(when, *p.expired_certs_on_crl);
  // Order: AKI, number, Freshest CRL, ExpiredCertsOnCRL.
  EXPECT_EQ(X509_CRL_get_ext_by_NID(crl.get(), NID_freshest_crl, -1), 2);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert)), 1);
}

TEST(CrlBuilder, NoAuthorityKeyIdWhenNoneGiven) {
  const Ca& ca = ec_ca();
  CrlParams p = params_for(ca);
  p.authority_key_id = {};
  auto der = build(p, {}, ca);
  ASSERT_TRUE(der.ok());
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);
  EXPECT_EQ(crl_ext(crl.get(), NID_authority_key_identifier), nullptr);
  EXPECT_EQ(X509_CRL_get_ext_count(crl.get()), 1);
}

// --- canonical DER ---

TEST(CrlBuilder, SmallCrlEqualsOpenSslReencoding) {
  for (const Ca* ca : {&rsa_ca(), &ec_ca()}) {
    CrlParams p = params_for(*ca);
    p.distribution_point_url = "http://crl.example/x.crl";
    p.only_user_certs = true;
    p.freshest_crl_url = "http://crl.example/x.delta.crl";
    p.expired_certs_on_crl = kNow - 86400;
    auto der = build(p, entries_of(sample_entries()), *ca);
    ASSERT_TRUE(der.ok());
    X509CrlPtr crl = parse(*der);
    ASSERT_TRUE(crl);
    // i2d_re_X509_CRL_tbs drops OpenSSL's cached encoding and encodes the parsed fields anew.
    unsigned char* buf = nullptr;
    const int tbs_len = i2d_re_X509_CRL_tbs(crl.get(), &buf);
    ASSERT_GT(tbs_len, 0);
    const Bytes tbs(buf, buf + tbs_len);
    OPENSSL_free(buf);
    const ByteView ours = tbs_of(*der);
    EXPECT_EQ(Bytes(ours.begin(), ours.end()), tbs);
    buf = nullptr;
    const int len = i2d_X509_CRL(crl.get(), &buf);
    ASSERT_GT(len, 0);
    const Bytes whole(buf, buf + len);
    OPENSSL_free(buf);
    EXPECT_EQ(whole, *der);
  }
}

// --- the openssl command ---

TEST(CrlBuilder, OpensslCommandVerifiesAndListsEveryReason) {
  testing::ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  for (const Ca* ca : {&rsa_ca(), &ec_ca()}) {
    const std::string ca_pem = dir / "ca.pem", crl_der = dir / "crl.der", other_pem = dir / "other.pem";
    {
      std::ofstream f(ca_pem);
      f << testing::cert_pem(ca->cert);
      std::ofstream g(other_pem);
      g << testing::cert_pem(ca == &rsa_ca() ? ec_ca().cert : rsa_ca().cert);
    }
    CrlParams p = params_for(*ca);
    p.distribution_point_url = "http://crl.example/ca.crl";
    p.only_user_certs = true;
    p.freshest_crl_url = "http://crl.example/ca.delta.crl";
    auto der = build(p, entries_of(sample_entries()), *ca);
    ASSERT_TRUE(der.ok());
    write_bytes(crl_der, *der);

    std::string out;
    EXPECT_EQ(run("openssl crl -inform DER -in " + crl_der + " -noout -verify -CAfile " + ca_pem, out), 0) << out;
    EXPECT_NE(out.find("verify OK"), std::string::npos) << out;
    // The other CA's certificate is not this CRL's issuer: no "verify OK".
    run("openssl crl -inform DER -in " + crl_der + " -noout -verify -CAfile " + other_pem, out);
    EXPECT_EQ(out.find("verify OK"), std::string::npos) << out;

    ASSERT_EQ(run("openssl crl -inform DER -in " + crl_der + " -noout -text", out), 0) << out;
    for (const char* reason : {"Key Compromise", "CA Compromise", "Affiliation Changed", "Superseded",
                               "Cessation Of Operation", "Certificate Hold", "Privilege Withdrawn", "AA Compromise"})
      EXPECT_NE(out.find(reason), std::string::npos) << reason << "\n" << out;
    EXPECT_EQ(count_of(out, "Key Compromise"), 3u) << out;  // entries 0, 10, 11 (not "CA Compromise")
    EXPECT_EQ(out.find("Unspecified"), std::string::npos);
    EXPECT_EQ(count_of(out, "Serial Number:"), sample_entries().size());
    EXPECT_EQ(count_of(out, "Invalidity Date"), 2u);
    EXPECT_NE(out.find("Only User Certificates"), std::string::npos) << out;
    EXPECT_NE(out.find("X509v3 Freshest CRL"), std::string::npos) << out;
    EXPECT_NE(out.find("Serial Number: 80000001"), std::string::npos) << out;
  }
}

// --- many entries, in order ---

TEST(CrlBuilder, TenThousandRandomEntriesRoundTripInOrder) {
  const Ca& ca = ec_ca();
  std::mt19937_64 rng(42);
  std::vector<EntryData> data(10000);
  for (EntryData& d : data) {
    d.serial.resize(1 + rng() % 20);
    for (auto& b : d.serial) b = static_cast<std::uint8_t>(rng());
    if (d.serial[0] == 0) d.serial[0] = 1;
    d.time = kNow - static_cast<UnixTime>(rng() % (5 * 365 * 86400));
    const int reasons[] = {storage::kNoReason, 1, 3, 4, 5, 6, 9};
    d.reason = reasons[rng() % 7];
    d.invalidity = rng() % 3 == 0 ? d.time - static_cast<UnixTime>(rng() % 86400) : 0;
  }
  auto der = build(params_for(ca), entries_of(data), ca);
  ASSERT_TRUE(der.ok());
  X509CrlPtr crl = parse(*der);
  ASSERT_TRUE(crl);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert)), 1);
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), 10000);
  int mismatches = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, static_cast<int>(i));
    Asn1StringPtr reason(static_cast<ASN1_STRING*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nullptr, nullptr)));
    Asn1StringPtr inv(static_cast<ASN1_STRING*>(X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, nullptr, nullptr)));
    const bool same = serial_bytes(X509_REVOKED_get0_serialNumber(r)) == data[i].serial &&
                      unix_of(X509_REVOKED_get0_revocationDate(r)) == data[i].time &&
                      (reason ? ASN1_ENUMERATED_get(reason.get()) : storage::kNoReason) == data[i].reason &&
                      (inv ? unix_of(inv.get()) : 0) == data[i].invalidity;
    if (!same) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0);
}

// --- allocation ---

// The number of allocations does not grow with the entries (none per entry), and what is
// allocated is the output plus a constant.
TEST(CrlBuilder, AllocationsDoNotGrowWithEntries) {
  const Ca& ca = rsa_ca();
  std::vector<Bytes> serials;
  for (int i = 0; i < 20000; ++i)
    serials.push_back(Bytes{0x42, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 0x99});
  std::vector<Entry> entries;
  for (int i = 0; i < 20000; ++i)
    entries.push_back(Entry{serials[static_cast<std::size_t>(i)], kNow - i * 1000, i % 2 == 0 ? 1 : storage::kNoReason,
                            i % 3 == 0 ? kNow - i * 1000 - 5 : 0});
  const CrlParams p = params_for(ca);
  const auto measure = [&](std::size_t n, std::size_t& allocations, std::size_t& bytes, std::size_t& out_size) {
    testing::AllocationCount count;
    auto der = build_crl(p, std::span<const Entry>(entries).first(n), *ca.signer);
    allocations = count.allocations();
    bytes = count.bytes();
    ASSERT_TRUE(der.ok());
    out_size = der->size();
  };
  std::size_t a10 = 0, b10 = 0, s10 = 0, a20k = 0, b20k = 0, s20k = 0;
  // Warm up first: the key's first signature fills its context pool (a one-time allocation).
  measure(1, a10, b10, s10);
  measure(10, a10, b10, s10);
  measure(20000, a20k, b20k, s20k);
  EXPECT_EQ(a10, a20k) << "allocations for 10 and for 20,000 entries";
  EXPECT_LT(a20k, 12u) << a20k << " allocations";
  EXPECT_GT(s20k, 20000u * 20);
  EXPECT_LE(b20k, s20k + 64 * 1024) << "allocated " << b20k << " for a CRL of " << s20k;
  EXPECT_EQ(b20k - b10, s20k - s10) << "only the output buffer grows with the entries";
}

// --- refusals ---

TEST(CrlBuilder, RefusesBadInputsWithStableCodes) {
  const Ca& ca = ec_ca();
  const auto code = [&](const CrlParams& p, std::vector<Entry> entries) {
    auto r = build_crl(p, entries, *ca.signer);
    return r.ok() ? std::string("ok") : r.error().code;
  };
  const CrlParams good = params_for(ca);
  const Bytes one{0x01};
  const std::vector<Entry> none;
  EXPECT_EQ(code(good, none), "ok");
  EXPECT_EQ(code(good, {Entry{one, kNow, 1, 0}}), "ok");

  CrlParams p = good;
  p.number = {};
  EXPECT_EQ(code(p, none), "crl_number_invalid");
  p.number = Bytes(20, 0x7f);
  EXPECT_EQ(code(p, none), "ok");
  p.number = Bytes(21, 0x01);
  EXPECT_EQ(code(p, none), "crl_number_invalid");
  p.number = Bytes(20, 0x80);  // 21 content octets with the sign octet
  EXPECT_EQ(code(p, none), "crl_number_invalid");
  p.number = Bytes{0x00, 0x01};
  EXPECT_EQ(code(p, none), "crl_number_invalid");
  p.number = Bytes{0x00, 0x80};
  EXPECT_EQ(code(p, none), "ok");
  p = good;
  p.delta_base = Bytes{};
  EXPECT_EQ(code(p, none), "crl_number_invalid");

  const Bytes long_serial(33, 0x01), zero_led{0x00, 0x01}, two_zeros{0x00, 0x00};
  EXPECT_EQ(code(good, {Entry{ByteView{}, kNow, 1, 0}}), "serial_invalid");
  EXPECT_EQ(code(good, {Entry{long_serial, kNow, 1, 0}}), "serial_invalid");
  EXPECT_EQ(code(good, {Entry{zero_led, kNow, 1, 0}}), "serial_invalid");
  EXPECT_EQ(code(good, {Entry{two_zeros, kNow, 1, 0}}), "serial_invalid");
  // 32 octets of magnitude with the top bit set, also in DER content form (33 octets).
  Bytes top32(32, 0x81), top32_der(33, 0x81);
  top32_der[0] = 0x00;
  EXPECT_EQ(code(good, {Entry{top32, kNow, 1, 0}}), "ok");
  EXPECT_EQ(code(good, {Entry{top32_der, kNow, 1, 0}}), "ok");
  const Bytes zero_led33 = [] { Bytes b(34, 0x81); b[0] = 0; return b; }();
  EXPECT_EQ(code(good, {Entry{zero_led33, kNow, 1, 0}}), "serial_invalid");

  const UnixTime y1949 = days_from_civil(1949, 12, 31) * 86400;
  const UnixTime y10000 = days_from_civil(10000, 1, 1) * 86400;
  EXPECT_EQ(code(good, {Entry{one, y1949, 1, 0}}), "time_invalid");
  EXPECT_EQ(code(good, {Entry{one, y10000, 1, 0}}), "time_invalid");
  EXPECT_EQ(code(good, {Entry{one, kNow, 1, y10000}}), "time_invalid");
  EXPECT_EQ(code(good, {Entry{one, y10000 - 1, 1, y10000 - 1}}), "ok");
  p = good;
  p.this_update = 0;
  EXPECT_EQ(code(p, none), "time_invalid");
  p = good;
  p.next_update = p.this_update;
  EXPECT_EQ(code(p, none), "time_invalid");
  p = good;
  p.next_update = 0;
  EXPECT_EQ(code(p, none), "time_invalid");
  p = good;
  p.expired_certs_on_crl = y1949;
  EXPECT_EQ(code(p, none), "time_invalid");

  EXPECT_EQ(code(good, {Entry{one, kNow, 7, 0}}), "reason_invalid");
  EXPECT_EQ(code(good, {Entry{one, kNow, 11, 0}}), "reason_invalid");
  EXPECT_EQ(code(good, {Entry{one, kNow, -2, 0}}), "reason_invalid");
  EXPECT_EQ(code(good, {Entry{one, kNow, storage::kReasonRemoveFromCrl, 0}}), "reason_invalid");

  p = good;
  const Bytes not_a_name{0x04, 0x01, 0x00};
  p.issuer_name = not_a_name;
  EXPECT_EQ(code(p, none), "crl_params_invalid");
  p = good;
  p.issuer_name = {};
  EXPECT_EQ(code(p, none), "crl_params_invalid");
  p = good;
  const Bytes long_id(kMaxKeyIdBytes + 1, 0x01);
  p.authority_key_id = long_id;
  EXPECT_EQ(code(p, none), "crl_params_invalid");
  p = good;
  p.distribution_point_url = "http://crl.example/a b.crl";
  EXPECT_EQ(code(p, none), "crl_params_invalid");
  p = good;
  p.freshest_crl_url = "http://crl.example/" + std::string(kMaxUrlBytes, 'a');
  EXPECT_EQ(code(p, none), "crl_params_invalid");

  // The first bad entry is named in the message, after good ones.
  auto r = build_crl(good, std::vector<Entry>{Entry{one, kNow, 1, 0}, Entry{one, kNow, 1, 0}, Entry{long_serial, kNow, 1, 0}},
                     *ca.signer);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("entry 2"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().kind, ErrorKind::invalid);
}

}  // namespace
}  // namespace trustmon::crl
