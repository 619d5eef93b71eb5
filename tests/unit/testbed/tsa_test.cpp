// testbed::Tsa against the real `openssl ts` command: a P-256 and an RSA-2048 TSA under the
// test PKI's P-256 CA and root (the TSA certificates get their critical timeStamping EKU
// here), queries made by `openssl ts -query` and by hand (TS_REQ) for the malformed ones,
// each reply written to a scratch folder and verified or printed by `openssl ts`. Also:
// the faults as openssl sees them, the rejection codes, the size cap, many threads at once.
#include "responder/testbed/tsa.hpp"

#include <gtest/gtest.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "common/time.hpp"
#include "responder/testbed/faults.hpp"
#include "responder/testbed/test_pki.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/unit/testbed/tsa_material.hpp"

namespace trustmon::testbed {
namespace {

using trustmon::testing::ScratchDir;
using namespace trustmon::testbed::tsa_testing;  // NOLINT(google-build-using-namespace)

constexpr UnixTime kNow = 1'800'000'000;  // 2027-01-15T08:00:00Z

struct Parsed {
  int status = -1;
  std::vector<int> failure_bits;
  std::optional<UnixTime> gen_time;
  std::string policy;
  Bytes serial;
  Bytes imprint;
  int cert_count = 0;  // certificates in the token's SignedData
};

Parsed parse(ByteView der) {
  Parsed p;
  const unsigned char* q = der.data();
  std::unique_ptr<TS_RESP, decltype(&TS_RESP_free)> resp(d2i_TS_RESP(nullptr, &q, static_cast<long>(der.size())),
                                                          TS_RESP_free);
  if (!resp) return p;
  TS_STATUS_INFO* si = TS_RESP_get_status_info(resp.get());
  p.status = static_cast<int>(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si)));
  if (const ASN1_BIT_STRING* fi = TS_STATUS_INFO_get0_failure_info(si))
    for (int bit = 0; bit < 32; ++bit)
      if (ASN1_BIT_STRING_get_bit(fi, bit)) p.failure_bits.push_back(bit);
  TS_TST_INFO* info = TS_RESP_get_tst_info(resp.get());
  if (info == nullptr) return p;
  if (auto t = asn1_time_to_unix(TS_TST_INFO_get_time(info))) p.gen_time = *t;
  char oid[128];
  OBJ_obj2txt(oid, sizeof oid, TS_TST_INFO_get_policy_id(info), 1);
  p.policy = oid;
  p.serial = serial_bytes(TS_TST_INFO_get_serial(info));
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(info));
  p.imprint.assign(ASN1_STRING_get0_data(msg), ASN1_STRING_get0_data(msg) + ASN1_STRING_length(msg));
  PKCS7* token = TS_RESP_get_token(resp.get());
  if (token != nullptr && PKCS7_type_is_signed(token) && token->d.sign->cert != nullptr)
    p.cert_count = sk_X509_num(token->d.sign->cert);
  return p;
}

struct QuerySpec {
  int md_nid = NID_sha256;
  std::size_t imprint_len = 32;
  long version = 1;
  std::string policy;
  bool nonce = true;
  bool cert_req = true;
  bool extension = false;  // an unknown non-critical extension
};

// A TimeStampReq built with OpenSSL's TS_REQ API, free to break the rules.
Bytes make_query(const QuerySpec& s) {
  std::unique_ptr<TS_REQ, decltype(&TS_REQ_free)> req(TS_REQ_new(), TS_REQ_free);
  std::unique_ptr<TS_MSG_IMPRINT, decltype(&TS_MSG_IMPRINT_free)> imprint(TS_MSG_IMPRINT_new(), TS_MSG_IMPRINT_free);
  std::unique_ptr<X509_ALGOR, decltype(&X509_ALGOR_free)> alg(X509_ALGOR_new(), X509_ALGOR_free);
  X509_ALGOR_set0(alg.get(), OBJ_nid2obj(s.md_nid), V_ASN1_NULL, nullptr);
  Bytes hash(s.imprint_len, 0x5a);
  EXPECT_EQ(TS_REQ_set_version(req.get(), s.version), 1);
  EXPECT_EQ(TS_MSG_IMPRINT_set_algo(imprint.get(), alg.get()), 1);
  EXPECT_EQ(TS_MSG_IMPRINT_set_msg(imprint.get(), hash.data(), static_cast<int>(hash.size())), 1);
  EXPECT_EQ(TS_REQ_set_msg_imprint(req.get(), imprint.get()), 1);
  if (!s.policy.empty()) {
    Asn1ObjectPtr oid(OBJ_txt2obj(s.policy.c_str(), 1));
    EXPECT_EQ(TS_REQ_set_policy_id(req.get(), oid.get()), 1);
  }
  if (s.nonce) {
    Asn1IntegerPtr nonce(ASN1_INTEGER_new());
    ASN1_INTEGER_set(nonce.get(), 0x1234567);
    EXPECT_EQ(TS_REQ_set_nonce(req.get(), nonce.get()), 1);
  }
  EXPECT_EQ(TS_REQ_set_cert_req(req.get(), s.cert_req ? 1 : 0), 1);
  if (s.extension) {
    Asn1ObjectPtr oid(OBJ_txt2obj("1.3.6.1.4.1.99999.7", 1));
    Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
    const unsigned char kNull[] = {0x05, 0x00};
    ASN1_OCTET_STRING_set(value.get(), kNull, sizeof kNull);
    X509ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
    EXPECT_EQ(TS_REQ_add_ext(req.get(), ext.get(), -1), 1);
  }
  unsigned char* out = nullptr;
  const int len = i2d_TS_REQ(req.get(), &out);
  EXPECT_GT(len, 0);
  OsslBytesPtr owned(out);
  return Bytes(out, out + len);
}

class TsaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto& pki = trustmon::testing::shared_test_pki();
    ec_key_ = trustmon::testing::generate_key(trustmon::testing::KeyType::p256).release();
    rsa_key_ = trustmon::testing::generate_key(trustmon::testing::KeyType::rsa2048).release();
    ec_cert_ = tsa_certificate(ec_key_, pki.ca_ec.get(), pki.ca_ec_key.get()).release();
    rsa_cert_ = tsa_certificate(rsa_key_, pki.ca_ec.get(), pki.ca_ec_key.get()).release();
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(ec_key_);
    EVP_PKEY_free(rsa_key_);
    X509_free(ec_cert_);
    X509_free(rsa_cert_);
  }

  void SetUp() override {
    const auto& pki = trustmon::testing::shared_test_pki();
    ASSERT_FALSE(dir_.path().empty());
    std::ofstream(dir_ / "root.pem") << trustmon::testing::cert_pem(pki.root.get());
    std::ofstream(dir_ / "ca.pem") << trustmon::testing::cert_pem(pki.ca_ec.get());
    std::ofstream(dir_ / "data.bin") << "the document to stamp\n";
  }

  std::unique_ptr<Tsa> make(bool rsa = false, TsaConfig base = {}) {
    const auto& pki = trustmon::testing::shared_test_pki();
    base.certificate = trustmon::testing::dup_cert(rsa ? rsa_cert_ : ec_cert_);
    base.key = trustmon::testing::dup_key(rsa ? rsa_key_ : ec_key_);
    base.chain.push_back(trustmon::testing::dup_cert(pki.ca_ec.get()));
    base.chain.push_back(trustmon::testing::dup_cert(pki.root.get()));
    auto tsa = Tsa::create(std::move(base), clock_);
    EXPECT_TRUE(tsa.ok()) << (tsa.ok() ? "" : tsa.error().message);
    if (!tsa) return nullptr;
    std::ofstream(dir_ / "chain.pem") << (*tsa)->chain_pem();
    return std::move(*tsa);
  }

  // `openssl ts -query` over data.bin; extra: "-sha384", "-no_nonce", "-cert", "-tspolicy X".
  Bytes cli_query(const std::string& extra, const std::string& name = "q.tsq") {
    const Ran r = run("openssl ts -query -data " + dir_ / "data.bin" + " " + extra + " -out " + dir_ / name);
    EXPECT_EQ(r.rc, 0) << r.out;
    return read_bytes(dir_ / name);
  }

  // Writes the reply and runs `openssl ts -verify` against the query file.
  Ran verify(ByteView reply, const std::string& untrusted = "chain.pem", const std::string& query = "q.tsq") {
    write_bytes(dir_ / "r.tsr", reply);
    std::string cmd = "openssl ts -verify -queryfile " + dir_ / query + " -in " + dir_ / "r.tsr" + " -CAfile " +
                      dir_ / "root.pem";
    if (!untrusted.empty()) cmd += " -untrusted " + dir_ / untrusted;
    return run(cmd);
  }

  Ran reply_text(ByteView reply) {
    write_bytes(dir_ / "t.tsr", reply);
    return run("openssl ts -reply -in " + dir_ / "t.tsr" + " -text");
  }

  // The token's ASN.1 dump (signed attributes included).
  std::string token_dump(ByteView reply) {
    write_bytes(dir_ / "d.tsr", reply);
    const Ran t = run("openssl ts -reply -in " + dir_ / "d.tsr" + " -token_out -out " + dir_ / "d.tok");
    EXPECT_EQ(t.rc, 0) << t.out;
    return run("openssl asn1parse -inform DER -in " + dir_ / "d.tok").out;
  }

  static inline EVP_PKEY* ec_key_ = nullptr;
  static inline EVP_PKEY* rsa_key_ = nullptr;
  static inline X509* ec_cert_ = nullptr;
  static inline X509* rsa_cert_ = nullptr;
  FixedClock clock_{kNow};
  ScratchDir dir_;
};

bool verified(const Ran& r) { return r.rc == 0 && r.out.find("Verification: OK") != std::string::npos; }

TEST_F(TsaTest, EachImprintAlgorithmVerifiesWithOpensslForEcAndRsa) {
  for (bool rsa : {false, true}) {
    auto tsa = make(rsa);
    ASSERT_TRUE(tsa);
    for (const std::string alg : {"-sha256", "-sha384", "-sha512"}) {
      const Bytes q = cli_query(alg + " -cert");
      auto reply = tsa->respond(q);
      ASSERT_TRUE(reply.ok()) << reply.error().message;
      const Parsed p = parse(*reply);
      EXPECT_EQ(p.status, 0) << alg;
      const Ran v = verify(*reply);
      EXPECT_TRUE(verified(v)) << (rsa ? "RSA " : "EC ") << alg << ": " << v.out;
    }
  }
}

TEST_F(TsaTest, NonceAccuracyPolicyAndGenTimeFromTheClock) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  const Bytes q = cli_query("-sha256 -cert");
  auto reply = tsa->respond(q);
  ASSERT_TRUE(reply.ok());
  const Parsed p = parse(*reply);
  EXPECT_EQ(p.gen_time, kNow);
  EXPECT_EQ(p.policy, kTestTsaPolicy);
  EXPECT_EQ(p.serial.size(), 16u);
  const Ran text = reply_text(*reply);
  ASSERT_EQ(text.rc, 0) << text.out;
  EXPECT_NE(text.out.find("Accuracy: 0x01 seconds"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Time stamp: Jan 15 08:00:00 2027 GMT"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("Nonce: unspecified"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("TSA: DirName:"), std::string::npos) << text.out;
  // The query's nonce is echoed: -verify with -queryfile compares it.
  EXPECT_TRUE(verified(verify(*reply)));

  // A query without a nonce gets a token without one.
  const Bytes q2 = cli_query("-sha256 -no_nonce -cert", "q2.tsq");
  auto reply2 = tsa->respond(q2);
  ASSERT_TRUE(reply2.ok());
  EXPECT_NE(reply_text(*reply2).out.find("Nonce: unspecified"), std::string::npos);
  EXPECT_TRUE(verified(verify(*reply2, "chain.pem", "q2.tsq")));

  clock_.advance(3600);
  auto later = tsa->respond(q);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(parse(*later).gen_time, kNow + 3600);
}

TEST_F(TsaTest, CertReqAddsTheTsaCertificateAndChain) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  // certReq: the token carries the TSA certificate and the chain, so the root alone verifies it.
  const Bytes with = cli_query("-sha256 -cert");
  auto r1 = tsa->respond(with);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(parse(*r1).cert_count, 3);
  EXPECT_TRUE(verified(verify(*r1, ""))) << verify(*r1, "").out;
  // Without certReq: no certificates; the TSA certificate must come from elsewhere.
  const Bytes without = cli_query("-sha256");
  auto r2 = tsa->respond(without);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(parse(*r2).cert_count, 0);
  EXPECT_FALSE(verified(verify(*r2, "")));
  EXPECT_TRUE(verified(verify(*r2, "chain.pem"))) << verify(*r2, "chain.pem").out;
}

TEST_F(TsaTest, SignedAttributesCarryEssCertIdV2) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  auto reply = tsa->respond(cli_query("-sha512 -cert"));
  ASSERT_TRUE(reply.ok());
  const std::string dump = token_dump(*reply);
  EXPECT_NE(dump.find(":id-smime-aa-signingCertificateV2"), std::string::npos) << dump;
  EXPECT_EQ(dump.find(":id-smime-aa-signingCertificate\n"), std::string::npos) << dump;
}

TEST_F(TsaTest, UkrainianPolicyIsAcceptedOnRequestAndUnknownPoliciesRejected) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  auto ua = tsa->respond(cli_query("-sha256 -cert -tspolicy " + std::string(kUaTspPolicy)));
  ASSERT_TRUE(ua.ok());
  EXPECT_EQ(parse(*ua).status, 0);
  EXPECT_EQ(parse(*ua).policy, kUaTspPolicy);
  EXPECT_TRUE(verified(verify(*ua)));

  auto other = tsa->respond(cli_query("-sha256 -cert -tspolicy 1.2.3.4.5"));
  ASSERT_TRUE(other.ok());
  const Parsed p = parse(*other);
  EXPECT_EQ(p.status, 2);
  EXPECT_EQ(p.failure_bits, std::vector<int>{15});  // unacceptedPolicy
}

TEST_F(TsaTest, TimeTravelSetsGenTime) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  TsaOptions o;
  o.at = 1'700'000'000;
  auto reply = tsa->respond(cli_query("-sha256 -cert"), o);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(parse(*reply).gen_time, 1'700'000'000);
  EXPECT_TRUE(verified(verify(*reply)));
  // The signed attributes' signingTime is the token's genTime (docs/testbed.md): present,
  // and the travelled-to time (SigningTimeIsGenTime checks it to the second).
  const std::string dump = token_dump(*reply);
  const auto attr = dump.find(":signingTime");
  ASSERT_NE(attr, std::string::npos) << dump;
  const auto utc = dump.find("UTCTIME", attr);
  const auto colon = dump.find(':', utc);
  ASSERT_NE(colon, std::string::npos) << dump;
  EXPECT_EQ(dump.substr(colon + 1, 2), "23") << dump.substr(attr, 200);
}

// The signingTime signed attribute in a token's asn1parse dump: "UTCTIME :231114221320Z" or
// "GENERALIZEDTIME :20520523...Z", as printed.
std::string signing_time_in(const std::string& dump) {
  const auto attr = dump.find(":signingTime");
  if (attr == std::string::npos) return {};
  const auto set = dump.find("SET", attr);
  const auto line = dump.find('\n', set);
  const auto end = dump.find('\n', line + 1);
  if (set == std::string::npos || line == std::string::npos || end == std::string::npos) return {};
  std::string value = dump.substr(line + 1, end - line - 1);
  const auto prim = value.find("prim: ");
  if (prim == std::string::npos) return {};
  value = value.substr(prim + 6);
  value.erase(std::remove(value.begin(), value.end(), ' '), value.end());
  return value;
}

TEST_F(TsaTest, SigningTimeIsGenTime) {
  for (bool rsa : {false, true}) {
    auto tsa = make(rsa);
    ASSERT_TRUE(tsa);
    const Bytes q = cli_query("-sha256 -cert");
    struct Case {
      std::optional<UnixTime> at;
      std::int64_t skew;
      UnixTime gen_time;
      std::string printed;
    };
    for (const Case& c : {Case{1'700'000'000, 0, 1'700'000'000, "UTCTIME:231114221320Z"},
                          Case{1'700'000'000, -3600, 1'699'996'400, "UTCTIME:231114211320Z"},
                          Case{std::nullopt, 0, kNow, "UTCTIME:270115080000Z"},
                          // from 2050 on, signingTime is a GeneralizedTime (RFC 5652 §11.3)
                          Case{2'600'000'000, 0, 2'600'000'000, "GENERALIZEDTIME:20520522141320Z"}}) {
      TsaOptions o;
      o.at = c.at;
      o.time_skew_seconds = c.skew;
      auto reply = tsa->respond(q, o);
      ASSERT_TRUE(reply.ok());
      EXPECT_EQ(parse(*reply).gen_time, c.gen_time);
      EXPECT_EQ(signing_time_in(token_dump(*reply)), c.printed) << (rsa ? "RSA " : "EC ") << c.gen_time;
      EXPECT_TRUE(verified(verify(*reply))) << c.gen_time;
    }
  }
}

// A genTime GeneralizedTime cannot hold goes to OpenSSL, which answers as it always did.
TEST_F(TsaTest, TimeOutOfRangeIsOpensslsAnswer) {
  TsaConfig slow_config;
  slow_config.fast_tokens = false;
  auto fast = make();
  auto slow = make(false, std::move(slow_config));
  ASSERT_TRUE(fast && slow);
  const Bytes q = cli_query("-sha256 -cert");
  TsaOptions o;
  o.at = -100;
  auto rf = fast->respond(q, o);
  auto rs = slow->respond(q, o);
  ASSERT_EQ(rf.ok(), rs.ok());
  if (rf.ok()) {
    EXPECT_EQ(parse(*rf).status, parse(*rs).status);
    EXPECT_EQ(parse(*rf).failure_bits, parse(*rs).failure_bits);
    EXPECT_NE(parse(*rf).status, 0);
  }
}

// Without the "Serial number:" line (random) and with it checked against the token's serial.
std::string without_serial(const std::string& text, const Bytes& serial) {
  const auto at = text.find("Serial number: ");
  if (at == std::string::npos) return text;
  const auto end = text.find('\n', at);
  std::string hex = "0x";
  static const char kHex[] = "0123456789ABCDEF";
  for (std::uint8_t b : serial) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  EXPECT_EQ(text.substr(at + 15, end - at - 15), hex) << text;
  return text.substr(0, at) + text.substr(end);
}

// A hand-built token's TSTInfo, as `openssl ts -reply -text` prints it, is what OpenSSL's own
// TS_RESP_CTX writes for the same query at the same time (but for the random serial).
TEST_F(TsaTest, HandBuiltTstInfoPrintsAsOpensslsOwn) {
  for (bool rsa : {false, true}) {
    auto fast = make(rsa);
    TsaConfig slow_config;
    slow_config.fast_tokens = false;
    auto slow = make(rsa, std::move(slow_config));
    ASSERT_TRUE(fast && slow);
    const auto millis = [](bool fast_tokens) {
      TsaConfig c;
      c.accuracy_seconds = 0;
      c.accuracy_millis = 250;
      c.fast_tokens = fast_tokens;
      return c;
    };
    auto fast_ms = make(rsa, millis(true));
    auto slow_ms = make(rsa, millis(false));
    ASSERT_TRUE(fast_ms && slow_ms);
    int n = 0;
    for (const std::string& extra : std::vector<std::string>{"-sha256 -cert", "-sha384 -no_nonce", "-sha512 -cert",
                                                             "-sha256 -tspolicy " + std::string(kUaTspPolicy)}) {
      const std::string name = "p" + std::to_string(n++) + ".tsq";
      const Bytes q = cli_query(extra, name);
      for (const TsaOptions& o : {TsaOptions{}, TsaOptions{1'700'000'000, false, 5, false, false}}) {
        for (const auto& [a, b] : {std::pair<Tsa*, Tsa*>{fast.get(), slow.get()},
                                   std::pair<Tsa*, Tsa*>{fast_ms.get(), slow_ms.get()}}) {
          auto rf = a->respond(q, o);
          auto rs = b->respond(q, o);
          ASSERT_TRUE(rf.ok() && rs.ok());
          const Ran tf = reply_text(*rf);
          const Ran ts = reply_text(*rs);
          ASSERT_EQ(tf.rc, 0) << tf.out;
          ASSERT_EQ(ts.rc, 0) << ts.out;
          EXPECT_NE(tf.out.find("Status: Granted."), std::string::npos) << tf.out;
          EXPECT_EQ(without_serial(tf.out, parse(*rf).serial), without_serial(ts.out, parse(*rs).serial))
              << (rsa ? "RSA " : "EC ") << extra;
          EXPECT_EQ(parse(*rf).cert_count, parse(*rs).cert_count) << extra;
          EXPECT_TRUE(verified(verify(*rf, "chain.pem", name))) << extra;
          // DER as OpenSSL writes it: read and written again by `openssl ts -reply`, the same
          // octets (the signed attributes in SET OF order, every length minimal).
          write_bytes(dir_ / "f.tsr", *rf);
          const Ran again = run("openssl ts -reply -in " + dir_ / "f.tsr" + " -out " + dir_ / "f2.tsr");
          ASSERT_EQ(again.rc, 0) << again.out;
          EXPECT_EQ(read_bytes(dir_ / "f2.tsr"), *rf) << extra;
        }
      }
    }
  }
}

TEST_F(TsaTest, WrongImprintFaultFailsVerification) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  const Bytes q = cli_query("-sha256 -cert");
  TsaOptions o;
  o.wrong_imprint = true;
  auto reply = tsa->respond(q, o);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(parse(*reply).status, 0);
  const Ran v = verify(*reply);
  EXPECT_FALSE(verified(v));
  EXPECT_NE(v.out.find("message imprint mismatch"), std::string::npos) << v.out;
  // The same token checked against the data alone (no query) fails too.
  write_bytes(dir_ / "w.tsr", *reply);
  const Ran d = run("openssl ts -verify -data " + dir_ / "data.bin" + " -in " + dir_ / "w.tsr" + " -CAfile " +
                    dir_ / "root.pem");
  EXPECT_NE(d.rc, 0) << d.out;
}

TEST_F(TsaTest, UntrustedTsaFaultFailsVerification) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  TsaOptions o;
  o.untrusted_tsa = true;
  auto reply = tsa->respond(cli_query("-sha256 -cert"), o);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(parse(*reply).status, 0);
  const Ran v = verify(*reply);
  EXPECT_FALSE(verified(v));
  EXPECT_NE(v.out.find("self-signed certificate"), std::string::npos) << v.out;
  // It is a well-formed token of the throw-away TSA: trusting that certificate verifies it.
  std::ofstream(dir_ / "untrusted.pem") << trustmon::testing::cert_pem(tsa->untrusted_certificate());
  write_bytes(dir_ / "u.tsr", *reply);
  const Ran u = run("openssl ts -verify -queryfile " + dir_ / "q.tsq" + " -in " + dir_ / "u.tsr" + " -CAfile " +
                    dir_ / "untrusted.pem");
  EXPECT_TRUE(verified(u)) << u.out;
}

TEST_F(TsaTest, TimeSkewFaultShiftsGenTime) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  TsaOptions o;
  o.time_skew_seconds = -7200;
  auto reply = tsa->respond(cli_query("-sha256 -cert"), o);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(parse(*reply).gen_time, kNow - 7200);
  EXPECT_NE(reply_text(*reply).out.find("Time stamp: Jan 15 06:00:00 2027 GMT"), std::string::npos);
  EXPECT_TRUE(verified(verify(*reply)));  // a valid signature over the wrong time
  o.at = 1'700'000'000;
  auto both = tsa->respond(cli_query("-sha256 -cert"), o);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(parse(*both).gen_time, 1'700'000'000 - 7200);
}

TEST_F(TsaTest, NoEssCertIdV2FaultCarriesTheSha1EssCertId) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  TsaOptions o;
  o.no_ess_cert_id_v2 = true;
  auto reply = tsa->respond(cli_query("-sha256 -cert"), o);
  ASSERT_TRUE(reply.ok());
  const std::string dump = token_dump(*reply);
  EXPECT_EQ(dump.find("signingCertificateV2"), std::string::npos) << dump;
  EXPECT_NE(dump.find(":id-smime-aa-signingCertificate\n"), std::string::npos) << dump;
  // The old attribute is still a valid one: only a verifier that insists on v2 fails it.
  EXPECT_TRUE(verified(verify(*reply)));
}

TEST_F(TsaTest, BadQueriesAreRejectionsWithTheirFailureInfo) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  struct Case {
    const char* what;
    Bytes query;
    int bit;
  };
  Bytes junk(100);
  RAND_bytes(junk.data(), static_cast<int>(junk.size()));
  junk[0] = 0x04;  // never a SEQUENCE
  QuerySpec v2;
  v2.version = 2;
  QuerySpec sha1;
  sha1.md_nid = NID_sha1;
  sha1.imprint_len = 20;
  QuerySpec md5;
  md5.md_nid = NID_md5;
  md5.imprint_len = 16;
  QuerySpec short_imprint;
  short_imprint.imprint_len = 31;
  QuerySpec long_384;
  long_384.md_nid = NID_sha384;
  long_384.imprint_len = 64;
  QuerySpec policy;
  policy.policy = "1.3.6.1.4.1.99999.1";
  QuerySpec extension;
  extension.extension = true;
  const std::vector<Case> cases = {
      {"not DER", junk, 5},  // badDataFormat
      {"empty", {}, 5},
      {"truncated", [] { Bytes q = make_query({}); q.resize(q.size() - 3); return q; }(), 5},
      {"version 2", make_query(v2), 2},                // badRequest
      {"SHA-1 imprint", make_query(sha1), 0},          // badAlg
      {"MD5 imprint", make_query(md5), 0},             // badAlg
      {"31-octet SHA-256", make_query(short_imprint), 5},  // badDataFormat
      {"64-octet SHA-384", make_query(long_384), 5},
      {"unknown policy", make_query(policy), 15},      // unacceptedPolicy
      {"extension", make_query(extension), 16},        // unacceptedExtension
  };
  for (const Case& c : cases) {
    auto reply = tsa->respond(c.query);
    ASSERT_TRUE(reply.ok()) << c.what;
    const Parsed p = parse(*reply);
    EXPECT_EQ(p.status, 2) << c.what;
    EXPECT_EQ(p.failure_bits, std::vector<int>{c.bit}) << c.what;
    EXPECT_EQ(tsa_status(*reply), TsaStatus::rejection) << c.what;
    const Ran text = reply_text(*reply);
    EXPECT_EQ(text.rc, 0) << c.what << ": " << text.out;
    EXPECT_NE(text.out.find("Status: Rejected"), std::string::npos) << c.what << ": " << text.out;
  }
  // The well-formed hand-made query is granted (the cases above differ in one thing each).
  auto good = tsa->respond(make_query({}));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(parse(*good).status, 0);
  EXPECT_EQ(tsa_status(*good), TsaStatus::granted);
}

TEST_F(TsaTest, QueriesOver4KiBAreRefusedBeforeParsing) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  Bytes big = make_query({});
  big.resize(kMaxQueryBytes + 1, 0);
  auto reply = tsa->respond(big);
  ASSERT_TRUE(reply.ok());
  const Parsed p = parse(*reply);
  EXPECT_EQ(p.status, 2);
  EXPECT_EQ(p.failure_bits, std::vector<int>{2});  // badRequest
  const Ran text = reply_text(*reply);
  EXPECT_NE(text.out.find("query over 4096 bytes"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Failure info: transaction not permitted or supported"), std::string::npos) << text.out;
}

TEST_F(TsaTest, ManyThreadsAtOnce) {
  for (bool reuse : {true, false}) {
    TsaConfig c;
    c.reuse_contexts = reuse;
    auto tsa = make(false, std::move(c));
    ASSERT_TRUE(tsa);
    const Bytes q = cli_query("-sha256 -cert");
    constexpr int kThreads = 8;
    constexpr int kEach = 40;
    std::vector<std::vector<Bytes>> serials(kThreads);
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          TsaOptions o;
          if (i % 10 == 3) o.untrusted_tsa = true;
          if (i % 10 == 7) o.time_skew_seconds = 60;
          auto reply = tsa->respond(q, o);
          if (!reply) {
            ++bad;
            continue;
          }
          const Parsed p = parse(*reply);
          if (p.status != 0 || p.gen_time != kNow + o.time_skew_seconds) ++bad;
          serials[static_cast<std::size_t>(t)].push_back(p.serial);
        }
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(bad.load(), 0);
    std::set<Bytes> distinct;
    for (const auto& s : serials) distinct.insert(s.begin(), s.end());
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kEach)) << "reuse " << reuse;
    // The last reply of the run still verifies (the pool hands out sound contexts).
    auto reply = tsa->respond(q);
    ASSERT_TRUE(reply.ok());
    EXPECT_TRUE(verified(verify(*reply)));
  }
}

TEST_F(TsaTest, CreateRefusesACertificateWithoutCriticalTimeStamping) {
  const auto& pki = trustmon::testing::shared_test_pki();
  for (const char* eku : {static_cast<const char*>(nullptr), "timeStamping", "critical,timeStamping,serverAuth"}) {
    TsaConfig c;
    c.certificate = tsa_certificate(ec_key_, pki.ca_ec.get(), pki.ca_ec_key.get(), eku);
    c.key = trustmon::testing::dup_key(ec_key_);
    auto tsa = Tsa::create(std::move(c), clock_);
    EXPECT_FALSE(tsa.ok()) << (eku ? eku : "no EKU");
  }
  TsaConfig wrong_key;
  wrong_key.certificate = trustmon::testing::dup_cert(ec_cert_);
  wrong_key.key = trustmon::testing::dup_key(rsa_key_);
  auto tsa = Tsa::create(std::move(wrong_key), clock_);
  ASSERT_FALSE(tsa.ok());
  EXPECT_EQ(tsa.error().code, "tsa_key_mismatch");
  TsaConfig bad_policy;
  bad_policy.certificate = trustmon::testing::dup_cert(ec_cert_);
  bad_policy.key = trustmon::testing::dup_key(ec_key_);
  bad_policy.policy = "not an oid";
  auto tsa2 = Tsa::create(std::move(bad_policy), clock_);
  ASSERT_FALSE(tsa2.ok());
  EXPECT_EQ(tsa2.error().code, "tsa_policy_invalid");
}

TEST_F(TsaTest, ChainPemIsTheCertificateThenTheChain) {
  auto tsa = make();
  ASSERT_TRUE(tsa);
  auto certs = x509s_from_pem(tsa->chain_pem());
  ASSERT_TRUE(certs.ok());
  ASSERT_EQ(certs->size(), 3u);
  EXPECT_EQ(X509_cmp((*certs)[0].get(), ec_cert_), 0);
  EXPECT_EQ(X509_cmp((*certs)[2].get(), trustmon::testing::shared_test_pki().root.get()), 0);
}


// The test bed's own PKI (test_pki.hpp) as the daemon wires it: its TSA key pair, the chain of
// test-ecdsa above it; tokens verify against its root, and the tokens' policy is the arc's.
TEST_F(TsaTest, WithTheTestBedPki) {
  ScratchDir folder;
  auto pki = TestPki::open(folder.path() + "/testbed", SystemClock::instance().now());
  ASSERT_TRUE(pki.ok()) << pki.error().message;
  const TestCa* ca = pki->find("test-ecdsa");
  ASSERT_NE(ca, nullptr);
  TsaConfig c;
  c.certificate = trustmon::testing::dup_cert(pki->tsa().cert.get());
  c.key = trustmon::testing::dup_key(pki->tsa().key.get());
  for (const X509* x : pki->chain_of(*ca)) c.chain.push_back(trustmon::testing::dup_cert(x));
  auto tsa = Tsa::create(std::move(c), clock_);
  ASSERT_TRUE(tsa.ok()) << tsa.error().message;
  std::ofstream(dir_ / "bed-root.pem") << trustmon::testing::cert_pem(pki->root().cert.get());
  auto reply = (*tsa)->respond(cli_query("-sha256 -cert"));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(parse(*reply).policy, kTestTsaPolicyOid);
  write_bytes(dir_ / "r.tsr", *reply);
  const Ran v = run("openssl ts -verify -queryfile " + dir_ / "q.tsq" + " -in " + dir_ / "r.tsr" + " -CAfile " +
                    dir_ / "bed-root.pem");
  EXPECT_TRUE(verified(v)) << v.out;
}

TEST(TsaOptions, FromTheFaultBoardsDraw) {
  TsaDraw d;
  EXPECT_FALSE(tsa_options(d).any_fault());
  d.fault = TsaFault::wrong_imprint;
  EXPECT_TRUE(tsa_options(d).wrong_imprint);
  d.fault = TsaFault::no_ess_cert_id_v2;
  EXPECT_TRUE(tsa_options(d).no_ess_cert_id_v2);
  d.fault = TsaFault::untrusted_tsa;
  EXPECT_TRUE(tsa_options(d).untrusted_tsa);
  d.fault = TsaFault::time_skew;
  d.skew_seconds = -90;
  const TsaOptions o = tsa_options(d);
  EXPECT_EQ(o.time_skew_seconds, -90);
  EXPECT_FALSE(o.wrong_imprint || o.no_ess_cert_id_v2 || o.untrusted_tsa || o.at);
}

}  // namespace
}  // namespace trustmon::testbed
