// common/der: the strict reader (what it refuses is the point), the backward writer, OIDs
// and GeneralizedTime.
#include "common/der.hpp"

#include <gtest/gtest.h>

#include <string>

namespace trustmon::der {
namespace {

constexpr UnixTime kNow = 1790000000;  // 2026-09-21T14:13:20Z

bool reads_one(const Bytes& in) {
  Tlv t;
  return single(in, in.empty() ? 0 : in[0], t);
}

TEST(DerReader, ReadsShortAndLongForms) {
  const Bytes short_form{0x04, 0x02, 0xaa, 0xbb, 0x05, 0x00};
  Reader r(short_form);
  Tlv t;
  ASSERT_TRUE(r.next(t));
  EXPECT_EQ(t.tag, kOctetString);
  EXPECT_EQ(to_bytes(t.content), (Bytes{0xaa, 0xbb}));
  EXPECT_EQ(t.whole.size(), 4u);
  EXPECT_EQ(r.remaining(), 2u);
  EXPECT_EQ(to_bytes(r.rest()), (Bytes{0x05, 0x00}));
  EXPECT_EQ(r.peek(), kNull);
  ASSERT_TRUE(r.expect(kNull, t));
  EXPECT_TRUE(t.content.empty());
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.peek(), 0);
  EXPECT_FALSE(r.next(t));

  Bytes long_form{0x04, 0x81, 0x80};
  long_form.resize(3 + 0x80, 0x11);
  EXPECT_TRUE(reads_one(long_form));
  Bytes two_octets{0x30, 0x82, 0x01, 0x00};
  two_octets.resize(4 + 0x100, 0x00);
  EXPECT_TRUE(reads_one(two_octets));
}

TEST(DerReader, RefusesNonMinimalIndefiniteAndTruncated) {
  // 0x81 0x05 for a length that fits the short form.
  EXPECT_FALSE(reads_one({0x04, 0x81, 0x05, 1, 2, 3, 4, 5}));
  // 0x81 0x7f: still short-form material.
  Bytes seven_f{0x04, 0x81, 0x7f};
  seven_f.resize(3 + 0x7f, 0);
  EXPECT_FALSE(reads_one(seven_f));
  // A leading zero length octet.
  Bytes zero_led{0x04, 0x82, 0x00, 0x80};
  zero_led.resize(4 + 0x80, 0);
  EXPECT_FALSE(reads_one(zero_led));
  // Indefinite length (BER), five length octets, a length past the end.
  EXPECT_FALSE(reads_one({0x30, 0x80, 0x05, 0x00, 0x00, 0x00}));
  EXPECT_FALSE(reads_one({0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00}));
  EXPECT_FALSE(reads_one({0x04, 0x03, 0x01, 0x02}));
  EXPECT_FALSE(reads_one({0x04, 0x82, 0x01}));
  EXPECT_FALSE(reads_one({0x04}));
  // High tag number form.
  EXPECT_FALSE(reads_one({0x1f, 0x01, 0x00}));
  // Trailing octets after the one TLV.
  EXPECT_FALSE(reads_one({0x05, 0x00, 0x00}));
}

TEST(DerReader, FailureLeavesThePositionAndExpectChecksTheTag) {
  const Bytes in{0x02, 0x01, 0x07, 0x04, 0x81, 0x01, 0x00};
  Reader r(in);
  Tlv t;
  EXPECT_FALSE(r.expect(kOctetString, t));  // wrong tag: nothing read
  ByteView content;
  ASSERT_TRUE(r.expect(kInteger, content));
  EXPECT_EQ(to_bytes(content), (Bytes{0x07}));
  const std::size_t left = r.remaining();
  EXPECT_FALSE(r.next(t));  // non-minimal
  EXPECT_EQ(r.remaining(), left);

  const Bytes opt{0xa0, 0x03, 0x02, 0x01, 0x01, 0x02, 0x01, 0x05};
  Reader o(opt);
  bool present = false;
  ASSERT_TRUE(o.optional(context(1), t, present));
  EXPECT_FALSE(present);
  ASSERT_TRUE(o.optional(context(0), t, present));
  EXPECT_TRUE(present);
  EXPECT_EQ(t.tag, 0xa0);
  ASSERT_TRUE(o.expect(kInteger, t));
  EXPECT_TRUE(o.empty());
  EXPECT_EQ(context(3), 0xa3);
  EXPECT_EQ(context_primitive(2), 0x82);
}

TEST(DerWriter, BackWriterGrowsAndEncodesLongLengths) {
  BackWriter w(4);
  const Bytes big(300, 0x11);
  const std::size_t m = w.size();
  w.bytes(big);
  w.wrap(kOctetString, m);
  w.wrap(kSequence, 0);
  const ByteView v = w.view();
  ASSERT_EQ(v.size(), 300u + 4 + 4);
  EXPECT_EQ(v[0], 0x30);
  EXPECT_EQ(v[1], 0x82);
  EXPECT_EQ(v[2], 0x01);
  EXPECT_EQ(v[3], 0x30);  // 304
  EXPECT_EQ(v[4], 0x04);
  EXPECT_EQ(v[5], 0x82);
  EXPECT_EQ(v[6], 0x01);
  EXPECT_EQ(v[7], 0x2c);  // 300
  EXPECT_EQ(tlv_size(300), 304u);
  EXPECT_EQ(tlv_size(127), 129u);
  EXPECT_EQ(tlv_size(128), 131u);
}

TEST(DerWriter, WhatItWritesTheReaderReads) {
  for (std::size_t len : {0u, 1u, 127u, 128u, 255u, 256u, 65535u, 65536u}) {
    SCOPED_TRACE(len);
    BackWriter w(8);
    w.tlv(kOctetString, Bytes(len, 0x5a));
    EXPECT_EQ(w.size(), tlv_size(len));
    Tlv t;
    ASSERT_TRUE(single(w.view(), kOctetString, t));
    EXPECT_EQ(t.content.size(), len);
    const Bytes taken = w.take();
    EXPECT_EQ(taken.size(), w.size());
    w.clear();
    EXPECT_EQ(w.size(), 0u);
  }
}

TEST(DerOid, TextAndValidity) {
  const Bytes dstu{0x2a, 0x86, 0x24, 0x02, 0x01, 0x01, 0x01, 0x01, 0x03, 0x01, 0x01};
  EXPECT_EQ(oid_text(dstu), "1.2.804.2.1.1.1.1.3.1.1");
  EXPECT_EQ(oid_text(Bytes{0x55, 0x04, 0x03}), "2.5.4.3");
  EXPECT_EQ(oid_text(Bytes{0x88, 0x37, 0x01}), "2.999.1");
  EXPECT_EQ(oid_text(oid::kSha256), "2.16.840.1.101.3.4.2.1");
  EXPECT_EQ(oid_text({}), "");
  const Bytes truncated{0x2a, 0x86};
  EXPECT_EQ(oid_text(truncated), "");
  EXPECT_FALSE(valid_oid(truncated));
  const Bytes padded{0x2a, 0x80, 0x01};  // 0x80 starting a sub-identifier
  EXPECT_EQ(oid_text(padded), "");
  EXPECT_FALSE(valid_oid(padded));
  EXPECT_FALSE(valid_oid(Bytes{0x80, 0x01}));
  EXPECT_FALSE(valid_oid({}));
  EXPECT_TRUE(valid_oid(Bytes{0x2a, 0x81, 0x80, 0x01}));  // 0x80 inside a sub-identifier is fine
  // A sub-identifier beyond 64 bits is valid DER but has no text here.
  Bytes huge(10, 0xff);
  huge.push_back(0x7f);
  EXPECT_TRUE(valid_oid(huge));
  EXPECT_EQ(oid_text(huge), "");
}

TEST(DerTime, GeneralizedTime) {
  char text[15];
  ASSERT_TRUE(format_generalized_time(0, text));
  EXPECT_EQ(std::string(text, 15), "19700101000000Z");
  ASSERT_TRUE(format_generalized_time(kNow, text));
  EXPECT_EQ(std::string(text, 15), "20260921141320Z");
  ASSERT_TRUE(format_generalized_time(951782400, text));  // leap day
  EXPECT_EQ(std::string(text, 15), "20000229000000Z");
  ASSERT_TRUE(format_generalized_time(-1, text));
  EXPECT_EQ(std::string(text, 15), "19691231235959Z");
  EXPECT_FALSE(format_generalized_time(253402300800, text));
  UnixTime back = 0;
  ASSERT_TRUE(parse_generalized_time(as_bytes("20260921141320Z"), back));
  EXPECT_EQ(back, kNow);
  EXPECT_FALSE(parse_generalized_time(as_bytes("20260921141320.5Z"), back));
  EXPECT_FALSE(parse_generalized_time(as_bytes("20261321141320Z"), back));
}

}  // namespace
}  // namespace trustmon::der
