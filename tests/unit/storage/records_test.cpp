// Key and value codecs: round trips, exact-size validation, ordering of cert keys.
#include "storage/records.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace trustmon::storage {
namespace {

Sha256 filled(std::uint8_t b) {
  Sha256 h;
  h.fill(b);
  return h;
}

// Every strict prefix and one-byte extension of a valid encoding must be refused.
template <typename Decode>
void expect_rejects_truncated_and_extended(const Bytes& good, Decode decode) {
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = decode(ByteView(good.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes accepted";
    EXPECT_EQ(r.error().code, "storage_corrupt");
  }
  Bytes longer = good;
  longer.push_back(0);
  auto r = decode(ByteView(longer));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "storage_corrupt");
}

TEST(CertKey, RoundTripAndLayout) {
  const Bytes serial{0x0a, 0xbc};
  const Bytes key = encode_cert_key(0x01020304, serial);
  EXPECT_EQ(key, (Bytes{0x01, 0x02, 0x03, 0x04, 0x02, 0x0a, 0xbc}));
  auto k = decode_cert_key(key);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->issuer, 0x01020304u);
  EXPECT_EQ(to_bytes(k->serial), serial);
  EXPECT_EQ(k->serial.data(), key.data() + 5);  // a view into the key
}

TEST(CertKey, LeadingZerosAreDroppedZeroKept) {
  EXPECT_EQ(encode_cert_key(1, Bytes{0x00, 0x00, 0x05}), encode_cert_key(1, Bytes{0x05}));
  EXPECT_EQ(encode_cert_key(1, Bytes{0x00, 0x00}), encode_cert_key(1, Bytes{0x00}));
  EXPECT_EQ(encode_cert_key(1, Bytes{0x00}).size(), 6u);
}

TEST(CertKey, SizeLimits) {
  EXPECT_TRUE(encode_cert_key(1, Bytes{}).empty());
  EXPECT_EQ(encode_cert_key(1, Bytes(kMaxSerialBytes, 0x7f)).size(), 5 + kMaxSerialBytes);
  EXPECT_TRUE(encode_cert_key(1, Bytes(kMaxSerialBytes + 1, 0x7f)).empty());
  // An over-long serial that is short once its leading zero is dropped is fine.
  Bytes padded(kMaxSerialBytes + 1, 0x7f);
  padded[0] = 0;
  EXPECT_EQ(encode_cert_key(1, padded).size(), 5 + kMaxSerialBytes);
}

TEST(CertKey, DecodeRejectsMalformed) {
  EXPECT_FALSE(decode_cert_key(Bytes{}));
  EXPECT_FALSE(decode_cert_key(Bytes{0, 0, 0, 1}));
  EXPECT_FALSE(decode_cert_key(Bytes{0, 0, 0, 1, 0}));          // zero-length serial
  EXPECT_FALSE(decode_cert_key(Bytes{0, 0, 0, 1, 2, 0x05}));    // shorter than stated
  EXPECT_FALSE(decode_cert_key(Bytes{0, 0, 0, 1, 1, 0x05, 6}));  // trailing byte
  Bytes too_long{0, 0, 0, 1, static_cast<std::uint8_t>(kMaxSerialBytes + 1)};
  too_long.resize(too_long.size() + kMaxSerialBytes + 1, 0x11);
  EXPECT_FALSE(decode_cert_key(too_long));
}

TEST(CertKey, ByteOrderIsNumericOrder) {
  // Serial numbers in increasing numeric order; keys must sort the same bytewise.
  const std::vector<Bytes> serials = {
      {0x00}, {0x01}, {0x7f}, {0xff}, {0x01, 0x00}, {0xff, 0xff}, {0x01, 0x00, 0x00}, Bytes(20, 0xff)};
  std::vector<Bytes> keys;
  for (IssuerId issuer : {1u, 2u, 0x01000000u}) {
    for (const Bytes& s : serials) keys.push_back(encode_cert_key(issuer, s));
  }
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

TEST(SimpleKeys, BigEndian) {
  EXPECT_EQ(encode_issuer_key(0x0a0b0c0d), (Bytes{0x0a, 0x0b, 0x0c, 0x0d}));
  EXPECT_EQ(encode_event_key(258), (Bytes{0, 0, 0, 0, 0, 0, 1, 2}));
  EXPECT_LT(encode_event_key(255), encode_event_key(256));
}

TEST(Reason, NamesBothWays) {
  const std::pair<int, const char*> all[] = {
      {0, "unspecified"},      {1, "keyCompromise"},        {2, "cACompromise"},
      {3, "affiliationChanged"}, {4, "superseded"},         {5, "cessationOfOperation"},
      {6, "certificateHold"},  {8, "removeFromCRL"},        {9, "privilegeWithdrawn"},
      {10, "aACompromise"}};
  for (const auto& [code, name] : all) {
    EXPECT_STREQ(reason_name(code), name);
    EXPECT_EQ(reason_from_name(name), code);
  }
  EXPECT_STREQ(reason_name(kNoReason), "none");
  EXPECT_STREQ(reason_name(7), "unknown");
  EXPECT_FALSE(reason_from_name("KeyCompromise"));  // exact RFC spelling only
  EXPECT_FALSE(reason_from_name(""));
  EXPECT_FALSE(reason_from_name("none"));
}

CertRecord sample_cert() {
  CertRecord r;
  r.status = CertStatus::revoked;
  r.revocation_time = 1700000000;
  r.reason = 1;
  r.invalidity_date = -5;  // before the epoch: two's complement must survive
  r.not_before = -2208988800;
  r.not_after = 4102444800;
  r.cert_sha256 = filled(0xab);
  r.has_der = true;
  r.participant = 0xdeadbeef;
  r.der_id = 0x0102030405060708;
  r.stats_profile = 0x05010203;
  r.ingested_at = 1790000000;
  return r;
}

// Bytes a format-4 record adds after format 3: presence octet, be32 profile, be64 ingested_at.
constexpr std::size_t kFormat4Tail = 1 + 4 + 8;

TEST(CertRecordCodec, RoundTrip) {
  const CertRecord r = sample_cert();
  const Bytes enc = encode_cert(r);
  EXPECT_EQ(enc[0], 4);  // format byte
  auto d = decode_cert(enc);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->status, r.status);
  EXPECT_EQ(d->revocation_time, r.revocation_time);
  EXPECT_EQ(d->reason, r.reason);
  EXPECT_EQ(d->invalidity_date, r.invalidity_date);
  EXPECT_EQ(d->not_before, r.not_before);
  EXPECT_EQ(d->not_after, r.not_after);
  EXPECT_EQ(d->cert_sha256, r.cert_sha256);
  EXPECT_EQ(d->has_der, r.has_der);
  EXPECT_EQ(d->participant, r.participant);
  EXPECT_TRUE(d->signature_checked);
  EXPECT_EQ(d->der_id, r.der_id);
  EXPECT_EQ(d->stats_profile, r.stats_profile);
  EXPECT_EQ(d->ingested_at, r.ingested_at);

  CertRecord no_profile = sample_cert();
  no_profile.stats_profile.reset();
  auto np = decode_cert(encode_cert(no_profile));
  ASSERT_TRUE(np.ok());
  EXPECT_FALSE(np->stats_profile.has_value());

  CertRecord unchecked = sample_cert();
  unchecked.signature_checked = false;
  auto u = decode_cert(encode_cert(unchecked));
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->signature_checked);

  CertRecord good;  // defaults: good, no reason
  auto g = decode_cert(encode_cert(good));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->status, CertStatus::good);
  EXPECT_EQ(g->reason, kNoReason);
  EXPECT_FALSE(g->has_der);
}

TEST(CertRecordCodec, RejectsDamage) {
  const Bytes enc = encode_cert(sample_cert());
  expect_rejects_truncated_and_extended(enc, [](ByteView v) { return decode_cert(v); });
  Bytes bad = enc;
  bad[0] = 5;  // unknown format
  EXPECT_FALSE(decode_cert(bad).ok());
  bad = enc;
  bad[0] = 3;  // format 3 has no profile: thirteen octets too long
  EXPECT_FALSE(decode_cert(bad).ok());
  bad = enc;
  bad[enc.size() - kFormat4Tail - 9] = 2;  // signature_checked is 0 or 1
  EXPECT_FALSE(decode_cert(bad).ok());
  bad = enc;
  bad[enc.size() - kFormat4Tail] = 2;  // the profile's presence octet is 0 or 1
  EXPECT_FALSE(decode_cert(bad).ok());
  bad = enc;
  bad[1] = 2;  // unknown status
  EXPECT_FALSE(decode_cert(bad).ok());
  bad = enc;
  bad[10] = 7;  // reason 7 is unassigned in RFC 5280
  EXPECT_FALSE(decode_cert(bad).ok());
}

// Records written before signature_checked existed (format 1, 72 octets) still decode,
// as verified certificates.
TEST(CertRecordCodec, DecodesFormatOne) {
  Bytes v1 = encode_cert(sample_cert());
  v1.resize(v1.size() - kFormat4Tail - 9);
  v1[0] = 1;
  ASSERT_EQ(v1.size(), 72u);
  auto d = decode_cert(v1);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->status, CertStatus::revoked);
  EXPECT_EQ(d->reason, 1);
  EXPECT_EQ(d->participant, 0xdeadbeefu);
  EXPECT_TRUE(d->signature_checked);
  EXPECT_EQ(d->der_id, 0u);  // the DER is keyed by its SHA-256
  v1.push_back(0);  // format 1 with an extra octet
  EXPECT_FALSE(decode_cert(v1).ok());
}

// Format 2 (signature_checked, no der_id) decodes with der_id 0.
TEST(CertRecordCodec, DecodesFormatTwo) {
  CertRecord r = sample_cert();
  r.signature_checked = false;
  Bytes v2 = encode_cert(r);
  v2.resize(v2.size() - kFormat4Tail - 8);
  v2[0] = 2;
  auto d = decode_cert(v2);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_FALSE(d->signature_checked);
  EXPECT_EQ(d->der_id, 0u);
}

// Format 3 (der_id, no statistics profile) decodes without a profile or ingest time.
TEST(CertRecordCodec, DecodesFormatThree) {
  Bytes v3 = encode_cert(sample_cert());
  v3.resize(v3.size() - kFormat4Tail);
  v3[0] = 3;
  auto d = decode_cert(v3);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->der_id, 0x0102030405060708u);
  EXPECT_FALSE(d->stats_profile.has_value());
  EXPECT_EQ(d->ingested_at, 0);
}

TEST(CertRecordCodec, InvalidReasonIsStoredAsNone) {
  CertRecord r = sample_cert();
  r.reason = 7;
  auto d = decode_cert(encode_cert(r));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->reason, kNoReason);
}

TEST(IssuerRecordCodec, RoundTripAndDamage) {
  IssuerRecord r;
  r.id = 42;
  r.name = "Test CA \xd0\xa3";  // UTF-8 kept as bytes
  r.identity = filled(0x11);
  r.ca_der = Bytes{0x30, 0x03, 0x02, 0x01, 0x01};
  r.added = 1600000000;
  const Bytes enc = encode_issuer(r);
  auto d = decode_issuer(enc);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->id, r.id);
  EXPECT_EQ(d->name, r.name);
  EXPECT_EQ(d->identity, r.identity);
  EXPECT_EQ(d->ca_der, r.ca_der);
  EXPECT_EQ(d->added, r.added);
  expect_rejects_truncated_and_extended(enc, [](ByteView v) { return decode_issuer(v); });

  // A length field claiming more than is there must not read past the end.
  Bytes lying = enc;
  put_be32(lying.data() + 5, 0xffffffff);
  EXPECT_FALSE(decode_issuer(lying).ok());

  IssuerRecord empty;
  auto e = decode_issuer(encode_issuer(empty));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->name.empty());
  EXPECT_TRUE(e->ca_der.empty());
}

TEST(OcspResponseCodec, RoundTripViewAndDamage) {
  OcspResponseRecord r;
  r.produced_at = 1700000000;
  r.this_update = 1700000000;
  r.next_update = 1700086400;
  r.status = CertStatus::revoked;
  r.revocation_time = 1690000000;
  r.der = Bytes(300, 0x5a);
  const Bytes enc = encode_ocsp_response(r);

  auto d = decode_ocsp_response(enc);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->produced_at, r.produced_at);
  EXPECT_EQ(d->this_update, r.this_update);
  EXPECT_EQ(d->next_update, r.next_update);
  EXPECT_EQ(d->status, r.status);
  EXPECT_EQ(d->revocation_time, r.revocation_time);
  EXPECT_EQ(d->der, r.der);

  auto v = view_ocsp_response(enc);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->next_update, r.next_update);
  EXPECT_EQ(v->der.size(), r.der.size());
  EXPECT_EQ(v->der.data(), enc.data() + enc.size() - r.der.size());  // no copy
  EXPECT_EQ(v->der.data() + v->der.size(), enc.data() + enc.size());

  expect_rejects_truncated_and_extended(enc, [](ByteView b) { return decode_ocsp_response(b); });
  expect_rejects_truncated_and_extended(enc, [](ByteView b) { return view_ocsp_response(b); });
  Bytes bad = enc;
  bad[25] = 9;  // status byte
  EXPECT_FALSE(view_ocsp_response(bad).ok());
}

}  // namespace
}  // namespace trustmon::storage
