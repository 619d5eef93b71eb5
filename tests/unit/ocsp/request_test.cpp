// OCSPRequest parser: real OpenSSL requests, hand-made edge cases, and robustness
// against every truncation and many mutations (meant to run under ASan too).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>

#include "responder/ocsp/request.hpp"
#include "tests/support/ocsp_client.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::ocsp {
namespace {

using testing::build_request;
using testing::cat;
using testing::RequestSpec;
using testing::shared_test_pki;
using testing::tlv;

const Bytes kNull = {0x05, 0x00};
const Bytes kSha1Oid = {0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a};
const Bytes kNonceOid = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};

Bytes octets(std::size_t n, std::uint8_t fill) { return tlv(0x04, Bytes(n, fill)); }

Bytes certid(Bytes serial_content, Bytes alg = tlv(0x30, {kSha1Oid, kNull}), std::size_t hash_len = 20) {
  return tlv(0x30, {alg, octets(hash_len, 0xaa), octets(hash_len, 0xbb), tlv(0x02, serial_content)});
}

// OCSPRequest { TBSRequest { [prefix] requestList { Request { certid } } [suffix] } [after] }
Bytes request(const Bytes& cid, const Bytes& tbs_prefix = {}, const Bytes& tbs_suffix = {}, const Bytes& after = {}) {
  return tlv(0x30, {tlv(0x30, {tbs_prefix, tlv(0x30, {tlv(0x30, {cid})}), tbs_suffix}), after});
}

Bytes extension(const Bytes& oid_tlv, const Bytes& value, bool critical = false) {
  return tlv(0x30, {oid_tlv, critical ? Bytes{0x01, 0x01, 0xff} : Bytes{}, tlv(0x04, value)});
}

Bytes request_extensions(std::initializer_list<Bytes> exts) { return tlv(0xa2, {tlv(0x30, cat(exts))}); }

const char* parse(const Bytes& der, std::size_t cap = kDefaultMaxCertIds) {
  ParsedRequest out;
  return parse_request(der, cap, out);
}

bool within(ByteView inner, ByteView outer) {
  return inner.empty() || (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

TEST(RequestParser, OpenSslRequestsForEveryHash) {
  const auto& pki = shared_test_pki();
  for (auto [md, alg] : {std::pair{EVP_sha1(), HashAlg::sha1}, std::pair{EVP_sha256(), HashAlg::sha256},
                         std::pair{EVP_sha384(), HashAlg::sha384}, std::pair{EVP_sha512(), HashAlg::sha512}}) {
    const Bytes der = build_request({.ids = {{md, pki.ca_ec.get()}}, .serials = {pki.leaves_ec[0].serial}});
    auto parsed = parse_request(der);
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed->certids.size(), 1u);
    const CertIdRef& c = parsed->certids[0];
    EXPECT_EQ(c.alg, alg);
    EXPECT_EQ(c.name_hash.size(), hash_length(alg));
    EXPECT_EQ(c.key_hash.size(), hash_length(alg));
    EXPECT_EQ(to_bytes(c.serial), pki.leaves_ec[0].serial);
    EXPECT_FALSE(parsed->nonce);
    EXPECT_FALSE(parsed->has_nonce_ext);
    // The CertID view is the exact TLV OpenSSL encodes for that CertID.
    auto id = testing::make_certid(md, pki.ca_ec.get(), pki.leaves_ec[0].serial);
    unsigned char* buf = nullptr;
    const int len = i2d_OCSP_CERTID(id.get(), &buf);
    ASSERT_GT(len, 0);
    EXPECT_EQ(to_bytes(c.der), Bytes(buf, buf + len));
    OPENSSL_free(buf);
  }
}

TEST(RequestParser, SerialSignOctetIsStripped) {
  const auto& pki = shared_test_pki();
  const Bytes serial = {0x80, 0x00, 0x00, 0x01};
  const Bytes der = build_request({.ids = {{EVP_sha1(), pki.ca_ec.get()}}, .serials = {serial}});
  auto parsed = parse_request(der);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(to_bytes(parsed->certids[0].serial), serial);
  // Zero is one 0x00 octet, as common/ossl.hpp serial_bytes() gives it.
  const Bytes zero_der = request(certid({0x00}));  // views point into it: keep it alive
  auto zero = parse_request(zero_der);
  ASSERT_TRUE(zero);
  EXPECT_EQ(to_bytes(zero->certids[0].serial), Bytes{0x00});
}

TEST(RequestParser, NonceWrappedAndRaw) {
  const auto& pki = shared_test_pki();
  const Bytes nonce(16, 0x5a);
  const Bytes der =
      build_request({.ids = {{EVP_sha1(), pki.ca_ec.get()}}, .serials = {pki.leaves_ec[0].serial}, .nonce = nonce});
  auto parsed = parse_request(der);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->has_nonce_ext);
  ASSERT_TRUE(parsed->nonce);
  EXPECT_EQ(to_bytes(*parsed->nonce), nonce);
  EXPECT_EQ(to_bytes(parsed->nonce_extn_value), tlv(0x04, nonce));

  const Bytes raw = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  const Bytes der_raw =
      build_request({.ids = {{EVP_sha1(), pki.ca_ec.get()}}, .serials = {pki.leaves_ec[0].serial}, .raw_nonce = raw});
  auto parsed_raw = parse_request(der_raw);
  ASSERT_TRUE(parsed_raw) << parsed_raw.error().message;
  ASSERT_TRUE(parsed_raw->nonce);
  EXPECT_EQ(to_bytes(*parsed_raw->nonce), raw);
  EXPECT_EQ(to_bytes(parsed_raw->nonce_extn_value), raw);
}

TEST(RequestParser, NonceLengthLimits) {
  const auto& pki = shared_test_pki();
  auto with_nonce = [&](std::optional<Bytes> wrapped, std::optional<Bytes> raw) {
    return build_request({.ids = {{EVP_sha1(), pki.ca_ec.get()}},
                          .serials = {pki.leaves_ec[0].serial},
                          .nonce = std::move(wrapped),
                          .raw_nonce = std::move(raw)});
  };
  EXPECT_EQ(parse(with_nonce(Bytes(1, 1), {})), nullptr);
  EXPECT_EQ(parse(with_nonce(Bytes(32, 1), {})), nullptr);
  EXPECT_STREQ(parse(with_nonce(Bytes(33, 1), {})), "bad_nonce_length");
  EXPECT_EQ(parse(with_nonce({}, Bytes(32, 0x33))), nullptr);
  EXPECT_STREQ(parse(with_nonce({}, Bytes(33, 0x33))), "bad_nonce_length");
  // Inner OCTET STRING present but empty, and an empty extnValue.
  EXPECT_STREQ(parse(request(certid({0x01}), {}, request_extensions({extension(kNonceOid, {0x04, 0x00})}))),
               "bad_nonce_length");
  EXPECT_STREQ(parse(request(certid({0x01}), {}, request_extensions({extension(kNonceOid, {})}))),
               "bad_nonce_length");
  // Two nonces.
  EXPECT_STREQ(parse(request(certid({0x01}), {},
                             request_extensions({extension(kNonceOid, tlv(0x04, Bytes(8, 1))),
                                                 extension(kNonceOid, tlv(0x04, Bytes(8, 2)))}))),
               "duplicate_nonce");
}

TEST(RequestParser, SeveralCertIdsInOrderAndCap) {
  const auto& pki = shared_test_pki();
  RequestSpec spec;
  for (int i = 0; i < 6; ++i) {  // more than CertIdList::kInline
    spec.ids.push_back({EVP_sha256(), pki.ca_ec.get()});
    spec.serials.push_back(Bytes{0x10, static_cast<std::uint8_t>(i + 1)});
  }
  const Bytes der = build_request(spec);
  auto parsed = parse_request(der);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->certids.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(to_bytes(parsed->certids[i].serial), spec.serials[i]);
  EXPECT_EQ(parse(der, 6), nullptr);
  EXPECT_STREQ(parse(der, 5), "too_many_certids");
  EXPECT_STREQ(parse(der, 1), "too_many_certids");
}

TEST(RequestParser, HandMadeAccepted) {
  EXPECT_EQ(parse(request(certid({0x01}))), nullptr);
  // AlgorithmIdentifier without parameters.
  EXPECT_EQ(parse(request(certid({0x01}, tlv(0x30, {kSha1Oid})))), nullptr);
  // Unknown hash: parses, as unsupported (the responder answers unauthorized).
  const Bytes md5 = tlv(0x30, {Bytes{0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05}, kNull});
  ParsedRequest out;
  const Bytes unknown = request(certid({0x01}, md5, 16));
  ASSERT_EQ(parse_request(unknown, 16, out), nullptr);
  EXPECT_EQ(out.certids[0].alg, HashAlg::unsupported);
  // Explicit v1, a requestorName, a signature, single and request extensions (unknown, critical).
  const Bytes version = tlv(0xa0, {Bytes{0x02, 0x01, 0x00}});
  const Bytes requestor = tlv(0xa1, {tlv(0x82, as_bytes("ocsp.example"))});
  const Bytes signature =
      tlv(0xa0, {tlv(0x30, {tlv(0x30, {Bytes{0x06, 0x03, 0x2b, 0x65, 0x70}}), tlv(0x03, Bytes{0x00, 0x01})})});
  const Bytes unknown_ext = extension({0x06, 0x03, 0x2a, 0x03, 0x04}, {0x05, 0x00}, true);
  EXPECT_EQ(parse(request(certid({0x01}), cat({version, requestor}), request_extensions({unknown_ext}), signature)),
            nullptr);
  const Bytes single_ext = tlv(0xa0, {tlv(0x30, {unknown_ext})});
  const Bytes with_single = tlv(0x30, {tlv(0x30, {tlv(0x30, {tlv(0x30, {certid({0x01}), single_ext})})})});
  EXPECT_EQ(parse(with_single), nullptr);
  // 32-octet serial with a sign octet (33 content octets) is fine.
  Bytes s32(33, 0xff);
  s32[0] = 0x00;
  EXPECT_EQ(parse(request(certid(s32))), nullptr);
}

TEST(RequestParser, HandMadeRejected) {
  EXPECT_STREQ(parse(request(certid({}))), "bad_serial");
  EXPECT_STREQ(parse(request(certid({0x80}))), "negative_serial");
  EXPECT_STREQ(parse(request(certid({0x00, 0x01}))), "bad_serial");  // not minimal
  EXPECT_STREQ(parse(request(certid(Bytes(33, 0x01)))), "serial_too_long");
  EXPECT_STREQ(parse(request(certid({0x01}, tlv(0x30, {kSha1Oid, kNull}), 32))), "hash_length_mismatch");
  EXPECT_STREQ(parse(request(certid({0x01}, tlv(0x30, {kSha1Oid, Bytes{0x02, 0x01, 0x00}})))),
               "bad_hash_algorithm");
  // Empty requestList.
  EXPECT_STREQ(parse(tlv(0x30, {tlv(0x30, {tlv(0x30, Bytes{})})})), "empty_request_list");
  // Version other than v1.
  EXPECT_STREQ(parse(request(certid({0x01}), tlv(0xa0, {Bytes{0x02, 0x01, 0x01}}))), "bad_version");
  // Trailing bytes after the outer SEQUENCE, and inside TBSRequest.
  EXPECT_STREQ(parse(cat({request(certid({0x01})), Bytes{0x00}})), "bad_der");
  EXPECT_STREQ(parse(request(certid({0x01}), {}, Bytes{0x05, 0x00})), "bad_der");
  // Empty Extensions.
  EXPECT_STREQ(parse(request(certid({0x01}), {}, tlv(0xa2, {tlv(0x30, Bytes{})}))), "empty_extensions");
  // Wrong outer tag.
  Bytes wrong = request(certid({0x01}));
  wrong[0] = 0x31;
  EXPECT_STREQ(parse(wrong), "bad_der");
  EXPECT_STREQ(parse(Bytes{}), "bad_der");
}

TEST(RequestParser, RejectsBerLengths) {
  const Bytes good = request(certid({0x01}));
  ASSERT_LT(good[1], 0x80);
  // Indefinite length on the outer SEQUENCE.
  Bytes indefinite = good;
  indefinite[1] = 0x80;
  indefinite.push_back(0x00);
  indefinite.push_back(0x00);
  EXPECT_STREQ(parse(indefinite), "bad_der");
  // Long form for a short length: 0x81 0x4a instead of 0x4a.
  Bytes long_form = good;
  long_form.insert(long_form.begin() + 1, 0x81);
  EXPECT_STREQ(parse(long_form), "bad_der");
  // Length with a leading zero octet.
  Bytes padded = good;
  padded[1] = 0x00;
  padded.insert(padded.begin() + 1, {0x82, 0x00});
  padded[3] = good[1];
  EXPECT_STREQ(parse(padded), "bad_der");
  // Length overrunning the input.
  Bytes overrun = good;
  overrun[1] = static_cast<std::uint8_t>(overrun[1] + 1);
  EXPECT_STREQ(parse(overrun), "bad_der");
  // High-tag-number form.
  Bytes high = good;
  high[0] = 0x3f;
  EXPECT_STREQ(parse(high), "bad_der");
}

// Parses a copy in an exact-size heap buffer (so ASan sees any read past the end) and,
// when it parses, checks every view lies inside the input.
void parse_exact(const std::uint8_t* data, std::size_t n) {
  std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[n == 0 ? 1 : n]);
  std::copy(data, data + n, buf.get());
  const ByteView in(buf.get(), n);
  ParsedRequest out;
  if (parse_request(in, 8, out) != nullptr) return;
  ASSERT_FALSE(out.certids.empty());
  for (const CertIdRef& c : out.certids) {
    ASSERT_TRUE(within(c.der, in));
    ASSERT_TRUE(within(c.serial, in));
    ASSERT_TRUE(within(c.name_hash, in));
    ASSERT_TRUE(within(c.key_hash, in));
    ASSERT_LE(c.serial.size(), kMaxSerialBytes);
  }
  if (out.nonce) {
    ASSERT_TRUE(within(*out.nonce, in));
    ASSERT_GE(out.nonce->size(), 1u);
    ASSERT_LE(out.nonce->size(), kMaxNonceBytes);
  }
}

std::vector<Bytes> corpus() {
  const auto& pki = shared_test_pki();
  std::vector<Bytes> c;
  c.push_back(build_request({.ids = {{EVP_sha1(), pki.ca_ec.get()}}, .serials = {pki.leaves_ec[1].serial}}));
  c.push_back(build_request(
      {.ids = {{EVP_sha256(), pki.ca_rsa.get()}}, .serials = {pki.leaves_rsa[0].serial}, .nonce = Bytes(20, 7)}));
  c.push_back(build_request({.ids = {{EVP_sha1(), pki.ca_ec.get()}, {EVP_sha512(), pki.ca_rsa.get()}},
                             .serials = {pki.leaves_ec[0].serial, pki.leaves_rsa[3].serial},
                             .raw_nonce = Bytes(12, 9)}));
  const Bytes version = tlv(0xa0, {Bytes{0x02, 0x01, 0x00}});
  const Bytes requestor = tlv(0xa1, {tlv(0x82, as_bytes("x"))});
  const Bytes signature = tlv(0xa0, {tlv(0x30, {tlv(0x30, {Bytes{0x06, 0x01, 0x2a}}), tlv(0x03, Bytes{0x00})})});
  c.push_back(request(certid({0x00, 0x80}), cat({version, requestor}),
                      request_extensions({extension(kNonceOid, tlv(0x04, Bytes(4, 1))),
                                          extension({0x06, 0x01, 0x2a}, {}, true)}),
                      signature));
  return c;
}

TEST(RequestParserRobustness, EveryTruncationFails) {
  for (const Bytes& der : corpus()) {
    ASSERT_EQ(parse(der), nullptr);
    for (std::size_t n = 0; n < der.size(); ++n) {
      ParsedRequest out;
      std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[n == 0 ? 1 : n]);
      std::copy(der.data(), der.data() + n, buf.get());
      // A strict prefix can never be a complete DER value of the same outer length.
      EXPECT_NE(parse_request(ByteView(buf.get(), n), 8, out), nullptr) << "prefix " << n;
    }
  }
}

TEST(RequestParserRobustness, SingleByteMutationsNeverCrash) {
  std::size_t accepted = 0, total = 0;
  for (const Bytes& der : corpus()) {
    Bytes m = der;
    for (std::size_t i = 0; i < der.size(); ++i) {
      for (std::uint8_t v : {0x00, 0x01, 0x04, 0x05, 0x30, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xa0, 0xff}) {
        m[i] = v;
        parse_exact(m.data(), m.size());
        ParsedRequest out;
        accepted += parse_request(m, 8, out) == nullptr;
        ++total;
      }
      m[i] = static_cast<std::uint8_t>(der[i] ^ 0x01);
      parse_exact(m.data(), m.size());
      m[i] = der[i];
    }
  }
  // Mutating hash or serial octets keeps a request valid; tag and length octets do not.
  EXPECT_GT(accepted, 0u);
  EXPECT_LT(accepted, total);
}

TEST(RequestParserRobustness, RandomMutationsAndInsertions) {
  std::mt19937 rng(12345);
  const auto c = corpus();
  for (int round = 0; round < 20000; ++round) {
    Bytes m = c[static_cast<std::size_t>(round) % c.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !m.empty(); ++e) {
      const std::size_t pos = rng() % m.size();
      switch (rng() % 3) {
        case 0: m[pos] = static_cast<std::uint8_t>(rng()); break;
        case 1: m.insert(m.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<std::uint8_t>(rng())); break;
        default: m.erase(m.begin() + static_cast<std::ptrdiff_t>(pos)); break;
      }
    }
    parse_exact(m.data(), m.size());
  }
  for (int round = 0; round < 2000; ++round) {  // pure noise, sometimes with a plausible header
    Bytes m(rng() % 200);
    for (auto& b : m) b = static_cast<std::uint8_t>(rng());
    if (m.size() > 2 && round % 2 == 0) {
      m[0] = 0x30;
      m[1] = static_cast<std::uint8_t>(m.size() - 2 < 0x80 ? m.size() - 2 : 0x7f);
    }
    parse_exact(m.data(), m.size());
  }
}

}  // namespace
}  // namespace trustmon::ocsp
