#include "common/bytes.hpp"

#include <gtest/gtest.h>

namespace trustmon {
namespace {

TEST(Hex, RoundTripAndSeparators) {
  Bytes b{0x00, 0xab, 0x10, 0xff};
  EXPECT_EQ(hex_encode(b), "00ab10ff");
  EXPECT_EQ(hex_encode(b, true), "00AB10FF");
  EXPECT_EQ(hex_decode("00AB10ff"), b);
  EXPECT_EQ(hex_decode("00:ab:10:ff"), b);
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
}

TEST(Base64, KnownVectors) {
  EXPECT_EQ(base64_encode(as_bytes("")), "");
  EXPECT_EQ(base64_encode(as_bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(as_bytes("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(as_bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode(Bytes{0xfb, 0xff}), "-_8");
  EXPECT_EQ(as_chars(*base64_decode("Zm9vYg==")), "foob");
  EXPECT_EQ(as_chars(*base64_decode("Zm9vYg")), "foob");  // padding optional
  EXPECT_EQ(*base64_decode("-_8"), (Bytes{0xfb, 0xff}));
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Zg==Zg"));  // data after padding
  EXPECT_FALSE(base64_decode("Z"));       // a lone sextet encodes nothing
  EXPECT_FALSE(base64_decode("Zh=="));    // non-canonical trailing bits
  EXPECT_FALSE(base64_decode("Zm 9v"));
  EXPECT_EQ(as_chars(*base64_decode_lenient("Zm\n9v\r\n")), "foo");
}

// The check accepts exactly what the lenient decoder accepts and counts the same bytes.
TEST(Base64, CheckAgreesWithTheLenientDecoder) {
  for (std::string_view text : {"", "Zg==", "Zm8=", "Zm9v\nYmFy", "Zm\n9v\r\n", "Zm9v!", "Zg==Zg", "Z", "Zh==", "Zm 9v",
                                "MIIB*&^%$"}) {
    auto decoded = base64_decode_lenient(text);
    auto checked = base64_check_lenient(text);
    ASSERT_EQ(decoded.has_value(), checked.has_value()) << text;
    if (decoded) {
      EXPECT_EQ(decoded->size(), *checked) << text;
    }
  }
  EXPECT_FALSE(base64_check_lenient("Zm9v!"));
  EXPECT_EQ(base64_check_lenient("Zm9vYmFy"), 6u);
}

TEST(Percent, Decode) {
  EXPECT_EQ(*percent_decode("a%2Bb%2fc+d"), "a+b/c+d");
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("abc%"));
}

TEST(DecodeTo, WritesIntoTheBufferAndRespectsItsSize) {
  char text[8];
  auto n = percent_decode_to("a%2Fb", text, sizeof text);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(text, *n), "a/b");
  EXPECT_FALSE(percent_decode_to("abcdefghi", text, sizeof text));  // does not fit
  std::uint8_t der[4];
  auto m = base64_decode_to("Zm9vYg==", der, sizeof der);
  ASSERT_TRUE(m);
  EXPECT_EQ(as_chars(ByteView(der, *m)), "foob");
  EXPECT_FALSE(base64_decode_to("Zm9vYmFy", der, sizeof der));  // 6 bytes into 4
  EXPECT_FALSE(base64_decode_to("Zm9v!", der, sizeof der));
}

TEST(BigEndian, RoundTrip) {
  std::uint8_t buf[8];
  put_be64(buf, 0x0102030405060708ull);
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(buf[7], 8);
  EXPECT_EQ(get_be64(buf), 0x0102030405060708ull);
  put_be32(buf, 0xdeadbeef);
  EXPECT_EQ(get_be32(buf), 0xdeadbeefu);
}

}  // namespace
}  // namespace trustmon
